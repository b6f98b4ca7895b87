"""nbgrader configuration of the course; nbgrader reads it from the course root."""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from course.grader.preprocessors import autograde_preprocessors
from course.grader.preprocessors.hide_hidden_tests import HideHiddenTests

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "nn-foundations"
# Each assignment's folder may hold mistakes.py (the typical mistakes the tests and the
# demo submit); it is instructor material and never goes into release/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "mistakes.py"]

# A student's notebook must not hang the grading run.
c.Execute.timeout = 120
# Keep no widget state in graded notebooks: feedback pages then show each widget's static
# picture (its image/png output) instead of a widget that needs a live kernel.
c.Execute.store_widget_state = False
# Test cells a student deleted are put back from the gradebook (edited or retyped ones are
# always restored by nbgrader), so a correct answer keeps its marks.
c.OverwriteCells.add_missing_cells = True
# Release notebooks are always regenerated from source with the same kernel.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Autograding runs every kernel in a bubblewrap sandbox (see docs/grading-security.md):
# nbgrader's Execute is replaced by course.grader.preprocessors.execute.SandboxedExecute.
# `nbgrader autograde ... --SandboxedExecute.sandbox=off` grades without it, and says so.
c.Autograde.autograde_preprocessors = autograde_preprocessors()
# Test cells are judged in the grader's own process, outside the student's kernel: the
# kernel runs only their public part (see docs/grading-security.md).
# A submission nbgrader cannot read or process is repaired or graded as empty, with a
# reason, instead of stopping the run.
c.Autograde.exporter_class = "course.grader.faults.GradingExporter"
# Feedback pages show results, not hidden test code or reference values
# (c.HideHiddenTests.enabled = False shows everything).
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
# A submission whose grading failed has no autograder score: `nbgrader export` writes it as
# "not graded" with empty scores, never as 0 (nbgrader's own CSV would sum it to 0).
c.ExportApp.plugin_class = "course.grader.plugins.export.CsvExport"
