"""Run the code of a source notebook in this process, answered by the reference solution.

For tests of what a notebook's prose claims about its own demos: they execute the notebook's
own cells (the first code cell's imports and ``rng``, the reference solutions, the demo cells),
so the claim is checked on the data and code the students see. Test cells are skipped.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from conftest import ROOT, notebook_path  # noqa: E402

from course.grader import cells, submissions  # noqa: E402


def read_notebook(kind: str, assignment: str):
    """``kind`` ("source" or "release") notebook of ``assignment``, as nbformat reads it."""
    return submissions.read(notebook_path(ROOT / kind, assignment))


def run_until(assignment: str, cell_id: str) -> dict:
    """The namespace after running ``assignment``'s source notebook down to cell ``cell_id``.

    Solution cells run as the reference answer (markers removed); graded test cells are
    skipped; every other code cell runs in order, ``cell_id`` included.
    """
    import matplotlib.pyplot as plt

    nb = submissions.read(notebook_path(ROOT / "source", assignment))
    ids = [c.get("id") for c in nb.cells]
    if cell_id not in ids:
        raise KeyError(f"{assignment} has no cell {cell_id!r}")
    namespace: dict = {"__name__": "__notebook__"}
    for cell in nb.cells[:ids.index(cell_id) + 1]:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
            continue
        exec(compile(cells.strip_solution(cell.source), f"<{assignment}:{cell.id}>",
                     "exec"), namespace)
    plt.close("all")
    return namespace


def _hints_call(cell):
    """The ``hints.load("...")`` call of a code cell, or None."""
    import ast

    if cell.cell_type != "code" or "hints.load(" not in cell.source:
        return None
    return next((n for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Call)
                 and ast.unparse(n.func) == "hints.load"), None)


def hints_cell(nb):
    """The notebook's one ``hints.load`` cell (the test fails unless there is exactly one)."""
    cells = [c for c in nb.cells if _hints_call(c) is not None]
    assert len(cells) == 1, f"one hints.load cell, not {len(cells)}"
    return cells[0]


def hints_deck(nb) -> dict[str, list[str]]:
    """``{exercise: [hint, ...]}`` that the notebook's hints cell loads."""
    import ast

    from course import hints

    return hints.unseal(ast.literal_eval(_hints_call(hints_cell(nb)).args[0]))
