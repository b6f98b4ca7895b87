"""nbgrader plug-ins of the course, as nbgrader keeps its own in ``nbgrader.plugins``:
``export`` (:class:`~course.grader.plugins.export.CsvExport`)."""
