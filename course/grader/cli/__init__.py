"""The grader's command line: ``python -m course.grader COMMAND``, one module per command.

Each module of this package adds its sub-command to the parser (``add_parser``) and runs it
(``run``); the work itself is imported only by the command that needs it, so ``--help`` is
instant.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

__all__ = ["COMMANDS", "add_db_url", "add_root", "main"]

COMMANDS = ("demo", "grade", "report", "similarity", "export", "doctor", "bench")


def add_root(parser: argparse.ArgumentParser, holding: str = "nbgrader_config.py") -> None:
    """``--root``: the course folder (default: the working directory)."""
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help=f"the course folder holding {holding} (default: .)")


def add_db_url(parser: argparse.ArgumentParser, default: str = "the course's") -> None:
    """``--db-url``: nbgrader's database URL."""
    parser.add_argument("--db-url", help=f"nbgrader's database URL (default: {default})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course.grader",
        description="The grader of the neural-network foundations course.")
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {name: importlib.import_module(f"course.grader.cli.{name}") for name in COMMANDS}
    for module in modules.values():
        module.add_parser(sub)
    args = parser.parse_args(argv)
    return modules[args.command].run(args)
