"""The student distribution: a wheel of ``course`` without ``course.grader``.

Students need the helpers their notebooks import (``checks``, ``testcells``, ``hints``,
``data``, ``plots``, ``widgets``, ``playground``, ``live`` and its front end); the grader
(the sandbox, the judge, the referee, the reference machinery) is of no use to them, and the
referee in particular must not reach them. ``python3 tasks.py student-wheel`` (or ``python
-m course.grader.student_dist DEST``) writes ``course-<version>-py3-none-any.whl`` holding
every file of the package except ``course/grader/``; ``pip install`` it where students work.
The wheel is written directly in the wheel format (PEP 427), so building it needs nothing
beyond the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

__all__ = ["DEPENDENCIES", "build_wheel", "student_files"]

PACKAGE = Path(__file__).resolve().parents[1]  # the course package folder
DEPENDENCIES = ("numpy", "matplotlib", "ipywidgets", "anywidget")


def student_files(package: Path = PACKAGE) -> list[Path]:
    """The package's files that students get: all but the grader and compiled caches."""
    return sorted(p for p in package.rglob("*") if p.is_file()
                  and "grader" not in p.relative_to(package).parts[:1]
                  and "__pycache__" not in p.parts and p.suffix != ".pyc")


def _version(package: Path) -> str:
    for line in (package / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise ValueError(f"no __version__ in {package / '__init__.py'}")


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(dest: Path, package: Path = PACKAGE) -> Path:
    """Write the student wheel into ``dest``; return its path."""
    version = _version(package)
    info = f"course-{version}.dist-info"
    entries = {f"course/{p.relative_to(package).as_posix()}": p.read_bytes()
               for p in student_files(package)}
    entries[f"{info}/METADATA"] = "\n".join(
        ["Metadata-Version: 2.1", "Name: course", f"Version: {version}",
         "Summary: The neural-network foundations course: what students' notebooks import",
         "Requires-Python: >=3.11", *(f"Requires-Dist: {d}" for d in DEPENDENCIES), ""]).encode()
    entries[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: course.grader.student_dist\n"
                                b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = [_record_line(name, data) for name, data in entries.items()]
    record.append(f"{info}/RECORD,,")
    entries[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"course-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return wheel


if __name__ == "__main__":
    print(build_wheel(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
