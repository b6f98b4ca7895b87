"""The comparison helpers pass what is right and explain what is wrong."""

import warnings

import numpy as np
import pytest

from course import checks
from course.grader import referees


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(checks.CheckFailure) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_assert_close_passes_within_tolerance():
    checks.assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]))
    checks.assert_close(0.5, 0.5 + 1e-13)


@pytest.mark.parametrize(
    ("received", "expected", "needles"),
    [
        (np.zeros((3, 1)), np.zeros(3), ["expected shape (3,)", "received shape (3, 1)"]),
        (np.array([1.0, 5.0, 3.0]), np.array([1.0, 2.0, 3.0]),
         ["1 of 3 entries differ", "[1]", "expected 2.0", "received 5.0"]),
        (np.array([True, False]), np.array([1.0, 0.0]), ["floating point", "bool"]),
        ([1.0, 2.0], np.array([1.0, 2.0]), ["expected an ndarray", "list of length 2"]),
        (np.array([0.5]), 0.5, ["expected a single number", "shape (1,)"]),
        (np.nan, 1.0, ["expected 1.0", "received nan"]),
    ],
)
def test_assert_close_says_what_is_wrong(received, expected, needles):
    text = message(checks.assert_close, received, expected, name="out", hint="look here")
    for needle in needles:
        assert needle in text, text
    assert text.startswith("out:") and text.endswith("Hint: look here")


def test_assert_close_finds_first_wrong_entry_of_a_matrix():
    expected = np.arange(12.0).reshape(3, 4)
    received = expected.copy()
    received[2, 1] = -1.0
    received[2, 3] = -2.0
    text = message(checks.assert_close, received, expected)
    assert "2 of 12 entries differ; the first is [2, 1]: expected 9.0, received -1.0" in text


def test_assert_equal_distinguishes_bool_from_int():
    checks.assert_equal(np.True_, True)
    assert "expected a bool" in message(checks.assert_equal, 1, True)
    assert "expected False, received True" in message(checks.assert_equal, True, False)


def test_call_unchanged_returns_result_and_names_the_edited_argument():
    def good(x, y):
        return x + y

    def bad(x, y):
        y[1] = 7.0
        return y

    a, b = np.zeros(3), np.ones(3)
    np.testing.assert_array_equal(checks.call_unchanged(good, a, b), np.ones(3))
    text = message(checks.call_unchanged, bad, a, b)
    assert "bad changed its input 'y'" in text
    assert "entry [1] was 1.0 and is now 7.0" in text


def test_call_unchanged_notices_list_arguments_and_shape_changes():
    def append(xs):
        xs.append(1)

    def resize(x):
        x.resize(2, refcheck=False)

    assert "input 'xs'" in message(checks.call_unchanged, append, [0])
    assert "shape changed from (3,) to (2,)" in message(checks.call_unchanged, resize, np.zeros(3))


def _edit(path):
    """A function that adds 1 to the entry reached by ``path`` of its second argument."""
    def edit(x, arg):
        target = arg
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] += 1.0
        return 0.0
    return edit


def _nested():
    return {"W": np.zeros((3, 2)), "b": [np.zeros(2), (np.zeros(4), {"deep": np.zeros((2, 2))})],
            "lr": 0.5, "name": "net", "rng": np.random.default_rng(0), "f": np.sin}


@pytest.mark.parametrize("path, where", [
    (("W", (2, 1)), "params['W'][2, 1] was 0.0 and is now 1.0"),
    (("b", 0, 1), "params['b'][0][1] was 0.0 and is now 1.0"),
    (("b", 1, 0, 3), "params['b'][1][0][3] was 0.0 and is now 1.0"),
    (("b", 1, 1, "deep", (1, 0)), "params['b'][1][1]['deep'][1, 0] was 0.0 and is now 1.0"),
    (("lr",), "params['lr'] was 0.5 and is now 1.5"),
])
def test_call_unchanged_finds_an_in_place_edit_at_every_nesting_level(path, where):
    def step(x, params):
        return _edit(path)(x, params)

    text = message(checks.call_unchanged, step, np.ones(2), _nested())
    assert "step changed its input 'params'" in text
    assert where in text


def test_call_unchanged_names_positional_paths_and_structural_edits():
    def anonymous(*args):
        args[1][0][2] = -1.0

    edit = anonymous
    text = message(checks.call_unchanged, edit, np.ones(2), [np.zeros(3)])
    assert "args[1][0][2] was 0.0 and is now -1.0" in text

    def add_key(params):
        params["extra"] = np.zeros(1)

    def drop_key(params):
        del params["b"]

    def replace_array(params):
        params["W"] = params["W"] - 1.0  # a new array, but put into the caller's dict

    def pop_item(xs):
        xs[1].pop()

    assert "key 'extra' was added" in message(checks.call_unchanged, add_key, _nested())
    assert "key 'b' was removed" in message(checks.call_unchanged, drop_key, _nested())
    assert "params['W'][0, 0] was 0.0 and is now -1.0" in message(
        checks.call_unchanged, replace_array, _nested())
    assert "xs[1]: its length changed from 2 to 1" in message(
        checks.call_unchanged, pop_item, [np.zeros(1), [1, 2]])


def test_call_unchanged_passes_functions_that_leave_nested_inputs_alone():
    def sgd_step(params, grads, lr):
        return {k: params[k] - lr * grads["d" + k] for k in ("W",)}

    def reads_everything(params, batches):
        params["rng"].normal()  # drawing from an rng is not an edit of the input
        total = sum(float(np.sum(b)) for b in batches[0])
        return total + float(np.sum(params["b"][1][1]["deep"]))

    def copies_then_edits(params):
        mine = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in params.items()}
        mine["W"] += 1.0
        return mine

    params = _nested()
    params["W"][0, 0] = np.nan  # NaN before and after is not a change
    out = checks.call_unchanged(sgd_step, params, {"dW": np.ones((3, 2))}, 0.1)
    np.testing.assert_array_equal(out["W"][1], [-0.1, -0.1])
    assert checks.call_unchanged(reads_everything, params, ([np.ones(2), np.ones(3)],)) == 5.0
    assert checks.call_unchanged(copies_then_edits, params)["W"][1, 1] == 1.0
    cyclic = [np.zeros(2)]
    cyclic.append(cyclic)
    checks.call_unchanged(lambda xs: len(xs), cyclic)


def test_no_warnings_turns_a_numpy_warning_into_a_failure():
    with pytest.raises(checks.CheckFailure, match="RuntimeWarning: overflow"):
        with checks.no_warnings("sigmoid"):
            np.exp(np.array([1e4]))
    with checks.no_warnings():
        np.exp(np.array([1.0]))
        np.exp(np.array([-1e4]))  # underflows to 0: not a warning, as in plain numpy
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing leaked out of the block above
        np.exp(np.array([1.0]))


def test_central_gradient_matches_closed_form_and_restores_input():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 4))
    before = W.copy()
    grad = referees.central_gradient(lambda A: float(np.sum(A**3)), W)
    assert referees.relative_error(grad, 3 * before**2) < 1e-8
    np.testing.assert_array_equal(W, before)


def test_rel_error_follows_the_course_definition():
    assert referees.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert referees.relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(2 / 4)
    assert referees.relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert referees.relative_error(np.array([1e-9]), np.array([0.0])) == pytest.approx(1e-9 / 1e-8)


def test_assert_gradient_accepts_right_and_explains_wrong():
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    referees.assert_gradient(2 * W, lambda A: float(np.sum(A**2)), W)
    text = message(referees.assert_gradient, 2 * W / 4, lambda A: float(np.sum(A**2)), W,
                   name="dW", hint="divide by the batch size once")
    assert "dW: relative error" in text and "worst entry [1, 1]" in text
    text = message(referees.assert_gradient, np.zeros(3), lambda A: float(np.sum(A**2)), W)
    assert "shape of its variable (2, 2)" in text


def _loss(A):  # a smooth scalar function of a matrix, with a closed-form gradient
    return float(np.sum(np.sin(A) * A) + 0.5 * np.sum(A) ** 2)


def _loss_grad(A):
    return np.cos(A) * A + np.sin(A) + np.sum(A)


def test_checks_assert_gradient_passes_right_gradients_silently_and_leaves_W_alone():
    rng = np.random.default_rng(3)
    for shape in [(1,), (5,), (3, 4), (2, 3, 2), (50, 2)]:
        W = rng.normal(size=shape)
        before = W.copy()
        assert checks.assert_gradient(_loss_grad(W), _loss, W, name="dW") is None
        np.testing.assert_array_equal(W, before)
    X, y, w = rng.normal(size=(8, 3)), rng.normal(size=8), rng.normal(size=3)
    checks.assert_gradient(2 / 8 * X.T @ (X @ w - y),
                           lambda v: float(np.mean((X @ v - y) ** 2)), w)
    checks.assert_gradient(np.zeros(3), lambda v: 4.0, np.ones(3))  # constant f, zero gradient


@pytest.mark.parametrize("scale, needle", [
    (-1.0, "sign is flipped"),
    (2.0, "twice too large"),
    (0.5, "half the right size"),
    (8.0, "8 times too large: a missing 1/t"),
    (1 / 8, "8 times too small: an extra 1/t"),
])
def test_checks_assert_gradient_names_a_wrong_factor(scale, needle):
    W = np.random.default_rng(4).normal(size=(4, 3))
    text = message(checks.assert_gradient, scale * _loss_grad(W), _loss, W, name="dW",
                   hint="the usual mistake")
    assert text.startswith("dW: your gradient predicts the wrong change of f")
    assert needle in text and "Hint: the usual mistake" in text


@pytest.mark.parametrize("shape, idx", [((7,), (3,)), ((4, 5), (2, 1)), ((3, 2, 4), (1, 0, 3)),
                                        ((50, 2), (49, 1)), ((1,), (0,))])
def test_checks_assert_gradient_finds_the_one_wrong_entry(shape, idx):
    W = np.random.default_rng(5).normal(size=shape)
    g = _loss_grad(W)
    g[idx] += 0.25
    text = message(checks.assert_gradient, g, _loss, W)
    where = ", ".join(map(str, idx))
    assert f"entry [{where}] is wrong: you have {float(g[idx])!r}; " in text
    right = float(_loss_grad(W)[idx])
    how = ("the sign is wrong" if right * (right + 0.25) < 0 else
           "f changes more slowly along this entry than your value says"
           if abs(right + 0.25) > abs(right) else
           "f changes faster along this entry than your value says")
    assert how in text, text
    # the message never gives the slope it measured (that would be the answer)
    assert f"{right:.3g}" not in text
    if len(shape) == 2:
        assert f"row {idx[0]}, column {idx[1]}" in text


def test_checks_assert_gradient_catches_small_errors_but_not_rounding():
    W = np.random.default_rng(6).normal(size=(6, 5))
    g = _loss_grad(W)
    g[4, 4] *= 1 + 1e-4
    assert "entry [4, 4]" in message(checks.assert_gradient, g, _loss, W)
    checks.assert_gradient(_loss_grad(W) * (1 + 1e-9), _loss, W)
    big = W * 1e3  # a large f: the round-off of the differences must not fail a right gradient
    checks.assert_gradient(_loss_grad(big), _loss, big)


def test_checks_assert_gradient_explains_shape_and_type():
    W = np.ones((2, 2))
    assert "shape of its variable (2, 2), received shape (4,)" in message(
        checks.assert_gradient, np.ones(4), _loss, W)
    assert "received list" in message(checks.assert_gradient, [[1.0, 1.0]] * 2, _loss, W)
    bad = _loss_grad(W)
    bad[0, 1] = np.nan
    assert "entry [0, 1] is nan" in message(checks.assert_gradient, bad, _loss, W)


def test_students_get_no_gradcheck_module():
    """The old ``course.gradcheck`` held 04's answers (central differences, relative error);
    the grader's referee is ``course.grader.referees`` and students get only the verdict."""
    import importlib.util

    assert importlib.util.find_spec("course.gradcheck") is None
    assert callable(checks.assert_gradient)
