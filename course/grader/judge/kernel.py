"""The judge's kernel side: the only judge code that runs in the student's kernel.

While the grader judges one hidden test, the kernel runs :func:`kernel_serve` as one cell. It
connects to the grader's Unix socket, reads the grader's requests (describe a name, call one
of the student's functions, swap grader-backed stand-ins in and out) and answers each one as
plain data (:mod:`course.grader.judge.wire`). This is the judge's whole attack surface: the
student's code shares the process with it, so nothing here is trusted by the grader; the
grader reads the answers strictly and compares values only in its own process.
"""

from __future__ import annotations

import base64
import inspect
import pickle
import socket
import traceback
import warnings

import numpy as np

from course.grader.judge.wire import encode_message, pack, recv_frame, send_frame
from course.testcells import MISSING, user_namespace

__all__ = ["kernel_call", "kernel_describe", "kernel_global", "kernel_patch", "kernel_serve",
           "kernel_unpatch"]


def kernel_global(name: str):
    """The student's object called ``name`` (how a :class:`RemoteFunction` unpickles)."""
    return user_namespace()[name]


def _describe_object(obj, blobs: list) -> dict:
    if callable(obj):
        info = {"kind": "callable", "module": str(getattr(obj, "__module__", None)),
                "name": str(getattr(obj, "__name__", type(obj).__name__))}
        code = getattr(obj, "__code__", None)
        if code is not None:
            info["co_names"] = [str(n) for n in code.co_names]
        try:
            info["parameters"] = [[p.name, int(p.kind), p.default is not p.empty]
                                  for p in inspect.signature(obj).parameters.values()]
        except (TypeError, ValueError):
            pass
        return info
    try:
        return {"kind": "value", "value": pack(obj, blobs=blobs)}
    except TypeError as exc:
        return {"kind": "opaque", "type": f"{exc}"}


def kernel_describe(req: dict, blobs: list) -> dict:
    """What each requested name is in the student's namespace."""
    ns = user_namespace()
    return {"status": "ok",
            "names": {name: (_describe_object(ns[name], blobs) if name in ns
                             else {"kind": "missing"}) for name in req["names"]}}


def kernel_call(req: dict, blobs: list) -> dict:
    """Call one of the student's functions with the grader's arguments; say what happened
    (the arrays' bytes go to ``blobs``)."""
    out: dict = {}
    args, kwargs = req["args"], req["kwargs"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(**req["errstate"]):
            try:
                fn = user_namespace()[req["name"]]
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - everything is reported, nothing kept
                tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
                out.update(status="error", type=type(exc).__name__, message=str(exc)[:4000],
                           traceback="".join(tb[-12:])[-6000:])
                result = None
            else:
                out["status"] = "ok"
    if out["status"] == "ok":
        try:
            out["result"] = pack(result, blobs=blobs)
        except TypeError as exc:
            out.update(status="unsendable", message=f"it returned {exc}, which the grader "
                       "cannot read: return numbers, arrays, lists, tuples or dicts")
    out["args"] = pack(list(args), strict=False, blobs=blobs)
    out["kwargs"] = pack(dict(kwargs), strict=False, blobs=blobs)
    out["warnings"] = [[w.category.__name__, str(w.message)[:500]] for w in caught[:20]]
    return out


_LINK: list = []  # the connection to the grader, while kernel_serve runs
_ENDED: set = set()  # patches whose block is over: their stubs refuse to call
_SAVED: dict = {}


def _callback_stub(name: str, patch: str):
    def stub(*args, **kwargs):
        if patch in _ENDED or not _LINK:
            raise RuntimeError(f"this {name} was the grader's stand-in for one test and is no "
                               "longer valid")
        link = _LINK[-1]
        blobs: list = []
        send_frame(link, encode_message({"kind": "callback", "patch": patch, "name": name,
                                         "args": pack(list(args), strict=False, blobs=blobs),
                                         "kwargs": pack(dict(kwargs), strict=False,
                                                        blobs=blobs)}, blobs))
        status, value = pickle.loads(recv_frame(link))
        if status == "ok":
            return value
        raise value

    stub.__name__ = stub.__qualname__ = name
    return stub


def kernel_patch(req: dict, blobs: list) -> dict:
    """Put grader-backed stubs in place of the named functions (see swapped_functions)."""
    ns = user_namespace()
    _SAVED[req["patch"]] = {name: ns.get(name, MISSING) for name in req["names"]}
    for name in req["names"]:
        ns[name] = _callback_stub(name, req["patch"])
    return {"status": "ok"}


def kernel_unpatch(req: dict, blobs: list) -> dict:
    ns = user_namespace()
    for name, value in _SAVED.pop(req["patch"], {}).items():
        if value is MISSING:
            ns.pop(name, None)
        else:
            ns[name] = value
    _ENDED.add(req["patch"])
    return {"status": "ok"}


def kernel_serve(request: str) -> None:
    """Answer the grader's requests for one hidden test, until it says the test is over.

    Runs as one cell in the student's kernel: the student's functions are called here,
    their output and ``input()`` go through Jupyter as in any cell, and the grader's
    stand-ins (:func:`swapped_functions`) call back over the same connection."""
    req = pickle.loads(base64.b64decode(request))
    link = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    link.connect(req["address"])
    _LINK.append(link)
    try:
        send_frame(link, encode_message({"kind": "hello", "nonce": req["nonce"]}, []))
        while True:
            op = pickle.loads(recv_frame(link))
            handler = {"call": kernel_call, "describe": kernel_describe, "patch": kernel_patch,
                       "unpatch": kernel_unpatch}.get(op.get("op"))
            if handler is None:  # "end"
                break
            out, blobs = {"kind": "reply", "nonce": op.get("nonce")}, []
            try:
                out.update(handler(op, blobs))
            except Exception as exc:  # noqa: BLE001 - e.g. a name whose attributes raise
                blobs = []
                out.update(status="error", type=type(exc).__name__,
                           message=f"the grader's request failed in your kernel: {exc}"[:4000])
            send_frame(link, encode_message(out, blobs))
    except (KeyboardInterrupt, ConnectionError, OSError):
        pass  # an interrupt between two requests, or the grader went: the test is over
    finally:
        _LINK.remove(link)
        link.close()
