"""Staged hints: encoded in the notebook, shown one at a time, from the idea to the formula."""

from __future__ import annotations

import pytest

from course import hints

DECK = {"backward": ["Follow the forward pass backwards, one node at a time.",
                     "dU has the shape of U, (v, m): which two arrays multiply to that?",
                     "dU = h.T @ dz"],
        "loss": ["A mean over the batch."]}


@pytest.fixture(autouse=True)
def fresh():
    hints._DECK.clear()
    hints._SHOWN.clear()
    yield
    hints._DECK.clear()
    hints._SHOWN.clear()


def test_the_encoded_cell_does_not_show_the_hints():
    text = hints.seal(DECK)
    for stages in DECK.values():
        for stage in stages:
            for word in ("h.T @ dz", "batch", "backwards"):
                if word in stage:
                    assert word not in text
    assert hints.unseal(text) == DECK


def test_next_goes_from_the_idea_to_the_shapes_to_the_formula(capsys):
    assert hints.load(hints.seal(DECK)) == ["backward", "loss"]
    assert hints.left("backward") == 3
    first = hints.next("backward")
    assert first.startswith("Hint 1 of 3 for backward (the idea):") and DECK["backward"][0] in first
    assert "h.T @ dz" not in capsys.readouterr().out
    assert "(the shapes)" in hints.next("backward")
    assert hints.again("backward").startswith("Hint 2 of 3")
    last = hints.next("backward")
    assert "(the formula)" in last and "dU = h.T @ dz" in last
    assert hints.left("backward") == 0
    assert "That was the last hint for backward" in hints.next("backward")
    assert hints.next("loss").startswith("Hint 1 of 1 for loss (the idea)")
    hints.reset("backward")
    assert hints.left("backward") == 3 and hints.left("loss") == 0


def test_unknown_exercises_and_edited_cells_get_clear_errors():
    with pytest.raises(KeyError, match="run the notebook's hints.load cell first"):
        hints.next("backward")
    hints.load(hints.seal(DECK))
    with pytest.raises(KeyError, match="hints exist for: backward, loss"):
        hints.next("forward")
    with pytest.raises(ValueError, match="was the cell edited"):
        hints.load(hints.seal(DECK)[:-6] + "AAAAAA")
    for bad in ({}, {"x": []}, {"x": [""]}, {"x": ["a"] * 6}, {"x": "not a list"}):
        with pytest.raises(ValueError):
            hints.seal(bad)
