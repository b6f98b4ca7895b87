"""The package's layout keeps its promises: the student's modules never import the grader,
no module imports itself in a circle, and no function is longer than a screen."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "course"
MAX_LINES = 60


def _modules() -> dict[str, Path]:
    """``{dotted name: file}`` of every module of the package (packages by their __init__)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The package's modules that ``path`` imports anywhere (deferred imports included),
    each with the packages Python runs on the way (``a.b.c`` runs ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(MODULES)
    return found


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def test_the_students_modules_never_import_the_grader():
    student = {n: p for n, p in MODULES.items() if not n.startswith("course.grader")}
    assert {"course.checks", "course.testcells", "course.plots"} <= set(student)
    offenders = {n: sorted(m for m in GRAPH[n] if m.startswith("course.grader"))
                 for n in student}
    assert not {n: m for n, m in offenders.items() if m}, (
        f"student-facing modules import the grader: {offenders}; the student distribution "
        "leaves course/grader/ out")


def _cycle() -> list[str] | None:
    """A circle of imports among the package's modules, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for other in sorted(GRAPH[name]):
            if state.get(other) == 1:
                return path[path.index(other):] + [other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(GRAPH):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def test_no_import_circle():
    # the check finds a planted circle
    saved = dict(GRAPH)
    GRAPH["course.checks"] = GRAPH["course.checks"] | {"course.plots"}
    GRAPH["course.plots"] = GRAPH["course.plots"] | {"course.checks"}
    try:
        assert _cycle() is not None
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
    assert _cycle() is None, f"an import circle: {' -> '.join(_cycle())}"


def test_no_function_is_longer_than_a_screen():
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{name}.{node.name} ({lines} lines)")
    assert not long, f"functions over {MAX_LINES} lines: {long}"


def test_the_grader_is_laid_out_by_role():
    """Each plug-in nbgrader loads lives where nbgrader keeps its own kind."""
    for module in ("course.grader.coursedir", "course.grader.cells", "course.grader.errors",
                   "course.grader.preprocessors.execute", "course.grader.preprocessors.forget",
                   "course.grader.preprocessors.save_at_once",
                   "course.grader.preprocessors.hide_hidden_tests",
                   "course.grader.plugins.export", "course.grader.sandbox.bwrap",
                   "course.grader.sandbox.kernel", "course.grader.sandbox.entry",
                   "course.grader.judge.wire", "course.grader.judge.kernel",
                   "course.grader.judge.session", *(f"course.grader.cli.{c}" for c in (
                       "demo", "grade", "report", "similarity", "export", "doctor", "bench"))):
        assert module in MODULES, f"{module} is missing"
    config = (ROOT / "nbgrader_config.py").read_text()
    for plugin in ("course.grader.preprocessors", "course.grader.faults.GradingExporter",
                   "course.grader.plugins.export.CsvExport"):
        assert plugin in config


def test_the_kernel_side_of_the_judge_imports_nothing_of_the_grader_session():
    """What runs in the student's kernel is reviewable alone: the wire format, the
    test-cell helpers and the standard library, never the grader's session."""
    allowed = {"course", "course.grader", "course.grader.judge", "course.grader.judge.wire",
               "course.grader.errors", "course.testcells"}
    assert GRAPH["course.grader.judge.kernel"] <= allowed, GRAPH["course.grader.judge.kernel"]
