"""Typical mistakes in 02-feature-maps, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.grader.submissions import Mistake, Variant

MISTAKES = [
    # polynomial_features_1d
    Mistake("poly1d-no-constant", "polynomial_features_1d",
            "np.arange(degree + 1)", "np.arange(1, degree + 1)",
            "starts at x**1 and drops the constant feature (the bias)"),
    Mistake("poly1d-highest-power-first", "polynomial_features_1d",
            "return x[:, None] ** np.arange(degree + 1)  # (n, degree + 1)",
            "return np.vander(x, degree + 1)",
            "uses np.vander, whose columns run from the highest power down"),
    Mistake("poly1d-integer-dtype", "polynomial_features_1d",
            "x = np.asarray(x, dtype=float)  # (n,)", "x = np.asarray(x)  # (n,)",
            "keeps integer inputs as integers, which overflow silently at high degree"),
    # polynomial_features
    Mistake("poly-no-squares", "polynomial_features",
            "in itertools.combinations_with_replacement(range(X.shape[1]), k):",
            "in itertools.combinations(range(X.shape[1]), k):",
            "uses combinations without replacement, so x1**2 and x2**2 are missing"),
    Mistake("poly-product-duplicates", "polynomial_features",
            "itertools.combinations_with_replacement(range(X.shape[1]), k)",
            "itertools.product(range(X.shape[1]), repeat=k)",
            "uses ordered tuples, so x1*x2 and x2*x1 both appear"),
    Mistake("poly-top-degree-missing", "polynomial_features",
            "for k in range(degree + 1):", "for k in range(1, degree + 1):",
            "starts at degree 1 and drops the constant monomial"),
    # n_polynomial_features
    Mistake("count-exact-degree-only", "n_polynomial_features",
            "math.comb(d + degree, degree)", "math.comb(d + degree - 1, degree)",
            "counts monomials of degree exactly `degree`, not 0..degree"),
    Mistake("count-float", "n_polynomial_features",
            "return math.comb(d + degree, degree)",
            "return math.factorial(d + degree) / (math.factorial(d) * math.factorial(degree))",
            "divides factorials with /, which returns a float, not an int"),
    # fit_ridge
    Mistake("ridge-ignores-reg", "fit_ridge",
            "np.sqrt(reg) * np.eye(D)", "np.zeros((D, D))",
            "never applies the penalty: plain least squares whatever reg is"),
    Mistake("ridge-reg-squared", "fit_ridge",
            "np.sqrt(reg) * np.eye(D)", "reg * np.eye(D)",
            "stacks reg * I instead of sqrt(reg) * I, so the penalty is reg**2 |w|**2"),
    Mistake("ridge-normal-equations", "fit_ridge",
            "A = np.vstack([Phi, np.sqrt(reg) * np.eye(D)])  # (n + D, D)\n"
            "    target = np.concatenate([y, np.zeros(D)])  # (n + D,)\n"
            "    return np.linalg.lstsq(A, target, rcond=None)[0]  # (D,)",
            "return np.linalg.solve(Phi.T @ Phi + reg * np.eye(D), Phi.T @ y)",
            "solves the normal equations: fine for a penalty on well-conditioned data, wrong "
            "at reg = 0 when the fit is not unique or Phi is badly conditioned"),
    # select_on_held_out
    Mistake("select-on-training-error", "select_on_held_out",
            "errors[i, j] = np.mean((Phi_val @ w - y_val) ** 2)",
            "errors[i, j] = np.mean((Phi_train @ w - y_train) ** 2)",
            "scores each pair on the training split, which always prefers the most flexible fit"),
    Mistake("select-fits-on-validation", "select_on_held_out",
            "w = fit_ridge(Phi_train, y_train, penalty)",
            "w = fit_ridge(Phi_val, y_val, penalty)",
            "fits the weights on the validation split it then scores on"),
    Mistake("select-ties-other-way", "select_on_held_out",
            "key=lambda ij: (errors[ij], degrees[ij[0]], -penalties[ij[1]])",
            "key=lambda ij: (errors[ij], -degrees[ij[0]], penalties[ij[1]])",
            "breaks ties towards the larger degree and the smaller penalty"),
    Mistake("select-ties-first-listed", "select_on_held_out",
            "i, j = min(np.ndindex(errors.shape),\n"
            "               key=lambda ij: (errors[ij], degrees[ij[0]], -penalties[ij[1]]))",
            "i, j = np.unravel_index(np.argmin(errors), errors.shape)",
            "takes the first smallest error in the order the lists come in, whatever the tie rule"),
    Mistake("select-returns-positions", "select_on_held_out",
            "return int(degrees[i]), float(penalties[j]), errors",
            "return int(i), float(j), errors",
            "returns the positions of the best pair in the lists instead of the pair itself"),
    Mistake("select-errors-transposed", "select_on_held_out",
            "return int(degrees[i]), float(penalties[j]), errors",
            "return int(degrees[i]), float(penalties[j]), errors.T",
            "returns the table with one row per penalty instead of one per degree"),
    Mistake("select-sum-not-mean", "select_on_held_out",
            "errors[i, j] = np.mean((Phi_val @ w - y_val) ** 2)",
            "errors[i, j] = np.sum((Phi_val @ w - y_val) ** 2)",
            "reports the sum of squared errors, not their mean"),
    # rbf_features
    Mistake("rbf-distance-not-squared", "rbf_features",
            "sq = np.sum(diff**2, axis=2)", "sq = np.sqrt(np.sum(diff**2, axis=2))",
            "uses the distance instead of the squared distance"),
    Mistake("rbf-divides-by-gamma", "rbf_features",
            "np.exp(-gamma * sq)", "np.exp(-sq / gamma)",
            "treats gamma as a width (divides) instead of a precision (multiplies)"),
]

# Correct answers written another way: they must score full marks.
VARIANTS = [
    Variant("select-loop-in-preference-order", "select_on_held_out",
            "i, j = min(np.ndindex(errors.shape),\n"
            "               key=lambda ij: (errors[ij], degrees[ij[0]], -penalties[ij[1]]))",
            "best = None\n"
            "    for i in np.argsort(degrees, kind=\"stable\"):  # smaller degrees first\n"
            "        for j in np.argsort(penalties, kind=\"stable\")[::-1]:  # larger penalties first\n"
            "            if best is None or errors[i, j] < errors[best]:\n"
            "                best = (i, j)\n"
            "    i, j = best",
            "visits the pairs from the simplest model on and keeps the first strictly smaller "
            "error: the same tie rule, written as a loop"),
    Variant("select-mse-by-dot", "select_on_held_out",
            "errors[i, j] = np.mean((Phi_val @ w - y_val) ** 2)",
            "r = Phi_val @ w - y_val  # (n_val,)\n"
            "            errors[i, j] = (r @ r) / len(y_val)",
            "computes the mean squared error as r.r / n, which rounds differently"),
]

# The demo's "typical-mistakes" student.
DEMO = ["poly1d-highest-power-first", "count-exact-degree-only", "ridge-reg-squared"]
