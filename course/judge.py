"""Hidden tests judged outside the student's kernel.

During autograding, the public part of a test cell runs in the student's
(sandboxed) kernel as usual, but its hidden part never enters that kernel: the
grader runs it in its own process, in a fresh namespace holding pristine
``numpy``, ``course.checks``, ``course.gradcheck``, ``course.data``, ``math`` and
``itertools``.  Every other name the hidden code uses (``softmax``, ``backward``,
...) is a :class:`RemoteFunction`: calling it sends the arguments into the
kernel, runs the student's function there, and brings the result back as plain
data (JSON holding numbers, strings, and arrays as dtype, shape and bytes), which :func:`unpack`
reads strictly into new, ordinary Python and numpy objects.  So whatever the
student's code did to its kernel (a replaced ``np.allclose``, a fake
``course.checks``, arrays with their own ``__eq__``, input transformers, a
silenced ``showtraceback``), the comparison happens where it cannot reach, and
the only way to pass is to return the right values.

The hidden code can also swap reference functions in for the student's own for
the length of a block (:func:`swapped_functions`): the kernel then gets stubs that
ask the grader to compute the reference result, so no reference code enters the
kernel either. The stubs talk to the grader over a Unix socket of their own, beside
the kernel's sockets: a training loop calls them thousands of times, and a round trip
there costs a small fraction of one through Jupyter's messages.

This module is imported on both sides; it needs only the standard library and
numpy at import time.
"""

from __future__ import annotations

import base64
import builtins
import contextvars
import functools
import inspect
import itertools
import json
import math
import pickle
import secrets
import socket
import struct
import sys
import traceback
import types
import warnings
from contextlib import contextmanager

import numpy as np

MIME = "application/x-course-judge+json"
FRAME = struct.Struct("!I")  # a callback's bytes are preceded by their length
MAX_PAYLOAD = 64 * 1024**2  # bytes of JSON one call may send back
MAX_DEPTH = 64

# the modules a hidden test may use by name, besides the student's functions
TRUSTED_NAMES = ("np", "numpy", "math", "itertools", "functools", "checks", "gradcheck", "data")

__all__ = ["MIME", "JudgeError", "RemoteFunction", "pack", "swapped_functions", "unpack"]


class JudgeError(RuntimeError):
    """Something the grader could not do with the student's kernel (its message says what)."""


class StudentCodeError(Exception):
    """The student's function raised an exception the grader cannot rebuild as itself."""


class Unreadable(JudgeError):
    """What came back from the kernel is not plain data the grader accepts."""


# ---------------------------------------------------------------------------------------------
# plain data: encoded in the kernel (any code may run there), decoded strictly by the grader


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


def _npy(array: np.ndarray) -> list:
    """``[dtype, shape, base64 of the bytes in C order]``."""
    array = np.asarray(array, order="C")
    return [array.dtype.str, list(array.shape), base64.b64encode(array.tobytes()).decode("ascii")]


def pack(value, *, strict: bool = True, _depth: int = 0):
    """``value`` as a JSON-ready tree of plain data.

    ``strict`` raises ``TypeError`` for anything that is not numbers, strings,
    booleans, ``None``, arrays, numpy scalars, lists, tuples, dicts and random
    generators; otherwise such values become an :class:`Opaque` marker.
    """
    if _depth > MAX_DEPTH:
        raise TypeError("the value is nested too deeply")
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind == "O":
            raise TypeError("a numpy object scalar")
        return {"__np__": _npy(np.asarray(value))}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, np.ndarray):
        array = np.array(value, copy=True, subok=False)
        if array.dtype.kind == "O":
            if strict:
                raise TypeError("an array of Python objects (dtype=object)")
            return {"__opaque__": "ndarray of objects"}
        return {"__nd__": _npy(array)}
    if isinstance(value, np.random.Generator):
        return {"__rng__": pack(value.bit_generator.state, strict=strict, _depth=_depth + 1)}
    kids = {"strict": strict, "_depth": _depth + 1}
    if isinstance(value, tuple):
        return {"__tuple__": [pack(v, **kids) for v in value]}
    if isinstance(value, list):
        return {"__list__": [pack(v, **kids) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[pack(k, **kids), pack(v, **kids)] for k, v in value.items()]}
    if strict:
        raise TypeError(f"a {type(value).__name__}")
    return {"__opaque__": type(value).__name__}


_KINDS = set("biufc")  # booleans, integers, floats, complex numbers: nothing else


def _load_npy(body) -> np.ndarray:
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
    if type(text) is not str:
        raise Unreadable("an array whose data is not text")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise Unreadable("an array whose data is not base64") from None
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise Unreadable("an array whose data does not fill its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _hashable(key):
    try:
        hash(key)
    except TypeError:
        raise Unreadable("a dict key that is not hashable") from None
    return key


def unpack(tree, _depth: int = 0):
    """Read a tree made by :func:`pack` into new plain Python and numpy objects.

    Anything else raises :class:`Unreadable`; nothing in ``tree`` is executed.
    """
    if _depth > MAX_DEPTH:
        raise Unreadable("data nested too deeply")
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is not dict or len(tree) != 1:
        raise Unreadable(f"unexpected data ({type(tree).__name__})")
    (tag, body), = tree.items()
    if tag == "__nd__":
        return _load_npy(body)
    if tag == "__np__":
        array = _load_npy(body)
        if array.ndim != 0:
            raise Unreadable("a numpy scalar that is not 0-dimensional")
        return array[()]
    if tag in ("__tuple__", "__list__", "__dict__") and type(body) is not list:
        raise Unreadable(f"a malformed {tag.strip('_')}")
    if tag == "__tuple__":
        return tuple(unpack(v, _depth + 1) for v in body)
    if tag == "__list__":
        return [unpack(v, _depth + 1) for v in body]
    if tag == "__dict__":
        out = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise Unreadable("a malformed dict entry")
            out[_hashable(unpack(pair[0], _depth + 1))] = unpack(pair[1], _depth + 1)
        return out
    if tag == "__rng__":
        state = unpack(body, _depth + 1)
        if type(state) is not dict:
            raise Unreadable("a malformed random generator state")
        return RngState(state)
    if tag == "__opaque__":
        return Opaque(body if type(body) is str else "object")
    raise Unreadable(f"unknown data tag {tag[:40]!r}")


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


def write_back(original, after) -> None:
    """Make ``original`` (an argument the grader passed) look as the kernel left it.

    Arrays changed in place are copied back entry by entry, dicts and lists get the
    kernel's contents, a generator gets the kernel's state: in-place changes made by
    the student's function are visible to the hidden test, as they would be in-kernel.
    """
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and original.flags.writeable:
            try:
                np.copyto(original, after, casting="unsafe")
            except (TypeError, ValueError):
                pass
    elif isinstance(original, np.random.Generator) and isinstance(after, RngState):
        try:
            original.bit_generator.state = after.state
        except (TypeError, ValueError, KeyError):
            pass
    elif isinstance(original, dict) and isinstance(after, dict):
        for key in list(original):
            if key not in after:
                del original[key]
        for key, value in after.items():
            if key in original and _mutable(original[key]):
                write_back(original[key], value)
            elif not isinstance(value, Opaque):
                original[key] = value
    elif isinstance(original, list) and isinstance(after, list):
        if len(original) == len(after):
            for i, value in enumerate(after):
                if _mutable(original[i]):
                    write_back(original[i], value)
                elif not isinstance(value, Opaque):
                    original[i] = value
        elif not any(isinstance(v, Opaque) for v in after):
            original[:] = after


def _mutable(value) -> bool:
    return isinstance(value, (np.ndarray, dict, list, np.random.Generator))


# ---------------------------------------------------------------------------------------------
# the kernel side: small functions the grader calls by sending code to the kernel


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:
        pass
    return sys.modules["__main__"].__dict__


def kernel_global(name: str):
    """The student's object called ``name`` (how a :class:`RemoteFunction` unpickles)."""
    return _user_namespace()[name]


def _publish(payload: dict) -> None:
    from IPython.display import publish_display_data

    try:
        text = json.dumps(payload)
    except (TypeError, ValueError) as exc:
        text = json.dumps({"nonce": payload.get("nonce"), "status": "unsendable",
                           "message": f"the reply could not be written ({exc})"})
    publish_display_data({MIME: text})


def _describe_object(obj) -> dict:
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
        return {"kind": "value", "value": pack(obj)}
    except TypeError as exc:
        return {"kind": "opaque", "type": f"{exc}"}


def kernel_describe(request: str) -> None:
    """Say what each requested name is in the student's namespace."""
    req = pickle.loads(base64.b64decode(request))
    ns = _user_namespace()
    names = {name: (_describe_object(ns[name]) if name in ns else {"kind": "missing"})
             for name in req["names"]}
    _publish({"nonce": req["nonce"], "status": "ok", "names": names})


def kernel_call(request: str) -> None:
    """Call one of the student's functions with the grader's arguments; publish the outcome."""
    req = pickle.loads(base64.b64decode(request))
    nonce = req["nonce"]
    out: dict = {"nonce": nonce}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(**req["errstate"]):
            try:
                fn = _user_namespace()[req["name"]]
                args, kwargs = req["args"], req["kwargs"]
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - everything is reported, nothing kept
                tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
                out.update(status="error", type=type(exc).__name__, message=str(exc)[:4000],
                           traceback="".join(tb[-12:])[-6000:])
                args, kwargs = req["args"], req["kwargs"]
                result = None
            else:
                out["status"] = "ok"
    if out["status"] == "ok":
        try:
            out["result"] = pack(result)
        except TypeError as exc:
            out.update(status="unsendable", message=f"it returned {exc}, which the grader "
                       "cannot read: return numbers, arrays, lists, tuples or dicts")
    out["args"] = pack(list(args), strict=False)
    out["kwargs"] = pack(dict(kwargs), strict=False)
    out["warnings"] = [[w.category.__name__, str(w.message)[:500]] for w in caught[:20]]
    _publish(out)


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


_CHANNELS: dict = {}  # patch nonce -> the stubs' connection to the grader
_ENDED: set = set()  # patch nonces whose block is over: their stubs refuse to call


def _callback_stub(name: str, nonce: str, address: str):
    def stub(*args, **kwargs):
        if nonce in _ENDED:
            raise RuntimeError(f"this {name} was the grader's stand-in for one test and is no "
                               "longer valid")
        request = json.dumps({"nonce": nonce, "name": name,
                              "args": pack(list(args), strict=False),
                              "kwargs": pack(dict(kwargs), strict=False)})
        sock = _CHANNELS.get(nonce)
        if sock is None:
            sock = _CHANNELS[nonce] = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(address)
        send_frame(sock, request.encode())
        status, value = pickle.loads(recv_frame(sock))
        if status == "ok":
            return value
        raise value

    stub.__name__ = stub.__qualname__ = name
    return stub


_SAVED: dict = {}


def kernel_patch(request: str) -> None:
    """Put grader-backed stubs in place of the named functions (see swapped_functions)."""
    req = pickle.loads(base64.b64decode(request))
    ns = _user_namespace()
    saved = {name: ns.get(name, _MISSING) for name in req["names"]}
    _SAVED[req["nonce"]] = saved
    for name in req["names"]:
        ns[name] = _callback_stub(name, req["nonce"], req["address"])
    _publish({"nonce": req["nonce"], "status": "ok"})


def kernel_unpatch(request: str) -> None:
    req = pickle.loads(base64.b64decode(request))
    ns = _user_namespace()
    for name, value in _SAVED.pop(req["patch"], {}).items():
        if value is _MISSING:
            ns.pop(name, None)
        else:
            ns[name] = value
    _ENDED.add(req["patch"])
    channel = _CHANNELS.pop(req["patch"], None)
    if channel is not None:
        channel.close()
    _publish({"nonce": req["nonce"], "status": "ok"})


_MISSING = object()


# ---------------------------------------------------------------------------------------------
# the grader side


_SESSION: contextvars.ContextVar = contextvars.ContextVar("course_judge_session", default=None)


@contextmanager
def swapped_functions(**functions):
    """Replace the notebook's functions of these names by ``functions`` inside the block.

    In a notebook (the instructor's source, a student's own run) this swaps the
    notebook's globals.  While the grader judges a hidden test, the student's kernel
    gets stubs that ask the grader to run ``functions`` instead: the reference code
    never enters the kernel.
    """
    session = _SESSION.get()
    if not functions:
        yield
        return
    if session is not None:
        token = session.patch(functions)
        try:
            yield
        finally:
            session.unpatch(token)
        return
    ns = _user_namespace()
    saved = {name: ns.get(name, _MISSING) for name in functions}
    ns.update(functions)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                ns.pop(name, None)
            else:
                ns[name] = value


class RemoteFunction:
    """A student's function, called in the student's kernel from the grader's process."""

    def __init__(self, session, name: str, info: dict):
        self._session = session
        self._name = name
        self.__name__ = self.__qualname__ = str(info.get("name", name))
        self.__module__ = str(info.get("module", "__main__"))
        if "co_names" in info:
            self.__code__ = types.SimpleNamespace(co_names=tuple(info["co_names"]))
        params = info.get("parameters")
        if params is not None:
            try:
                self.__signature__ = inspect.Signature([
                    inspect.Parameter(str(n), inspect._ParameterKind(int(k)),
                                      default=None if has_default else inspect.Parameter.empty)
                    for n, k, has_default in params])
            except (TypeError, ValueError):
                pass

    def __call__(self, *args, **kwargs):
        return self._session.call(self._name, args, kwargs)

    def __reduce__(self):  # sent into the kernel: becomes the student's own object again
        return (kernel_global, (self._name,))

    def __repr__(self):
        return f"<the student's {self._name} (called in the student's kernel)>"


def _rebuild_error(kind: str, message: str, trace: str) -> BaseException:
    """The student's exception, as the same builtin type where there is one."""
    cls = getattr(builtins, kind, None)
    text = f"{message}\n\nwhere it happened in your code:\n{trace}" if trace else message
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        try:
            return cls(text)
        except Exception:  # noqa: BLE001 - some builtins take other arguments
            pass
    return StudentCodeError(f"{kind}: {text}")


def judge_namespace(names: dict) -> dict:
    """A fresh namespace for hidden code: trusted modules plus the student's names."""
    from course import checks, data, gradcheck

    ns = {"__name__": "__course_judge__", "__builtins__": builtins, "np": np, "numpy": np,
          "math": math, "itertools": itertools, "functools": functools, "checks": checks,
          "gradcheck": gradcheck, "data": data}
    ns.update(names)
    return ns


def free_names(code: str) -> set[str]:
    """Global names the code reads but does not define (builtins excluded)."""
    import symtable

    table = symtable.symtable(code, "<hidden test>", "exec")
    used: set[str] = set()
    assigned: set[str] = set()

    def walk(t):
        for s in t.get_symbols():
            if t.get_type() == "module":
                if s.is_assigned() or s.is_imported():
                    assigned.add(s.get_name())
                if s.is_referenced():
                    used.add(s.get_name())
            elif s.is_global() and s.is_referenced():
                used.add(s.get_name())
        for child in t.get_children():
            walk(child)

    walk(table)
    return used - assigned - set(dir(builtins))


def make_request(**fields) -> str:
    """A request for the kernel side, pickled (cloudpickle for the hidden tests' lambdas)."""
    import cloudpickle

    return base64.b64encode(cloudpickle.dumps(fields)).decode("ascii")


def new_nonce() -> str:
    return secrets.token_hex(16)


class KernelStopped(JudgeError):
    """The kernel died or had to be stopped: the rest of the notebook cannot be graded."""


def _warning_class(name) -> type:
    cls = getattr(builtins, str(name), None)
    if isinstance(cls, type) and issubclass(cls, Warning):
        return cls
    return UserWarning


class Session:
    """The grader's link to one student kernel while hidden tests are judged.

    ``client`` is the running ``nbclient.NotebookClient`` (the grader's Execute
    preprocessor): its kernel client sends the requests, its kernel manager
    interrupts or stops the kernel when a call runs past its time limit.
    """

    def __init__(self, client, *, call_timeout: float, grace: float, deadline: float, log=None):
        self.client = client
        self.call_timeout = call_timeout
        self.grace = grace
        self.deadline = deadline  # time.monotonic() at which the whole notebook must stop
        self.log = log
        self.callbacks: dict[str, dict] = {}
        self.input_calls = 0
        self._listener: socket.socket | None = None
        self._address = ""
        self._own_dir = ""
        self._conns: list[socket.socket] = []

    def _listen(self) -> str:
        """The address of the Unix socket the kernel's stubs call back on (made on first use,
        beside the kernel's own sockets, which the sandbox shares with the kernel)."""
        if self._listener is None:
            import os
            import tempfile

            folder = getattr(self.client.km, "_socket_dir", None)
            if not folder:
                folder = self._own_dir = tempfile.mkdtemp(prefix="course-judge-")
            address = os.path.join(folder, f"judge-{new_nonce()[:12]}.sock")
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(address)
            os.chmod(address, 0o777)  # the sandboxed kernel runs as another uid
            listener.listen(8)
            listener.setblocking(False)
            self._listener, self._address = listener, address
        return self._address

    def close(self) -> None:
        import os
        import shutil

        for conn in self._conns:
            conn.close()
        self._conns = []
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            try:
                os.unlink(self._address)
            except OSError:
                pass
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    # -- requests --------------------------------------------------------------------------

    def _request(self, func: str, *, nonce: str | None = None, **fields) -> dict:
        from jupyter_core.utils import run_sync

        nonce = nonce or new_nonce()
        try:
            blob = make_request(nonce=nonce, **fields)
        except Exception as exc:  # noqa: BLE001 - a test argument the grader cannot send
            raise JudgeError(f"the grader could not send the arguments ({exc})") from None
        code = f"__import__('course.judge', fromlist=['judge']).{func}({blob!r})"
        payloads, reply = run_sync(self._exchange)(code)
        for text in payloads:
            payload = read_payload(text)
            if payload.get("nonce") == nonce:
                return payload
        content = (reply or {}).get("content", {})
        if content.get("status") == "error":
            raise JudgeError(f"the student's kernel could not run the grader's request: "
                             f"{content.get('ename')}: {content.get('evalue')}")
        raise JudgeError("the student's kernel sent no answer to the grader's request")

    async def _exchange(self, code: str):
        import time

        import zmq
        import zmq.asyncio
        from jupyter_core.utils import ensure_async

        kc = self.client.kc
        msg_id = kc.execute(code, silent=False, store_history=False, allow_stdin=True,
                            stop_on_error=False)
        channels = {kc.shell_channel.socket: kc.shell_channel,
                    kc.iopub_channel.socket: kc.iopub_channel,
                    kc.stdin_channel.socket: kc.stdin_channel}
        poller = zmq.asyncio.Poller()
        for sock in channels:
            poller.register(sock, zmq.POLLIN)
        for sock in self._plain_sockets():
            poller.register(sock, zmq.POLLIN)
        payloads: list[str] = []
        reply = None
        idle = False
        start = time.monotonic()
        limit = min(start + self.call_timeout, self.deadline)
        interrupted = False
        while reply is None or not idle:
            now = time.monotonic()
            if now >= limit:
                if now >= self.deadline:
                    await self.stop("the notebook ran past its time limit during a hidden test")
                if interrupted:
                    await self.stop(f"a call from a hidden test ran past {self.call_timeout:.0f} s "
                                    "and ignored the interrupt")
                interrupted = True
                await ensure_async(self.client.km.interrupt_kernel())
                limit = min(now + self.grace, self.deadline)
                continue
            events = dict(await poller.poll(timeout=int(min(1.0, limit - now) * 1000) + 1))
            if not events:
                if not await ensure_async(kc.is_alive()):
                    raise KernelStopped("the kernel died during a hidden test")
                continue
            for sock in events:
                if isinstance(sock, int):  # pyzmq reports plain sockets by file descriptor
                    sock = self._by_fd(sock)
                if sock is self._listener:
                    try:
                        conn = self._listener.accept()[0]
                    except (BlockingIOError, InterruptedError):
                        continue
                    # a call's bytes arrive at once; a kernel that stalls mid-message is cut off
                    conn.settimeout(min(self.call_timeout, 10.0))
                    self._conns.append(conn)
                    poller.register(conn, zmq.POLLIN)
                    continue
                if sock in self._conns:
                    if not self._serve(sock, limit):
                        poller.unregister(sock)
                    continue
                if sock not in channels:
                    continue
                msg = await channels[sock].get_msg(timeout=0)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue  # a late message of an earlier cell
                kind = msg.get("msg_type")
                content = msg.get("content", {})
                if kind == "execute_reply":
                    reply = msg
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
                elif kind == "display_data" and MIME in content.get("data", {}):
                    payloads.append(content["data"][MIME])
                elif kind == "input_request":
                    self.input_calls += 1  # the student's own input(): there is no keyboard
                    kc.input("")
        if interrupted:
            raise TimeoutError(f"the call did not return within {self.call_timeout:.0f} s; "
                               "it was interrupted (an endless loop?)")
        return payloads, reply

    async def stop(self, reason: str):
        """Stop the kernel for good and raise :class:`KernelStopped` with ``reason``."""
        from jupyter_core.utils import ensure_async

        try:
            await ensure_async(self.client.km.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001 - it is being killed anyway
            pass
        raise KernelStopped(reason + "; the grader stopped the kernel")

    def _plain_sockets(self) -> list[socket.socket]:
        """The callback listener and its connections (the Unix sockets, not Jupyter's)."""
        return ([self._listener] if self._listener else []) + self._conns

    def _by_fd(self, fd: int):
        return next((s for s in self._plain_sockets() if s.fileno() == fd), None)

    def _serve(self, conn: socket.socket, until: float) -> bool:
        """Answer the calls of a stub on ``conn``; False (and the connection closed) when the
        kernel closed it or sent something that is not a call.

        A training loop calls again within microseconds, so the next call is awaited here
        for a moment before going back to the event loop (never past ``until``)."""
        import select
        import time

        try:
            while True:
                request = recv_frame(conn).decode("utf-8", "replace")
                send_frame(conn, self._answer(request))
                if time.monotonic() >= until or not select.select([conn], [], [], 0.005)[0]:
                    return True
        except (OSError, ConnectionError, ValueError):
            self._conns.remove(conn)
            conn.close()
            return False

    def _answer(self, request: str) -> bytes:
        """The pickled outcome of a stub's call of a swapped-in function."""
        try:
            req = read_payload(request)
            functions = self.callbacks.get(req.get("nonce"))
            if functions is None or req.get("name") not in functions:
                raise JudgeError("a call to a function the grader did not swap in")
            args, kwargs = unpack(req.get("args")), unpack(req.get("kwargs"))
            if type(args) is not list or type(kwargs) is not dict:
                raise Unreadable("malformed arguments")
            answer = ("ok", functions[req["name"]](*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - goes back to the student's code as an error
            answer = ("error", exc)
        try:
            return pickle.dumps(answer)
        except Exception as exc:  # noqa: BLE001
            return pickle.dumps(("error", RuntimeError(str(exc))))

    # -- what the hidden code uses -----------------------------------------------------------

    def describe(self, names) -> dict:
        payload = self._request("kernel_describe", names=list(names))
        found = payload.get("names")
        if type(found) is not dict:
            raise Unreadable("a malformed description of the notebook's names")
        return found

    def call(self, name: str, args: tuple, kwargs: dict):
        payload = self._request("kernel_call", name=name, args=args, kwargs=kwargs,
                                errstate=np.geterr())
        raw = payload.get("warnings")
        for item in raw if type(raw) is list else []:
            if type(item) is list and len(item) == 2:
                warnings.warn_explicit(str(item[1]), _warning_class(item[0]), "<your code>", 0,
                                       module="submission")
        after_args = unpack(payload.get("args"))
        after_kwargs = unpack(payload.get("kwargs"))
        if type(after_args) is list and len(after_args) == len(args):
            for original, after in zip(args, after_args):
                if _mutable(original):
                    write_back(original, after)
        if type(after_kwargs) is dict:
            for key, original in kwargs.items():
                if _mutable(original) and key in after_kwargs:
                    write_back(original, after_kwargs[key])
        status = payload.get("status")
        if status == "ok":
            return unpack(payload.get("result"))
        if status == "error":
            raise _rebuild_error(str(payload.get("type")), str(payload.get("message", "")),
                                 str(payload.get("traceback", "")))
        if status == "unsendable":
            raise TypeError(f"{name}: {payload.get('message')}")
        raise Unreadable(f"an unknown reply status {str(status)[:40]!r}")

    def patch(self, functions: dict) -> str:
        token = new_nonce()
        self.callbacks[token] = dict(functions)
        self._request("kernel_patch", nonce=token, names=list(functions),
                      address=self._listen())
        return token

    def unpatch(self, token: str) -> None:
        try:
            self._request("kernel_unpatch", patch=token)
        finally:
            self.callbacks.pop(token, None)

    def run_hidden(self, code: str, label: str):
        """Run hidden test code in the grader; return ``(exception or None, warnings)``."""
        wanted = sorted(free_names(code) - set(TRUSTED_NAMES))
        names = {}
        for name, info in (self.describe(wanted) if wanted else {}).items():
            kind = info.get("kind") if type(info) is dict else None
            if kind == "callable":
                names[name] = RemoteFunction(self, name, info)
            elif kind == "value":
                names[name] = unpack(info.get("value"))
        ns = judge_namespace(names)
        token = _SESSION.set(self)
        error = None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                exec(compile(code, f"<hidden test {label}>", "exec"), ns)  # noqa: S102
        except KernelStopped:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed hidden test
            error = exc
        finally:
            _SESSION.reset(token)
        return error, [f"{w.category.__name__}: {w.message}" for w in caught]
