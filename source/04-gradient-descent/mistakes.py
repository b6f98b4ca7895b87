"""Typical mistakes in 04-gradient-descent, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.submissions import Mistake

MISTAKES = [
    # forward_difference
    Mistake("forward-is-backward", "forward_difference",
            "return float((f(x + h) - f(x)) / h)", "return float((f(x) - f(x - h)) / h)",
            "steps backwards: the backward difference, not the forward one"),
    Mistake("forward-divides-by-2h", "forward_difference",
            "return float((f(x + h) - f(x)) / h)", "return float((f(x + h) - f(x)) / (2 * h))",
            "mixes up the forward and the central formulas and divides by 2h"),
    # central_difference
    Mistake("central-uses-forward", "central_difference",
            "return float((f(x + h) - f(x - h)) / (2 * h))",
            "return float((f(x + h) - f(x)) / h)",
            "uses the forward difference where the central one is asked"),
    Mistake("central-divides-by-h", "central_difference",
            "return float((f(x + h) - f(x - h)) / (2 * h))",
            "return float((f(x + h) - f(x - h)) / h)",
            "forgets that the two points are 2h apart"),
    # numerical_gradient
    Mistake("numgrad-not-restored", "numerical_gradient",
            "        W[i] = old  # restore exactly\n", "",
            "never puts the nudged entry back, so W is left changed and later entries are "
            "differentiated at the wrong point"),
    Mistake("numgrad-restore-by-arithmetic", "numerical_gradient",
            "W[i] = old + h\n        f_plus = f(W)\n        W[i] = old - h\n        f_minus = f(W)\n"
            "        W[i] = old  # restore exactly",
            "W[i] += h\n        f_plus = f(W)\n        W[i] -= 2 * h\n        f_minus = f(W)\n"
            "        W[i] += h",
            "restores the entry by adding h back, which rounds: W is not exactly unchanged"),
    Mistake("numgrad-forward-difference", "numerical_gradient",
            "grad[i] = (f_plus - f_minus) / (2 * h)", "grad[i] = (f_plus - f(W)) / h",
            "uses a forward difference where the central one is asked"),
    Mistake("numgrad-nudges-a-copy", "numerical_gradient",
            "grad = np.zeros(W.shape)", "W = W.copy()\n    grad = np.zeros(W.shape)",
            "nudges a copy of W, so a loss that reads the model's weights sees no change"),
    Mistake("numgrad-alias-of-course", "numerical_gradient",
            "    return grad\n",
            "    return grad\n\n\nfrom course.grader.referees import central_gradient as numerical_gradient  # noqa: E402\n",
            "hands in the course's own gradient checker instead of writing the loop"),
    # rel_error
    Mistake("relerr-no-floor", "rel_error",
            "max(1e-8, np.max(np.abs(a) + np.abs(b)))", "np.max(np.abs(a) + np.abs(b))",
            "drops the 1e-8 floor: two zero gradients give 0/0 = nan and a warning"),
    Mistake("relerr-sum-of-maxima", "rel_error",
            "max(1e-8, np.max(np.abs(a) + np.abs(b)))",
            "max(1e-8, np.max(np.abs(a)) + np.max(np.abs(b)))",
            "divides by max|a| + max|b| instead of the largest |a_i| + |b_i|"),
    Mistake("relerr-mean-difference", "rel_error",
            "np.max(np.abs(a - b)) /", "np.mean(np.abs(a - b)) /",
            "averages the differences instead of taking the worst one"),
    Mistake("relerr-alias-of-course", "rel_error",
            "    return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))))\n",
            "    return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))))\n"
            "\n\nfrom course.grader.referees import relative_error as rel_error  # noqa: E402\n",
            "hands in the course's relative_error instead of writing the formula"),
    # gradient_descent
    Mistake("gd-history-without-w0", "gradient_descent", "history = [w]", "history = []",
            "records only the new iterates, not the start w0"),
    Mistake("gd-off-by-one", "gradient_descent", "for _ in range(max_iter):",
            "for _ in range(1, max_iter):", "takes max_iter - 1 steps"),
    Mistake("gd-stops-on-gradient", "gradient_descent",
            "moved = float(np.sqrt(np.sum((w_new - w) ** 2)))",
            "moved = float(np.sqrt(np.sum(np.asarray(grad(w), dtype=float) ** 2)))",
            "stops when the gradient is small rather than when the step is"),
    # mse_grad
    Mistake("mse-missing-factor-2", "mse_grad", "return 2 * X.T @ r / t", "return X.T @ r / t",
            "forgets the 2 of the derivative of a square"),
    Mistake("mse-summed-not-averaged", "mse_grad", "return 2 * X.T @ r / t",
            "return 2 * X.T @ r", "forgets the / t: the gradient of the sum, not of the mean"),
    Mistake("mse-residual-sign", "mse_grad", "r = X @ w - y", "r = y - X @ w",
            "writes the residual as y - Xw without the minus sign of the chain rule: uphill"),
    # numerical_hessian
    Mistake("hessian-not-symmetrised", "numerical_hessian", "return (H + H.T) / 2", "return H",
            "returns the raw estimates, which are not exactly symmetric"),
    Mistake("hessian-denominator", "numerical_hessian", "/ (4 * h * h)", "/ (h * h)",
            "divides by h**2 instead of (2h)**2"),
    # is_convex_at
    Mistake("convex-no-tolerance", "is_convex_at", "eigvalsh(H) >= -1e-6", "eigvalsh(H) >= 0",
            "compares eigenvalues with 0, so rounding makes flat directions non-convex"),
    Mistake("convex-diagonal-only", "is_convex_at", "np.linalg.eigvalsh(H)", "np.diag(H)",
            "tests the diagonal of the Hessian instead of its eigenvalues"),
]

# The demo's "typical-mistakes" student.
DEMO = ["central-uses-forward", "numgrad-not-restored", "mse-summed-not-averaged"]
