"""The lesson spec: read a TOML file, check every field up front, and hand on a frozen Lesson.

Validation collects every problem before failing (mkdocs' config style), so a teacher fixes a spec
in one pass; each message names the field, what was found, and what would be accepted. Unknown keys
are refused with a spelling suggestion, because a misspelt option that is silently ignored is the
worst kind of bug in a teaching document.
"""
from __future__ import annotations

import csv
import difflib
import math
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from . import formula
from .errors import SpecError
from .resources import lessons_dir
from .numbers import to_fraction

LOSSES = ("mse", "mae", "huber", "bce")
OPTIMIZERS = ("gd", "sgd", "minibatch", "momentum")
TARGET = "y"
RESERVED = {TARGET, "f", "N", "i", "J"} | set(formula.FUNCTIONS)
MAX_EPOCHS = 1_000_000
DEFAULT_LESSON = "seed"


@dataclass(frozen=True)
class Loss:
    """``kind`` is one of LOSSES or ``"custom"`` (then ``formula`` is an expression in f and y)."""

    kind: str
    formula: formula.Formula | None = None
    delta: Fraction = Fraction(1)


@dataclass(frozen=True)
class Optimizer:
    kind: str = "gd"
    batch_size: int = 0
    seed: int = 0
    momentum: Fraction = Fraction(9, 10)


@dataclass(frozen=True)
class DocumentOptions:
    detailed: tuple[int, ...] = (1, 2)
    log_every: int = 1
    predict: tuple[tuple[Fraction, ...], ...] = ()  # one tuple of input values per prediction
    show_divergence: bool = False
    compare_learning_rates: tuple[Fraction, ...] = ()
    points_shown: int = 12


QUANTITIES = ("predictions", "loss", "gradient", "update")
#: Problems reported per CSV column before the rest are counted, not listed.
MAX_CELL_PROBLEMS = 10


@dataclass(frozen=True)
class DataFile:
    """Where ``[data] csv = …`` came from, so the lesson's program can load the same file itself."""

    name: str  # as the spec wrote it, relative to the spec's folder
    folder: str
    columns: tuple[tuple[str, int], ...]  # model name → column index, inputs first, y last


@dataclass(frozen=True)
class WorksheetOptions:
    """Which numbers a worksheet leaves blank: whole results of some epochs, and a seeded share of terms."""

    epochs: tuple[int, ...] = ()
    quantities: tuple[str, ...] = QUANTITIES
    fraction: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    language: str
    model: formula.Formula
    inputs: tuple[str, ...]
    parameters: tuple[tuple[str, Fraction], ...]
    loss: Loss
    learning_rate: Fraction
    epochs: int
    data: tuple[tuple[str, tuple[float, ...]], ...]
    document: DocumentOptions = field(default_factory=DocumentOptions)
    optimizer: Optimizer = field(default_factory=Optimizer)
    worksheet: WorksheetOptions = field(default_factory=WorksheetOptions)
    titles: tuple[tuple[str, str], ...] = ()  # the title per language, when the spec gives several
    data_file: DataFile | None = None

    def title_in(self, lang: str) -> str:
        return dict(self.titles).get(lang, self.title)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.parameters)

    def column(self, name: str) -> tuple[float, ...]:
        return dict(self.data)[name]

    @property
    def size(self) -> int:
        return len(self.data[0][1])


_TOP = {
    "title", "language", "model", "parameters", "loss", "learning_rate", "epochs", "data",
    "document", "optimizer", "worksheet",
}
_DOCUMENT = {"detailed", "log_every", "predict", "show_divergence", "compare_learning_rates", "points_shown"}
_OPTIMIZER = {"kind", "batch_size", "seed", "momentum"}
_LOSS = {"kind", "expression", "delta"}
_WORKSHEET = {"epochs", "quantities", "fraction", "seed"}


class _Problems(list):
    """Collects messages; ``field`` prefixes keep every message anchored to the spec."""

    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")

    def unknown_keys(self, where: str, given, allowed: set[str]) -> None:
        for key in sorted(set(given) - allowed):
            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            fix = f"did you mean {hint[0]!r}?" if hint else f"allowed keys: {', '.join(sorted(allowed))}"
            self.add(f"{where}{key}" if where else key, f"unknown key; {fix}")


def _number(value, where: str, problems: _Problems, *, positive=False, integer=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(where, f"expected a number, found {value!r}")
        return None
    if isinstance(value, float) and not math.isfinite(value):
        problems.add(where, f"expected a finite number, found {value!r}")
        return None
    if integer and not isinstance(value, int):
        problems.add(where, f"expected a whole number, found {value!r}")
        return None
    if positive and value <= 0:
        problems.add(where, f"must be greater than 0, found {value!r}")
        return None
    return value


def default_lesson_path() -> Path:
    return lessons_dir() / f"{DEFAULT_LESSON}.toml"


def load(path: str | Path | None = None) -> Lesson:
    """Read and validate a lesson file (the built-in default lesson when ``path`` is None)."""
    path = Path(path) if path is not None else default_lesson_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError([f"cannot read the file ({exc.strerror})"], source=str(path)) from None
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError([f"not valid TOML: {exc}"], source=str(path)) from None
    return from_dict(table, name=path.stem, base=path.parent, source=str(path))


def from_dict(table: dict, *, name: str = "lesson", base: Path | None = None, source: str = "lesson spec") -> Lesson:
    """Validate an already-parsed spec (what a notebook user passes to ``explainer.build``)."""
    p = _Problems()
    p.unknown_keys("", table, _TOP)
    for key in ("title", "model", "parameters", "learning_rate", "epochs", "data"):
        if key not in table:
            p.add(key, "missing; every lesson needs title, model, parameters, learning_rate, epochs and [data]")

    language = table.get("language", "en")
    if language not in ("en", "zh"):
        p.add("language", f"expected \"en\" or \"zh\", found {language!r}")
    titles = _titles(table.get("title", ""), p) if "title" in table else {}
    title = titles.get(language) or next(iter(titles.values()), "")
    titles.pop("", None)  # a single title serves every language

    parameters = _parameters(table.get("parameters", {}), p)
    data, data_file = _data(table.get("data", {}), base, p)
    inputs = tuple(n for n, _ in data if n != TARGET) if data else ()
    # names the spec declares, valid or not: a bad value is reported once, not again as an unknown name
    declared = set(table.get("data", {}) if isinstance(table.get("data"), dict) else ()) - {TARGET, "csv"}
    declared |= set(table.get("parameters", {}) if isinstance(table.get("parameters"), dict) else ())
    clash = set(inputs) & {n for n, _ in parameters}
    for n in sorted(clash):
        p.add(f"parameters.{n}", "is also a data column; rename one of them")

    model = None
    if isinstance(table.get("model"), str):
        try:
            model = formula.parse(table["model"], declared | set(inputs))
        except formula.FormulaError as exc:
            p.add("model", f"{table['model']!r} {exc}")
        else:
            for n, _ in parameters:
                if n not in model.names:
                    p.add(f"parameters.{n}", f"is not used by the model {table['model']!r}; remove it or use it")
    elif "model" in table:
        p.add("model", f"expected a string such as \"w*x + b\", found {table['model']!r}")

    loss = _loss(table.get("loss", "mse"), p)
    lr = None
    if "learning_rate" in table:
        lr = _number(table["learning_rate"], "learning_rate", p, positive=True)
    epochs = None
    if "epochs" in table:
        epochs = _number(table["epochs"], "epochs", p, positive=True, integer=True)
        if epochs is not None and epochs > MAX_EPOCHS:
            p.add("epochs", f"at most {MAX_EPOCHS:,} epochs, found {epochs:,}")
            epochs = None
    document = _document(table.get("document", {}), epochs or MAX_EPOCHS, max(len(inputs), 1), p)
    optimizer = _optimizer(table.get("optimizer", {}), len(data[0][1]) if data else 0, p)
    worksheet = _worksheet(table.get("worksheet", {}), document.detailed, p)
    if loss.kind == "bce" and data:
        if any(v not in (0, 1) for v in dict(data).get(TARGET, ())):
            p.add("data.y", "the bce loss needs labels 0 or 1")

    if p:
        raise SpecError(p, source=source)
    return Lesson(
        name=name,
        title=title,
        titles=tuple(titles.items()),
        data_file=data_file,
        language=language,
        model=model,
        inputs=inputs,
        parameters=parameters,
        loss=loss,
        learning_rate=to_fraction(lr),
        epochs=epochs,
        data=data,
        document=document,
        optimizer=optimizer,
        worksheet=worksheet,
    )


def _titles(value, p: _Problems) -> dict[str, str]:
    """``title = "…"`` (returned under the key ""), or one per language: ``title = { en = "…", zh = "…" }``."""
    if isinstance(value, str) and value.strip():
        return {"": value.strip()}
    if isinstance(value, dict) and value and all(k in ("en", "zh") and isinstance(v, str) and v.strip()
                                                  for k, v in value.items()):
        return {k: v.strip() for k, v in value.items()}
    p.add("title", f"expected a non-empty string or {{ en = \"…\", zh = \"…\" }}, found {value!r}")
    return {}


def _parameters(table, p: _Problems) -> tuple:
    if not isinstance(table, dict) or not table:
        p.add("parameters", "expected a table of names and initial values, e.g. { w = 0.0, b = 0.0 }")
        return ()
    out = []
    for n, v in table.items():
        if not n.isidentifier() or n in RESERVED:
            p.add(f"parameters.{n}", f"is not a usable name (reserved: {', '.join(sorted(RESERVED))})")
            continue
        value = _number(v, f"parameters.{n}", p)
        if value is not None:
            out.append((n, to_fraction(value)))
    return tuple(out)


def _data(table, base: Path | None, p: _Problems) -> tuple[tuple | None, DataFile | None]:
    if not isinstance(table, dict) or not table:
        p.add("data", "expected a table with the input columns and y, e.g. x = [1, 2], y = [2, 4]")
        return None, None
    source = None
    if "csv" in table:
        columns, source = _csv_columns(table, base, p)
    else:
        columns = {}
        for n, values in table.items():
            where = f"data.{n}"
            if not n.isidentifier() or (n != TARGET and n in RESERVED):
                p.add(where, "is not a usable column name")
                continue
            if not isinstance(values, list):
                p.add(where, f"expected a list of numbers, found {values!r}")
                continue
            good = [_number(v, f"{where}[{k}]", p) for k, v in enumerate(values)]
            if all(v is not None for v in good):
                columns[n] = tuple(float(v) for v in good)
    if not columns:
        return None, None
    named = columns if "csv" in table else table
    if TARGET not in named:
        p.add("data.y", "missing; the data needs a target column y")
    if len(named) < 2:
        p.add("data", "needs at least one input column besides y")
    lengths = {n: len(v) for n, v in columns.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        p.add("data", f"columns differ in length ({shown}); give every column the same number of values")
    if any(k == 0 for k in lengths.values()):
        p.add("data", "is empty; give at least one data point")
    ordered = [(n, v) for n, v in columns.items() if n != TARGET] + [(TARGET, columns.get(TARGET, ()))]
    return tuple(ordered), source


def _csv_columns(table, base: Path | None, p: _Problems) -> tuple[dict, DataFile | None]:
    """Columns from ``[data] csv = "file.csv"`` plus ``x = "column"`` mappings (default: same name),
    and where they came from, so the lesson's program can load the same file."""
    where = "data.csv"
    path = Path(table["csv"])
    if base is not None and not path.is_absolute():
        path = base / path
    mapping = {k: v for k, v in table.items() if k != "csv"}
    indices: dict[str, int] = {}
    for k, v in mapping.items():
        if not isinstance(v, str):
            p.add(f"data.{k}", f"with csv, name the CSV column as a string, found {v!r}")
            return {}, None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        p.add(where, f"cannot read {str(path)!r} ({getattr(exc, 'strerror', None) or exc})")
        return {}, None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        p.add(where, f"{path.name} is empty")
        return {}, None
    header = [h.strip() for h in rows[0]]
    if not mapping:
        mapping = {h: h for h in header}
    columns = {}
    for name, column in mapping.items():
        if column not in header:
            p.add(f"data.{name}", f"column {column!r} is not in {path.name} (it has: {', '.join(header)})")
            continue
        k = header.index(column)
        values, bad = [], []
        for row_number, row in enumerate(rows[1:], start=2):
            cell = row[k].strip() if k < len(row) else ""
            try:
                v = float(cell)
                if not math.isfinite(v):
                    raise ValueError
            except ValueError:
                bad.append(f"{path.name} row {row_number}, column {column!r}: "
                           + (f"{cell!r} is not a number" if cell else "blank cell; fill it or delete the row"))
                continue
            values.append(v)
        for message in bad[:MAX_CELL_PROBLEMS]:
            p.add(where, message)
        if len(bad) > MAX_CELL_PROBLEMS:
            p.add(where, f"{path.name}, column {column!r}: {len(bad) - MAX_CELL_PROBLEMS} more cells like these")
        columns[name] = tuple(values)
        indices[name] = k
    order = [n for n in columns if n != TARGET] + [TARGET]
    source = DataFile(str(table["csv"]), str(path.parent), tuple((n, indices[n]) for n in order if n in indices))
    return columns, source


def _loss(value, p: _Problems) -> Loss:
    if isinstance(value, str):
        value = {"kind": value} if value in LOSSES else {"kind": "custom", "expression": value}
    if not isinstance(value, dict):
        p.add("loss", f"expected \"mse\", \"mae\", \"huber\", \"bce\" or an expression in f and y, found {value!r}")
        return Loss("mse")
    p.unknown_keys("loss.", value, _LOSS)
    kind = value.get("kind", "custom" if "expression" in value else "mse")
    if kind not in LOSSES + ("custom",):
        p.add("loss.kind", f"expected one of {', '.join(LOSSES)}, found {kind!r}")
        return Loss("mse")
    delta = Fraction(1)
    if "delta" in value:
        d = _number(value["delta"], "loss.delta", p, positive=True)
        delta = to_fraction(d) if d is not None else delta
    if kind != "custom":
        return Loss(kind, None, delta)
    try:
        f = formula.parse(value.get("expression", ""), {"f", TARGET})
    except formula.FormulaError as exc:
        p.add("loss", f"{value.get('expression', '')!r} {exc} (a loss is an expression in f and y, e.g. \"(f - y)**2\")")
        return Loss("mse")
    if "f" not in f.names:
        p.add("loss", "the loss expression must use f, the model's prediction")
    return Loss("custom", f, delta)


def _int_list(value, where: str, p: _Problems, low: int, high: int) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        p.add(where, f"expected a list of whole numbers, found {value!r}")
        return ()
    bad = [v for v in value if not low <= v <= high]
    if bad:
        p.add(where, f"{bad} outside 1..{high} (the lesson has {high} epochs)")
    return tuple(sorted(set(v for v in value if low <= v <= high)))


def _document(table, epochs: int, inputs: int, p: _Problems) -> DocumentOptions:
    if not isinstance(table, dict):
        p.add("document", "expected a table")
        return DocumentOptions()
    p.unknown_keys("document.", table, _DOCUMENT)
    if "detailed" in table:
        detailed = _int_list(table["detailed"], "document.detailed", p, 1, epochs)
    else:
        detailed = tuple(e for e in (1, 2) if e <= epochs)
    log_every = _number(table.get("log_every", 1), "document.log_every", p, positive=True, integer=True) or 1
    shown = _number(table.get("points_shown", 12), "document.points_shown", p, positive=True, integer=True) or 12
    predict = table.get("predict", [])
    if not isinstance(predict, list):
        p.add("document.predict", f"expected a list of inputs, found {predict!r}")
        predict = []
    points = []
    for k, v in enumerate(predict):
        values = v if isinstance(v, list) else [v]
        if len(values) != inputs:
            p.add(f"document.predict[{k}]", f"expected {inputs} input value(s) (one per input column), found {v!r}")
        elif all(_number(x, f"document.predict[{k}]", p) is not None for x in values):
            points.append(tuple(to_fraction(x) for x in values))
    predict = tuple(points)
    show_div = table.get("show_divergence", False)
    if not isinstance(show_div, bool):
        p.add("document.show_divergence", f"expected true or false, found {show_div!r}")
        show_div = False
    rates = table.get("compare_learning_rates", [])
    if not isinstance(rates, list):
        p.add("document.compare_learning_rates", f"expected a list of learning rates, found {rates!r}")
        rates = []
    rates = tuple(
        to_fraction(v) for k, v in enumerate(rates)
        if _number(v, f"document.compare_learning_rates[{k}]", p, positive=True) is not None
    )
    return DocumentOptions(detailed, log_every, predict, show_div, rates, shown)


def _optimizer(table, size: int, p: _Problems) -> Optimizer:
    if isinstance(table, str):
        table = {"kind": table}
    if not isinstance(table, dict):
        p.add("optimizer", "expected a table such as { kind = \"momentum\", momentum = 0.9 }")
        return Optimizer()
    p.unknown_keys("optimizer.", table, _OPTIMIZER)
    kind = table.get("kind", "gd")
    if kind not in OPTIMIZERS:
        p.add("optimizer.kind", f"expected one of {', '.join(OPTIMIZERS)}, found {kind!r}")
        return Optimizer()
    batch = _number(table.get("batch_size", 1 if kind == "sgd" else 0), "optimizer.batch_size", p, integer=True) or 0
    if kind == "minibatch" and not 1 <= batch <= max(size, 1):
        p.add("optimizer.batch_size", f"a mini-batch needs 1 ≤ batch_size ≤ {size} (the data size), found {batch}")
    if kind == "sgd":
        batch = 1
    seed = _number(table.get("seed", 0), "optimizer.seed", p, integer=True) or 0
    beta = _number(table.get("momentum", 0.9), "optimizer.momentum", p)
    if beta is not None and not 0 <= beta < 1:
        p.add("optimizer.momentum", f"must be in [0, 1), found {beta!r}")
        beta = 0.9
    return Optimizer(kind, batch, seed, to_fraction(beta if beta is not None else 0.9))


def _worksheet(table, detailed: tuple[int, ...], p: _Problems) -> WorksheetOptions:
    if not isinstance(table, dict):
        p.add("worksheet", "expected a table such as { epochs = [2], quantities = [\"loss\", \"gradient\"] }")
        return WorksheetOptions()
    p.unknown_keys("worksheet.", table, _WORKSHEET)
    default = detailed[-1:] if detailed else ()
    epochs = _int_list(table["epochs"], "worksheet.epochs", p, 1, MAX_EPOCHS) if "epochs" in table else default
    for e in epochs:
        if e not in detailed:
            p.add("worksheet.epochs", f"epoch {e} is not written out; choose among [document] detailed = {list(detailed)}")
    quantities = table.get("quantities", list(QUANTITIES))
    if not isinstance(quantities, list) or any(q not in QUANTITIES for q in quantities):
        p.add("worksheet.quantities", f"expected a list drawn from {', '.join(QUANTITIES)}, found {quantities!r}")
        quantities = list(QUANTITIES)
    fraction = _number(table.get("fraction", 0.0), "worksheet.fraction", p)
    if fraction is not None and not 0 <= fraction <= 1:
        p.add("worksheet.fraction", f"must be between 0 and 1, found {fraction!r}")
        fraction = 0.0
    seed = _number(table.get("seed", 0), "worksheet.seed", p, integer=True) or 0
    return WorksheetOptions(tuple(epochs), tuple(quantities), float(fraction or 0.0), seed)
