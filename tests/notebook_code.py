"""Run the code of a source notebook in this process, answered by the reference solution.

For tests of what a notebook's prose claims about its own demos: they execute the notebook's
own cells (the first code cell's imports and ``rng``, the reference solutions, the demo cells),
so the claim is checked on the data and code the students see. Test cells are skipped.
"""

from __future__ import annotations

import matplotlib

from course import submissions

matplotlib.use("Agg")

from conftest import ROOT  # noqa: E402


def run_until(assignment: str, cell_id: str) -> dict:
    """The namespace after running ``assignment``'s source notebook down to cell ``cell_id``.

    Solution cells run as the reference answer (markers removed); graded test cells are
    skipped; every other code cell runs in order, ``cell_id`` included.
    """
    import matplotlib.pyplot as plt

    nb = submissions.read(submissions.notebook_path(ROOT / "source", assignment))
    ids = [c.get("id") for c in nb.cells]
    if cell_id not in ids:
        raise KeyError(f"{assignment} has no cell {cell_id!r}")
    namespace: dict = {"__name__": "__notebook__"}
    for cell in nb.cells[:ids.index(cell_id) + 1]:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
            continue
        exec(compile(submissions.strip_solution(cell.source), f"<{assignment}:{cell.id}>",
                     "exec"), namespace)
    plt.close("all")
    return namespace
