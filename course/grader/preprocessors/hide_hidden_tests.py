"""Feedback that shows students their results, not the hidden tests.

``nbgrader generate_feedback`` turns each autograded notebook into an HTML page.
The course's ``nbgrader_config.py`` adds :class:`HideHiddenTests` to its
preprocessors, so by default a page shows

* each test cell's public part, with a line saying hidden tests were run;
* for a failed test, what failed (the case, a hint, the student's own error and
  traceback) but not the reference values or the hidden code.

Instructors who want students to see everything set
``c.HideHiddenTests.enabled = False``.  The autograded notebooks themselves (what
the formgrader shows instructors) keep the full tests and messages.
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode

from course.grader.cells import BEGIN_HIDDEN, FEEDBACK, GRADING_KEY, JUDGE_HEADER, split_hidden

__all__ = ["HideHiddenTests"]


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden test code and reference values from feedback pages."""

    enabled = Bool(True, config=True, help="hide hidden tests and reference values in feedback")
    placeholder = Unicode("# ... and hidden tests, run by the grader (not shown in feedback)",
                          config=True)

    def preprocess(self, nb, resources):
        if not self.enabled:
            return nb, resources
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {})
        if cell.cell_type == "code" and BEGIN_HIDDEN in cell.source:
            public, _ = split_hidden(cell.source)
            cell.source = public.rstrip() + "\n\n" + self.placeholder
        summary = meta.get(GRADING_KEY, {}).get(FEEDBACK)
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and JUDGE_HEADER in "".join(
                    out.get("traceback", [])):
                text = summary or "a test failed (details withheld)"
                out = NotebookNode(output_type="error", ename="TestFailed", evalue=text,
                                   traceback=[f"{JUDGE_HEADER}\n{text}"])
            outputs.append(out)
        if cell.cell_type == "code":
            cell.outputs = outputs
        return cell, resources
