"""Typical mistakes in 03-activations, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.grader.submissions import Mistake

MISTAKES = [
    # sigmoid
    Mistake("sigmoid-naive-overflow", "sigmoid",
            "z = np.exp(-np.abs(x))  # in (0, 1]: never overflows\n"
            "    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))",
            "return 1.0 / (1.0 + np.exp(-x))",
            "uses 1 / (1 + exp(-x)) everywhere, which overflows (with a warning) for x = -1e4"),
    # sigmoid_grad
    Mistake("sigmoid-grad-of-x", "sigmoid_grad",
            "return s * (1.0 - s)", "return x * (1.0 - x)",
            "applies s (1 - s) to x instead of to sigmoid(x)"),
    Mistake("sigmoid-grad-tanh-formula", "sigmoid_grad",
            "return s * (1.0 - s)", "return 1.0 - s**2",
            "mixes up the sigmoid's derivative with tanh's, 1 - f**2"),
    # sigmoid_grad_from_output
    Mistake("sigmoid-from-output-sign", "sigmoid_grad_from_output",
            "return s * (1.0 - s)", "return s * (s - 1.0)",
            "keeps one of the two minus signs of the path (from 1/d and from -x) and loses the other"),
    Mistake("sigmoid-from-output-sigmoid-again", "sigmoid_grad_from_output",
            "return s * (1.0 - s)",
            "z = 1.0 / (1.0 + np.exp(-s))\n    return z * (1.0 - z)",
            "treats the output s as if it were x and applies the sigmoid to it again"),
    Mistake("sigmoid-from-output-tanh-formula", "sigmoid_grad_from_output",
            "return s * (1.0 - s)", "return 1.0 - s**2",
            "borrows tanh's derivative instead of deriving the sigmoid's"),
    Mistake("sigmoid-from-output-no-exp-factor", "sigmoid_grad_from_output",
            "return s * (1.0 - s)", "return s * s",
            "drops the local derivative of the exp node (de/du = e, not 1): 1/d^2 = s^2"),
    # tanh_from_sigmoid
    Mistake("tanh-sigmoid-of-x", "tanh_from_sigmoid",
            "-2.0 * x", "-x", "uses sigmoid(x) instead of sigmoid(2x), which gives tanh(x / 2)"),
    Mistake("tanh-forgets-minus-one", "tanh_from_sigmoid",
            "return 2.0 * s - 1.0", "return 2.0 * s",
            "forgets to shift by -1, so the range is (0, 2)"),
    # tanh_grad
    Mistake("tanh-grad-not-squared", "tanh_grad",
            "return 1.0 - np.tanh(x) ** 2", "return 1.0 - np.tanh(x)",
            "writes 1 - tanh instead of 1 - tanh**2"),
    # tanh_grad_from_output
    Mistake("tanh-from-output-no-inner-factor", "tanh_grad_from_output",
            "return 1.0 - t**2", "return 0.5 * (1.0 - t**2)",
            "forgets the slope 2 of the inner function w = 2x"),
    Mistake("tanh-from-output-sigmoid-formula", "tanh_grad_from_output",
            "return 1.0 - t**2", "return t * (1.0 - t)",
            "reuses the sigmoid's expression s (1 - s) with t in place of s"),
    Mistake("tanh-from-output-sign", "tanh_grad_from_output",
            "return 1.0 - t**2", "return t**2 - 1.0", "flips the sign of the whole derivative"),
    # relu
    Mistake("relu-in-place", "relu",
            "x = np.asarray(x, dtype=float)\n    return np.maximum(x, 0.0)",
            "x[x < 0] = 0.0\n    return x",
            "zeroes the negative entries of the caller's array (and returns integers for "
            "integer input)"),
    # relu_grad
    Mistake("relu-grad-zero-at-zero", "relu_grad",
            "np.where(x >= 0, 1.0, 0.0)", "np.where(x > 0, 1.0, 0.0)",
            "takes relu'(0) = 0, against the course convention relu'(0) = 1"),
    # leaky_relu
    Mistake("leaky-slope-wrong-side", "leaky_relu",
            "np.where(x >= 0, x, alpha * x)", "np.where(x >= 0, alpha * x, x)",
            "puts the small slope on the positive side"),
    Mistake("leaky-ignores-alpha", "leaky_relu",
            "np.where(x >= 0, x, alpha * x)", "np.where(x >= 0, x, 0.01 * x)",
            "hard-codes the default slope 0.01 and ignores the alpha argument"),
    # leaky_relu_grad
    Mistake("leaky-grad-zero-on-left", "leaky_relu_grad",
            "np.where(x >= 0, 1.0, alpha)", "np.where(x >= 0, 1.0, 0.0)",
            "returns relu's derivative: slope 0 instead of alpha for negative x"),
    # elu
    Mistake("elu-overflow", "elu",
            "alpha * np.expm1(np.minimum(x, 0.0))", "alpha * np.expm1(x)",
            "computes exp(x) for all x inside np.where, which overflows for x = 1e4"),
    Mistake("elu-ignores-alpha", "elu",
            "left = alpha * np.expm1(", "left = np.expm1(",
            "forgets the factor alpha on the negative side"),
    # elu_grad
    Mistake("elu-grad-positive-side", "elu_grad",
            "return np.where(x >= 0, 1.0, left)", "return np.where(x >= 0, x, left)",
            "returns x (the function) instead of 1 (its slope) for x >= 0"),
    Mistake("elu-grad-returns-function", "elu_grad",
            "left = alpha * np.exp(np.minimum(x, 0.0))", "left = alpha * np.expm1(np.minimum(x, 0.0))",
            "returns the left piece alpha (e^x - 1) itself, not its slope"),
    Mistake("elu-grad-forgets-alpha", "elu_grad",
            "left = alpha * np.exp(", "left = np.exp(",
            "drops the constant factor alpha when differentiating the left piece"),
    # prelu_backward
    Mistake("prelu-da-not-summed", "prelu_backward",
            "da = float(np.sum(dh * np.where(neg, x, 0.0)))", "da = dh * np.where(neg, x, 0.0)",
            "returns one da per unit: forgets that the single shared a collects every unit's share"),
    Mistake("prelu-da-counts-positive-side", "prelu_backward",
            "da = float(np.sum(dh * np.where(neg, x, 0.0)))", "da = float(np.sum(dh * x))",
            "counts the units with x >= 0 in da, where h = x does not depend on a"),
    Mistake("prelu-da-forgets-dh", "prelu_backward",
            "da = float(np.sum(dh * np.where(neg, x, 0.0)))",
            "da = float(np.sum(np.where(neg, x, 0.0)))",
            "returns the local slope in a, without the upstream gradient dh"),
    Mistake("prelu-dx-relu-slope", "prelu_backward",
            "dx = dh * np.where(neg, a, 1.0)", "dx = dh * np.where(neg, 0.0, 1.0)",
            "uses relu's slope for dx: 0 instead of a on the negative side"),
    # gelu
    Mistake("gelu-uses-tanh-form", "gelu",
            "cdf = 0.5 * erfc(-x / np.sqrt(2.0))  # Phi(x)",
            "cdf = 0.5 * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))",
            "uses the tanh approximation where the exact GELU is asked for"),
    Mistake("gelu-no-sqrt2", "gelu",
            "erfc(-x / np.sqrt(2.0))", "erfc(-x)",
            "uses erf(x) instead of erf(x / sqrt 2): the CDF of the wrong normal"),
    # gelu_tanh
    Mistake("gelu-tanh-no-cubic", "gelu_tanh",
            "u = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)", "u = np.sqrt(2.0 / np.pi) * x",
            "leaves out the cubic term 0.044715 x**3"),
    # gelu_grad
    Mistake("gelu-grad-no-product-rule", "gelu_grad",
            "return cdf + x * pdf", "return cdf",
            "differentiates x Phi(x) as Phi(x), forgetting the product rule"),
    Mistake("gelu-grad-forgets-x", "gelu_grad",
            "return cdf + x * pdf", "return cdf + pdf",
            "loses the factor x of the product rule's second term"),
    # swish
    Mistake("swish-ignores-beta", "swish",
            "np.logaddexp(0.0, -beta * x)", "np.logaddexp(0.0, -x)",
            "ignores beta: always x sigmoid(x)"),
    # swish_grad
    Mistake("swish-grad-no-chain-beta", "swish_grad",
            "return s + beta * x * s * (1.0 - s)", "return s + x * s * (1.0 - s)",
            "forgets the factor beta from the chain rule"),
    Mistake("swish-grad-sigmoid-only", "swish_grad",
            "return s + beta * x * s * (1.0 - s)", "return s",
            "differentiates x sigmoid(bx) as sigmoid(bx), forgetting the product rule"),
    # swiglu
    Mistake("swiglu-gates-wrong-branch", "swiglu",
            "return gate * np.exp(-np.logaddexp(0.0, -beta * gate)) * value",
            "return value * np.exp(-np.logaddexp(0.0, -beta * value)) * gate",
            "applies swish to X @ V + c instead of X @ W + b"),
    Mistake("swiglu-forgets-c", "swiglu",
            "value = X @ V + c", "value = X @ V",
            "forgets the bias c of the linear branch"),
    # input_gradient_norm
    Mistake("grad-norm-ignores-depth", "input_gradient_norm",
            "for _ in range(depth):", "for _ in range(min(depth, 1)):",
            "passes the gradient through one layer whatever the depth"),
    Mistake("grad-norm-forgets-activation", "input_gradient_norm",
            "g = (g * activation_grad(k)) @ W.T  # gradient", "g = g @ W.T  # gradient",
            "leaves out the activation's derivative, as if the chain were linear"),
    Mistake("grad-norm-no-transpose", "input_gradient_norm",
            "g = (g * activation_grad(k)) @ W.T  # gradient",
            "g = (g * activation_grad(k)) @ W  # gradient",
            "multiplies by W instead of W.T on the way back"),
]

# The demo's "typical-mistakes" student.
DEMO = ["sigmoid-naive-overflow", "sigmoid-from-output-sign", "relu-grad-zero-at-zero",
        "prelu-da-not-summed", "gelu-uses-tanh-form"]
