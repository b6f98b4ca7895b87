"""nbgrader configuration of the course; nbgrader reads it from the course root."""

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
# Release notebooks are always regenerated from source with the same kernel.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
