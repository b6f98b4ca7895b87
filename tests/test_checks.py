"""The comparison helpers pass what is right and explain what is wrong."""

import warnings

import numpy as np
import pytest

from course import checks, gradcheck


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
    grad = gradcheck.central_gradient(lambda A: float(np.sum(A**3)), W)
    assert gradcheck.relative_error(grad, 3 * before**2) < 1e-8
    np.testing.assert_array_equal(W, before)


def test_rel_error_follows_the_course_definition():
    assert gradcheck.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert gradcheck.relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(2 / 4)
    assert gradcheck.relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert gradcheck.relative_error(np.array([1e-9]), np.array([0.0])) == pytest.approx(1e-9 / 1e-8)


def test_assert_gradient_accepts_right_and_explains_wrong():
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    gradcheck.assert_gradient(2 * W, lambda A: float(np.sum(A**2)), W)
    text = message(gradcheck.assert_gradient, 2 * W / 4, lambda A: float(np.sum(A**2)), W,
                   name="dW", hint="divide by the batch size once")
    assert "dW: relative error" in text and "worst entry [1, 1]" in text
    text = message(gradcheck.assert_gradient, np.zeros(3), lambda A: float(np.sum(A**2)), W)
    assert "shape of its variable (2, 2)" in text
