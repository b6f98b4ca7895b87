"""Misconceptions named: which typical mistake of ``mistakes.py`` a failing answer behaves like.

Every assignment lists its typical mistakes in ``source/<a>/mistakes.py``, each an edit of
the reference solution with a ``why`` (what the student misunderstood). When an exercise
fails, the grader names the mistake the submission behaves like, or says it recognises none.

How. While the hidden tests of exercise ``f`` run, the judge
(:class:`course.grader.judge.session.Calls`) shows :class:`Watch` every call of the student's
``f``: the arguments as they went in, what came back (a value, or the name of the exception)
and the arguments as the call left them (in-place changes), plus the stand-ins the test had
swapped in and numpy's error state. The arguments are copied as the kernel receives them (one
cloudpickle round trip), so a loss that reads ``W`` through a closure still reads the ``W``
passed beside it. It also keeps where the student's ``f`` was defined (the notebook, or a
module it was imported from: the course's own helper under the exercise's name).
It keeps the first and the last :data:`KEPT_CALLS` calls
of each exercise (arguments and result of at most :data:`MAX_CALL_BYTES` of arrays each, so
that the grader's memory stays bounded whatever the student returns; a call that takes
one of the student's functions as argument is not kept: it could only be replayed in the
student's kernel). It also keeps the value the hidden test read for an exercise that is a
value (``hinge_at_init_10_classes = 9.0``) and how the student's solution cell itself ran
(a ``SyntaxError`` is behaviour too).

When the notebook is graded, :class:`Catalogue` replays these observations, in the grader's
process, on the reference and on each mistake of ``f``: its solution cell (the reference's,
or the reference with the mistake's edit made, as :func:`~course.grader.submissions.
apply_mistake` makes it), run after the reference's other solution cells in a namespace of
the modules the judge trusts, with the test's stand-ins put in. Only instructor code runs
there, on the grader's own copies of the test's arguments; the student's code never does.

A mistake **matches** when, on every observation, it does what the student's code did
(:func:`same_outcome`: arrays of the same shape and kind of number and ``allclose``, numbers
of the same kind and close, the same type of exception, the same categories of warnings (an
overflow that still gives the right limit is a mistake too), everything else equal), and on at
least one observation it does something else than the reference (else the observations do
not tell it from a correct answer). Numbers are compared with a tolerance; only when that
names nothing are they compared bit for bit, which names a mistake that differs from the
reference by rounding alone (the same code on the same numpy gives the same bits).
A mistake that draws from numpy's global random state
instead of the ``rng`` it is given cannot be replayed number for number (the student's
kernel has its own global state): code that may draw is replayed under two seeds, and what
changes between them is compared by shape and kind only (:class:`Loose`); such a loose match
is named only when no mistake matches value for value. The verdict of a failing exercise is
then

* ``recognised``: one or more mistakes match (several when the observations cannot tell
  them apart); the feedback names them, from their ``why``;
* ``unrecognised``: none matches (the student made another mistake, or two at once, or
  behaves as the reference on everything the grader saw: the failure lies elsewhere);
* ``not attempted``: the solution cell is the release's, unchanged.

Why at grading time, not at report time: the observations hold the hidden tests' own
arguments (functions, random generators, stand-ins) that JSON cannot keep, and the feedback
page is written from the autograded notebook. The verdicts are stored in the notebook's
``course_grading`` record (key ``misconceptions``, see :mod:`course.grader.cells`), so the
report and the feedback only read them. Passing exercises cost one copy of the arguments per
call of the function under test; failing ones a replay per mistake, under
:data:`BUDGET_SECONDS` per notebook.
"""

from __future__ import annotations

import collections
import contextlib
import io
import numbers
import pickle
import time
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course.grader.cells import nbgrader_meta, strip_solution
from course.grader.judge.session import RemoteFunction, judge_namespace

__all__ = ["BUDGET_SECONDS", "KEPT_CALLS", "NOT_ATTEMPTED", "RECOGNISED", "UNRECOGNISED",
           "Catalogue", "Outcome", "Verdict", "Watch", "feedback_sentence", "same",
           "same_outcome"]

KEPT_CALLS = 8  # the first and the last calls of each exercise kept (so 16 at most)
MAX_CALL_BYTES = 2_000_000  # bytes of arrays in a call's arguments or result, else not kept
BUDGET_SECONDS = 20.0  # replays per notebook; past it, the remaining exercises are unrecognised
RTOL, ATOL = 1e-6, 1e-9  # "the same number" in a replay

RECOGNISED, UNRECOGNISED, NOT_ATTEMPTED = "recognised", "unrecognised", "not attempted"
CPU_LOG = "misconceptions named in"  # the log line that gives their cost


# -- what happened -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one observation gave: ``kind`` ``"ok"`` with ``value``, or ``"error"`` with the
    exception type's name as ``value``; ``after`` the arguments as the call left them."""

    kind: str
    value: object = None
    after: object = None
    warned: frozenset = frozenset()  # the categories of the warnings it raised


@dataclass
class Probe:
    """One call of the student's function, as the hidden test made it."""

    name: str
    args: tuple
    kwargs: dict
    swaps: dict  # the stand-ins swapped in for the call
    errstate: dict
    student: Outcome | None = None


def _kind(value) -> str:
    kind = np.asarray(value).dtype.kind
    return "i" if kind == "u" else kind


def _close(a, b, exact: bool) -> bool:
    try:
        if exact:
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))
    except (TypeError, ValueError):
        return bool(np.array_equal(a, b))


def _same_array(a, b, exact: bool) -> bool:
    return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
            and _kind(a) == _kind(b) and _close(a, b, exact))


def _same_number(a, b, exact: bool) -> bool:
    return (isinstance(a, numbers.Number) and isinstance(b, numbers.Number)
            and _kind(a) == _kind(b) and _close(a, b, exact))


def _same_items(a, b, exact: bool) -> bool:
    if isinstance(a, dict):
        return (isinstance(b, dict) and set(a) == set(b)
                and all(same(a[k], b[k], exact) for k in a))
    return (type(a) is type(b) and len(a) == len(b)
            and all(same(x, y, exact) for x, y in zip(a, b)))


class Loose:
    """A part of a replay that changed with the seed of numpy's global random state (a
    mistake that draws from ``np.random`` instead of the ``rng`` it is given): the student's
    kernel drew other numbers, so only its shape and kind are compared."""

    def __init__(self, example):
        self.example = example


def _like(a, b) -> bool:
    """The same structure: types, lengths, keys, arrays' shapes and kinds; not values."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and _kind(a) == _kind(b))
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return _kind(a) == _kind(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(_like(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_like, a, b))
    return type(a) is type(b)


def _template(a, b):
    """Two replays under different global seeds as one: their common parts as they are,
    the parts that differ as :class:`Loose`."""
    if same(a, b):
        return a
    if isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b):
        return {k: _template(a[k], b[k]) for k in a}
    if type(a) in (list, tuple) and type(a) is type(b) and len(a) == len(b):
        return type(a)(_template(x, y) for x, y in zip(a, b))
    return Loose(a)


def _has_loose(value, depth: int = 0) -> bool:
    if isinstance(value, Loose):
        return True
    if depth > 20:
        return False
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_has_loose(v, depth + 1) for v in value)


def same(a, b, exact: bool = False) -> bool:
    """Do two results mean the same: arrays of one shape and kind of number (booleans,
    integers, floats) that are ``allclose`` (with ``exact``, equal bit for bit), numbers of
    one kind and close (or equal), containers of the same type with the same items,
    generators in the same state, functions with the same code, else ``==`` (a
    :class:`Loose` part: the same structure only)."""
    if isinstance(a, Loose) or isinstance(b, Loose):
        return _like(a.example if isinstance(a, Loose) else a,
                     b.example if isinstance(b, Loose) else b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _same_array(a, b, exact)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return isinstance(a, (bool, np.bool_)) and isinstance(b, (bool, np.bool_)) \
            and bool(a) == bool(b)
    if isinstance(a, numbers.Number) or isinstance(b, numbers.Number):
        return _same_number(a, b, exact)
    if isinstance(a, (list, tuple, dict)):
        return _same_items(a, b, exact)
    if isinstance(a, np.random.Generator):
        return isinstance(b, np.random.Generator) and same(_state(a), _state(b))
    if isinstance(a, types.FunctionType):  # a test's function, copied with its arguments
        return isinstance(b, types.FunctionType) and a.__code__ == b.__code__
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - an == that raises or is ambiguous: not the same
        return False


def _state(rng: np.random.Generator):
    return rng.bit_generator.state


def same_outcome(a: Outcome, b: Outcome, exact: bool = False) -> bool:
    """The same kind of ending, the same value (or exception type), the same arguments
    (with ``exact``, numbers equal bit for bit)."""
    if a.kind != b.kind:
        return False
    if a.kind == "error" and a.value != b.value or a.warned != b.warned:
        return False
    return ((a.kind == "error" or same(a.value, b.value, exact))
            and same(a.after, b.after, exact))


# warnings that say something of the libraries, not of the code: not behaviour
_NOISE = frozenset({"DeprecationWarning", "PendingDeprecationWarning", "FutureWarning"})


def warned(categories) -> frozenset:
    """The categories of warnings a call raised, as compared (libraries' notices left out)."""
    return frozenset(str(c) for c in categories) - _NOISE


# -- what the judge saw --------------------------------------------------------------------


def _copyable_bytes(value, depth: int = 0) -> int | None:
    """Bytes of arrays in ``value``, or None if the grader should not copy it (one of the
    student's functions, an array of objects, nesting past reason)."""
    if depth > 20 or isinstance(value, RemoteFunction):
        return None
    if isinstance(value, np.ndarray):
        return None if value.dtype.hasobject else value.nbytes
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple)):
        total = 0
        for item in value:
            size = _copyable_bytes(item, depth + 1)
            if size is None:
                return None
            total += size
        return total
    return 0


def _snapshot(value):
    """A copy of trusted data (the hidden test's arguments) as the student's kernel receives
    it, or None if it cannot be copied.

    The judge sends a call's arguments in one cloudpickle, so a function among them keeps
    reading the very arrays sent beside it: ``numerical_gradient(loss, W)`` whose ``loss``
    reads ``W`` through a closure sees the entries the student's code nudges. One round trip
    through cloudpickle keeps that sharing (``copy.deepcopy`` copies the arrays but leaves a
    function as it is, still reading the test's own ``W``)."""
    import cloudpickle

    try:
        return pickle.loads(cloudpickle.dumps(value))  # noqa: S301 - the grader's own bytes
    except Exception:  # noqa: BLE001 - an argument cloudpickle cannot copy: not kept
        return None


class Watch:
    """What the judge saw of the exercise under test, for one notebook.

    The grader sets :attr:`exercise` while that exercise's hidden tests run;
    :class:`~course.grader.judge.session.Calls` then reports the calls of that function
    (:meth:`before`, :meth:`after`) and the values it reads (:meth:`value`)."""

    def __init__(self):
        self.exercise: str | None = None
        self.first: dict[str, list[Probe]] = collections.defaultdict(list)
        self.last: dict[str, collections.deque] = collections.defaultdict(
            lambda: collections.deque(maxlen=KEPT_CALLS))
        self.values: dict[str, object] = {}
        self.identities: dict[str, str] = {}  # where the exercise's function comes from
        self.cells: dict[str, Outcome] = {}  # how each solution cell ran in the kernel
        self.calls = collections.Counter()  # calls seen per exercise, kept or not
        self.cpu = 0.0  # CPU seconds spent keeping calls (process time)

    def before(self, name: str, args, kwargs, swaps: dict) -> Probe | None:
        """A call is about to be made: a :class:`Probe` holding copies of its arguments, or
        None when it is not one to keep."""
        if name != self.exercise:
            return None
        started = time.process_time()
        self.calls[name] += 1
        size = _copyable_bytes([args, kwargs])
        copied = None if size is None or size > MAX_CALL_BYTES else _snapshot(
            (tuple(args), dict(kwargs)))
        self.cpu += time.process_time() - started
        if copied is None:
            return None
        return Probe(name, copied[0], copied[1], dict(swaps), dict(np.geterr()))

    def after(self, probe: Probe | None, kind: str, value, args, kwargs,
              warnings_raised=()) -> None:
        """The call ended (``kind`` ``"ok"`` with its result, or ``"error"`` with the
        exception type's name); ``args``/``kwargs`` are the test's, written back;
        ``warnings_raised`` the categories of the warnings it raised (an overflow is
        behaviour too)."""
        if probe is None:
            return
        started = time.process_time()
        size = _copyable_bytes(value)  # the student's result: at most as big as the arguments
        after = _snapshot((tuple(args), dict(kwargs)))
        self.cpu += time.process_time() - started
        if size is None or size > MAX_CALL_BYTES or after is None:
            return
        probe.student = Outcome(kind, value, after, warned(warnings_raised))
        kept = self.first[probe.name]
        if len(kept) < KEPT_CALLS:
            kept.append(probe)
        else:
            self.last[probe.name].append(probe)

    def value(self, name: str, value) -> None:
        """The hidden test of the exercise read the student's ``name``, a value."""
        if name == self.exercise:
            self.values[name] = _snapshot(value)

    def function(self, name: str, info: dict) -> None:
        """The hidden test of the exercise read the student's function ``name``; ``info`` is
        the kernel's description of it. Where it was defined is behaviour too: the course's
        own helper handed in under the exercise's name computes the right numbers."""
        if name == self.exercise:
            self.identities[name] = identity(info.get("module"), info.get("name"))

    def cell(self, function: str, error: str | None) -> None:
        """How the student's solution cell of ``function`` ran: ``error`` is the name of the
        exception it raised, or None."""
        self.cells[function] = Outcome("error", error) if error else Outcome("ok")

    def probes(self, function: str) -> list[Probe]:
        return [*self.first.get(function, []), *self.last.get(function, [])]


OWN = "defined in the notebook"


def identity(module, name) -> str:
    """Where a function comes from: :data:`OWN`, or the module and name it was imported from
    (``module`` is ``"__main__"`` for a function the notebook defines)."""
    return OWN if module == "__main__" else f"{module}.{name}"


def _identity_in(ns: dict, name: str) -> str:
    """:func:`identity` of ``ns[name]``, a candidate run in a replay namespace (whose own
    functions have that namespace's ``__name__`` as their module)."""
    module = getattr(ns[name], "__module__", None)
    return identity("__main__" if module == ns.get("__name__") else module,
                    getattr(ns[name], "__name__", type(ns[name]).__name__))


# -- the instructor's side -----------------------------------------------------------------


@dataclass
class Verdict:
    """A failing exercise's misconception: ``status`` (:data:`RECOGNISED`,
    :data:`UNRECOGNISED`, :data:`NOT_ATTEMPTED`), the mistakes' names that match, and how
    many calls of the function the judge saw (``calls``) and replayed (``replayed``)."""

    function: str
    status: str
    mistakes: list[str] = field(default_factory=list)
    calls: int = 0
    replayed: int = 0

    def record(self) -> dict:
        return {"status": self.status, "mistakes": list(self.mistakes), "calls": self.calls,
                "replayed": self.replayed}


class Catalogue:
    """An assignment's reference solution cells and typical mistakes, replayed on what the
    judge saw (see the module's docstring)."""

    def __init__(self, cells: dict[str, str], mistakes: list):
        self.cells = cells  # solution grade_id -> the reference's code, markers removed
        self.mistakes: dict[str, list] = collections.defaultdict(list)
        for mistake in mistakes:
            self.mistakes[mistake.function].append(mistake)
        self._code: dict[object, object] = {}

    @classmethod
    def from_source(cls, source_nb, mistakes: list) -> Catalogue:
        cells = {nbgrader_meta(c)["grade_id"]: strip_solution(c.source) for c in source_nb.cells
                 if c.cell_type == "code" and nbgrader_meta(c).get("solution")}
        return cls(cells, mistakes)

    def why(self, name: str) -> str:
        return next((m.why for ms in self.mistakes.values() for m in ms if m.name == name), "")

    # -- building a candidate's namespace --------------------------------------------------

    def _compiled(self, grade_id: str, mistake=None):
        """The code of a solution cell (with ``mistake``'s edit made), or the SyntaxError
        compiling it raised (an edit may leave the cell broken on purpose)."""
        key = (grade_id, mistake.name if mistake is not None else None)
        if key not in self._code:
            source = self.cells[grade_id]
            if mistake is not None:
                if source.count(mistake.old) != 1:
                    raise ValueError(f"mistake {mistake.name!r}: {mistake.old!r} does not occur "
                                     f"once in the solution of {grade_id}")
                source = source.replace(mistake.old, mistake.new)
            try:
                self._code[key] = compile(source, f"<{grade_id} {key[1] or 'reference'}>",
                                          "exec")
            except SyntaxError as exc:
                self._code[key] = exc
        return self._code[key]

    def namespace(self, function: str, mistake, swaps: dict) -> tuple[dict, Outcome]:
        """Every solution cell run in a trusted namespace, ``function``'s with ``mistake``'s
        edit (the reference's if None), the test's stand-ins put in; and how that cell ran.

        A reference cell other than ``function``'s that fails here is the grader's problem:
        it raises (the catalogue cannot replay this assignment)."""
        ns = judge_namespace({})
        cell = Outcome("ok")
        for grade_id in self.cells:
            own = grade_id == function
            code = self._compiled(grade_id, mistake if own else None)
            try:
                if isinstance(code, SyntaxError):
                    raise code
                with _quiet():
                    exec(code, ns)  # noqa: S102 - instructor code: the reference and its edits
            except Exception as exc:  # noqa: BLE001 - an edit that breaks its cell is behaviour
                if not own:
                    raise
                cell = Outcome("error", type(exc).__name__)
        ns.update(swaps)
        return ns, cell

    # -- replaying -------------------------------------------------------------------------

    def replay(self, function: str, mistake, probe: Probe) -> Outcome:
        """The candidate's outcome on one call the student's function received.

        Code that may use numpy's global random state runs twice, under two seeds (the
        grader's global state is put back after): what changes between the two is
        :class:`Loose` (the student's kernel had its own global state)."""
        if not self._may_draw(function, mistake, probe):
            return self._replay_once(function, mistake, probe)
        saved = np.random.get_state()
        try:
            np.random.seed(20211)
            first = self._replay_once(function, mistake, probe)
            np.random.seed(20212)
            second = self._replay_once(function, mistake, probe)
        finally:
            np.random.set_state(saved)
        if first.kind != second.kind or (first.kind == "error" and first.value != second.value):
            return first
        return Outcome(first.kind, first.value if first.kind == "error"
                       else _template(first.value, second.value),
                       _template(first.after, second.after), first.warned)

    def _may_draw(self, function: str, mistake, probe: Probe) -> bool:
        """Might the replay draw from ``np.random``? (any code it runs names ``random``)"""
        texts = [*self.cells.values(), mistake.new if mistake is not None else ""]
        return bool(probe.swaps) or any("random" in text for text in texts)

    def _replay_once(self, function: str, mistake, probe: Probe) -> Outcome:
        ns, cell = self.namespace(function, mistake, probe.swaps)
        fn = ns.get(probe.name)
        if not callable(fn):
            return Outcome("error", "NameError" if cell.kind == "ok" else cell.value)
        args, kwargs = _snapshot((probe.args, probe.kwargs))
        with _quiet() as caught, np.errstate(**probe.errstate):
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the mistake's own failure is its outcome
                return Outcome("error", type(exc).__name__, (args, kwargs),
                               warned(w.category.__name__ for w in caught))
        return Outcome("ok", result, (args, kwargs), warned(w.category.__name__ for w in caught))

    def _observations(self, function: str, watch: Watch) -> list[tuple[object, Outcome]]:
        """``(what to replay, what the student's code did)``: the cell, the value, the calls."""
        found: list[tuple[object, Outcome]] = []
        if function in watch.cells:
            found.append(("cell", watch.cells[function]))
        if function in watch.values:
            found.append(("value", Outcome("ok", watch.values[function])))
        if function in watch.identities:
            found.append(("identity", Outcome("ok", watch.identities[function])))
        found += [(p, p.student) for p in watch.probes(function) if p.student is not None]
        return found

    def _outcome(self, function: str, mistake, observation) -> Outcome:
        if isinstance(observation, Probe):
            return self.replay(function, mistake, observation)
        ns, cell = self.namespace(function, mistake, {})
        if observation == "cell" or cell.kind == "error":
            return cell
        if function not in ns:
            return Outcome("error", "NameError")
        if observation == "identity":
            return Outcome("ok", _identity_in(ns, function))
        return Outcome("ok", ns[function])

    def recognise(self, function: str, watch: Watch, deadline: float) -> Verdict:
        """The verdict on a failing ``function`` from what ``watch`` saw (replays stop at
        ``deadline``, a ``time.monotonic()``: then it is unrecognised).

        Numbers are compared with a tolerance first. Only if that names nothing are they
        compared bit for bit: a mistake that differs from the reference by rounding alone
        (an unsymmetrised Hessian, an entry restored by adding ``h`` back) is then named if
        the student's numbers are exactly the mistake's, which the same code on the same
        numpy gives, and not exactly the reference's."""
        seen = self._observations(function, watch)
        verdict = Verdict(function, UNRECOGNISED, calls=watch.calls[function],
                          replayed=sum(isinstance(o, Probe) for o, _ in seen))
        if function not in self.cells or not seen:
            return verdict
        reference = [self._outcome(function, None, o) for o, _ in seen]
        outcomes: dict[tuple, Outcome] = {}  # (mistake, observation) -> replayed, both tiers
        for exact in (False, True):
            if all(same_outcome(s, r, exact) for (_, s), r in zip(seen, reference)):
                continue  # the reference does the same on everything the grader saw
            matches = {}
            for mistake in self.mistakes.get(function, []):
                if time.monotonic() > deadline:
                    return Verdict(function, UNRECOGNISED, calls=verdict.calls,
                                   replayed=verdict.replayed)
                matches[mistake.name] = self._matches(function, mistake, seen, reference,
                                                      exact, outcomes)
            best = max(matches.values(), default=0)
            verdict.mistakes = [name for name, level in matches.items() if level and level == best]
            if verdict.mistakes:
                verdict.status = RECOGNISED
                break
        return verdict

    def _matches(self, function, mistake, seen, reference, exact: bool, outcomes: dict) -> int:
        """0: ``mistake`` does not match; 1: it matches where only the structure of what it
        drew from ``np.random`` could be compared; 2: it matches value for value (preferred:
        a loose match is named only when no exact one is found). ``outcomes`` keeps the
        replays, so that the bit-for-bit tier replays nothing twice."""
        differs, loose = False, False
        for index, ((observation, student), ref) in enumerate(zip(seen, reference)):
            key = (mistake.name, index)
            if key not in outcomes:
                outcomes[key] = self._outcome(function, mistake, observation)
            outcome = outcomes[key]
            if not same_outcome(outcome, student, exact):
                return 0
            differs = differs or not same_outcome(outcome, ref, exact)
            loose = loose or _has_loose([outcome.value, outcome.after])
        return 0 if not differs else 1 if loose else 2


@contextlib.contextmanager
def _quiet():
    """Replays print nothing and warn nothing into the grader's log; the warnings they
    raise are kept (the list yielded), as the student's kernel keeps a call's."""
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("always")
        yield caught


_CATALOGUES: dict[tuple, Catalogue] = {}


def catalogue_for(source_dir: Path, assignment: str, notebook: str) -> Catalogue | None:
    """The catalogue of ``source_dir/<assignment>/`` (its ``notebook``.ipynb and
    mistakes.py), read once per version of the two files; None without a mistakes.py."""
    from course.grader.submissions import load_mistakes, read

    folder = Path(source_dir) / assignment
    files = (folder / f"{notebook}.ipynb", folder / "mistakes.py")
    if not all(f.is_file() for f in files):
        return None
    key = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    if key not in _CATALOGUES:
        _CATALOGUES[key] = Catalogue.from_source(read(files[0]), load_mistakes(folder)[0])
    return _CATALOGUES[key]


def feedback_sentence(function: str, whys: list[str]) -> str:
    """What the student reads: ``your `f` behaves like one that <why>``."""
    alternatives = ", or like one that ".join(w.rstrip(". ") for w in whys)
    return (f"The grader recognises a typical mistake: your `{function}` behaves like one "
            f"that {alternatives}.")


# -- during grading ------------------------------------------------------------------------


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _error_name(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return str(out.get("ename") or "Exception")
    return None


class Recogniser:
    """The grader's Execute's helper for one notebook: it watches the judge while each
    exercise's hidden tests run, then names the misconception of each failing exercise
    (:meth:`finish`). ``released`` maps solution cells to the release's source (an answer
    left as released is not attempted)."""

    def __init__(self, catalogue: Catalogue, released: dict[str, str], log=None):
        self.catalogue = catalogue
        self.released = released
        self.log = log
        self.watch = Watch()
        self.untouched: set[str] = set()

    def solution_ran(self, cell) -> None:
        """A solution cell ran in the kernel: was it answered, and did it raise?"""
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id not in self.catalogue.cells:
            return
        if grade_id in self.released and _normal(cell.source) == _normal(
                self.released[grade_id]):
            self.untouched.add(grade_id)
        self.watch.cell(grade_id, _error_name(cell))

    @contextlib.contextmanager
    def judging(self, calls, grade_id: str):
        """While the hidden test ``grade_id`` runs, ``calls`` shows the watch its exercise's
        calls."""
        from course.grader.cells import exercise_of

        self.watch.exercise = exercise_of(grade_id, self.catalogue.cells)
        calls.watch = self.watch
        try:
            yield
        finally:
            calls.watch = None
            self.watch.exercise = None

    def failing(self, nb) -> dict[str, list]:
        """Each failing exercise -> its test cells with an error, in notebook order."""
        from course.grader.cells import exercise_of, is_test_cell

        out: dict[str, list] = {}
        for cell in nb.cells:
            if is_test_cell(cell) and _error_name(cell):
                function = exercise_of(nbgrader_meta(cell).get("grade_id", ""),
                                       self.catalogue.cells)
                if function is not None:
                    out.setdefault(function, []).append(cell)
        return out

    def verdict(self, function: str, deadline: float) -> Verdict:
        if function in self.untouched:
            return Verdict(function, NOT_ATTEMPTED, calls=self.watch.calls[function])
        try:
            return self.catalogue.recognise(function, self.watch, deadline)
        except Exception as exc:  # noqa: BLE001 - the grader's own problem: no name, no grade
            if self.log is not None:
                self.log.warning("misconceptions of %s not replayed: %s: %s", function,
                                 type(exc).__name__, exc)
            return Verdict(function, UNRECOGNISED, calls=self.watch.calls[function])

    def finish(self, nb) -> dict[str, Verdict]:
        """Name each failing exercise's misconception: the verdicts go to the notebook's
        record (``misconceptions``), and a recognised mistake's sentence to the output of
        the exercise's first failing test cell, which the feedback page shows."""
        from nbformat import NotebookNode

        from course.grader.cells import MISCONCEPTIONS, notebook_record

        started = time.process_time()
        deadline = time.monotonic() + BUDGET_SECONDS
        verdicts = {f: self.verdict(f, deadline) for f in self.failing(nb)}
        for function, cells in self.failing(nb).items():
            verdict = verdicts[function]
            if verdict.status == RECOGNISED:
                whys = [self.catalogue.why(m) or m for m in verdict.mistakes]
                cells[0].outputs.append(NotebookNode(
                    output_type="stream", name="stdout",
                    text="\n" + feedback_sentence(function, whys) + "\n"))
        if verdicts:
            notebook_record(nb)[MISCONCEPTIONS] = {f: v.record() for f, v in verdicts.items()}
        if self.log is not None:  # read by `python -m course.grader bench misconceptions`
            self.log.info("%s %.4f s of CPU (keeping calls %.4f s), %d failing exercises",
                          CPU_LOG, time.process_time() - started + self.watch.cpu,
                          self.watch.cpu, len(verdicts))
        return verdicts
