"""The grader's side of the judge: one notebook's hidden tests, run in the grader's process.

:class:`Session` is made by the grader's Execute preprocessor for a notebook. For each hidden
test it starts :func:`~course.grader.judge.kernel.kernel_serve` in the student's kernel as one
cell and runs the hidden code here, in a fresh namespace (:func:`judge_namespace`) in which
each of the student's names is a :class:`RemoteFunction`. Its parts, each a class:

* :class:`Transport`: the Unix socket beside the kernel's own sockets (the sandbox shares
  that folder with the kernel), the connection from ``kernel_serve`` and its frames;
* :class:`TimeLimits`: how long a call may take, then an interrupt, then a stop, and the
  notebook's deadline over all of it;
* :class:`Calls`: what the hidden code does through the session (describe a name, call a
  function, swap reference functions in and out), and the answers to the stand-ins' calls.
"""

from __future__ import annotations

import base64
import builtins
import functools
import inspect
import itertools
import math
import os
import pickle
import secrets
import select
import shutil
import socket
import tempfile
import time
import types
import warnings

import numpy as np

from course import testcells
from course.grader.errors import (
    GraderFailure,
    JudgeError,
    KernelStopped,
    StudentCodeError,
    Unreadable,
)
from course.grader.judge.kernel import kernel_global
from course.grader.judge.wire import (
    Opaque,
    RngState,
    read_message,
    recv_frame,
    send_frame,
    unpack,
)

__all__ = ["Calls", "RemoteFunction", "Session", "TimeLimits", "Transport", "free_names",
           "judge_namespace"]

# the modules a hidden test may use by name, besides the student's functions
TRUSTED_NAMES = ("np", "numpy", "math", "itertools", "functools", "checks", "gradcheck", "data")


class RemoteFunction:
    """A student's function, called in the student's kernel from the grader's process."""

    def __init__(self, calls, name: str, info: dict):
        self._calls = calls
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
        return self._calls.call(self._name, args, kwargs)

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
    """A fresh namespace for hidden code: trusted modules plus the student's names.

    ``gradcheck`` is the grader's referee (:mod:`course.grader.referees`: central differences
    and the relative error), which students never receive; the notebooks' hidden tests also
    import it under that name, so that the source notebooks run as they are."""
    from course import checks, data
    from course.grader import referees as gradcheck

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


def make_request(**fields) -> bytes:
    """A request for the kernel side, pickled (cloudpickle for the hidden tests' lambdas)."""
    import cloudpickle

    return cloudpickle.dumps(fields)


def new_nonce() -> str:
    return secrets.token_hex(16)


def _warning_class(name) -> type:
    cls = getattr(builtins, str(name), None)
    if isinstance(cls, type) and issubclass(cls, Warning):
        return cls
    return UserWarning


def write_back(original, after) -> None:
    """Make ``original`` (an argument the grader passed) look as the kernel left it.

    Arrays changed in place are copied back entry by entry, dicts and lists get the
    kernel's contents, a generator gets the kernel's state: in-place changes made by
    the student's function are visible to the hidden test, as they would be in-kernel.
    """
    for kind, after_kind, write in _WRITERS:
        if isinstance(original, kind) and isinstance(after, after_kind):
            write(original, after)
            return


def _write_array(original: np.ndarray, after: np.ndarray) -> None:
    if original.shape == after.shape and original.flags.writeable:
        try:
            np.copyto(original, after, casting="unsafe")
        except (TypeError, ValueError):
            pass


def _write_rng(original: np.random.Generator, after: RngState) -> None:
    try:
        original.bit_generator.state = after.state
    except (TypeError, ValueError, KeyError):
        pass


def _write_item(container, key, value) -> None:
    """One entry of a dict or list: written back into a mutable value, else replaced (a
    value the kernel could not send stays as it was)."""
    if _mutable(container[key]):
        write_back(container[key], value)
    elif not isinstance(value, Opaque):
        container[key] = value


def _write_dict(original: dict, after: dict) -> None:
    for key in list(original):
        if key not in after:
            del original[key]
    for key, value in after.items():
        if key in original:
            _write_item(original, key, value)
        elif not isinstance(value, Opaque):
            original[key] = value


def _write_list(original: list, after: list) -> None:
    if len(original) == len(after):
        for i, value in enumerate(after):
            _write_item(original, i, value)
    elif not any(isinstance(v, Opaque) for v in after):
        original[:] = after


_WRITERS = ((np.ndarray, np.ndarray, _write_array), (np.random.Generator, RngState, _write_rng),
            (dict, dict, _write_dict), (list, list, _write_list))


def _mutable(value) -> bool:
    return isinstance(value, (np.ndarray, dict, list, np.random.Generator))




# -- the parts of a session ------------------------------------------------------------------


class TimeLimits:
    """How long the kernel may take to answer: ``call_timeout`` for one call (then it is
    interrupted), ``grace`` after the interrupt (then it is stopped), and the notebook's
    ``deadline`` (``time.monotonic()``) over everything."""

    def __init__(self, call_timeout: float, grace: float, deadline: float):
        self.call_timeout = call_timeout
        self.grace = grace
        self.deadline = deadline
        self.limit = deadline
        self.interrupted = False

    def start(self) -> None:
        """A new wait begins: the call's limit runs from now."""
        self.limit = min(time.monotonic() + self.call_timeout, self.deadline)
        self.interrupted = False

    def passed(self) -> bool:
        return time.monotonic() >= self.limit

    def poll_ms(self) -> int:
        """How long to wait for the kernel before looking at the clock again (at most 1 s)."""
        return int(min(1.0, self.limit - time.monotonic()) * 1000) + 1

    async def overrun(self, km, stop) -> None:
        """The limit has passed: interrupt the kernel the first time, then ``stop`` it (which
        raises) once the grace is over too, or at once past the notebook's deadline."""
        from jupyter_core.utils import ensure_async

        now = time.monotonic()
        if now >= self.deadline:
            await stop("the notebook ran past its time limit during a hidden test")
        if self.interrupted:
            await stop(f"a call from a hidden test ran past {self.call_timeout:.0f} s "
                       "and ignored the interrupt")
        self.interrupted = True
        await ensure_async(km.interrupt_kernel())
        self.limit = min(now + self.grace, self.deadline)

    def timed_out(self) -> TimeoutError:
        return TimeoutError(f"the call did not return within {self.call_timeout:.0f} s; it was "
                            "interrupted (an endless loop?)")


class Transport:
    """The grader's end of the judge's Unix socket, and the connection of ``kernel_serve``.

    The socket is made on first use beside the kernel's own sockets (``socket_dir``, which
    the sandbox shares with the kernel), or in a folder of its own without a sandbox."""

    def __init__(self, socket_dir: str | None, call_timeout: float):
        self.socket_dir = socket_dir
        self.call_timeout = call_timeout
        self.listener: socket.socket | None = None
        self.address = ""
        self._own_dir = ""
        self.link: socket.socket | None = None  # the connection to kernel_serve

    def listen(self) -> str:
        """The address kernel_serve connects to."""
        if self.listener is None:
            folder = self.socket_dir
            if not folder:
                folder = self._own_dir = tempfile.mkdtemp(prefix="course-judge-")
            address = os.path.join(folder, f"judge-{new_nonce()[:12]}.sock")
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                listener.bind(address)
                os.chmod(address, 0o777)  # the sandboxed kernel runs as another uid
                listener.listen(8)
            except OSError as exc:  # the grader's own side: never the student's doing
                listener.close()
                raise GraderFailure(f"the judge could not open its socket {address}: "
                                    f"{exc}") from exc
            listener.setblocking(False)
            self.listener, self.address = listener, address
        return self.address

    def accept(self, nonce: str) -> bool:
        """Take a connection on the listener; True if it is kernel_serve's, with ``nonce``."""
        try:
            conn = self.listener.accept()[0]
        except (BlockingIOError, InterruptedError):
            return False
        # a message's bytes arrive at once; a kernel that stalls mid-message is cut off
        conn.settimeout(min(self.call_timeout, 10.0))
        try:
            hello = read_message(recv_frame(conn))[0]
        except (OSError, JudgeError):
            hello = {}
        if hello.get("kind") != "hello" or hello.get("nonce") != nonce:
            conn.close()
            return False
        self.link = conn
        return True

    def send(self, blob: bytes) -> None:
        """Send one frame to kernel_serve (OSError if the connection is gone)."""
        self.link.settimeout(min(self.call_timeout, 10.0))
        send_frame(self.link, blob)

    def read(self, limit: float, answer) -> tuple[dict, list]:
        """The next message from kernel_serve that is not a stand-in's call.

        Calls are answered here with ``answer(payload, blobs)``; a training loop makes the
        next one within microseconds, so it is awaited for a moment before going back to the
        event loop (never past ``limit``). A message that is not JSON closes the connection
        (OSError)."""
        while True:
            try:
                payload, blobs = read_message(recv_frame(self.link))
            except JudgeError as exc:
                raise ConnectionError(str(exc)) from None
            if payload.get("kind") != "callback":
                return payload, blobs
            send_frame(self.link, answer(payload, blobs))
            if time.monotonic() >= limit or not select.select([self.link], [], [], 0.005)[0]:
                return {}, []

    def owns(self, sock, which: socket.socket | None) -> bool:
        return which is not None and sock in (which, which.fileno())

    def drop(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None

    def close(self) -> None:
        self.drop()
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            try:
                os.unlink(self.address)
            except OSError:
                pass
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)


class Calls:
    """What hidden code does through the session: describe the notebook's names, call the
    student's functions, swap reference functions in and out; and the answers to the
    stand-ins' calls of those reference functions. ``request(op, **fields)`` sends one
    request to the kernel and returns its reply."""

    def __init__(self, request):
        self._request = request
        self.callbacks: dict[str, dict] = {}
        # shown every call and value of the exercise under test, while its hidden tests run
        # (a course.grader.misconceptions.Watch, set by the grader's Execute), else None
        self.watch = None

    def describe(self, names) -> dict:
        payload, blobs = self._request("describe", names=list(names))
        found = payload.get("names")
        if type(found) is not dict:
            raise Unreadable("a malformed description of the notebook's names")
        return {name: (dict(info, value=unpack(info.get("value"), blobs))
                       if type(info) is dict and info.get("kind") == "value" else info)
                for name, info in found.items()}

    def call(self, name: str, args: tuple, kwargs: dict):
        watch = self.watch
        probe = None if watch is None else watch.before(name, args, kwargs, self.swaps())
        payload, blobs = self._request("call", name=name, args=args, kwargs=kwargs,
                                       errstate=np.geterr())
        _replay_warnings(payload.get("warnings"))
        _write_back_arguments(args, kwargs, unpack(payload.get("args"), blobs),
                              unpack(payload.get("kwargs"), blobs))
        status = payload.get("status")
        if status == "ok":
            result = unpack(payload.get("result"), blobs)
            if probe is not None:
                watch.after(probe, "ok", result, args, kwargs, _categories(payload))
            return result
        if status == "error":
            if probe is not None:
                watch.after(probe, "error", str(payload.get("type")), args, kwargs,
                            _categories(payload))
            raise _rebuild_error(str(payload.get("type")), str(payload.get("message", "")),
                                 str(payload.get("traceback", "")))
        if status == "unsendable":
            raise TypeError(f"{name}: {payload.get('message')}")
        raise Unreadable(f"an unknown reply status {str(status)[:40]!r}")

    def swaps(self) -> dict:
        """The stand-ins swapped in now, by name (the latest swap of a name wins)."""
        return {name: fn for functions in self.callbacks.values()
                for name, fn in functions.items()}

    def patch(self, functions: dict) -> str:
        token = new_nonce()
        self.callbacks[token] = dict(functions)
        self._request("patch", patch=token, names=list(functions))
        return token

    def unpatch(self, token: str) -> None:
        try:
            self._request("unpatch", patch=token)
        finally:
            self.callbacks.pop(token, None)

    def answer(self, req: dict, blobs: list) -> bytes:
        """The pickled outcome of a stand-in's call of a swapped-in function."""
        try:
            functions = self.callbacks.get(req.get("patch"))
            if functions is None or req.get("name") not in functions:
                raise JudgeError("a call to a function the grader did not swap in")
            args, kwargs = unpack(req.get("args"), blobs), unpack(req.get("kwargs"), blobs)
            if type(args) is not list or type(kwargs) is not dict:
                raise Unreadable("malformed arguments")
            answer = ("ok", functions[req["name"]](*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - goes back to the student's code as an error
            answer = ("error", exc)
        try:
            return pickle.dumps(answer)
        except Exception as exc:  # noqa: BLE001
            return pickle.dumps(("error", RuntimeError(str(exc))))

    def names(self, code: str) -> dict:
        """The student's names that ``code`` reads: functions as :class:`RemoteFunction`,
        plain values as read by :meth:`describe`."""
        wanted = sorted(free_names(code) - set(TRUSTED_NAMES))
        names = {}
        for name, info in (self.describe(wanted) if wanted else {}).items():
            kind = info.get("kind") if type(info) is dict else None
            if kind == "callable":
                names[name] = RemoteFunction(self, name, info)
                if self.watch is not None:
                    self.watch.function(name, info)
            elif kind == "value":
                names[name] = info.get("value")
                if self.watch is not None:
                    self.watch.value(name, names[name])
        return names


def _categories(payload: dict) -> list[str]:
    """The categories of the warnings a call raised in the kernel (names, as sent)."""
    raw = payload.get("warnings")
    return [str(item[0])[:100] for item in (raw if type(raw) is list else [])
            if type(item) is list and len(item) == 2]


def _replay_warnings(raw) -> None:
    """The warnings the student's function raised in the kernel, raised again here."""
    for item in raw if type(raw) is list else []:
        if type(item) is list and len(item) == 2:
            warnings.warn_explicit(str(item[1]), _warning_class(item[0]), "<your code>", 0,
                                   module="submission")


def _write_back_arguments(args, kwargs, after_args, after_kwargs) -> None:
    """In-place changes the student's function made to its arguments, made to the test's."""
    if type(after_args) is list and len(after_args) == len(args):
        for original, after in zip(args, after_args):
            if _mutable(original):
                write_back(original, after)
    if type(after_kwargs) is dict:
        for key, original in kwargs.items():
            if _mutable(original) and key in after_kwargs:
                write_back(original, after_kwargs[key])


# -- the session -----------------------------------------------------------------------------


class Session:
    """The grader's link to one student kernel while its notebook's hidden tests are judged.

    ``client`` is the running ``nbclient.NotebookClient`` (the grader's Execute
    preprocessor): its kernel client starts ``kernel_serve`` in the kernel once per hidden
    test, its kernel manager interrupts or stops the kernel when a call runs past its time
    limit. Requests and replies go over :class:`Transport`; a round trip there costs a few
    hundred microseconds, against several milliseconds for a Jupyter message."""

    def __init__(self, client, *, call_timeout: float, grace: float, deadline: float, log=None):
        self.client = client
        self.log = log
        self.limits = TimeLimits(call_timeout, grace, deadline)
        self.transport = Transport(getattr(client.km, "_socket_dir", None), call_timeout)
        self.calls = Calls(self._request)
        self.input_calls = 0
        self._serving: str | None = None  # msg_id of the running kernel_serve request
        self._reply = None  # its execute_reply, once seen
        self._idle = False  # its idle status, once seen

    def close(self) -> None:
        self.transport.close()

    def run_hidden(self, code: str, label: str):
        """Run hidden test code in the grader; return ``(exception or None, warnings)``.

        Whatever goes wrong with the student's side of the test (a reply the grader cannot
        read, a call past its time limit) fails the test with the reason; only a kernel
        that died or had to be stopped ends the notebook (:class:`KernelStopped`)."""
        token = testcells.JUDGE.set(self.calls)
        error = None
        caught: list = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                names = self.calls.names(code)
                exec(compile(code, f"<hidden test {label}>", "exec"),  # noqa: S102
                     judge_namespace(names))
        except (KernelStopped, GraderFailure):
            raise
        except Exception as exc:  # noqa: BLE001 - a failed hidden test
            error = exc
        finally:
            testcells.JUDGE.reset(token)
            self._finish()
        return error, [f"{w.category.__name__}: {w.message}" for w in caught]

    async def stop(self, reason: str):
        """Stop the kernel for good and raise :class:`KernelStopped` with ``reason``."""
        from jupyter_core.utils import ensure_async

        self.transport.drop()
        self._serving = None
        try:
            await ensure_async(self.client.km.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001 - it is being killed anyway
            pass
        raise KernelStopped(reason + "; the grader stopped the kernel")

    # -- the conversation with kernel_serve --------------------------------------------------

    def _request(self, op: str, **fields) -> tuple[dict, list]:
        """Send one request to the kernel; return its reply: the JSON and the arrays' bytes."""
        from jupyter_core.utils import run_sync

        nonce = new_nonce()
        try:
            blob = make_request(op=op, nonce=nonce, **fields)
        except Exception as exc:  # noqa: BLE001 - a test argument the grader cannot send
            raise JudgeError(f"the grader could not send the arguments ({exc})") from None
        return run_sync(self._converse)(blob, nonce)

    async def _converse(self, blob: bytes, nonce: str) -> tuple[dict, list]:
        for attempt in range(2):
            if self.transport.link is None:
                await self._open()
            try:
                self.transport.send(blob)
                break
            except OSError:  # kernel_serve ended (an interrupt between two calls): start again
                self.transport.drop()
                if attempt:
                    raise JudgeError("the student's kernel closed the grader's "
                                     "connection") from None
        return await self._pump("reply", nonce)

    async def _open(self) -> None:
        """Start kernel_serve in the kernel and wait for it to connect."""
        if self._serving is not None:
            await self._pump("end")
        nonce = new_nonce()
        request = base64.b64encode(pickle.dumps({"address": self.transport.listen(),
                                                 "nonce": nonce}))
        code = (f"__import__('course.grader.judge.kernel', fromlist=['kernel'])"
                f".kernel_serve({request.decode()!r})")
        self._serving = self.client.kc.execute(code, silent=False, store_history=False,
                                               allow_stdin=True, stop_on_error=False)
        self._reply, self._idle = None, False
        await self._pump("hello", nonce)

    def _finish(self) -> None:
        """Tell kernel_serve the test is over.

        It then returns at once, and the kernel runs the next cell nbclient sends (nbclient
        skips the messages of other requests). Only when the connection was lost with
        kernel_serve still running (the student's code closed it) is its end awaited here,
        under the time limits, so that the next cell does not queue behind it."""
        from jupyter_core.utils import run_sync

        if self.transport.link is not None:
            try:
                send_frame(self.transport.link, pickle.dumps({"op": "end"}))
                self._serving = None
            except OSError:
                pass
        self.transport.drop()
        if self._serving is not None:
            run_sync(self._pump)("end")

    async def _pump(self, want: str, nonce: str = ""):
        """Handle what the kernel sends until ``want`` arrives, and return it:

        * ``"hello"``: kernel_serve's connection (which becomes the transport's link);
        * ``"reply"``: the reply with this ``nonce``, as ``(payload, blobs)``;
        * ``"end"``: the end of the kernel_serve request.

        On the way it answers the stand-ins' calls and the student's ``input()``, and
        enforces the time limits (:class:`TimeLimits`)."""
        import zmq
        import zmq.asyncio

        kc = self.client.kc
        channels = {kc.shell_channel.socket: kc.shell_channel,
                    kc.iopub_channel.socket: kc.iopub_channel,
                    kc.stdin_channel.socket: kc.stdin_channel}
        poller = zmq.asyncio.Poller()
        for sock in [*channels, *([self.transport.listener] if want == "hello" else []),
                     *([self.transport.link] if self.transport.link is not None else [])]:
            poller.register(sock, zmq.POLLIN)
        self.limits.start()
        while True:
            if self._served(want):
                return None
            if self.limits.passed():
                await self.limits.overrun(self.client.km, self.stop)
                continue
            events = dict(await poller.poll(timeout=self.limits.poll_ms()))
            if not events:
                await self._check_alive(kc)
            for sock in events:
                done, value = await self._event(sock, want, nonce, channels, poller)
                if done:
                    return value

    def _served(self, want: str) -> bool:
        """Has the kernel_serve request ended? True if that is what was awaited; raises if
        the request ended while a connection or a reply was awaited."""
        if self._serving is not None and self._reply is not None and self._idle:
            content = self._reply.get("content", {})
            self._serving = None
            self.transport.drop()
            if want == "hello":
                raise JudgeError("the student's kernel could not run the grader's request"
                                 + (f": {content.get('ename')}: {content.get('evalue')}"
                                    if content.get("status") == "error" else ""))
            if want == "reply":
                if self.limits.interrupted:
                    raise self.limits.timed_out()
                raise JudgeError("the student's kernel closed the grader's connection "
                                 "during the call")
            return True
        return want == "end" and self._serving is None

    async def _check_alive(self, kc) -> None:
        from jupyter_core.utils import ensure_async

        if not await ensure_async(kc.is_alive()):
            self._serving = None
            self.transport.drop()
            raise KernelStopped("the kernel died during a hidden test")

    async def _event(self, sock, want: str, nonce: str, channels: dict, poller):
        """Handle one socket that has something to read: ``(True, value)`` when it is what
        :meth:`_pump` waits for, else ``(False, None)``."""
        transport = self.transport
        if want == "hello" and transport.owns(sock, transport.listener):
            return transport.accept(nonce), None
        if transport.owns(sock, transport.link):
            try:
                payload, blobs = transport.read(self.limits.limit, self.calls.answer)
            except OSError:  # closed: kernel_serve ended or the kernel died
                poller.unregister(transport.link)
                transport.drop()
                return False, None
            if want == "reply" and payload.get("nonce") == nonce:
                if self.limits.interrupted:
                    raise self.limits.timed_out()
                return True, (payload, blobs)
            return False, None  # a late reply, or one nobody asked for
        if sock in channels:
            self._on_kernel_message(await channels[sock].get_msg(timeout=0), kc=self.client.kc)
        return False, None

    def _on_kernel_message(self, msg: dict, kc) -> None:
        """A Jupyter message from the kernel: kernel_serve's reply and idle status, and the
        student's own ``input()`` (there is no keyboard: it gets an empty line)."""
        if self._serving is None or msg.get("parent_header", {}).get("msg_id") != self._serving:
            return  # a late message of an earlier cell
        kind = msg.get("msg_type")
        content = msg.get("content", {})
        if kind == "execute_reply":
            self._reply = msg
        elif kind == "status" and content.get("execution_state") == "idle":
            self._idle = True
        elif kind == "input_request":
            self.input_calls += 1
            kc.input("")
