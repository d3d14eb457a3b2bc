"""``explainer batch``: one handout per student, each with its own data, and a teacher's key.

The output folder::

    out/manifest.json            what each handout was built from (rewritten after every student)
    out/key.<lang>.md|.html      the teacher's key: every student's data and worked-epoch numbers
    out/<slug>/<lesson>.toml     the student's own spec (``explainer build`` remakes one handout)
    out/<slug>/<lesson>.<lang>.md|.html|.json|.svg

Why a manifest: a class takes a while to build, and a run can be interrupted or fail for one
student; the next run should redo only what is missing or out of date. A student is skipped when
the manifest records the same input hash (the student's own spec text, which holds the name, the
data and every setting; the language, formats and explainer version) and every file it lists is
still there.

Why processes: handouts are independent and the build is CPU-bound Python, so they are spread over
a ProcessPoolExecutor. A worker keeps its imports (SymPy, NumPy, matplotlib) from one student to the
next, so the import cost is paid once per worker. Each task returns either the handout's key numbers
or the reason it failed, so one failure never costs the others their handouts.

The key's numbers are read from each built Document's trace (NumPy's run of the same lesson), never
recomputed here.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import time
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from .errors import ExplainerError, InputError

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
#: the key rounds NumPy's values to this many significant digits: enough to show every short page
#: value exactly, few enough that float64's last-digit noise never shows
KEY_DIGITS = 8
MAX_STUDENTS = 1000
#: per-student seeds below this: short enough to read out to a student, many enough for a school
SEEDS = 1_000_000
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SLUG_LENGTH = 40
#: names a Windows file system refuses as folder names
RESERVED = {"con", "prn", "aux", "nul", *(f"com{k}" for k in range(1, 10)), *(f"lpt{k}" for k in range(1, 10))}


@dataclass(frozen=True)
class Student:
    index: int  # 1-based position in the class
    name: str
    slug: str
    seed: int


@dataclass(frozen=True)
class Task:
    """Everything a worker needs, picklable: the student's own spec travels as its TOML text."""

    student: Student
    spec_text: str
    lesson: str
    lang: str
    formats: tuple[str, ...]
    out: str


@dataclass(frozen=True)
class Outcome:
    slug: str
    record: dict | None  # the manifest entry of a handout written, None when it failed
    reason: str = ""


@dataclass
class Summary:
    out: Path
    jobs: int
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[Student, str]] = field(default_factory=list)
    key: list[Path] = field(default_factory=list)
    seconds: float = 0.0


# --- the class: names, folders, seeds ---------------------------------------------------------

def read_roster(path: str | Path) -> list[str]:
    """Names from a UTF-8 CSV with a header column ``name`` (other columns are ignored)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--roster {path}: cannot read it as UTF-8 text ({getattr(exc, 'strerror', None) or exc})") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "name" not in header:
        raise InputError(f"--roster {path}: needs a header row with a column \"name\" (found: {', '.join(header) or 'nothing'})")
    k = header.index("name")
    names, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        name = row[k].strip() if k < len(row) else ""
        if name:
            names.append(name)
        else:
            problems.append(f"row {number} has no name")
    if problems:
        raise InputError(f"--roster {path}: " + "; ".join(problems) + "; fill in the names or delete the rows")
    if not names:
        raise InputError(f"--roster {path}: lists no students")
    if len(names) > MAX_STUDENTS:
        raise InputError(f"--roster {path}: at most {MAX_STUDENTS} students, found {len(names)}")
    return names


def slugify(name: str) -> str:
    """A folder name from a student's name: letters of any script kept, everything else a dash."""
    text = unicodedata.normalize("NFKC", name).casefold()
    slug = "".join(c if c.isalnum() else "-" for c in text)
    slug = "-".join(part for part in slug.split("-") if part)[:SLUG_LENGTH].strip("-") or "student"
    return f"student-{slug}" if slug in RESERVED else slug


def student_seed(batch_seed: int, identity: str) -> int:
    """A per-student seed that depends on the batch seed and who the student is, not on the run."""
    digest = hashlib.sha256(f"{batch_seed}\0{identity}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEEDS


def make_class(names: list[str] | None, count: int | None, batch_seed: int, lang: str) -> list[Student]:
    """Students of a roster (seeded by name, so reordering the roster keeps everyone's data) or a
    numbered class (seeded by number, with folders ``student-01`` in every language)."""
    from .catalog import catalog

    if names is None:
        if count is None or not 1 <= count <= MAX_STUDENTS:
            raise ExplainerError(f"--students: expected 1 to {MAX_STUDENTS}, found {count}")
        width = max(2, len(str(count)))
        label = catalog(lang, "batch")
        return [
            Student(i, label("student", n=f"{i:0{width}d}"), f"student-{i:0{width}d}", student_seed(batch_seed, f"#{i}"))
            for i in range(1, count + 1)
        ]
    students, taken, seen = [], set(), {}
    for i, name in enumerate(names, start=1):
        seen[name] = seen.get(name, 0) + 1
        base = slug = slugify(name)
        k = 1
        while slug in taken:
            k += 1
            slug = f"{base}-{k}"
        taken.add(slug)
        students.append(Student(i, name, slug, student_seed(batch_seed, f"{name}\0{seen[name]}")))
    return students


def input_hash(task: Task) -> str:
    """What a handout depends on; a change to any of it rebuilds that handout on the next run.

    The student's spec text holds the data, the name and every setting, so it stands for them all.
    """
    payload = {
        "spec": task.spec_text, "lesson": task.lesson, "slug": task.student.slug, "lang": task.lang,
        "formats": sorted(task.formats), "explainer": _version(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("explainer")
    except PackageNotFoundError:
        return "unknown"


# --- one student (runs in a worker) -----------------------------------------------------------

def make_handout(task: Task) -> Outcome:
    """Build and write one student's handout; any failure becomes a reason, never an exception."""
    try:
        return Outcome(task.student.slug, _handout(task))
    except ExplainerError as exc:
        return Outcome(task.student.slug, None, str(exc))
    except OSError as exc:
        return Outcome(task.student.slug, None, f"cannot write the handout: {exc}")
    except Exception as exc:  # a bug in one handout must not lose the others: report it instead
        return Outcome(task.student.slug, None, f"internal error: {type(exc).__name__}: {exc}")


def _handout(task: Task) -> dict:
    from . import pipeline, spec

    slug = task.student.slug
    own = spec.from_dict(tomllib.loads(task.spec_text), name=task.lesson, source=f"{slug}/{task.lesson}.toml")
    doc = pipeline.build(own, lang=task.lang)
    files, problems = pipeline.outputs(doc, task.formats)
    if problems:
        raise ExplainerError("; ".join(problems))
    files[f"{task.lesson}.toml"] = task.spec_text.encode()
    pipeline.write(files, Path(task.out) / slug)
    detailed = set(own.document.detailed)
    return {
        "files": sorted(f"{slug}/{name}" for name in files),
        "epochs": [e for e in doc.trace["epochs"] if e["epoch"] in detailed],
        "checked": doc.checked,
    }


def student_specs(spec_text: str, lesson, students: list[Student], noise: Fraction, lang: str) -> list[tuple[str, dict]]:
    """Each student's spec text and the facts the key shows about their data.

    Drawn here, in one process and in class order, so that no two students share a dataset: a
    candidate equal to a classmate's is passed over (the only way one student's data can depend on
    another's, and only when the two seeds would have collided).
    """
    from . import newdata
    from .catalog import catalog
    from .numbers import show

    table = tomllib.loads(spec_text)
    shape = newdata.shape_of(lesson)
    words = catalog(lang, "batch")
    taken: set = set()
    out = []
    for student in students:
        data = newdata.for_lesson(lesson, student.seed, noise, avoid=taken)
        taken.add(data.columns)
        mine = {**table, "title": words("handout_title", title=lesson.title, name=student.name), "data": data.table()}
        text = newdata.toml_text(mine, (words("handout_spec", name=student.name, seed=student.seed),))
        facts = {
            "name": student.name, "index": student.index, "seed": student.seed,
            "data": {n: [show(v) for v in values] for n, values in data.columns},
            "truth": newdata.relation(shape, dict(data.truth)),
        }
        out.append((text, facts))
    return out


# --- the class (runs in the parent) -----------------------------------------------------------

class Progress:
    """A one-line bar on stderr, redrawn in place; silent when stderr is not a terminal."""

    def __init__(self, total: int, enabled: bool, stream=None):
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0 and self.stream.isatty()
        self.started = time.perf_counter()

    def step(self, label: str, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        if not self.enabled:
            return
        width = 24
        filled = width * self.done // self.total
        failed = f", {self.failed} failed" if self.failed else ""
        line = (f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}{failed} "
                f"{time.perf_counter() - self.started:5.1f}s {label[:30]}")
        self.stream.write(line.ljust(80))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def run(source: str | Path | None, *, names: list[str] | None = None, count: int | None = None,
        out: str | Path = "handouts", seed: int = 0, noise="0", lang: str | None = None,
        formats: tuple[str, ...] = ("md", "html"), jobs: int | None = None, force: bool = False,
        progress: bool = True, command: str = "") -> Summary:
    """Build the class's handouts (skipping those already up to date), then the teacher's key."""
    from . import newdata, spec

    started = time.perf_counter()
    path = Path(source) if source is not None else spec.default_lesson_path()
    lesson = spec.load(path)  # a broken spec stops the batch before any work
    newdata.shape_of(lesson)
    noise = newdata.check_noise(noise)
    lang = lang or lesson.language
    spec_text = path.read_text(encoding="utf-8")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} is a file; name a folder for the handouts")
    students = make_class(names, count, seed, lang)
    drawn = student_specs(spec_text, lesson, students, noise, lang)
    tasks = [Task(s, text, lesson.name, lang, tuple(formats), str(out)) for s, (text, _) in zip(students, drawn)]
    facts = {s.slug: f for s, (_, f) in zip(students, drawn)}

    manifest = _read_manifest(out)
    old = manifest.get("students", {})
    entries: dict[str, dict] = {}
    todo: list[Task] = []
    summary = Summary(out, 0)
    for task in tasks:
        slug, digest = task.student.slug, input_hash(task)
        entry = old.get(slug)
        if not force and entry and entry.get("hash") == digest and all((out / f).is_file() for f in entry.get("files", ())):
            entries[slug] = {**entry, **facts[slug]}
            summary.skipped.append(slug)
        else:
            todo.append(task)
    manifest = {"format": MANIFEST_FORMAT, "spec": str(path), "lesson": lesson.name, "lang": lang,
                "formats": list(formats), "seed": seed, "noise": str(noise), "students": entries}

    summary.jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    bar = Progress(len(todo), progress)
    by_slug = {t.student.slug: t for t in todo}
    try:
        for outcome in _outcomes(todo, summary.jobs):
            task = by_slug[outcome.slug]
            if outcome.record is not None:
                entries[outcome.slug] = {**facts[outcome.slug], **outcome.record, "hash": input_hash(task)}
                summary.written.append(outcome.slug)
            else:
                entries.pop(outcome.slug, None)
                summary.failed.append((task.student, outcome.reason))
            _write_manifest(out, manifest)
            bar.step(task.student.name, outcome.record is not None)
    finally:
        bar.close()
    _write_manifest(out, manifest)
    order = {s.slug: s.index for s in students}
    manifest["students"] = dict(sorted(entries.items(), key=lambda item: order[item[0]]))
    summary.failed.sort(key=lambda item: item[0].index)
    summary.key = write_key(lesson, students, manifest, summary.failed, lang, formats, out, command)
    summary.seconds = time.perf_counter() - started
    return summary


def _outcomes(todo: list[Task], jobs: int):
    """Outcomes as they finish: in this process for one job (and for tests), else in a pool."""
    if jobs <= 1:
        yield from map(make_handout, todo)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=jobs, initializer=_one_thread_each) as pool:
        futures = {pool.submit(make_handout, task): task for task in todo}
        try:
            for future in as_completed(futures):
                try:
                    yield future.result()
                except BrokenProcessPool as exc:
                    yield Outcome(futures[future].student.slug, None, f"the worker process died ({exc})")
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _one_thread_each() -> None:
    """One BLAS thread per worker: with a pool of one process per core, NumPy's own threads only
    fight over the same cores (measured: 30 students took twice as long on 2 cores without this)."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")


def _read_manifest(out: Path) -> dict:
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT else {}


def _write_manifest(out: Path, manifest: dict) -> None:
    from .pipeline import write

    write({MANIFEST: (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode()}, out)


# --- the teacher's key --------------------------------------------------------------------------

def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no HTML, no emphasis, no math, no column break."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for c in "\\`*_[]|$#":
        text = text.replace(c, "\\" + c)
    return " ".join(text.split())


def key_markdown(lesson, students: list[Student], manifest: dict, failed, lang: str, command: str) -> str:
    """The key as Markdown: the words come from the batch catalog, the layout from key.md.j2."""
    from . import formula
    from .catalog import catalog
    from .numbers import show, to_fraction
    from .render import render

    def number(v: float) -> str:
        return show(to_fraction(v), KEY_DIGITS)

    entries = manifest["students"]
    built = [s for s in students if s.slug in entries]
    params = list(lesson.parameter_names)
    epochs = []
    for e in lesson.document.detailed:
        rows = []
        for s in built:
            record = next((r for r in entries[s.slug]["epochs"] if r["epoch"] == e), None)
            if record is not None:
                rows.append({
                    "name": _cell(s.name),
                    "loss": number(record["loss"]),
                    "gradients": [number(record["gradient"][p]) for p in params],
                    "after": [number(record["params_after"][p]) for p in params],
                })
        if rows:
            epochs.append({"n": e, "rows": rows})
    words = catalog(lang, "batch")
    context = {
        "t": words,
        "title": words("key_title", title=_cell(lesson.title)),
        "intro": words("key_intro", count=len(built), title=_cell(lesson.title), digits=KEY_DIGITS),
        "command": _cell(command) if command else "",
        "columns": [formula.tex_name(n) for n, _ in lesson.data],
        "params": [formula.tex_name(p) for p in params],
        "students": [
            {
                "name": _cell(s.name), "slug": s.slug, "seed": s.seed,
                "truth": _cell(entries[s.slug]["truth"]),
                "data": [", ".join(entries[s.slug]["data"][n]) for n, _ in lesson.data],
            }
            for s in built
        ],
        "epochs": epochs,
        "failed": [{"name": _cell(s.name), "reason": _cell(reason.splitlines()[0] if reason else "")} for s, reason in failed],
    }
    return render("key.md.j2", context, kind="md", lang=lang)


def write_key(lesson, students, manifest, failed, lang, formats, out: Path, command: str) -> list[Path]:
    """Render, check and export the key like a handout (same checker, same HTML/PDF export)."""
    from . import pipeline
    from .catalog import catalog

    markdown = key_markdown(lesson, students, manifest, failed, lang, command)
    key_lesson = replace(lesson, name="key", title=catalog(lang, "batch")("key_title", title=lesson.title))
    checked = pipeline.verify(markdown, f"key.{lang}.md", lang)
    doc = pipeline.Document(key_lesson, lang, markdown, {}, {}, checked)
    files, problems = pipeline.outputs(doc, tuple(formats) if "md" in formats else ("md", *formats))
    files.pop(f"{doc.name}.json", None)
    for problem in problems:
        print(f"explainer: key: {problem}", file=sys.stderr)
    return pipeline.write(files, out)
