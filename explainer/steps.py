"""The worked steps: every chain on the page, built from the numbers the page has already shown.

DESIGN.md's rule lives here. Each chain starts from displayed operands (the lesson's inputs and
earlier displayed results), is evaluated exactly with fractions, and is rounded once by the shared
display rule; a chain writes ``=`` only when the shown value is exact and ``\\approx`` otherwise, and
the value carried into the next step is the one the reader saw. NumPy's float64 trace is the
independent reference: the page's parameters must stay within DRIFT of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from . import expr as E
from . import formula
from .derive import SUM_PREFIX, Derivation, summand_tex
from .numbers import is_shown_exactly, show, to_fraction
from .spec import TARGET, Lesson
from .trace import Trace

#: Largest relative gap allowed between the page's exact-then-rounded parameters and NumPy's.
DRIFT = Fraction(1, 10**6)

APPROX = r"\approx"
ASSIGN = r"\leftarrow"


class DriftError(AssertionError):
    """The page's arithmetic and NumPy disagree: a bug, never the user's doing."""


@dataclass(frozen=True)
class Row:
    lhs: str
    rel: str
    rhs: str
    note: str = ""  # catalog key of a rule, printed beside the row


@dataclass(frozen=True)
class Chain:
    rows: tuple[Row, ...]

    @property
    def value(self) -> str:
        return self.rows[-1].rhs


@dataclass(frozen=True)
class Shown:
    """A value as the page states it: exact value of the shown text, and the relation used."""

    value: Fraction
    text: str
    exact: bool

    @property
    def rel(self) -> str:
        return "=" if self.exact else APPROX


def shown(value: Fraction) -> Shown:
    text = show(value)
    return Shown(Fraction(text), text, is_shown_exactly(value))


@dataclass(frozen=True)
class Binding:
    name: str
    tex: str
    value: Shown


@dataclass(frozen=True)
class EpochPage:
    epoch: int
    start: tuple[Binding, ...]
    forward: Chain
    loss: Chain
    gradients: tuple[Chain, ...]
    updates: tuple[Chain, ...]
    after: tuple[Binding, ...]
    loss_value: Shown
    gradient_values: tuple[Shown, ...]
    batch: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Prediction:
    point: str
    chain: Chain
    value: Shown


def param_tex(name: str) -> str:
    return formula.tex_name(name)


def _chain(lhs: str, first_rel: str, sides: list[tuple[E.Expr | str, str]]) -> Chain:
    """Rows ``lhs rel side₁``, ``= side₂``…, dropping a side that prints the same as the one before."""
    rows: list[Row] = []
    previous = None
    for k, (side, rel) in enumerate(sides):
        text = side if isinstance(side, str) else side.latex()
        if text == previous:
            continue
        rows.append(Row(lhs if not rows else "", first_rel if not rows else rel, text))
        previous = text
    return Chain(tuple(rows))


def _value_side(value: Fraction) -> tuple[E.Expr, str, Shown]:
    s = shown(value)
    return E.num(s.value, s.text), s.rel, s


def _mean_sides(terms: list[E.Expr], n: int) -> tuple[list[tuple[E.Expr, str]], Shown]:
    """``1/N (t₁ + … )`` = ``1/N (v₁ + …)`` = ``1/N × S`` = mean, each value from the side before."""
    inv_n = E.frac(1, n)
    sides: list[tuple[E.Expr, str]] = []
    if n == 1:
        sides.append((terms[0], "="))
    else:
        sides.append((E.BinOp("*", inv_n, E.paren(E.add(*terms)), "implicit"), "="))
    values = [shown(t.evaluate()) for t in terms]
    if any(not isinstance(t, E.Num) for t in terms):
        rel = "=" if all(v.exact for v in values) else APPROX
        nums = [E.num(v.value, v.text) for v in values]
        sides.append((E.BinOp("*", inv_n, E.paren(E.add(*nums)), "implicit") if n > 1 else nums[0], rel))
    total = sum((v.value for v in values), Fraction(0))
    if n > 1:
        sides.append((E.mul(inv_n, E.num(total)), "="))
    node, rel, result = _value_side(total / n)
    sides.append((node, rel))
    return sides, result


class PageBuilder:
    """Builds the detailed epochs one after another, carrying the page's own shown values."""

    def __init__(self, lesson: Lesson, derivation: Derivation):
        self.lesson = lesson
        self.derivation = derivation
        self.data = {n: tuple(to_fraction(v) for v in lesson.column(n)) for n, _ in lesson.data}
        self.lr = shown(lesson.learning_rate)

    def start_values(self, epoch: int, carried: dict[str, Shown] | None, trace: Trace) -> dict[str, Shown]:
        """The parameters an epoch starts from: the page's own, or NumPy's when epochs were skipped."""
        if carried is not None:
            return carried
        if epoch == 1:
            return {n: shown(v) for n, v in self.lesson.parameters}
        record = trace.epochs[epoch - 1]
        return {n: shown(to_fraction(record.params[n])) for n in self.lesson.parameter_names}

    def epoch(self, epoch: int, params: dict[str, Shown], trace: Trace) -> EpochPage:
        lesson, d = self.lesson, self.derivation
        n = lesson.size
        param_nums = {p: E.num(s.value, s.text) for p, s in params.items()}

        # forward pass, in vector form: ŷ = f(x) = f([x₁ …]) = [ŷ₁ …]
        vectors = {k: E.vec(*[E.num(v) for v in vals]) for k, vals in self.data.items()}
        substituted = formula.times_style(formula.substitute(lesson.model.tree, {**param_nums, **vectors}))
        raw = substituted.evaluate()
        raw = raw if isinstance(raw, tuple) else (raw,) * n
        preds = [shown(v) for v in raw]
        pred_vec = E.vec(*[E.num(p.value, p.text) for p in preds])
        forward = _chain(r"\hat{y}", "=", [
            (lesson.model.tree, "="),
            (substituted, "="),
            (pred_vec, "=" if all(p.exact for p in preds) else APPROX),
        ])

        def point_map(i: int) -> dict[str, E.Expr]:
            m = {k: E.num(vals[i]) for k, vals in self.data.items()}
            m["f"] = E.num(preds[i].value, preds[i].text)
            return {**m, **param_nums}

        loss_terms = [formula.times_style(formula.substitute(d.loss_summand_f, point_map(i))) for i in range(n)]
        sides, loss_value = _mean_sides(loss_terms, n)
        loss = _chain("J", "=", [(rf"{SUM_PREFIX}{summand_tex(d.loss_summand_f)}", "="), *sides])

        gradients, grad_values = [], []
        for partial in d.partials:
            terms = [formula.times_style(formula.substitute(partial.summand_f, point_map(i))) for i in range(n)]
            sides, g = _mean_sides(terms, n)
            gradients.append(_chain(partial.lhs, "=", [(rf"{SUM_PREFIX}{summand_tex(partial.summand_f)}", "="), *sides]))
            grad_values.append(g)

        updates, after = [], []
        for partial, g in zip(d.partials, grad_values):
            p = partial.parameter
            old = params[p]
            step = E.sub(E.num(old.value, old.text), E.mul(E.num(self.lr.value, self.lr.text), E.num(g.value, g.text)))
            node, rel, new = _value_side(step.evaluate())
            updates.append(_chain(param_tex(p), ASSIGN, [
                (rf"{param_tex(p)} - \alpha {partial.lhs}", ASSIGN),
                (step, "="),
                (node, rel),
            ]))
            after.append(Binding(p, param_tex(p), new))
        self._check_drift(epoch, after, trace)
        return EpochPage(
            epoch=epoch,
            start=tuple(Binding(p, param_tex(p), params[p]) for p in lesson.parameter_names),
            forward=forward,
            loss=loss,
            gradients=tuple(gradients),
            updates=tuple(updates),
            after=tuple(after),
            loss_value=loss_value,
            gradient_values=tuple(grad_values),
        )

    def _check_drift(self, epoch: int, after: list[Binding], trace: Trace) -> None:
        record = trace.epochs[epoch - 1]
        for b in after:
            reference = to_fraction(record.params_after[b.name])
            scale = max(abs(reference), Fraction(1))
            if abs(b.value.value - reference) > DRIFT * scale:
                raise DriftError(
                    f"epoch {epoch}: the page's {b.name} = {b.value.text} but NumPy has {float(reference)!r}"
                )

    def prediction(self, point: Fraction, params: dict[str, Shown]) -> Prediction:
        lesson = self.lesson
        x = lesson.inputs[0]
        general = formula.times_style(formula.substitute(lesson.model.tree, {x: E.num(point)}))
        numbers = formula.times_style(formula.substitute(
            lesson.model.tree, {x: E.num(point), **{p: E.num(s.value, s.text) for p, s in params.items()}}))
        node, rel, value = _value_side(numbers.evaluate())
        label = f"f({show(point)})"
        return Prediction(show(point), _chain(label, "=", [(general, "="), (numbers, "="), (node, rel)]), value)
