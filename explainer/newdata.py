"""Fresh data for a lesson, chosen so that the hand arithmetic stays short and the run converges.

A worked example is only readable while its numbers are: a student can check ``0.3 × 4 = 1.2`` with
pencil and paper, ``0.30625 × 4`` much less so. Data is therefore not sampled and hoped for:
candidates come from a seeded generator (true parameters in halves, integer inputs, optional noise in
steps of 0.5 or 0.1), and a candidate is kept only when

* the learning rate sits well inside the convergence bound, and
* the detailed epochs, replayed with exact fractions, need at most ``max_decimals`` digits after the
  point in every prediction, square, term, sum, mean and update the page will show.

Candidates are tried in the generator's order, so a seed always gives the same data; when none of
``TRIES`` candidates is short enough, the shortest one found is used rather than failing.

Only models linear in their parameters and inputs (``w*x``, ``w*x + b``, ``w1*x1 + w2*x2 + b``) with
the mean squared error and plain gradient descent are supported: for them the loss
J(θ) = 1/N·|Aθ − y|² has the constant curvature H = 2/N·AᵀA (A: the inputs plus a column of ones
for a bias), so the bound is known in closed form: gradient descent converges iff α·λmax(H) < 2
(for f = w·x that is α < N/Σx²). We ask for α·λmax(H) ≤ 1, half the bound, so that no mode of the
run even oscillates.
"""
from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction

from . import expr as E
from . import formula, spec
from .catalog import LANGUAGES, catalog
from .errors import ExplainerError
from .numbers import show, to_fraction
from .spec import TARGET, Lesson

#: inputs of a model given to ``explainer new`` are named like this; every other name is a parameter
INPUT_NAME = re.compile(r"x\d*\Z")
#: learning rates a teacher would write by hand, largest first
RATES = tuple(Fraction(m, 10**k) for k in range(1, 4) for m in (5, 2, 1))
#: true weights and biases: small integers and halves, never 0 (a zero parameter teaches nothing)
WEIGHTS = BIASES = tuple(Fraction(k, 2) for k in range(-6, 9) if k)
MAX_DECIMALS = 4
TRIES = 1000
MAX_POINTS = 12
MAX_NOISE = Fraction(5)
#: the slowest mode of a fresh lesson's run shrinks to this fraction of its start by the last epoch
SETTLE = 0.05
EPOCH_RANGE = (10, 200)
#: α·λmax(H) of a fresh lesson: at most 1 (no oscillation), at least this (visible progress)
MIN_STEP = Fraction(1, 10)

SUPPORTED = ('linear models: parameter*input terms plus at most one parameter on its own, '
             'such as "w*x", "w*x + b" or "w1*x1 + w2*x2 + b"')


@dataclass(frozen=True)
class Linear:
    """The shape of f = Σ wⱼ·xⱼ (+ b): which parameter multiplies which input, and the bias."""

    weights: tuple[tuple[str, str], ...]  # (parameter, input), in the model's order
    bias: str | None

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(x for _, x in self.weights)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.weights) + ((self.bias,) if self.bias else ())


@dataclass(frozen=True)
class Dataset:
    columns: tuple[tuple[str, tuple[Fraction, ...]], ...]  # the inputs, then y
    truth: tuple[tuple[str, Fraction], ...]  # the parameters the data was made from
    learning_rate: Fraction
    decimals: int  # the most digits after the point that a checked epoch needs

    def table(self) -> dict[str, list]:
        """The ``[data]`` table of a spec: whole numbers as integers, the rest as floats."""
        return {n: [_plain(v) for v in values] for n, values in self.columns}


def _plain(v: Fraction) -> int | float:
    return int(v) if v.denominator == 1 else float(v)


def linear(model: formula.Formula, inputs, parameters) -> Linear:
    """The linear shape of ``model``, or an error naming what ``new``/``batch`` can generate for."""
    terms: list[E.Expr] = []

    def flatten(node: E.Expr) -> None:
        while isinstance(node, E.Group):
            node = node.inner
        if isinstance(node, E.BinOp) and node.op == "+":
            flatten(node.left)
            flatten(node.right)
        else:
            terms.append(node)

    flatten(model.tree)
    weights, biases, used = [], [], []
    for term in terms:
        if isinstance(term, E.Sym) and term.name in parameters:
            biases.append(term.name)
            used.append(term.name)
            continue
        if isinstance(term, E.BinOp) and term.op == "*" and all(isinstance(s, E.Sym) for s in (term.left, term.right)):
            pair = sorted((term.left.name, term.right.name), key=lambda n: n in inputs)
            if pair[0] in parameters and pair[1] in inputs:
                weights.append((pair[0], pair[1]))
                used.extend(pair)
                continue
        raise ExplainerError(
            f"model {model.text!r}: cannot choose data for the term {_text(term)!r}; "
            f"fresh data is made for {SUPPORTED} (inputs are named {', '.join(inputs) or 'x, x1, x2, …'})"
        )
    if not weights or len(biases) > 1 or len(set(used)) != len(used):
        raise ExplainerError(
            f"model {model.text!r}: fresh data is made for {SUPPORTED}, each name used once"
        )
    return Linear(tuple(weights), biases[0] if biases else None)


def _text(node: E.Expr) -> str:
    """A term as a teacher would type it, for messages (the tree itself only prints LaTeX)."""
    if isinstance(node, E.Sym):
        return node.name
    if isinstance(node, E.Num):
        return show(node.value)
    if isinstance(node, E.BinOp):
        op = "**" if node.op == "^" else node.op
        return f"{_text(node.left)}{op}{_text(node.right)}"
    if isinstance(node, E.Neg):
        return f"-{_text(node.operand)}"
    if isinstance(node, E.Group):
        return f"({_text(node.inner)})"
    if isinstance(node, E.Call):
        spelled = {tree: spec_name for spec_name, tree in formula.FUNCTIONS.items()}.get(node.func, node.func)
        return f"{spelled}({', '.join(_text(a) for a in node.args)})"
    return node.latex()


def shape_of(lesson: Lesson) -> Linear:
    """The shape of a spec's model, refusing what the convergence bound does not cover."""
    if lesson.loss.kind != "mse":
        raise ExplainerError(f"loss: fresh data is made for the mean squared error (\"mse\"), found {lesson.loss.kind!r}")
    if lesson.optimizer.kind != "gd":
        raise ExplainerError(f"optimizer: fresh data is made for plain gradient descent (\"gd\"), found {lesson.optimizer.kind!r}")
    return linear(lesson.model, set(lesson.inputs), set(lesson.parameter_names))


def _chain(detailed: tuple[int, ...]) -> int:
    """How many epochs from the first are written out one after another, carrying shown values."""
    k = 0
    while k + 1 in detailed:
        k += 1
    return k


def _places(v: Fraction) -> int:
    """Digits after the point of an exact decimal; a big number for 1/3 and its kind."""
    d, twos, fives = v.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    return max(twos, fives) if d == 1 else 99


def hand_places(shape: Linear, columns: dict, start: dict, rate: Fraction, epochs: int) -> int:
    """The most digits after the point among the numbers of the first ``epochs`` worked epochs."""
    y = columns[TARGET]
    n = len(y)
    params = dict(start)
    worst = 0
    for _ in range(epochs):
        preds = [
            sum((params[p] * columns[x][i] for p, x in shape.weights), Fraction(0))
            + (params[shape.bias] if shape.bias else 0)
            for i in range(n)
        ]
        residuals = [f - t for f, t in zip(preds, y)]
        squares = [r * r for r in residuals]
        shown = preds + squares + [sum(squares), sum(squares) / n]
        factors = [(p, columns[x]) for p, x in shape.weights] + ([(shape.bias, None)] if shape.bias else [])
        after = {}
        for p, xs in factors:
            terms = [2 * r * (xs[i] if xs else 1) for i, r in enumerate(residuals)]
            gradient = sum(terms) / n
            after[p] = params[p] - rate * gradient
            shown += terms + [sum(terms), gradient, after[p]]
        worst = max(worst, max(_places(v) for v in shown))
        params = after
    return worst


def _design(shape: Linear, columns: dict):
    """Aᵀ: one row per parameter (its input, or ones for the bias), one column per data point."""
    import numpy as np

    ones = [[1.0] * len(columns[TARGET])] if shape.bias else []
    return np.array([[float(v) for v in columns[x]] for x in shape.inputs] + ones)


def _curvature(shape: Linear, columns: dict) -> tuple[float, float]:
    """Largest and smallest eigenvalue of H = 2/N·AᵀA."""
    import numpy as np

    a = _design(shape, columns)
    eig = np.linalg.eigvalsh(2.0 / a.shape[1] * (a @ a.T))
    return float(eig[-1]), float(eig[0])


def _noise_step(noise: Fraction) -> Fraction:
    return Fraction(1, 2) if (noise * 2).denominator == 1 else Fraction(1, 10)


def _candidate(rng, shape: Linear, points: int, noise: Fraction) -> tuple[dict, dict]:
    import numpy as np

    columns = {}
    if len(shape.inputs) == 1:
        # x = 0 only helps a bias; without one it adds a point that teaches nothing
        low, top = (0 if shape.bias else 1), max(6, points + 2)
        columns[shape.inputs[0]] = tuple(Fraction(int(v)) for v in np.sort(rng.choice(np.arange(low, top + 1), points, replace=False)))
    else:
        for x in shape.inputs:
            columns[x] = tuple(Fraction(int(v)) for v in rng.integers(0, 6, points))
    truth = {p: WEIGHTS[int(rng.integers(len(WEIGHTS)))] for p, _ in shape.weights}
    if shape.bias:
        truth[shape.bias] = BIASES[int(rng.integers(len(BIASES)))]
    step = _noise_step(noise)
    reach = int(noise / step)
    y = []
    for i in range(points):
        value = sum((truth[p] * columns[x][i] for p, x in shape.weights), Fraction(0)) + truth.get(shape.bias, 0)
        if reach:
            value += step * int(rng.integers(-reach, reach + 1))
        y.append(value)
    columns[TARGET] = tuple(y)
    return columns, truth


def _full_rank(shape: Linear, columns: dict) -> bool:
    """Every parameter is pinned down by the data (no two inputs move together, no constant input)."""
    import numpy as np

    return int(np.linalg.matrix_rank(_design(shape, columns))) == len(shape.parameters)


def draw(shape: Linear, points: int, seed: int, *, noise: Fraction = Fraction(0), rate: Fraction | None = None,
         start: dict | None = None, detailed: tuple[int, ...] = (1, 2), max_decimals: int = MAX_DECIMALS,
         limit: Fraction = Fraction(1), avoid=frozenset()) -> Dataset:
    """The first candidate from ``seed`` with α·λmax(H) ≤ ``limit`` at ``rate`` (or at a round rate
    chosen here) whose detailed epochs stay within ``max_decimals``; failing that, the shortest one.
    Candidates whose columns are in ``avoid`` (a classmate's data) are passed over."""
    import numpy as np

    if not len(shape.parameters) <= points <= MAX_POINTS or points < 2:
        raise ExplainerError(f"--points: expected {max(2, len(shape.parameters))} to {MAX_POINTS} data points for "
                             f"{len(shape.parameters)} parameter(s), found {points}")
    rng = np.random.default_rng(seed)
    start = start or {p: Fraction(0) for p in shape.parameters}
    epochs = _chain(detailed)
    best = None
    for _ in range(TRIES):
        columns, truth = _candidate(rng, shape, points, noise)
        ordered = tuple((n, columns[n]) for n in (*shape.inputs, TARGET))
        if ordered in avoid or not _full_rank(shape, columns):
            continue
        top, _low = _curvature(shape, columns)
        curvature = Fraction(top)
        rates = [rate] if rate is not None else [r for r in RATES if MIN_STEP <= r * curvature]
        for r in rates:
            if r * curvature > limit:
                continue
            places = hand_places(shape, columns, start, r, epochs)
            if best is None or places < best.decimals:
                best = Dataset(ordered, tuple(truth.items()), r, places)
            if places <= max_decimals:
                return best
    if best is None:
        raise ExplainerError(
            f"learning_rate = {show(rate)} is too large for fresh data of {points} points: it would make the run "
            "oscillate or diverge; use a smaller learning_rate"
            if rate is not None else f"found no data for {points} points whose run converges at a round learning rate"
        )
    return best


def for_lesson(lesson: Lesson, seed: int, noise: Fraction = Fraction(0), avoid=frozenset()) -> Dataset:
    """Fresh data for a spec's model, learning rate, start and detailed epochs (a batch's students).

    The spec's own data sets how close to the bound the students' data may come: a teacher who chose
    α·λmax = 1.5 on purpose (a run that overshoots and comes back) gets such runs for everyone.
    """
    shape = shape_of(lesson)
    own = dict((n, tuple(to_fraction(v) for v in values)) for n, values in lesson.data)
    limit = lesson.learning_rate * Fraction(_curvature(shape, own)[0])
    return draw(shape, lesson.size, seed, noise=noise, rate=lesson.learning_rate, start=dict(lesson.parameters),
                detailed=lesson.document.detailed, limit=limit if 1 < limit < 2 else Fraction(1), avoid=avoid)


def epochs_to_settle(shape: Linear, data: Dataset) -> int:
    """Epochs for the slowest mode to shrink to SETTLE, rounded up to tens, within EPOCH_RANGE."""
    _top, low = _curvature(shape, dict(data.columns))
    contraction = 1 - float(data.learning_rate) * low
    needed = math.log(SETTLE) / math.log(contraction) if 0 < contraction < 1 else EPOCH_RANGE[0]
    low_end, high_end = EPOCH_RANGE
    return min(high_end, max(low_end, 10 * math.ceil(needed / 10)))


def check_noise(noise) -> Fraction:
    """Noise in steps of 0.5 (or 0.1 when the amount needs it), so that y keeps one decimal."""
    try:
        value = to_fraction(noise)
    except (ValueError, ZeroDivisionError):
        value = Fraction(-1)
    if not 0 <= value <= MAX_NOISE or (value * 10).denominator != 1:
        raise ExplainerError(f"--noise: expected a multiple of 0.1 from 0 to {show(MAX_NOISE)}, found {noise}")
    return value


# --- the spec as TOML text ------------------------------------------------------------------------

#: top-level tables written inline, as the hand-written lessons do
INLINE = {"parameters", "loss"}


def toml_text(table: dict, comments: tuple[str, ...] = ()) -> str:
    """A spec table as TOML (tomllib reads, nothing in the standard library writes)."""
    lines = [f"# {c}" for c in comments]
    sections = []
    for key, value in table.items():
        if isinstance(value, dict) and key not in INLINE:
            sections.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in sections:
        lines += ["", f"[{_key(key)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = show(to_fraction(value))  # 0.05, not 0.05000000000000000277
        return text if Fraction(text) == to_fraction(value) else repr(value)
    if isinstance(value, Fraction):
        return show(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are a subset of TOML's
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def relation(shape: Linear, truth: dict) -> str:
    """``2·x + 1``: the right side of the rule the data was made from, for the teacher's eyes."""
    def term(p: str, x: str) -> str:
        return {1: x, -1: f"-{x}"}.get(truth[p], f"{show(truth[p])}·{x}")

    text = " + ".join(term(p, x) for p, x in shape.weights)
    if shape.bias:
        text += f" + {show(truth[shape.bias])}"
    return text.replace("+ -", "- ")


def new_lesson(seed: int, model: str = "w*x", points: int = 4, noise=0, lang: str = "en",
               epochs: int | None = None, command: str = "") -> str:
    """The TOML text of a fresh lesson (``explainer new``); it is read back through the spec
    validator before it is returned, so what is written always loads."""
    noise = check_noise(noise)
    if lang not in LANGUAGES:
        raise ExplainerError(f"--lang: expected one of {', '.join(LANGUAGES)}, found {lang!r}")
    names = _names(model)
    try:
        parsed = formula.parse(model, names)
    except formula.FormulaError as exc:
        raise ExplainerError(f"--model: {model!r} {exc}") from None
    inputs = {n for n in parsed.names if INPUT_NAME.match(n)}
    shape = linear(parsed, inputs, parsed.names - inputs)
    data = draw(shape, points, seed, noise=noise)
    if epochs is None:
        epochs = epochs_to_settle(shape, data)
    elif not 1 <= epochs <= spec.MAX_EPOCHS:
        raise ExplainerError(f"--epochs: expected 1 to {spec.MAX_EPOCHS:,}, found {epochs}")
    words = catalog(lang, "batch")
    document = {"detailed": [e for e in (1, 2) if e <= epochs], "log_every": max(1, epochs // 10)}
    if len(shape.inputs) == 1:
        document["predict"] = [int(max(dict(data.columns)[shape.inputs[0]])) + 1]
    table = {
        "title": words("new_title", inputs=", ".join(shape.inputs), model=model.replace("*", "·")),
        "language": lang,
        "model": model,
        "parameters": {p: 0.0 for p in shape.parameters},
        "loss": "mse",
        "learning_rate": data.learning_rate,
        "epochs": epochs,
        "data": data.table(),
        "document": document,
    }
    noise_text = words("new_noise", noise=show(noise)) if noise else ""
    comments = (
        words("new_generated", command=command or f"explainer new --seed {seed}"),
        words("new_truth", relation=relation(shape, dict(data.truth)), noise=noise_text),
    )
    text = toml_text(table, comments)
    spec.from_dict(tomllib.loads(text), name="new", source=f"explainer new --model {model!r}")
    return text


def _names(model: str) -> set[str]:
    """Every identifier in the model text, so the parser judges the syntax, not the names."""
    return set(re.findall(r"[A-Za-z_]\w*", model)) - set(formula.FUNCTIONS)
