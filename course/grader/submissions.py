"""Sample submissions built from an assignment's notebooks, for the demo and the tests.

Three kinds of student are made from ``source/`` and ``release/``:

* ``reference``: the release notebook with every solution cell filled in with
  the instructor's solution (the ``### BEGIN/END SOLUTION`` markers removed);
* ``blank``: the release notebook untouched;
* one student per *typical mistake*: the reference with one solution cell
  edited, as declared in ``MISTAKES`` of ``source/<assignment>/mistakes.py``;
* one student per *correct variant*: the reference with one solution cell
  rewritten another way that the exercise accepts, as declared in ``VARIANTS``
  of the same file (the tests require full marks for each).

Cells are identified by their nbgrader ``grade_id``.  A solution cell's
``grade_id`` is the name of the function it defines; a test cell's ``grade_id``
starts with the function it tests (``fit_least_squares_xor_gives_zero_w``),
which is how a test cell is attributed to its exercise.
"""

from __future__ import annotations

import copy
import runpy
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course.grader.cells import nbgrader_meta, strip_solution

__all__ = [
    "Mistake",
    "Variant",
    "apply_mistake",
    "load_mistakes",
    "load_variants",
    "notebook_path",
    "reference_for",
    "reference_submission",
    "submit",
]


@dataclass(frozen=True)
class Mistake:
    """A typical mistake in one graded function, as a text edit of its reference solution.

    Attributes
    ----------
    name : str
        Short identifier, used as the student id (``mistake-<name>``).
    function : str
        The graded function (the solution cell's ``grade_id``) it breaks.
    old, new : str
        ``old`` must occur exactly once in the solution cell; it is replaced by ``new``.
    why : str
        What a student who makes this mistake misunderstood.
    """

    name: str
    function: str
    old: str
    new: str
    why: str

    @property
    def student(self) -> str:
        return f"mistake-{self.name}"


@dataclass(frozen=True)
class Variant(Mistake):
    """A correct answer written differently from the reference, as a text edit of it.

    Same fields as :class:`Mistake`; ``why`` says why the exercise must accept it (for
    instance: it follows the docstring, but rounds differently from the reference). A
    variant must score full marks: it keeps the tests from rewarding only the reference's
    way of computing.
    """

    @property
    def student(self) -> str:
        return f"variant-{self.name}"


def _solutions(source_nb) -> dict[str, str]:
    return {nbgrader_meta(c)["grade_id"]: c.source for c in source_nb.cells
            if nbgrader_meta(c).get("solution")}


def notebook_path(folder, assignment: str) -> Path:
    """``folder/<assignment>/<assignment>.ipynb``, nbgrader's layout below each top folder."""
    return Path(folder) / assignment / f"{assignment}.ipynb"


def reference_for(root, assignment: str):
    """The release notebook of ``assignment`` in the course ``root``, answered by its source."""
    return reference_submission(read(notebook_path(Path(root) / "release", assignment)),
                                read(notebook_path(Path(root) / "source", assignment)))


def reference_submission(release_nb, source_nb):
    """The release notebook with every solution cell answered by the reference: the code
    cells by the instructor's solution, the written answers by the model answers."""
    answers = _solutions(source_nb)
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution"):
            if gid not in answers:
                raise ValueError(f"release cell {gid!r} has no solution cell in source")
            cell.source = strip_solution(answers[gid])
    return nb


def apply_mistake(nb, mistake: Mistake):
    """A copy of ``nb`` with ``mistake`` (or a :class:`Variant`) made in its function's
    solution cell."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade_id") == mistake.function and meta.get("solution"):
            count = cell.source.count(mistake.old)
            if count != 1:
                raise ValueError(f"mistake {mistake.name!r}: {mistake.old!r} occurs {count} times "
                                 f"in the solution of {mistake.function}, not once")
            cell.source = cell.source.replace(mistake.old, mistake.new)
            return nb
    raise ValueError(f"mistake {mistake.name!r}: no solution cell {mistake.function!r}")


def _mistakes_file(assignment_dir: Path) -> tuple[Path, dict]:
    """The path of an assignment's ``mistakes.py`` and what it defines (empty if it has none)."""
    path = Path(assignment_dir) / "mistakes.py"
    return path, (runpy.run_path(str(path)) if path.exists() else {})


def load_mistakes(assignment_dir: Path) -> tuple[list[Mistake], list[str]]:
    """Read ``mistakes.py`` of an assignment folder: its ``MISTAKES`` and ``DEMO`` lists.

    ``DEMO`` names the mistakes the demo's ``typical-mistakes`` student makes together.
    """
    path, ns = _mistakes_file(assignment_dir)
    mistakes = list(ns.get("MISTAKES", []))
    if any(isinstance(m, Variant) for m in mistakes):
        raise ValueError(f"{path}: a Variant is a correct answer; list it in VARIANTS")
    names = [m.name for m in mistakes]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: mistake names must be unique")
    demo = list(ns.get("DEMO", []))
    unknown = set(demo) - set(names)
    if unknown:
        raise ValueError(f"{path}: DEMO names unknown mistakes {sorted(unknown)}")
    return mistakes, demo


def load_variants(assignment_dir: Path) -> list[Variant]:
    """Read ``VARIANTS`` of an assignment's ``mistakes.py``: correct answers that differ from
    the reference (an empty list if there are none)."""
    path, ns = _mistakes_file(assignment_dir)
    variants = list(ns.get("VARIANTS", []))
    if any(not isinstance(v, Variant) for v in variants):
        raise ValueError(f"{path}: VARIANTS must hold Variant objects, not Mistake")
    names = [v.name for v in variants] + [m.name for m in ns.get("MISTAKES", [])]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: variant and mistake names must be unique")
    return variants


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def write(nb, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def submit(root, assignment: str, students: dict) -> None:
    """Put each ``{student: notebook}`` where nbgrader collects it:
    ``root/submitted/<student>/<assignment>/<assignment>.ipynb``. The one place sample
    submissions (the demo's, the canary's witnesses, the benchmarks', the tests') are made."""
    for student, nb in students.items():
        write(nb, notebook_path(Path(root) / "submitted" / student, assignment))
