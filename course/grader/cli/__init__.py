"""The grader's command line: ``python -m course.grader COMMAND``, one module per command.

Each module of this package adds its sub-command to the parser (``add_parser``) and runs it
(``run``); the work itself is imported only by the command that needs it, so ``--help`` is
instant.
"""

from __future__ import annotations

import argparse
import importlib

__all__ = ["COMMANDS", "main"]

COMMANDS = ("demo", "grade", "report", "similarity", "export", "doctor", "bench")


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
