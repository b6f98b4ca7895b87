"""The judge's wire format: plain data between the student's kernel and the grader.

The kernel encodes (any code may run there); the grader decodes strictly, into new, ordinary
Python and numpy objects. JSON holds numbers, strings, lists, dicts and tuples; an array is
``[dtype, shape, data]`` whose bytes travel beside the JSON (``blobs``), with no base64 in
between. Messages are length-prefixed frames on a Unix socket. Imported on both sides: it
needs only the standard library and numpy.
"""

from __future__ import annotations

import base64
import json
import math
import socket
import struct

import numpy as np

from course.grader.errors import Unreadable

__all__ = ["MAX_DEPTH", "MAX_PAYLOAD", "Opaque", "RngState", "encode_message", "pack",
           "read_message", "read_payload", "recv_frame", "send_frame", "unpack"]

FRAME = struct.Struct("!I")  # a callback's bytes are preceded by their length
MAX_PAYLOAD = 64 * 1024**2  # bytes of JSON one call may send back
MAX_DEPTH = 64


class Opaque:
    """Stands for a value the kernel could not send as data (a function, an object)."""

    def __init__(self, type_name: str):
        self.type_name = str(type_name)[:200]

    def __repr__(self):
        return f"<{self.type_name} left in the student's kernel>"


class RngState:
    """The state of a ``numpy.random.Generator`` after a call, to be written back."""

    def __init__(self, state: dict):
        self.state = state


def _npy(array: np.ndarray, blobs: list | None) -> list:
    """``[dtype, shape, data]``: the data is the base64 of the bytes in C order, or, when
    ``blobs`` is a list, the index of those bytes appended to it."""
    array = np.asarray(array, order="C")
    if blobs is None:
        return [array.dtype.str, list(array.shape),
                base64.b64encode(array.tobytes()).decode("ascii")]
    blobs.append(array.tobytes())
    return [array.dtype.str, list(array.shape), len(blobs) - 1]


def pack(value, *, strict: bool = True, blobs: list | None = None, _depth: int = 0):
    """``value`` as a JSON-ready tree of plain data.

    ``strict`` raises ``TypeError`` for anything that is not numbers, strings,
    booleans, ``None``, arrays, numpy scalars, lists, tuples, dicts and random
    generators; otherwise such values become an :class:`Opaque` marker.  With a list
    as ``blobs``, the arrays' bytes go there instead of into the tree as base64 (see
    :func:`encode_message`).
    """
    if _depth > MAX_DEPTH:
        raise TypeError("the value is nested too deeply")
    out = _pack_leaf(value, strict, blobs)
    if out is _NOT_PACKED:
        out = _pack_container(value, {"strict": strict, "blobs": blobs, "_depth": _depth + 1})
    if out is not _NOT_PACKED:
        return out
    if strict:
        raise TypeError(f"a {type(value).__name__}")
    return {"__opaque__": type(value).__name__}


_NOT_PACKED = object()  # what the two helpers of pack return for a value not theirs


def _pack_leaf(value, strict: bool, blobs: list | None):
    """A value without parts (numbers, text, arrays), packed; else ``_NOT_PACKED``."""
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind == "O":
            raise TypeError("a numpy object scalar")
        return {"__np__": _npy(np.asarray(value), blobs)}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, np.ndarray):
        return _pack_array(value, strict, blobs)
    return _NOT_PACKED


def _pack_array(value: np.ndarray, strict: bool, blobs: list | None):
    array = np.array(value, copy=True, subok=False)
    if array.dtype.kind == "O":
        if strict:
            raise TypeError("an array of Python objects (dtype=object)")
        return {"__opaque__": "ndarray of objects"}
    return {"__nd__": _npy(array, blobs)}


def _pack_container(value, kids: dict):
    """A generator's state, a tuple, a list or a dict, packed part by part; else
    ``_NOT_PACKED``."""
    if isinstance(value, np.random.Generator):
        return {"__rng__": pack(value.bit_generator.state, **kids)}
    if isinstance(value, tuple):
        return {"__tuple__": [pack(v, **kids) for v in value]}
    if isinstance(value, list):
        return {"__list__": [pack(v, **kids) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[pack(k, **kids), pack(v, **kids)] for k, v in value.items()]}
    return _NOT_PACKED


_KINDS = set("biufc")  # booleans, integers, floats, complex numbers: nothing else


def _load_npy(body, blobs) -> np.ndarray:
    if type(body) is not list or len(body) != 3:
        raise Unreadable("a malformed array")
    dtype_str, shape, text = body
    try:
        dtype = np.dtype(str(dtype_str))
    except Exception:  # noqa: BLE001 - any string numpy cannot parse
        raise Unreadable("an array of an unknown dtype") from None
    if dtype.kind not in _KINDS or dtype.names or dtype.subdtype or dtype.hasobject:
        raise Unreadable(f"an array of dtype {dtype}, which is not plain numbers")
    if type(shape) is not list or len(shape) > 32 \
            or not all(type(n) is int and 0 <= n for n in shape):
        raise Unreadable("an array with a malformed shape")
    if type(text) is int and blobs is not None:
        if not 0 <= text < len(blobs):
            raise Unreadable("an array whose data is missing")
        raw = blobs[text]
    elif type(text) is str:
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            raise Unreadable("an array whose data is not base64") from None
    else:
        raise Unreadable("an array whose data is not text")
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise Unreadable("an array whose data does not fill its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _hashable(key):
    try:
        hash(key)
    except TypeError:
        raise Unreadable("a dict key that is not hashable") from None
    return key


def unpack(tree, blobs: list | None = None, _depth: int = 0):
    """Read a tree made by :func:`pack` into new plain Python and numpy objects.

    ``blobs`` holds the arrays' bytes when the tree came with them (:func:`read_message`).
    Anything else raises :class:`Unreadable`; nothing in ``tree`` is executed.
    """
    if _depth > MAX_DEPTH:
        raise Unreadable("data nested too deeply")
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is not dict or len(tree) != 1:
        raise Unreadable(f"unexpected data ({type(tree).__name__})")
    (tag, body), = tree.items()
    reader = _READERS.get(tag) if type(tag) is str else None
    if reader is None:
        raise Unreadable(f"unknown data tag {str(tag)[:40]!r}")
    if tag in ("__tuple__", "__list__", "__dict__") and type(body) is not list:
        raise Unreadable(f"a malformed {tag.strip('_')}")
    return reader(body, blobs, _depth + 1)


def _read_scalar(body, blobs, depth):
    array = _load_npy(body, blobs)
    if array.ndim != 0:
        raise Unreadable("a numpy scalar that is not 0-dimensional")
    return array[()]


def _read_dict(body, blobs, depth):
    out = {}
    for pair in body:
        if type(pair) is not list or len(pair) != 2:
            raise Unreadable("a malformed dict entry")
        out[_hashable(unpack(pair[0], blobs, depth))] = unpack(pair[1], blobs, depth)
    return out


def _read_rng(body, blobs, depth):
    state = unpack(body, blobs, depth)
    if type(state) is not dict:
        raise Unreadable("a malformed random generator state")
    return RngState(state)


_READERS = {
    "__nd__": lambda body, blobs, depth: _load_npy(body, blobs),
    "__np__": _read_scalar,
    "__tuple__": lambda body, blobs, depth: tuple(unpack(v, blobs, depth) for v in body),
    "__list__": lambda body, blobs, depth: [unpack(v, blobs, depth) for v in body],
    "__dict__": _read_dict,
    "__rng__": _read_rng,
    "__opaque__": lambda body, blobs, depth: Opaque(body if type(body) is str else "object"),
}


def read_payload(text) -> dict:
    """Parse one JSON payload from the kernel, with a size limit."""
    if not isinstance(text, str):
        raise Unreadable("a reply that is not text")
    if len(text) > MAX_PAYLOAD:
        raise Unreadable(f"a reply of {len(text):,} bytes (the limit is {MAX_PAYLOAD:,})")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise Unreadable("a reply that is not valid JSON") from None
    if type(payload) is not dict:
        raise Unreadable("a reply that is not a JSON object")
    return payload


MAX_BLOBS = 100_000


def encode_message(payload: dict, blobs: list) -> bytes:
    """A message for the grader: the length of the JSON, the JSON (whose ``"blobs"`` lists
    the sizes of the arrays' bytes), then those bytes, with no base64 in between."""
    try:
        head = json.dumps(dict(payload, blobs=[len(b) for b in blobs])).encode()
    except (TypeError, ValueError) as exc:
        blobs = []
        head = json.dumps({"kind": payload.get("kind"), "nonce": payload.get("nonce"),
                           "status": "unsendable", "blobs": [],
                           "message": f"the reply could not be written ({exc})"}).encode()
    return FRAME.pack(len(head)) + head + b"".join(blobs)


def read_message(data: bytes) -> tuple[dict, list]:
    """``(payload, blobs)`` of a message from the kernel (see :func:`encode_message`),
    checked: the sizes must be whole numbers that add up to exactly the bytes that follow."""
    if len(data) < FRAME.size:
        raise Unreadable("a message too short to have a header")
    (size,) = FRAME.unpack_from(data)
    if size > len(data) - FRAME.size:
        raise Unreadable("a message shorter than its header says")
    payload = read_payload(bytes(data[FRAME.size:FRAME.size + size]).decode("utf-8", "replace"))
    sizes = payload.get("blobs", [])
    if type(sizes) is not list or len(sizes) > MAX_BLOBS \
            or not all(type(n) is int and n >= 0 for n in sizes):
        raise Unreadable("a malformed list of array sizes")
    start = FRAME.size + size
    if sum(sizes) != len(data) - start:
        raise Unreadable("array bytes that do not add up to their sizes")
    view, blobs = memoryview(data), []
    for n in sizes:
        blobs.append(view[start:start + n])
        start += n
    return payload, blobs




def send_frame(sock: socket.socket, data: bytes) -> None:
    sock.sendall(FRAME.pack(len(data)) + data)


def recv_frame(sock: socket.socket, limit: int = MAX_PAYLOAD) -> bytes:
    """One length-prefixed message; ConnectionError if the peer closes or oversteps."""
    def exactly(n: int) -> bytes:
        chunks = []
        while n:
            chunk = sock.recv(min(n, 1 << 20))
            if not chunk:
                raise ConnectionError("the other side closed the connection")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    (size,) = FRAME.unpack(exactly(FRAME.size))
    if size > limit:
        raise ConnectionError(f"a message of {size} bytes is over the limit of {limit}")
    return exactly(size)
