"""A throwaway PostgreSQL server for the tests: Debian's own binaries, a temporary folder, and a
Unix socket in it (no TCP port at all), started and stopped by the test setup.

PostgreSQL refuses to run as root, so under root (as in CI) the server runs as Debian's
``postgres`` user; the folder lives directly under /tmp, where that user can reach it.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

USER = "course"  # the database superuser initdb creates; local connections are trusted


def bindir() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/<version>/bin``, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def unavailable() -> str | None:
    """Why no server can be started here, or None."""
    if bindir() is None:
        return "PostgreSQL is not installed (Debian package postgresql)"
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no 'postgres' user to run the server"
    return None


class Server:
    """A running server; ``url(name)`` is SQLAlchemy's URL of database ``name`` on it."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="course-pg-", dir="/tmp"))
        self.base.chmod(0o755)
        self.data, self.socket = self.base / "data", self.base / "socket"
        self.log = self.base / "log"
        self.socket.mkdir()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            import pwd

            pw = pwd.getpwnam("postgres")
            self.data.mkdir(mode=0o700)
            for path in (self.data, self.socket):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            self.log.touch()
            os.chown(self.log, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        pg = bindir()
        self._run([pg / "initdb", "-D", self.data, "-U", USER, "--auth=trust", "-E", "UTF8",
                   "--no-sync"])
        options = f"-k {self.socket} -c listen_addresses='' -c fsync=off -c max_connections=200"
        self._run([pg / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start"])

    def _run(self, cmd: list) -> None:
        proc = subprocess.run([*self.prefix, *map(str, cmd)], capture_output=True, text=True,
                              cwd=self.base)
        if proc.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                               f"{proc.stdout}{proc.stderr}{log}")

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        import psycopg2

        conn = psycopg2.connect(dbname="postgres", user=USER, host=str(self.socket))
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg2://{USER}@/{name}?host={self.socket}"

    def stop(self) -> None:
        try:
            self._run([bindir() / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
