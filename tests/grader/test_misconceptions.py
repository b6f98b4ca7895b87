"""Naming misconceptions from what the judge saw, without grading anything.

:mod:`course.grader.misconceptions` replays the calls the judge saw of a failing exercise on
the reference and on each typical mistake, and names the mistakes that do what the student's
code did. Here the "student" outcomes are written by hand (no kernel), against 01's real
reference solution and mistakes.py; the real grading run is tests/e2e/test_assignments.py's
``test_typical_mistake_is_recognised_as_itself``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import ROOT

from course.grader import misconceptions as mc
from course.grader.submissions import Mistake

ASSIGNMENT = "01-linearity-xor"


@pytest.fixture(scope="module")
def catalogue() -> mc.Catalogue:
    found = mc.catalogue_for(ROOT / "source", ASSIGNMENT, ASSIGNMENT)
    assert found is not None
    return found


def _watch(function: str, calls) -> mc.Watch:
    """A watch that saw ``function`` called: ``calls`` is ``[(args, kind, value, args
    after)]``, what the student's code did as the judge would report it."""
    watch = mc.Watch()
    watch.exercise = function
    watch.cell(function, None)
    for args, kind, value, after in calls:
        probe = watch.before(function, args, {}, {})
        watch.after(probe, kind, value, after, {})
    return watch


def _verdict(catalogue, function, calls) -> mc.Verdict:
    return catalogue.recognise(function, _watch(function, calls), time.monotonic() + 30)


def test_same_tells_kinds_and_shapes_apart():
    """Check the comparison of results: close floats are the same; a boolean array, an int,
    a one-element array or a list instead of a tuple is not."""
    x = np.array([0.5, 1.0])
    assert mc.same(x, x + 1e-12) and mc.same((1.0, x), (1.0 + 1e-13, x.copy()))
    assert not mc.same(x > 0, np.ones(2))
    assert not mc.same(3, 3.0) and not mc.same(np.array([2.0]), 2.0)
    assert not mc.same([1.0, x], (1.0, x)) and not mc.same({"a": x}, {"a": x, "b": 1})
    assert mc.same(np.random.default_rng(3), np.random.default_rng(3))
    assert not mc.same(np.random.default_rng(3), np.random.default_rng(4))


def test_a_forgotten_bias_is_named(catalogue):
    """Check a linear_layer that returns ``X @ W`` is named ``layer-forgot-bias``, with the
    ``why`` the feedback uses."""
    X, W, b = np.arange(6.0).reshape(3, 2), np.array([[1.0, -1.0], [2.0, 0.5]]), np.ones(2)
    verdict = _verdict(catalogue, "linear_layer", [((X, W, b), "ok", X @ W, (X, W, b))])
    assert (verdict.status, verdict.mistakes) == (mc.RECOGNISED, ["layer-forgot-bias"])
    assert verdict.replayed == 1
    sentence = mc.feedback_sentence("linear_layer", [catalogue.why("layer-forgot-bias")])
    assert sentence.endswith("your `linear_layer` behaves like one that forgets the bias.")


def test_another_mistake_or_the_reference_is_unrecognised(catalogue):
    """Check a mistake mistakes.py does not list, and an answer that behaves as the reference
    on every call seen (it failed elsewhere), name nothing."""
    X, W, b = np.arange(6.0).reshape(3, 2), np.eye(2), np.array([1.0, 2.0])
    other = _verdict(catalogue, "linear_layer", [((X, W, b), "ok", X @ W + 2 * b, (X, W, b))])
    right = _verdict(catalogue, "linear_layer", [((X, W, b), "ok", X @ W + b, (X, W, b))])
    assert (other.status, other.mistakes) == (right.status, right.mistakes) == (
        mc.UNRECOGNISED, [])


def test_an_argument_changed_in_place_is_behaviour(catalogue):
    """Check a step with the right result that overwrote the caller's array is named
    ``step-in-place``: the arguments as the call left them count, not only the result."""
    x = np.array([-1.0, 0.0, 2.0])
    result = np.array([0.0, 0.0, 1.0])
    verdict = _verdict(catalogue, "step", [((x,), "ok", result, (result.copy(),))])
    assert verdict.mistakes == ["step-in-place"]
    errors = _verdict(catalogue, "step", [((x,), "error", "ValueError", (x,))])
    assert errors.status == mc.UNRECOGNISED


def test_a_cell_that_does_not_compile_is_named():
    """Check a solution cell that raised SyntaxError in the kernel (no call could be made)
    is named by the mistake whose edit leaves the cell broken."""
    catalogue = mc.catalogue_for(ROOT / "source", ASSIGNMENT, ASSIGNMENT)
    watch = mc.Watch()
    watch.cell("step", "SyntaxError")
    verdict = catalogue.recognise("step", watch, time.monotonic() + 30)
    assert verdict.mistakes == ["step-syntax-error"]


def test_draws_from_the_global_random_state_are_compared_by_shape():
    """Check a mistake that draws from ``np.random`` instead of the given ``rng`` is named
    though the student's kernel drew other numbers (its rng is left unused: that is compared
    exactly), and that it does not hide a mistake that matches value for value."""
    cells = {"noise": "def noise(n, rng):\n    return rng.normal(size=n)\n"}
    catalogue = mc.Catalogue(cells, [
        Mistake("global", "noise", "rng.normal(size=n)", "np.random.normal(size=n)", "w1"),
        Mistake("zeros", "noise", "rng.normal(size=n)", "np.zeros(n)", "w2")])
    student = np.random.default_rng(99).normal(size=4)  # the kernel's global state
    verdict = _verdict(catalogue, "noise", [((4, np.random.default_rng(1)), "ok", student,
                                             (4, np.random.default_rng(1)))])
    assert verdict.mistakes == ["global"]
    zeros = _verdict(catalogue, "noise", [((4, np.random.default_rng(1)), "ok", np.zeros(4),
                                           (4, np.random.default_rng(1)))])
    assert zeros.mistakes == ["zeros"]
    state = np.random.get_state()[1][:4].tolist()
    _verdict(catalogue, "noise", [((3, np.random.default_rng(1)), "ok", np.ones(3),
                                   (3, np.random.default_rng(1)))])
    assert np.random.get_state()[1][:4].tolist() == state  # the grader's state put back


def test_an_overflow_warning_is_behaviour():
    """Check a mistake that gives the right numbers but overflows on the way (a warning, which
    fails a graded cell) is told from the reference by the warning alone."""
    catalogue = mc.Catalogue({"g": "def g(x):\n    return np.exp(np.minimum(x, 0.0))\n"}, [
        Mistake("overflow", "g", "np.exp(np.minimum(x, 0.0))", "np.minimum(np.exp(x), 1.0)",
                "w")])
    x = np.array([-1.0, 1e4])
    right = np.exp(np.minimum(x, 0.0))

    def seen(warned):
        watch = mc.Watch()
        watch.exercise = "g"
        probe = watch.before("g", (x,), {}, {})
        watch.after(probe, "ok", right, (x,), {}, warned)
        return catalogue.recognise("g", watch, time.monotonic() + 30)

    assert seen(["RuntimeWarning"]).mistakes == ["overflow"]
    assert seen(["RuntimeWarning", "DeprecationWarning"]).mistakes == ["overflow"]
    assert seen([]).status == mc.UNRECOGNISED  # as the reference: it failed elsewhere


@pytest.fixture(scope="module")
def gradients() -> mc.Catalogue:
    """04's catalogue: numerical gradients, relative errors, Hessians."""
    found = mc.catalogue_for(ROOT / "source", "04-gradient-descent", "04-gradient-descent")
    assert found is not None
    return found


def _mistake(catalogue, name: str):
    return next(m for ms in catalogue.mistakes.values() for m in ms if m.name == name)


def test_a_loss_that_reads_w_through_a_closure_is_replayed_on_the_nudged_w(gradients):
    """Check ``numerical_gradient(loss, W)`` whose ``loss`` reads ``W`` from a closure: the
    replay gives the loss the copy of ``W`` it nudges (as the kernel's copy does), so a
    gradient nudged into a copy of W (all zeros) is named, and a correct one is not."""
    W = np.array([0.5, -1.0, 2.0])
    C = np.array([1.0, 2.0, -3.0])

    def model_loss(_ignored, W=W, C=C):
        return float(np.sum(np.tanh(W) * C))

    right = (1 - np.tanh(W) ** 2) * C
    zeros = _verdict(gradients, "numerical_gradient",
                     [((model_loss, W), "ok", np.zeros(3), (model_loss, W.copy()))])
    assert (zeros.status, zeros.mistakes) == (mc.RECOGNISED, ["numgrad-nudges-a-copy"])
    own = _verdict(gradients, "numerical_gradient",
                   [((model_loss, W), "ok", right, (model_loss, W.copy()))])
    assert (own.status, own.mistakes) == (mc.UNRECOGNISED, [])


def test_the_courses_helper_handed_in_under_the_exercises_name_is_named(gradients):
    """Check a ``rel_error`` that is the course's ``relative_error`` (right numbers, wrong
    origin) is named by where the kernel says it comes from; the same calls of a function
    defined in the notebook name nothing."""
    a, b = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    calls = [((a, b), "ok", 0.2, (a, b))]
    watch = _watch("rel_error", calls)
    watch.function("rel_error", {"module": "course.grader.referees", "name": "relative_error"})
    verdict = gradients.recognise("rel_error", watch, time.monotonic() + 30)
    assert (verdict.status, verdict.mistakes) == (mc.RECOGNISED, ["relerr-alias-of-course"])
    own = _watch("rel_error", calls)
    own.function("rel_error", {"module": "__main__", "name": "rel_error"})
    assert gradients.recognise("rel_error", own, time.monotonic() + 30).mistakes == []


def test_a_mistake_of_rounding_alone_is_named_only_bit_for_bit(gradients):
    """Check an unsymmetrised Hessian, within any tolerance of the reference, is named when
    the student's numbers are exactly the mistake's; numbers off in the last bits from both
    name nothing."""
    r = np.random.default_rng(410)
    A, b, x = r.normal(size=(4, 4)), r.normal(size=4), 1e-5 * r.normal(size=4)  # f near 0

    def f(v, A=A + A.T, b=b):
        return float(0.5 * v @ A @ v + np.sin(v @ b) + np.sum(v) ** 4 / 24)

    mistake = _mistake(gradients, "hessian-not-symmetrised")
    ns, _ = gradients.namespace("numerical_hessian", mistake, {})
    raw = ns["numerical_hessian"](f, x)
    assert not np.array_equal(raw, raw.T) and mc.same(raw, (raw + raw.T) / 2)
    exact = _verdict(gradients, "numerical_hessian", [((f, x), "ok", raw, (f, x))])
    assert (exact.status, exact.mistakes) == (mc.RECOGNISED, ["hessian-not-symmetrised"])
    assert mc.same(raw, raw * (1 + 1e-15)) and not mc.same(raw, raw * (1 + 1e-15), exact=True)
    off = _verdict(gradients, "numerical_hessian",
                   [((f, x), "ok", raw * (1 + 1e-15), (f, x))])
    assert (off.status, off.mistakes) == (mc.UNRECOGNISED, [])
