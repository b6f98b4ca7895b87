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


# -- compare_nodes: the node-by-node check of a backward pass -----------------------------------

def _two_layer(seed=3, t=5, d=3, v=6, m=3):
    r = np.random.default_rng(seed)
    params = {"H": r.normal(size=(d, v)), "b_H": r.normal(size=v), "U": r.normal(size=(v, m)),
              "b_U": r.normal(size=m)}
    F, y = r.normal(size=(t, d)), r.integers(0, m, size=t)
    k = F @ params["H"] + params["b_H"]
    h = np.maximum(k, 0.0)
    cache = {"F": F, "k": k, "h": h, "z": h @ params["U"] + params["b_U"]}
    return params, cache, y


def _backward(params, cache, y, wrong=None):
    """A backward pass with its intermediate gradients as local variables; ``wrong`` names one
    step to get wrong, the way students do."""
    F, k, h, z = cache["F"], cache["k"], cache["h"], cache["z"]
    t = len(y)
    o = np.exp(z - z.max(axis=1, keepdims=True))
    o = o / o.sum(axis=1, keepdims=True)
    dz = o - np.eye(z.shape[1])[y]
    dz = dz if wrong == "dz" else dz / t  # the gradient of the sum
    dU = h.T @ dz if wrong != "dU" else k.T @ dz  # k for h
    db_U = dz.sum(axis=0) if wrong != "db_U" else -dz.sum(axis=0)  # a sign
    dh = dz @ params["U"].T
    dk = dh * (k >= 0) if wrong != "dk" else dh  # no ReLU step
    dH = F.T @ dk if wrong != "dH" else 2 * F.T @ dk  # a factor
    db_H = dk.sum(axis=0)
    return {"dH": dH, "db_H": db_H, "dU": dU, "db_U": db_U}


def _graph(params, cache, y):
    rows = np.arange(len(y))

    def mean_ce(z):
        s = z - z.max(axis=1, keepdims=True)
        return float(-np.mean((s - np.log(np.exp(s).sum(axis=1, keepdims=True)))[rows, y]))

    return {"z": (None, mean_ce),
            "U": ("z", lambda U: cache["h"] @ U + params["b_U"]),
            "b_U": ("z", lambda b: cache["h"] @ params["U"] + b),
            "h": ("z", lambda h: h @ params["U"] + params["b_U"]),
            "k": ("h", lambda k: np.maximum(k, 0.0)),
            "H": ("k", lambda H: cache["F"] @ H + params["b_H"]),
            "b_H": ("k", lambda b: cache["F"] @ params["H"] + b)}


def test_local_variables_returns_the_result_and_the_intermediates():
    params, cache, y = _two_layer()
    grads, inside = checks.local_variables(_backward, params, cache, y)
    assert set(grads) == {"dH", "db_H", "dU", "db_U"}
    assert {"dz", "dh", "dk", "t"} <= set(inside)
    np.testing.assert_array_equal(inside["dU"], grads["dU"])
    with pytest.raises(TypeError):
        checks.local_variables(print.__call__)  # not a Python function


def test_compare_nodes_passes_every_node_of_a_correct_backward(capsys):
    params, cache, y = _two_layer()
    grads, inside = checks.local_variables(_backward, params, cache, y)
    report = checks.compare_nodes({**inside, **grads}, {**params, **cache},
                                  _graph(params, cache, y))
    assert list(report) == ["z", "U", "b_U", "h", "k", "H", "b_H"]
    assert all(status == "ok" for status, _ in report.values())
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 7 and lines[0].split()[0] == "dz" and lines[0].endswith("ok")


@pytest.mark.parametrize(("wrong", "needle"), [
    ("dz", "times too large"), ("dU", "entry"), ("db_U", "sign"), ("dk", "does not change"),
    ("dH", "twice too large")])
def test_compare_nodes_reports_a_wrong_step_at_its_node_and_only_there(capsys, wrong, needle):
    params, cache, y = _two_layer()
    grads, inside = checks.local_variables(_backward, params, cache, y, wrong)
    report = checks.compare_nodes({**inside, **grads}, {**params, **cache},
                                  _graph(params, cache, y))
    flagged = [name for name, (status, _) in report.items() if status == "WRONG"]
    assert flagged == [wrong[1:]]
    assert needle in report[wrong[1:]][1]
    # what only inherits the error says so; the rest passes
    for name, (status, text) in report.items():
        if name != wrong[1:]:
            assert status in ("ok", "inherits"), (name, status, text)
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 7
    wrong_lines = [line for line in out.splitlines() if "WRONG" in line]
    assert len(wrong_lines) == 1 and wrong_lines[0].split()[0] == wrong


def test_compare_nodes_names_a_missing_intermediate_and_prints_no_gradient(capsys):
    params, cache, y = _two_layer()
    grads, inside = checks.local_variables(_backward, params, cache, y)
    inside.pop("dk")
    report = checks.compare_nodes({**inside, **grads}, {**params, **cache},
                                  _graph(params, cache, y), show=False)
    assert report["k"][0] == "missing" and "dk" in report["k"][1]
    assert report["H"][0] == "ok"  # H and b_H are still checked against the loss
    assert capsys.readouterr().out == ""


def test_compare_nodes_never_forms_a_numerical_gradient():
    """It compares slopes along directions (assert_gradient), no loop over coordinates."""
    import inspect

    source = "".join(inspect.getsource(fn) for fn in (
        checks.compare_nodes, checks._node_status, checks._gradient_verdict, checks._loss_from))
    assert "assert_gradient(" in inspect.getsource(checks._gradient_verdict)
    for banned in ("np.nditer", "ndindex", "np.zeros_like", "range(W.size)", ".flat"):
        assert banned not in source


# -- the exact messages: pinned whole, so a refactoring of the checks cannot change a word -------

_UNCHANGED_HINT = ("\nHint: A graded function must not modify its inputs. Compute into a new array "
                   "(x = x.copy(), np.where, out-of-place arithmetic, a new dict) instead of "
                   "assigning into or using +=, -= on an argument or an array inside it.")


@pytest.mark.parametrize(("received", "expected", "kwargs", "text"), [
    (0.6, 0.5, {}, "out: expected 0.5, received 0.6 (difference 0.1)"),
    (None, 0.5, {}, "out: expected a single number, received NoneType"),
    (1 + 2j, 0.5, {}, "out: expected a single number, received complex"),
    (np.inf, 1.0, {}, "out: expected 1.0, received inf"),
    (np.array(["a"]), np.array([1.0]), {},
     "out: expected a floating point array, received dtype <U1"),
    (np.array(["a"]), np.array([1.0]), {"dtype_kind": None},
     "out: expected numbers, received dtype <U1"),
    (np.zeros(60), np.ones(60), {},
     "out: 60 of 60 entries differ; the first is [0]: expected 1.0, received 0.0"),
    (np.array([[0.0, 1, 2], [-1, 4, 5]]), np.arange(6.0).reshape(2, 3), {},
     "out: 1 of 6 entries differ; the first is [1, 0]: expected 3.0, received -1.0\n"
     "  expected:\n[[0., 1., 2.],\n [3., 4., 5.]]\n"
     "  received:\n[[ 0.,  1.,  2.],\n [-1.,  4.,  5.]]"),
])
def test_assert_close_messages_word_for_word(received, expected, kwargs, text):
    assert message(checks.assert_close, received, expected, name="out", **kwargs) == text
    assert message(checks.assert_close, received, expected, name="out", hint="look here",
                   **kwargs) == text + "\nHint: look here"


def _set(path, value):
    def edit(params):
        target = params
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


@pytest.mark.parametrize(("edit", "text"), [
    (_set(("W",), [1]), "params['W'] was an ndarray and is now list of length 1"),
    (_set(("b",), {"a": 1}), "params['b'] was a list and is now dict"),
    (_set(("b", 1), (1, 2, 3)),
     "params['b'][1]: its length changed from 2 to 3 (it was (1, 2) and is now (1, 2, 3))"),
    (_set(("n",), 3.0), "params['n'] was 3 and is now 3.0"),
    (_set(("i", 2), 7), "params['i'][2] was 2 and is now 7"),
    (_set(("extra",), 1), "params: key 'extra' was added"),
])
def test_call_unchanged_messages_word_for_word(edit, text):
    params = {"W": np.zeros(2), "b": [0, (1, 2)], "n": 3, "i": np.arange(3)}
    got = message(checks.call_unchanged, edit, params)
    assert got == f"edit changed its input 'params': {text}{_UNCHANGED_HINT}"


def test_call_unchanged_names_a_dtype_change_word_for_word():
    def retype(x):
        x.dtype = np.int64

    assert message(checks.call_unchanged, retype, np.zeros(3)) == (
        f"retype changed its input 'x': its dtype changed from float64 to int64{_UNCHANGED_HINT}")


def test_assert_gradient_messages_word_for_word():
    W = np.random.default_rng(4).normal(size=(4, 3))
    g = -3 * _loss_grad(W)
    assert message(checks.assert_gradient, g, _loss, W, name="dW", hint="the usual mistake") == (
        "dW: your gradient predicts the wrong change of f along 6 of 6 random directions\n"
        "  everywhere the same way: it has the wrong sign and the wrong size (a factor -3)\n"
        f"  entry [0, 0] is wrong: you have {float(g[0, 0])!r}; f changes the other way along "
        "this entry: the sign is wrong\n"
        "  (row 0, column 0; other entries may be wrong too)\n"
        "Hint: the usual mistake")
    g = _loss_grad(W)
    g[2, 1] += 0.25
    assert message(checks.assert_gradient, g, _loss, W, name="dW") == (
        "dW: your gradient predicts the wrong change of f along 6 of 6 random directions\n"
        f"  entry [2, 1] is wrong: you have {float(g[2, 1])!r}; f changes more slowly along this "
        "entry than your value says\n"
        "  (row 2, column 1; other entries may be wrong too)")
    assert message(checks.assert_gradient, np.ones(3), lambda v: 4.0, np.ones(3)) == (
        "gradient: your gradient predicts the wrong change of f along 6 of 6 random directions\n"
        "  f does not change along any of them, but your gradient is not zero\n"
        "  entry [0] is wrong: you have 1.0; f does not change along this entry, but your value "
        "is not zero")
    assert message(checks.assert_gradient, np.array(["a", "b"]), _loss, np.ones(2)) == (
        "gradient: expected numbers, received dtype <U1")


def test_compare_nodes_prints_its_lines_word_for_word(capsys):
    params, cache, y = _two_layer()
    grads, inside = checks.local_variables(_backward, params, cache, y, "dk")
    report = checks.compare_nodes({**inside, **grads}, {**params, **cache},
                                  _graph(params, cache, y))
    wrong = (f"entry [0, 0] is wrong: you have {float(inside['dk'][0, 0])!r}; the loss does not "
             "change along this entry, but your value is not zero")
    assert capsys.readouterr().out == (
        "dz    (5, 3)    ok\n"
        "dU    (6, 3)    ok\n"
        "db_U  (3,)      ok\n"
        "dh    (5, 6)    ok\n"
        f"dk    (5, 6)    WRONG: {wrong}\n"
        "dH    (3, 6)    off, but only because dk is: the step from dk to dH is right\n"
        "db_H  (6,)      off, but only because dk is: the step from dk to db_H is right\n")
    assert report["k"] == ("WRONG", wrong)
    assert report["H"] == ("inherits",
                           "off, but only because dk is: the step from dk to dH is right")
