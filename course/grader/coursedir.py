"""A course folder and its configuration, read once: the grader's one view of a course.

``nbgrader_config.py`` at the course's root is read here and nowhere else (once per file
version: a changed file is read again), and every module asks a :class:`Course` for the
course id, the gradebook's URL, the assignments and where their notebooks are, the way
nbgrader's ``CourseDirectory`` answers nbgrader's own applications.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Course", "default_db_url", "notebook_path"]

_CONFIGS: dict[tuple[str, int], object] = {}  # (path, mtime_ns) -> Config


def notebook_path(folder, assignment: str) -> Path:
    """``folder/<assignment>/<assignment>.ipynb``, nbgrader's layout below each top folder."""
    return Path(folder) / assignment / f"{assignment}.ipynb"


def default_db_url(root: Path) -> str:
    """nbgrader's default SQLite gradebook in ``root``, with a 60 s busy timeout so concurrent
    graders wait for each other's writes instead of failing with 'database is locked'."""
    return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}?timeout=60"


def _read_config(root: Path):
    from traitlets.config.loader import PyFileConfigLoader

    path = root / "nbgrader_config.py"
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        key = (str(path), -1)
    if key not in _CONFIGS:
        _CONFIGS[key] = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    return copy.deepcopy(_CONFIGS[key])


@dataclass(frozen=True)
class Course:
    """The course at ``root`` (its ``nbgrader_config.py``), with the gradebook at ``db_url``
    if given (else the configuration's ``CourseDirectory.db_url``, else ``gradebook.db``)."""

    root: Path
    given_db_url: str | None = None

    @classmethod
    def at(cls, root, db_url: str | None = None) -> Course:
        return cls(Path(root).resolve(), db_url or None)

    @property
    def config(self):
        """The traitlets config that ``nbgrader_config.py`` defines (a copy: change it
        freely)."""
        return _read_config(self.root)

    @property
    def course_id(self) -> str:
        return self.config.CourseDirectory.get("course_id", "default_course")

    @property
    def db_url(self) -> str:
        if self.given_db_url:
            return self.given_db_url
        return self.config.CourseDirectory.get("db_url") or default_db_url(self.root)

    @property
    def assignments(self) -> list[str]:
        """Assignment folders of ``source/`` that hold a notebook of their own name."""
        src = self.root / "source"
        if not src.is_dir():
            return []
        return sorted(d.name for d in src.iterdir() if (d / f"{d.name}.ipynb").is_file())

    def notebook(self, kind: str, assignment: str, student: str | None = None) -> Path:
        """The notebook of ``assignment`` in ``source``/``release`` (no student) or in
        ``submitted``/``autograded``/``feedback`` (a student's)."""
        folder = self.root / kind if student is None else self.root / kind / student
        return notebook_path(folder, assignment)

    def gradebook(self):
        """nbgrader's gradebook of this course (a context manager)."""
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, course_id=self.course_id)

    def grading_config(self):
        """The configuration as a grading worker uses it: this root and gradebook."""
        config = self.config
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.db_url = self.db_url
        return config
