"""The plain-data channel out of the student's kernel, and the repairs of broken submissions.

What comes back from a kernel is written by code the student controls, so ``unpack`` must
turn any text into plain new objects or refuse it with a reason, and never run anything.
"""

from __future__ import annotations

import copy
import json
import sys

import nbformat
import numpy as np
import pytest

from course import checks, testcells
from course.grader.cells import split_hidden
from course.grader.faults import repair
from course.grader.judge import session, wire
from course.grader.preprocessors.execute import safe_summary


def _roundtrip(value, strict=True):
    return wire.unpack(json.loads(json.dumps(wire.pack(value, strict=strict))))


def test_plain_values_come_back_with_their_types():
    value = {"H": np.arange(6.0).reshape(2, 3).T, "n": 3, "lr": 0.5, "ok": True, "none": None,
             "name": "w0", "pair": (np.float32(1.5), np.int64(7)), "rows": [np.zeros((0, 2))],
             "flag": np.bool_(False), "z": np.array(1 + 2j), 4: "int key"}
    out = _roundtrip(value)
    assert out.keys() == value.keys()
    np.testing.assert_array_equal(out["H"], value["H"])
    assert out["H"].flags.writeable and out["H"].flags.c_contiguous
    assert type(out["n"]) is int and type(out["lr"]) is float and out["ok"] is True
    assert type(out["pair"]) is tuple and type(out["pair"][0]) is np.float32
    assert type(out["pair"][1]) is np.int64 and type(out["flag"]) is np.bool_
    assert out["rows"][0].shape == (0, 2) and out["z"] == 1 + 2j and out[4] == "int key"
    assert _roundtrip(float("nan")) != _roundtrip(float("nan"))  # nan survives as nan


def test_an_array_with_its_own_eq_arrives_as_a_plain_ndarray():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, bool)

    out = _roundtrip(np.array([1.0, 2.0]).view(Liar))
    assert type(out) is np.ndarray
    assert not np.array_equal(out, np.array([5.0, 6.0]))


def test_values_that_are_not_data_are_refused_or_marked():
    with pytest.raises(TypeError, match="object"):
        wire.pack(np.array([object()]))
    with pytest.raises(TypeError, match="function"):
        wire.pack(lambda x: x)
    marker = _roundtrip([lambda x: x, 1], strict=False)
    assert isinstance(marker[0], wire.Opaque) and marker[1] == 1


@pytest.mark.parametrize("tree,why", [
    ({"__nd__": ["|O", [1], "AAAAAAAAAAA="]}, "not plain numbers"),
    ({"__nd__": ["<f8", [2], "AAAAAAAAAAA="]}, "does not fill its shape"),
    ({"__nd__": ["<f8", [-1], ""]}, "malformed shape"),
    ({"__nd__": ["<f8", [1], "not base64!"]}, "not base64"),
    ({"__nd__": [[["a", "<f8"]], [1], "AAAAAAAAAAA="]}, "unknown dtype"),
    ({"__np__": ["<f8", [2], "AAAAAAAAAAAAAAAAAAAAAA=="]}, "not 0-dimensional"),
    ({"__pickle__": "gASVAAAAAAAAAAB9lC4="}, "unknown data tag"),
    ({"__tuple__": [1], "__list__": [2]}, "unexpected data"),
    ({"__tuple__": "12"}, "malformed tuple"),
    ({"__dict__": [[{"__list__": []}, 1]]}, "not hashable"),
    ([1, 2], "unexpected data"),
])
def test_malformed_data_is_refused_with_a_reason(tree, why):
    with pytest.raises(wire.Unreadable, match=why):
        wire.unpack(tree)


def test_deep_nesting_and_huge_replies_are_refused():
    tree = 1
    for _ in range(200):
        tree = {"__list__": [tree]}
    with pytest.raises(wire.Unreadable, match="nested too deeply"):
        wire.unpack(tree)
    with pytest.raises(wire.Unreadable, match="limit"):
        wire.read_payload(" " * (wire.MAX_PAYLOAD + 1))
    with pytest.raises(wire.Unreadable, match="not valid JSON"):
        wire.read_payload("{'single': 'quotes'}")


def _message_roundtrip(value, strict=True):
    blobs = []
    tree = wire.pack(value, strict=strict, blobs=blobs)
    payload, got = wire.read_message(wire.encode_message({"value": tree}, blobs))
    return wire.unpack(payload["value"], got)


def test_arrays_travel_as_raw_bytes_beside_the_json_and_come_back_the_same():
    value = {"H": np.arange(6.0).reshape(2, 3).T, "pair": (np.float32(1.5), np.int64(7)),
             "rows": [np.zeros((0, 2))], "z": np.array(1 + 2j), "n": 3,
             "rng": np.random.default_rng(5)}
    blobs = []
    tree = wire.pack(value, blobs=blobs)
    message = wire.encode_message({"value": tree}, blobs)
    assert b"AAAA" not in message[:200] and len(blobs) >= 5  # no base64 in the JSON
    out = _message_roundtrip(value)
    np.testing.assert_array_equal(out["H"], value["H"])
    assert out["H"].flags.writeable and out["H"].flags.c_contiguous
    assert type(out["pair"][0]) is np.float32 and out["pair"][1] == 7
    assert out["rows"][0].shape == (0, 2) and out["z"] == 1 + 2j and out["n"] == 3
    assert isinstance(out["rng"], wire.RngState)
    assert isinstance(_message_roundtrip([lambda x: x], strict=False)[0], wire.Opaque)


def _message(head: dict, tail: bytes = b"") -> bytes:
    text = json.dumps(head).encode()
    return wire.FRAME.pack(len(text)) + text + tail


@pytest.mark.parametrize("data,why", [
    (b"\x00\x00", "too short"),
    (wire.FRAME.pack(99) + b"{}", "shorter than its header"),
    (_message({"blobs": [8]}, b"1234"), "do not add up"),
    (_message({"blobs": [4]}, b"12345678"), "do not add up"),
    (_message({"blobs": [-4, 8]}, b"1234"), "malformed list"),
    (_message({"blobs": [True]}, b"1"), "malformed list"),
    (_message({"blobs": "8"}), "malformed list"),
    (wire.FRAME.pack(2) + b"[]", "not a JSON object"),
])
def test_malformed_messages_are_refused_with_a_reason(data, why):
    with pytest.raises(wire.Unreadable, match=why):
        wire.read_message(data)


@pytest.mark.parametrize("body,why", [
    (["<f8", [2], 0], "does not fill its shape"),
    (["<f8", [1], 1], "data is missing"),
    (["<f8", [1], -1], "data is missing"),
    (["<f8", [1], 0.0], "not text"),
    (["|O", [1], 0], "not plain numbers"),
])
def test_array_references_must_point_at_bytes_that_fit(body, why):
    payload, blobs = wire.read_message(_message({"blobs": [8]}, bytes(8)))
    with pytest.raises(wire.Unreadable, match=why):
        wire.unpack({"__nd__": body}, blobs)
    with pytest.raises(wire.Unreadable):
        wire.unpack({"__nd__": ["<f8", [1], 0]})  # an index, with no bytes sent


def test_write_back_shows_in_place_edits_to_the_test():
    x, params, hist = np.zeros(3), {"W": np.ones(2), "b": 0.0}, [1]
    rng = np.random.default_rng(0)
    kernel_rng = np.random.default_rng(0)
    kernel_rng.normal(size=5)
    session.write_back(x, np.array([1.0, 2.0, 3.0]))
    session.write_back(params, {"W": np.array([5.0, 6.0]), "b": 1.0, "extra": 2})
    session.write_back(hist, [1, 2])
    session.write_back(rng, wire.RngState(kernel_rng.bit_generator.state))
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert params["W"].tolist() == [5.0, 6.0] and params["b"] == 1.0 and params["extra"] == 2
    assert hist == [1, 2]
    assert rng.normal() == kernel_rng.normal()


def test_free_names_are_what_the_test_takes_from_the_notebook():
    code = ("import itertools\ndef _t():\n    x = softmax(np.ones(3))\n    return len(x) + k\n"
            "k = 1\n_t()\n")
    assert session.free_names(code) == {"softmax", "np"}


def test_swapped_functions_swaps_the_notebooks_globals_outside_grading():
    main = sys.modules["__main__"].__dict__
    main["course_test_fn"] = "mine"
    try:
        with testcells.swapped_functions(course_test_fn="reference", course_test_new=1):
            assert main["course_test_fn"] == "reference" and main["course_test_new"] == 1
        assert main["course_test_fn"] == "mine" and "course_test_new" not in main
    finally:
        main.pop("course_test_fn", None)


def test_split_hidden_separates_the_public_and_hidden_parts():
    source = '"""Doc."""\nx = 1\n### BEGIN HIDDEN TESTS\nsecret = 2\n### END HIDDEN TESTS\ny = 3'
    assert split_hidden(source) == ('"""Doc."""\nx = 1\ny = 3', "secret = 2")


def test_feedback_summary_keeps_the_case_and_hint_but_not_the_values():
    with pytest.raises(checks.CheckFailure) as info:
        checks.assert_close(np.array([1.0, 2.0]), np.array([1.0, 3.5]), name="softmax(Z)",
                            hint="Subtract the row maximum.")
    summary = safe_summary(info.value)
    assert "softmax(Z)" in summary and "Subtract the row maximum." in summary
    assert "3.5" not in summary and "expected" not in summary


def _graded_cell(grade_id: str, solution: bool, source="pass"):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": not solution, "solution": solution, "locked": False,
                                 "grade_id": grade_id, "points": 0 if solution else 1,
                                 "schema_version": 3}
    return cell


def test_repair_fixes_what_stops_nbgrader_and_says_what_it_did():
    nb = nbformat.v4.new_notebook()
    nb.cells = [_graded_cell("f", True, "def f(): return 0"), _graded_cell("f_test", False),
                _graded_cell("f", True, "def f(): return 1"), _graded_cell("bonus", False)]
    nb.cells[1].id = nb.cells[0].id
    nb.cells[1].metadata["nbgrader"]["schema_version"] = 1
    notes = repair(nb, known_ids={"f", "f_test"})
    text = "\n".join(notes)
    assert len({c.id for c in nb.cells}) == 4 and "one got a new id" in text
    assert "nbgrader" not in nb.cells[0].metadata and "appears more than once" in text
    assert nb.cells[2].metadata["nbgrader"]["grade_id"] == "f"  # the last copy is graded
    assert "nbgrader" not in nb.cells[3].metadata and "does not have" in text
    assert nb.cells[1].metadata["nbgrader"]["schema_version"] == 3
    clean = copy.deepcopy(nb)
    assert repair(clean, known_ids={"f", "f_test"}) == [] and clean == nb
