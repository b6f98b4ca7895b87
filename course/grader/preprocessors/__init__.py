"""The course's nbgrader preprocessors, one per module, as nbgrader keeps its own.

``execute``            :class:`SandboxedExecute`: nbgrader's Execute, sandboxed and judged
``forget``             :class:`ForgetAutoGrades`: a notebook's scores emptied before it runs
``save_at_once``       :class:`SaveAutoGradesAtOnce`: its new scores saved in one transaction
``hide_hidden_tests``  :class:`HideHiddenTests`: feedback pages without hidden tests

``nbgrader_config.py`` sets ``c.Autograde.autograde_preprocessors =
autograde_preprocessors()`` and adds ``HideHiddenTests`` to ``GenerateFeedback``.
"""

from __future__ import annotations

__all__ = ["autograde_preprocessors"]


def autograde_preprocessors() -> list:
    """nbgrader's own autograde preprocessors, with ``SandboxedExecute`` for Execute,
    ``SaveAutoGradesAtOnce`` (one transaction) for SaveAutoGrades, and ``ForgetAutoGrades``
    first (a failed run leaves no score)."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute, SaveAutoGrades

    from course.grader.preprocessors.execute import SandboxedExecute
    from course.grader.preprocessors.forget import ForgetAutoGrades
    from course.grader.preprocessors.save_at_once import SaveAutoGradesAtOnce

    swap = {Execute: SandboxedExecute, SaveAutoGrades: SaveAutoGradesAtOnce}
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    return [ForgetAutoGrades, *(swap.get(p, p) for p in default)]
