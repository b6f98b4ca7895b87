"""Typical mistakes in 04-gradient-descent, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.grader.submissions import Mistake, Variant

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
    Mistake("gd-gradtol-ignored", "gradient_descent",
            "        if grad_tol is not None and np.sqrt(np.sum(g**2)) < grad_tol:\n"
            "            break  # flat enough: no step\n", "",
            "accepts grad_tol but never stops on a small gradient"),
    Mistake("gd-gradtol-after-step", "gradient_descent",
            "        if grad_tol is not None and np.sqrt(np.sum(g**2)) < grad_tol:\n"
            "            break  # flat enough: no step\n"
            "        w_new = w - alpha * g\n        history.append(w_new)\n",
            "        w_new = w - alpha * g\n        history.append(w_new)\n"
            "        if grad_tol is not None and np.sqrt(np.sum(g**2)) < grad_tol:\n"
            "            w = w_new\n            break\n",
            "sees the small gradient but takes the step anyway before stopping"),
    Mistake("gd-gradtol-squared-norm", "gradient_descent",
            "np.sqrt(np.sum(g**2)) < grad_tol", "np.sum(g**2) < grad_tol",
            "compares the squared length of the gradient with grad_tol"),
    # directional_slope
    Mistake("dirslope-not-normalised", "directional_slope",
            "u = v / np.sqrt(np.sum(v**2))", "u = v",
            "measures the slope along v itself, so a longer v gives a steeper slope"),
    Mistake("dirslope-squared-length", "directional_slope",
            "u = v / np.sqrt(np.sum(v**2))", "u = v / np.sum(v**2)",
            "divides v by its squared length: not a unit vector"),
    Mistake("dirslope-forward-difference", "directional_slope",
            "(f(w + h * u) - f(w - h * u)) / (2 * h)", "(f(w + h * u) - f(w)) / h",
            "uses a forward difference along the direction where the central one is asked"),
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
    # chord_gap
    Mistake("chord-weights-swapped", "chord_gap",
            "(1 - t) * f(a) + t * f(b) - f(x_t)", "t * f(a) + (1 - t) * f(b) - f(x_t)",
            "puts t where 1 - t belongs in the chord's height: the chord at the mirrored point"),
    Mistake("chord-point-swapped", "chord_gap",
            "x_t = (1 - t) * a + t * b", "x_t = t * a + (1 - t) * b",
            "puts t where 1 - t belongs in the point: the graph at the mirrored point"),
    Mistake("chord-wrong-way", "chord_gap",
            "return float((1 - t) * f(a) + t * f(b) - f(x_t))",
            "return float(f(x_t) - ((1 - t) * f(a) + t * f(b)))",
            "compares the wrong way: graph minus chord"),
    # looks_convex
    Mistake("looks-convex-strict", "looks_convex", "if gap < -1e-9:", "if gap <= 0:",
            "asks every chord to be strictly above the graph, so a straight line fails"),
    Mistake("looks-convex-wrong-way", "looks_convex", "if gap < -1e-9:", "if gap > 1e-9:",
            "compares the wrong way: rejects chords above the graph"),
    Mistake("looks-convex-weights-swapped", "looks_convex",
            "gap = (1 - t) * f(a) + t * f(b) - f((1 - t) * a + t * b)",
            "gap = t * f(a) + (1 - t) * f(b) - f((1 - t) * a + t * b)",
            "puts t where 1 - t belongs in the chord's height"),
    # largest_stable_step
    Mistake("stable-step-one-over-lambda", "largest_stable_step",
            "return float(2.0 / lam_max)", "return float(1.0 / lam_max)",
            "stops at the step that lands on the minimum (factor 0), not at factor -1"),
    Mistake("stable-step-smallest-eigenvalue", "largest_stable_step",
            "np.max(np.linalg.eigvalsh(H))", "np.min(np.linalg.eigvalsh(H))",
            "lets the flattest direction decide instead of the steepest"),
    Mistake("stable-step-trace", "largest_stable_step",
            "lam_max = np.max(np.linalg.eigvalsh(H))", "lam_max = np.trace(H)",
            "uses the sum of the curvatures (the trace) instead of the largest one"),
    Mistake("stable-step-diagonal", "largest_stable_step",
            "np.linalg.eigvalsh(H)", "np.diag(H)",
            "reads the curvatures off the diagonal of H instead of its eigenvalues"),
]

VARIANTS = [
    Variant("dirslope-linalg-norm", "directional_slope",
            "u = v / np.sqrt(np.sum(v**2))", "u = v / np.linalg.norm(v)",
            "the same unit vector with np.linalg.norm (Frobenius for a matrix v)"),
    Variant("stable-step-spectral-norm", "largest_stable_step",
            "lam_max = np.max(np.linalg.eigvalsh(H))", "lam_max = np.linalg.norm(H, 2)",
            "for a positive semi-definite H the spectral norm is the largest eigenvalue"),
    Variant("looks-convex-calls-chord-gap", "looks_convex",
            "gap = (1 - t) * f(a) + t * f(b) - f((1 - t) * a + t * b)",
            "gap = chord_gap(f, a, b, t)",
            "reuses chord_gap (the reference's, in this submission) for each gap"),
]

# The demo's "typical-mistakes" student.
DEMO = ["central-uses-forward", "numgrad-not-restored", "mse-summed-not-averaged",
        "chord-weights-swapped", "stable-step-one-over-lambda"]
