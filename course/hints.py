"""Staged hints, asked for on purpose: first the idea, then the shapes, then the formula.

A notebook keeps its hints in one cell, encoded so that a glance at the cell does not read
them (a student who is not stuck should not meet the formula on the way)::

    hints.load("eNqrVkrKz0lVs...")       # made by the instructor with hints.seal({...})

and a student who is stuck asks for the next one::

    hints.next("backward")    # Hint 1 of 3 for backward (the idea): ...
    hints.next("backward")    # Hint 2 of 3 for backward (the shapes): ...

Each call shows one more hint of that exercise; :func:`again` shows the last one again and
:func:`left` says how many are left. Hints never appear in test messages: a failing test says
what is wrong, and the hint is there for whoever asks.

For the instructor, :func:`seal` turns ``{exercise: [idea, shapes, formula]}`` into the
string of the ``load`` cell; :func:`unseal` reads it back.
"""

from __future__ import annotations

import base64
import json
import zlib

__all__ = ["again", "left", "load", "next", "reset", "seal", "unseal"]

STAGES = {1: ["the idea"], 2: ["the idea", "the formula"],
          3: ["the idea", "the shapes", "the formula"]}
_DECK: dict[str, list[str]] = {}
_SHOWN: dict[str, int] = {}


def seal(hints: dict[str, list[str]]) -> str:
    """The string of a notebook's ``hints.load`` cell for ``{exercise: [hint, ...]}``.

    Each exercise has one to five hints, from the idea to the formula."""
    if not isinstance(hints, dict) or not hints:
        raise ValueError("hints: give a dict {exercise name: [hint, ...]}")
    for name, stages in hints.items():
        if not isinstance(name, str) or not isinstance(stages, list | tuple) or not (
                1 <= len(stages) <= 5) or not all(isinstance(s, str) and s.strip()
                                                  for s in stages):
            raise ValueError(f"hints for {name!r}: give a list of one to five non-empty texts")
    raw = json.dumps({k: list(v) for k, v in hints.items()}, ensure_ascii=False)
    return base64.b64encode(zlib.compress(raw.encode(), 9)).decode()


def unseal(text: str) -> dict[str, list[str]]:
    """The hints a :func:`seal` string holds."""
    try:
        data = json.loads(zlib.decompress(base64.b64decode(text.encode(), validate=True)))
    except (ValueError, zlib.error) as exc:
        raise ValueError("hints.load: this is not a string made by hints.seal "
                         "(was the cell edited?)") from exc
    if not isinstance(data, dict):
        raise ValueError("hints.load: this is not a string made by hints.seal")
    return data


def load(text: str) -> list[str]:
    """Make the hints of ``text`` (see :func:`seal`) available; returns the exercises."""
    deck = unseal(text)
    _DECK.update(deck)
    for name in deck:
        _SHOWN.setdefault(name, 0)
    return sorted(deck)


def _stages(name: str) -> list[str]:
    if name not in _DECK:
        known = ", ".join(sorted(_DECK)) or "none (run the notebook's hints.load cell first)"
        raise KeyError(f"no hints for {name!r}; hints exist for: {known}")
    return _DECK[name]


def _label(total: int, k: int) -> str:
    return STAGES.get(total, [])[k] if k < len(STAGES.get(total, [])) else f"hint {k + 1}"


def _show(name: str, k: int) -> str:
    stages = _stages(name)
    text = (f"Hint {k + 1} of {len(stages)} for {name} ({_label(len(stages), k)}):\n"
            f"{stages[k]}")
    print(text)
    return text


def next(name: str) -> str:
    """Show the next hint of exercise ``name`` (and return its text)."""
    stages = _stages(name)
    k = _SHOWN.get(name, 0)
    if k >= len(stages):
        text = (f"That was the last hint for {name} ({len(stages)} of {len(stages)}); "
                f"hints.again({name!r}) shows it again.")
        print(text)
        return text
    _SHOWN[name] = k + 1
    return _show(name, k)


def again(name: str) -> str:
    """Show the last hint of ``name`` that was shown (the first one if none was)."""
    stages = _stages(name)
    return _show(name, max(0, min(_SHOWN.get(name, 0), len(stages)) - 1))


def left(name: str) -> int:
    """How many hints of ``name`` have not been shown yet."""
    return len(_stages(name)) - _SHOWN.get(name, 0)


def reset(name: str | None = None) -> None:
    """Start the hints of ``name`` (of every exercise if None) from the first again."""
    for key in ([name] if name else list(_SHOWN)):
        _SHOWN[key] = 0
