"""Similar solutions: pairs of submissions whose answer to one exercise is suspiciously alike.

``python -m course.grader similarity ASSIGNMENT`` and a section of the class report. The
comparison is made one exercise at a time, on what the student wrote: the graded function's
solution cell, minus every statement of the release's cell (the signature's docstring, the
``raise NotImplementedError()`` stub, any code given). Student code is only parsed
(:mod:`ast`), never run.

**Normal form.** Each region is parsed and normalised so that cosmetic edits do not hide a
copy: every name the cell binds (parameters, assigned variables, loop variables, inner
functions) becomes ``_``, every number ``0`` and every string ``''``; comments, blank lines and
formatting vanish with the parse. Names the cell does not bind (``np``, ``float``, a helper
of another cell) and attribute names (``.mean``, ``linalg.lstsq``) are kept: they are what
the solution does.

**Fragments.** A region is the *set* of its fragments: each statement at any depth (a
compound statement by its header only, its body's statements being fragments of their own)
and each expression of at least :data:`MIN_EXPRESSION_NODES` nodes, all in normal form. A set
does not see order, so reordering independent lines changes nothing; an expression fragment
still matches when the statement around it was edited.

**What counts.** A fragment of the reference solution says nothing (every correct student may
write it), nor does one of the answers the course foresees (its typical mistakes and correct
variants in ``mistakes.py``: a common mistake made twice is no copy), nor one that more than
``max(MIN_COMMON, COMMON_SHARE * submissions)`` submissions share (the one-line
``return X @ W + b`` of a whole class). Of the others, two regions' similarity is the Jaccard
index of their fragment sets, and a pair is listed when it is at least the threshold *and*
they share at least :data:`MIN_SHARED` such fragments: two short answers do not make a copy.

**Scale.** An inverted index maps each counted fragment to the submissions holding it; only
pairs that share a fragment are ever compared, and a fragment is held by at most the common
limit of submissions, so the work grows with the class, not with its square.

A submission that cannot be read or whose cell does not parse is listed as such for that
exercise and compared on no other grounds: it never stops the check.
"""

from __future__ import annotations

import ast
import difflib
import html
import itertools
import json
import textwrap
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from course.grader.cells import exercises as cell_exercises
from course.grader.cells import strip_solution

__all__ = ["COMMON_SHARE", "DEFAULT_THRESHOLD", "MIN_COMMON", "MIN_EXPRESSION_NODES",
           "MIN_SHARED", "Pair", "Region", "SimilarityReport", "compare", "compare_course",
           "format_text", "fragments", "html_section", "known_answers", "normal_region",
           "side_by_side"]

DEFAULT_THRESHOLD = 0.6  # independent answers of the tests: at most 0.15; copies 0.8 to 1
MIN_SHARED = 3  # counted fragments two regions must share to be listed
MIN_EXPRESSION_NODES = 6  # smaller expressions are no fragment of their own
MIN_COMMON = 5  # a fragment held by more submissions than this ...
COMMON_SHARE = 0.1  # ... and than this share of them counts for nothing

_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


# ------------------------------------------------------------------------------------------
# normal form


class _BoundNames(ast.NodeVisitor):
    """The names a piece of code binds: parameters, assignment and loop targets, inner
    function and class names, imports, exception and ``with`` names."""

    def __init__(self):
        self.names: set[str] = set()

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.names.add(node.id)

    def visit_arg(self, node):
        self.names.add(node.arg)

    def visit_FunctionDef(self, node):
        self.names.add(node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_alias(self, node):
        self.names.add((node.asname or node.name).split(".")[0])

    def visit_ExceptHandler(self, node):
        if node.name:
            self.names.add(node.name)
        self.generic_visit(node)


class _Normalise(ast.NodeTransformer):
    """Bound names to ``_``, numbers to 0, strings and bytes to ``''``; the rest kept."""

    def __init__(self, bound: set[str]):
        self.bound = bound

    def visit_Name(self, node):
        return ast.Name(id="_" if node.id in self.bound else node.id, ctx=ast.Load())

    def visit_arg(self, node):
        return ast.arg(arg="_")

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, (bool, type(None), type(...))):
            return ast.Constant(value=value)
        if isinstance(value, (int, float, complex)):
            return ast.Constant(value=0)
        return ast.Constant(value="")

    def visit_JoinedStr(self, node):
        return ast.Constant(value="")

    def _named(self, node):
        self.generic_visit(node)
        node.name = "_"
        node.returns = None  # annotations are style
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _named

    def visit_ExceptHandler(self, node):
        self.generic_visit(node)
        node.name = "_" if node.name else None
        return node


def _dump(node) -> str:
    return ast.dump(node, annotate_fields=False, include_attributes=False)


def fragments(statements: list[ast.stmt], starts: dict[int, int] | None = None) -> set:
    """The fragments (see the module's docstring) of statements already in normal form, as
    hashes; ``starts``, if given, gets each statement's line number -> its fragment.

    Each node's hash is made of its type, its plain fields and its children's hashes, in one
    pass from the leaves up (a statement's nested statements are left out of its own hash):
    the work is linear in the size of the code."""
    out: set = set()
    starts = {} if starts is None else starts

    def visit(node) -> tuple[int, int]:  # (size, hash); fragments collected on the way up
        size, parts = 1, [type(node).__name__]
        statement = isinstance(node, ast.stmt)
        for name, value in ast.iter_fields(node):
            if statement and name in _BODY_FIELDS:
                for child in value:  # fragments of their own, not part of this header
                    visit(child)
                continue
            hashes = []
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, ast.AST):
                    child_size, child_hash = visit(item)
                    size += child_size
                    hashes.append(child_hash)
                else:
                    hashes.append(item)
            parts.append(tuple(hashes))
        digest = hash(tuple(parts))
        if statement:
            out.add(("s", digest))
            starts.setdefault(node.lineno, digest)
        elif isinstance(node, ast.expr) and size >= MIN_EXPRESSION_NODES:
            out.add(("e", digest))
        return size, digest

    for stmt in statements:
        visit(stmt)
    return out


def _given(release_source: str) -> set[str]:
    """The statements of the release's cell (exact, not normalised): what no student wrote."""
    try:
        tree = ast.parse(release_source)
    except SyntaxError:
        return set()
    return {_dump(node) for node in ast.walk(tree) if isinstance(node, ast.stmt)}


def _own_statements(tree: ast.Module, function: str, given: set[str]) -> list[ast.stmt]:
    """The statements the student wrote: the body of ``function`` (its docstring dropped)
    and the cell's other top-level statements, less those the release already held."""
    kinds = {dump.split("(", 1)[0] for dump in given}  # dump only what might be given

    def written(stmt) -> bool:
        return type(stmt).__name__ not in kinds or _dump(stmt) not in given

    out: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == function:
            body = stmt.body
            if body and isinstance(body[0], ast.Expr) and isinstance(
                    getattr(body[0], "value", None), ast.Constant) and isinstance(
                    body[0].value.value, str):
                body = body[1:]
            out.extend(s for s in body if written(s))
        elif written(stmt):
            out.append(stmt)
    return out


@dataclass
class Region:
    """What one student wrote for one exercise: its text, its fragments, its size."""

    student: str
    text: str  # the statements the student wrote, dedented, as written
    fragments: set
    keys: list  # per line of ``text``: its normal form's hash (or text), for the diff


def normal_region(student: str, source: str, function: str, given: set[str]) -> Region:
    """Parse a solution cell and normalise what the student wrote of ``function``.

    Raises :class:`SyntaxError` (or :class:`ValueError` for a null byte) for a cell that
    does not parse."""
    source = strip_solution(source)
    tree = ast.parse(source)
    own = _own_statements(tree, function, given)
    lines = source.splitlines()
    spans = sorted({(s.lineno, s.end_lineno or s.lineno) for s in own})
    text_lines: list[str] = []
    line_numbers: list[int] = []
    for start, end in spans:
        text_lines.extend(lines[start - 1:end])
        line_numbers.extend(range(start, end + 1))
    bound = _BoundNames()
    bound.visit(tree)
    normalise = _Normalise(bound.names)  # in place: the spans above are all that was needed
    normal = [normalise.visit(s) for s in own]
    starts: dict[int, int] = {}  # statements keep their line numbers through normalisation
    found = fragments(normal, starts)
    keys = [starts.get(n, text.strip()) for n, text in zip(line_numbers, text_lines,
                                                           strict=True)]
    text = textwrap.dedent("\n".join(text_lines))
    return Region(student, text, found, keys)


# ------------------------------------------------------------------------------------------
# comparison


@dataclass
class Pair:
    """Two submissions whose answers to one exercise are alike."""

    exercise: str
    a: Region
    b: Region
    similarity: float  # Jaccard index of their counted fragments
    shared: int  # counted fragments both hold


@dataclass
class SimilarityReport:
    """The similar pairs of one assignment, exercise by exercise."""

    assignment: str
    threshold: float
    submissions: int
    exercises: list[str]
    pairs: list[Pair] = field(default_factory=list)  # most similar first
    unparsed: dict[str, list[str]] = field(default_factory=dict)  # exercise -> students
    unreadable: dict[str, str] = field(default_factory=dict)  # student -> why
    candidates: int = 0  # pairs the index proposed
    seconds: float = 0.0

    def pairs_of(self, exercise: str) -> list[Pair]:
        return [p for p in self.pairs if p.exercise == exercise]


def _common_limit(count: int) -> int:
    return max(MIN_COMMON, int(COMMON_SHARE * count))


def _compare_exercise(exercise: str, regions: list[Region], reference: set,
                      threshold: float) -> tuple[list[Pair], int]:
    """The pairs of ``regions`` above ``threshold``, and how many candidate pairs there were."""
    index: dict[str, list[int]] = defaultdict(list)
    for i, region in enumerate(regions):
        for frag in region.fragments - reference:
            index[frag].append(i)
    limit = _common_limit(len(regions))
    counted = {frag for frag, holders in index.items() if len(holders) <= limit}
    sizes = [len(r.fragments & counted) for r in regions]
    shared: Counter[tuple[int, int]] = Counter()
    for frag in counted:
        shared.update(itertools.combinations(index[frag], 2))
    pairs = []
    for (i, j), both in shared.items():
        similarity = both / (sizes[i] + sizes[j] - both)
        if both >= MIN_SHARED and similarity >= threshold:
            pairs.append(Pair(exercise, regions[i], regions[j], similarity, both))
    return pairs, len(shared)


def compare(assignment: str, release_nb: dict, source_nb: dict,
            submitted: dict[str, dict | str], threshold: float = DEFAULT_THRESHOLD,
            known: dict[str, list[str]] | None = None) -> SimilarityReport:
    """Compare the ``submitted`` notebooks (``{student: notebook as JSON}``, or a string
    saying why one could not be read) of ``assignment`` exercise by exercise.

    ``release_nb`` and ``source_nb`` are the release's and the source's notebooks (as JSON
    or nbformat nodes): the release says what the student was given, the source's solution
    which fragments every correct student may write. ``known`` adds, per exercise, other
    solution cells the course itself foresees (its typical mistakes and variants, see
    :func:`known_answers`): a student who writes one of them is not copying a classmate."""
    started = time.perf_counter()
    names = list(cell_exercises(_as_node(source_nb)))
    release, source = _solution_cells(release_nb), _solution_cells(source_nb)
    report = SimilarityReport(assignment, threshold, len(submitted), names)
    cells = {}
    for student, nb in sorted(submitted.items()):
        if isinstance(nb, str):
            report.unreadable[student] = nb
        else:
            cells[student] = _solution_cells(nb)
    for exercise in names:
        given = _given(release.get(exercise, ""))
        foreseen: set = set()
        for text in [source.get(exercise, ""), *(known or {}).get(exercise, [])]:
            try:
                foreseen |= normal_region("", text, exercise, given).fragments
            except (SyntaxError, ValueError):
                continue  # a typical mistake may be a syntax error
        regions = []
        for student, their in cells.items():
            try:
                region = normal_region(student, their.get(exercise, ""), exercise, given)
            except (SyntaxError, ValueError, RecursionError):
                report.unparsed.setdefault(exercise, []).append(student)
                continue
            if region.fragments:
                regions.append(region)
        pairs, candidates = _compare_exercise(exercise, regions, foreseen, threshold)
        report.pairs.extend(pairs)
        report.candidates += candidates
    report.pairs.sort(key=lambda p: (-p.similarity, p.exercise, p.a.student, p.b.student))
    report.seconds = time.perf_counter() - started
    return report


def known_answers(source_dir: Path, source_nb) -> dict[str, list[str]]:
    """``{exercise: [solution cell, ...]}``: the source's solution cell with each typical
    mistake and each variant of the assignment's ``mistakes.py`` (in ``source_dir``) made."""
    from course.grader.submissions import load_mistakes, load_variants

    source = _solution_cells(source_nb)
    out: dict[str, list[str]] = defaultdict(list)
    for edit in load_mistakes(source_dir)[0] + load_variants(source_dir):
        cell = strip_solution(source.get(edit.function, ""))
        if cell.count(edit.old) == 1:
            out[edit.function].append(cell.replace(edit.old, edit.new))
    return dict(out)


def _as_node(nb):
    import nbformat

    return nb if isinstance(nb, nbformat.NotebookNode) else nbformat.from_dict(nb)


def _solution_cells(nb) -> dict[str, str]:
    """``{grade_id: source}`` of a notebook's code solution cells (JSON or nbformat), with
    a list-of-lines source joined; anything malformed is skipped."""
    out: dict[str, str] = {}
    cells = nb.get("cells") if isinstance(nb, dict) else None
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata")
        meta = meta.get("nbgrader") if isinstance(meta, dict) else None
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if isinstance(meta, dict) and meta.get("solution") and isinstance(source, str):
            out.setdefault(str(meta.get("grade_id")), source)
    return out


def _read_json(path: Path) -> dict | str:
    try:
        with open(path, encoding="utf-8") as fh:
            nb = json.load(fh)
    except (OSError, ValueError) as exc:
        return f"cannot read {path.name}: {exc}"
    return nb if isinstance(nb, dict) else f"{path.name} is no notebook"


def compare_course(root: Path, assignment: str, threshold: float = DEFAULT_THRESHOLD,
                   students: list[str] | None = None) -> SimilarityReport:
    """Compare the submissions of ``assignment`` in ``root/submitted/`` (only ``students``
    if given), with the release and source notebooks of the course."""
    root = Path(root)
    name = f"{assignment}/{assignment}.ipynb"
    for kind in ("source", "release"):
        if not (root / kind / name).is_file():
            raise FileNotFoundError(f"no {kind} notebook {root / kind / name}")
    submitted: dict[str, dict | str] = {}
    folder = root / "submitted"
    for student_dir in sorted(folder.iterdir()) if folder.is_dir() else []:
        if students is not None and student_dir.name not in students:
            continue
        if (student_dir / assignment).is_dir():
            submitted[student_dir.name] = _read_json(student_dir / name)
    release = _read_json(root / "release" / name)
    source = _read_json(root / "source" / name)
    for kind, nb in (("release", release), ("source", source)):
        if isinstance(nb, str):
            raise ValueError(f"the {kind} notebook: {nb}")
    return compare(assignment, release, source, submitted, threshold,
                   known_answers(root / "source" / assignment, source))


# ------------------------------------------------------------------------------------------
# the diff, as text and as HTML


def side_by_side(pair: Pair) -> list[tuple[str, str, str]]:
    """Rows ``(left line, mark, right line)`` of the two regions, aligned on their normal
    forms: ``=`` the same after normalisation, ``~`` changed, ``<`` / ``>`` on one side only,
    ``^`` on one side here and the same line moved elsewhere on the other side."""
    left, right = pair.a.text.splitlines(), pair.b.text.splitlines()
    matcher = difflib.SequenceMatcher(None, pair.a.keys, pair.b.keys, autojunk=False)
    rows: list[tuple[int | None, str, int | None]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [(i, "=", j) for i, j in zip(range(i1, i2), range(j1, j2))]
            continue
        for i, j in itertools.zip_longest(range(i1, i2), range(j1, j2)):
            rows.append((i, "~" if i is not None and j is not None else "<" if j is None
                         else ">", j))
    only_left = {pair.a.keys[i] for i, mark, _ in rows if mark == "<"}
    only_right = {pair.b.keys[j] for _, mark, j in rows if mark == ">"}
    out = []
    for i, mark, j in rows:
        if (mark == "<" and pair.a.keys[i] in only_right) or (
                mark == ">" and pair.b.keys[j] in only_left):
            mark = "^"
        out.append((left[i] if i is not None else "", mark, right[j] if j is not None else ""))
    return out


def format_text(report: SimilarityReport, width: int = 60) -> str:
    """The report as text for a terminal: each pair with its side-by-side diff."""
    lines = [f"similar solutions in {report.assignment}: {len(report.pairs)} pair"
             f"{'s' * (len(report.pairs) != 1)} at or above {report.threshold:g} among "
             f"{report.submissions} submissions ({report.candidates} candidate pairs "
             f"compared, {report.seconds:.2f} s)"]
    for pair in report.pairs:
        lines += ["", f"{pair.exercise}: {pair.a.student} and {pair.b.student}: similarity "
                      f"{pair.similarity:.2f} ({pair.shared} shared fragments)"]
        for left, mark, right in side_by_side(pair):
            lines.append(f"  {_clip(left, width):<{width}} {mark} {_clip(right, width)}")
    for exercise, who in report.unparsed.items():
        lines.append(f"\n{exercise}: not compared, the cell does not parse: {', '.join(who)}")
    for student, why in report.unreadable.items():
        lines.append(f"\n{student}: not compared: {why}")
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = text.expandtabs(4)
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


_CSS_CLASS = {"=": "same", "^": "same", "~": "changed", "<": "only", ">": "only"}


def _html_diff(pair: Pair) -> str:
    rows = "".join(
        f"<tr class=\"{_CSS_CLASS[mark]}\"><td><code>{_e(left)}</code></td>"
        f"<td class=\"mark\">{_e(mark)}</td><td><code>{_e(right)}</code></td></tr>"
        for left, mark, right in side_by_side(pair))
    return (f"<table class=\"diff\"><colgroup><col class=\"side\"><col class=\"mark\">"
            f"<col class=\"side\"></colgroup><thead><tr><th>{_e(pair.a.student)}</th><th></th>"
            f"<th>{_e(pair.b.student)}</th></tr></thead><tbody>{rows}</tbody></table>")


SECTION_CSS = """
table.diff { font-size: 0.85em; table-layout: fixed; }
table.diff td { padding: 0.1em 0.5em; border: none; }
table.diff td code { white-space: pre-wrap; word-break: break-word; }
table.diff col.side { width: 48%; }
table.diff col.mark { width: 4%; }
table.diff td.mark { text-align: center; color: #888; }
table.diff tr.same td { background: #fdecea; }
table.diff tr.changed td { background: #fff6dd; }
details.pair { margin: 0.6em 0; }
"""


def html_section(report: SimilarityReport) -> str:
    """The report page's section: the pairs per exercise, each with its diff (folded), and
    the submissions that could not be compared. Everything from students is escaped."""
    head = (f"<h2>Similar solutions</h2>\n<p>Pairs whose answer to an exercise has a "
            f"similarity of at least {report.threshold:g} once names, numbers, comments and "
            f"layout are normalised, fragments of the reference solution, of the typical "
            f"mistakes and variants of <code>mistakes.py</code> and of many submissions set "
            f"aside ({report.submissions} submissions compared; pairs folded, click to see "
            f"the diff: = the same once normalised, ^ moved, ~ changed, &lt; &gt; on one side "
            f"only). "
            f"Alike is not copied: read the code before asking.</p>")
    if not report.pairs:
        body = "<p class=\"muted\">No pair above the threshold.</p>"
    else:
        items = []
        for pair in report.pairs:
            items.append(f"<details class=\"pair\"><summary><code>{_e(pair.exercise)}</code>: "
                         f"<b>{_e(pair.a.student)}</b> and <b>{_e(pair.b.student)}</b>, "
                         f"similarity {pair.similarity:.2f} ({pair.shared} shared fragments)"
                         f"</summary>{_html_diff(pair)}</details>")
        body = "\n".join(items)
    skipped = [f"<li><code>{_e(ex)}</code>: {_e(', '.join(who))} (the cell does not parse)"
               f"</li>" for ex, who in report.unparsed.items()]
    skipped += [f"<li>{_e(student)}: {_e(why)}</li>"
                for student, why in report.unreadable.items()]
    tail = ("<p>Not compared:</p><ul>" + "".join(skipped) + "</ul>") if skipped else ""
    return f"{head}\n{body}\n{tail}"
