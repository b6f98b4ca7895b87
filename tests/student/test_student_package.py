"""What students receive holds no solution of a graded function.

Students get the release notebooks and the student-facing modules of ``course`` (everything
at its top level except the grader's modules and ``course/grader/``). For every graded
function that has a reference (its solution cell in ``source/``), every public function of
those modules, and every function a release notebook defines outside its answer cells, is
called on that function's probe inputs wherever the call fits; none may give the reference's
output. No release notebook may hold a line of any assignment's solution either.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import math
import pkgutil
import re
import warnings

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from conftest import ASSIGNMENTS, ROOT, notebook_path

import course
from course.grader import cells

# the grader: never imported by a student's notebook, left out of the student distribution
GRADER_MODULES = {"grader"}


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def student_modules() -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules(course.__path__))
    return [n for n in names if n not in GRADER_MODULES]


def _public_functions(module) -> dict[str, object]:
    out = {}
    for name, value in vars(module).items():
        if name.startswith("_") or inspect.isclass(value) or not callable(value):
            continue
        if inspect.isfunction(value) and not value.__module__.startswith("course"):
            continue  # numpy's or the standard library's, imported by the module
        if inspect.ismodule(value):
            continue
        out[f"course.{module.__name__.rsplit('.', 1)[-1]}.{name}"] = value
    return out


def _references() -> dict[str, object]:
    """Every graded function's reference: the source's solution cells run in one namespace
    per assignment (so ``loss`` finds the reference ``forward``)."""
    refs = {}
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(str(notebook_path(ROOT / "source", assignment)), 4)
        graded = set(cells.exercises(nb))
        ns = {"np": np, "math": math, "itertools": itertools}
        for cell in nb.cells:
            if cell.cell_type == "code" and _meta(cell).get("solution"):
                exec(compile(cells.strip_solution(cell.source), assignment, "exec"), ns)  # noqa: S102
        # numeric answers (05's losses at initialisation) are graded values, not functions
        refs.update({name: ns[name] for name in graded if callable(ns.get(name))})
    return refs


def _probes() -> dict[str, list[tuple]]:
    """Inputs for each graded function: a list of positional argument tuples."""
    r = np.random.default_rng(18)
    x = np.array([-2.7, -1.3, -0.4, 0.3, 0.9, 1.8, 3.1])
    X, W = r.normal(size=(6, 3)), r.normal(size=(3, 4))
    f_arr = lambda A: float(np.sum(np.sin(A) * A) + np.sum(A) ** 2)  # noqa: E731
    f_sc = lambda t: math.sin(t) * t + t**3  # noqa: E731
    S, y3 = r.normal(size=(5, 3)) * 2, np.array([0, 2, 1, 1, 0])
    params = {"H": r.normal(size=(3, 5)), "b_H": r.normal(size=5), "U": r.normal(size=(5, 3)),
              "b_U": r.normal(size=3)}
    F = r.normal(size=(5, 3))
    k = F @ params["H"] + params["b_H"]
    h = np.maximum(k, 0)
    z = h @ params["U"] + params["b_U"]
    o = np.exp(z - z.max(1, keepdims=True))
    cache = {"F": F, "k": k, "h": h, "z": z, "o": o / o.sum(1, keepdims=True)}
    grads = {"d" + n: r.normal(size=v.shape) for n, v in params.items()}
    p = np.array([0.2, 0.5, 0.3])
    q = np.array([0.4, 0.4, 0.2])
    E = r.normal(size=(6, 4))
    idx = np.array([[2, 3, 0], [5, 1, 4]])
    vocab = {"<pad>": 0, "<unk>": 1, "it": 2, "was": 3, "good": 4, "not": 5}
    xs = [x, x * 0.5 + 0.1]
    return {
        # 01
        "affine_check": [(lambda v: 2 * v + 1, X[0], X[1], 1.7)],
        "fit_least_squares": [(X, r.normal(size=6))],
        "linear_layer": [(X, W, r.normal(size=4))],
        "compose_linear": [(W, r.normal(size=4), r.normal(size=(4, 2)), r.normal(size=2))],
        "step": [(x,)], "xor_relu_net": [(np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]),)],
        # 02
        "polynomial_features_1d": [(x, 3)], "polynomial_features": [(X, 2)],
        "n_polynomial_features": [(3, 4)], "fit_ridge": [(X, r.normal(size=6), 0.5)],
        "rbf_features": [(X, X[:2], 0.7)],
        "select_on_held_out": [(x, xs[1] ** 2, x[::-1].copy(), x ** 2, [1, 2, 3], [0.0, 0.1])],
        # 03
        **{name: [(v,) for v in xs] for name in [
            "sigmoid", "sigmoid_grad", "tanh_from_sigmoid", "tanh_grad", "relu", "relu_grad",
            "leaky_relu", "leaky_relu_grad", "elu", "elu_grad", "gelu", "gelu_tanh", "gelu_grad",
            "swish", "swish_grad"]},
        "swiglu": [(X, W, r.normal(size=(3, 4)), r.normal(size=4), r.normal(size=4))],
        "input_gradient_norm": [(lambda v: (v > 0).astype(float), 3, 4,
                                 np.random.default_rng(0))],
        "sigmoid_grad_from_output": [(np.array([0.1, 0.5, 0.9, 0.25]),)],
        "tanh_grad_from_output": [(np.array([-0.8, 0.0, 0.3, 0.95]),)],
        "prelu_backward": [(x, 0.25, x[::-1] + 0.5)],
        # 04
        "forward_difference": [(f_sc, 0.7, 1e-4)], "central_difference": [(f_sc, 0.7, 1e-4)],
        "numerical_gradient": [(f_arr, W.copy()), (f_arr, W.copy(), 1e-5), (f_arr, x.copy())],
        "rel_error": [(W, W + 0.01 * r.normal(size=W.shape)), (x, x[::-1])],
        "gradient_descent": [(lambda v: 2 * (v - 1.0), np.array([4.0, -2.0]), 0.25)],
        "mse_grad": [(r.normal(size=3), X, r.normal(size=6))],
        "numerical_hessian": [(f_arr, np.array([0.3, -0.2, 0.5]))],
        "is_convex_at": [(f_arr, np.array([0.3, -0.2, 0.5]))],
        "directional_slope": [(f_arr, W.copy(), r.normal(size=W.shape)),
                              (f_arr, x.copy(), x[::-1].copy(), 1e-4)],
        "chord_gap": [(f_sc, -0.5, 1.2, 0.3), (f_arr, X[0], X[1], 0.7)],
        "looks_convex": [(f_sc, -1.0, 2.0)],
        "largest_stable_step": [(X.T @ X,)],
        # 05
        "softmax": [(S,), (S[0],)], "log_softmax": [(S,), (S[0],)], "one_hot": [(y3, 3)],
        "cross_entropy": [(S, y3)], "softmax_jacobian": [(S[0],)],
        "cross_entropy_grad": [(S, y3)], "svm_loss": [(S, y3)], "svm_loss_grad": [(S, y3)],
        "kl_divergence": [(p, q)],
        "jacobian_diagonal": [(p,)], "jacobian_off_diagonal": [(p, 0, 2), (q, 1, 0)],
        "cross_entropy_grad_one": [(p, 1)],
        # 06
        "init_params": [(3, 5, 3, np.random.default_rng(1))],
        "forward": [(params, F)], "loss": [(params, F, y3)], "backward": [(params, cache, y3)],
        "sgd_step": [(params, grads, 0.1)],
        "train": [(params, F, y3, 0.1, 2, 2, np.random.default_rng(2))],
        "regression_net_grads": [(0.7, 1.5, r.normal(size=4), r.normal(size=4),
                                  r.normal(size=4), 0.3)],
        # 07
        "add_bias_column": [(X,)], "perceptron_predict": [(r.normal(size=3), X)],
        "perceptron_train": [(X, np.array([1, -1, 1, 1, -1, -1]), 3)],
        "perceptron_loss": [(r.normal(size=3), X, np.array([1, -1, 1, 1, -1, -1]))],
        "perceptron_loss_grad": [(np.array([0.5, -1.0, 0.25]), np.array([1.0, 2.0, 1.0]), 1)],
        "multiclass_perceptron_train": [(X, np.array([0, 1, 2, 0, 1, 2]), 3, 2)],
        "one_vs_all_train": [(X, np.array([0, 1, 2, 0, 1, 2]), 3, 2)],
        # 08
        "build_vocab": [(["It was good", "It was not good"],)],
        "encode": [("it was not ungood", vocab, 5)], "embed": [(E, idx)],
        "embed_backward": [(r.normal(size=(2, 12)), idx, 6)],
        "network_loss_and_grads": [(params, F, y3)],
        "cosine_similarity": [(E, 2, 4)], "nearest_words": [(E, vocab, "good", 2)],
    }


def _copy(args):
    return tuple(a.copy() if isinstance(a, np.ndarray)
                 else ({k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.items()}
                       if isinstance(a, dict) else a) for a in args)


def _same(a, b) -> bool:
    """Does ``a`` reproduce the reference output ``b``?"""
    if isinstance(b, dict):
        return isinstance(a, dict) and set(a) == set(b) and all(_same(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)) and not (b and isinstance(b[0], (int, float, np.number))):
        return (isinstance(a, (list, tuple)) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(b, str):
        return a == b
    try:
        a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return (a_arr.shape == b_arr.shape and bool(np.all(np.isfinite(b_arr)))
            and np.allclose(a_arr, b_arr, rtol=1e-6, atol=1e-9))


def _trivial(output) -> bool:
    """Outputs any function could give by chance: None, a bool, a small int."""
    return output is None or isinstance(output, (bool, np.bool_)) or (
        isinstance(output, (int, np.integer)) and abs(int(output)) < 3)


def _leaks(candidates: dict) -> list[str]:
    refs, probes = _references(), _probes()
    missing = sorted(set(refs) - set(probes))
    assert not missing, f"graded functions without probe inputs in this test: {missing}"
    found = []
    for fn, ref in sorted(refs.items()):
        for args in probes[fn]:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                expected = ref(*_copy(args))
            if _trivial(expected):
                continue
            for where, candidate in candidates.items():
                try:
                    inspect.signature(candidate).bind(*args)
                except (TypeError, ValueError):
                    continue
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        received = candidate(*_copy(args))
                except Exception:  # noqa: BLE001 - a call that does not fit
                    continue
                finally:
                    plt.close("all")
                if _same(received, expected):
                    found.append(f"{where} reproduces {fn}")
    return sorted(set(found))


def test_the_scan_sees_every_student_module_and_catches_a_copy():
    modules = student_modules()
    assert {"checks", "data", "plots", "widgets", "playground"} <= set(modules)
    assert not set(modules) & GRADER_MODULES
    refs = _references()
    assert {"numerical_gradient", "rel_error", "softmax", "sigmoid", "relu"} <= set(refs)
    # the scan finds a solution handed out under another name and argument names
    from course.grader import referees

    planted = {"planted.central": referees.central_gradient,
               "planted.relative": referees.relative_error,
               "planted.sigmoid": lambda t: 1 / (1 + np.exp(-t))}
    assert _leaks(planted) == ["planted.central reproduces central_difference",
                               "planted.central reproduces numerical_gradient",
                               "planted.relative reproduces rel_error",
                               "planted.sigmoid reproduces sigmoid"]


def test_student_modules_reproduce_no_graded_function():
    candidates = {}
    for name in student_modules():
        candidates.update(_public_functions(importlib.import_module(f"course.{name}")))
    assert len(candidates) > 20
    leaks = _leaks(candidates)
    assert not leaks, ("the package students install hands out graded answers (move them to "
                       f"course/grader/): {leaks}")


def _release_functions(assignment: str) -> dict[str, object]:
    """The functions a release notebook defines outside its answer cells, run as given."""
    nb = nbformat.read(str(notebook_path(ROOT / "release", assignment)), 4)
    out = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or _meta(cell).get("solution"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_hidden"):
                ns = {"np": np, "math": math, "itertools": itertools}
                try:
                    exec(compile(ast.Module([node], []), assignment, "exec"), ns)  # noqa: S102
                except Exception:  # noqa: BLE001
                    continue
                out[f"release/{assignment}: {node.name}"] = ns[node.name]
    return out


def test_release_notebooks_define_no_graded_function():
    candidates = {}
    for assignment in ASSIGNMENTS:
        candidates.update(_release_functions(assignment))
    leaks = _leaks(candidates)
    assert not leaks, f"release notebooks hand out graded answers: {leaks}"


def test_release_notebooks_hold_no_line_of_any_solution():
    secret = {}
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(str(notebook_path(ROOT / "source", assignment)), 4)
        for cell in nb.cells:
            if _meta(cell).get("solution") and "### BEGIN SOLUTION" in cell.source:
                for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION",
                                        cell.source, re.S):
                    for line in block.splitlines():
                        if len(line.strip()) > 24:
                            where = f"{assignment}: {_meta(cell)['grade_id']}"
                            secret.setdefault(line.strip(), where)
    assert len(secret) > 100
    found = []
    for assignment in ASSIGNMENTS:
        release = nbformat.read(str(notebook_path(ROOT / "release", assignment)), 4)
        lines = {ln.strip() for c in release.cells for ln in c.source.splitlines()}
        found += [f"release/{assignment} holds {line!r} ({secret[line]})"
                  for line in sorted(lines & set(secret))]
    assert not found, found[:5]


@pytest.mark.parametrize("assignment", ["06-backprop"])
def test_release_06_gives_no_softmax(assignment):
    functions = {key.split(": ")[1] for key in _release_functions(assignment)}
    assert not functions & {"softmax", "log_softmax"}
