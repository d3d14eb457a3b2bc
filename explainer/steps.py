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
    node: E.Expr | None = None  # how the value prints when a worksheet hides it


@dataclass(frozen=True)
class Sheet:
    """A worksheet policy: which epochs, which results, and what share of the terms become blanks."""

    epochs: tuple[int, ...]
    quantities: frozenset  # predictions | loss | gradient | update
    fraction: float = 0.0
    seed: int = 0
    reveal: bool = False  # False: the student's blanks; True: the answer key, answers underlined

    def hides(self, epoch: int, quantity: str) -> bool:
        return epoch in self.epochs and quantity in self.quantities

    def hides_term(self, epoch: int, where: str) -> bool:
        """A term chosen by the seeded share: the same choice for the worksheet and its key."""
        import random

        return epoch in self.epochs and random.Random(f"{self.seed}:{epoch}:{where}").random() < self.fraction


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
    batch: tuple[int, ...] | None = None  # 1-based indices of the points this step used
    batch_data: tuple[str, ...] = ()  # x_{B} = […], y_{B} = […]
    size: int = 0  # points in this step's sums
    velocity_after: tuple[Binding, ...] = ()
    loss_text: str = ""  # the loss as a sentence shows it: the number, or the worksheet's blank


@dataclass(frozen=True)
class Prediction:
    point: str
    chain: Chain
    value: Shown


def param_tex(name: str) -> str:
    return formula.tex_name(name)


def velocity_tex(name: str) -> str:
    return f"v_{{{param_tex(name)}}}"


def _batch_tex(name: str, batch: str, index: str = "") -> str:
    """``x`` / ``x_{B}`` / ``x_{B,i}`` / ``x_{1,B,i}``: a data name, in a batch, at a point."""
    parts = [p for p in (batch, index) if p]
    if not parts:
        return formula.tex_name(name)
    return formula.point_tex(name, ",".join(parts))


def _chain(lhs: str, first_rel: str, sides: list[tuple[E.Expr | str, str]]) -> Chain:
    """Rows ``lhs rel side₁``, ``= side₂``…, dropping a side that prints the same as the one before."""
    rows: list[Row] = []
    previous = None
    for side, rel in sides:
        text = side if isinstance(side, str) else side.latex()
        if text == previous:
            continue
        rows.append(Row(lhs if not rows else "", first_rel if not rows else rel, text))
        previous = text
    return Chain(tuple(rows))


def _plain(value: Shown, where: str = "") -> E.Num:
    """A shown value as a number node (``where`` is the term position a worksheet policy may use)."""
    return E.num(value.value, value.text)


def _value_side(value: Fraction) -> tuple[E.Expr, str, Shown]:
    s = shown(value)
    return _plain(s), s.rel, s


def _mean_sides(terms: list[E.Expr], n: int, number=_plain, term_number=_plain) -> tuple[list[tuple[E.Expr, str]], Shown]:
    """``1/N (t₁ + … )`` = ``1/N (v₁ + …)`` = ``1/N × S`` = mean, each value from the side before.

    ``number`` prints the sum and the mean and ``term_number(value, i)`` each term's value, so a
    worksheet can leave them blank while the arithmetic stays the same.
    """
    inv_n = E.frac(1, n)
    sides: list[tuple[E.Expr, str]] = []
    if n == 1:
        sides.append((terms[0], "="))
    else:
        sides.append((E.BinOp("*", inv_n, E.paren(E.add(*terms)), "implicit"), "="))
    values = [shown(t.evaluate()) for t in terms]
    if any(not isinstance(t, E.Num) for t in terms):
        rel = "=" if all(v.exact for v in values) else APPROX
        nums = [term_number(v, str(i)) for i, v in enumerate(values)]
        sides.append((E.BinOp("*", inv_n, E.paren(E.add(*nums)), "implicit") if n > 1 else nums[0], rel))
    total = shown(sum((v.value for v in values), Fraction(0)))
    if n > 1:
        sides.append((E.mul(inv_n, number(total)), total.rel))
    result = shown(total.value / n)  # from the sum as shown, not as it was before rounding
    sides.append((number(result), result.rel))
    return sides, result


@dataclass(frozen=True)
class State:
    """What an epoch starts from: the parameters, and the velocities of a momentum run."""

    params: dict
    velocity: dict | None = None


class PageBuilder:
    """Builds the detailed epochs one after another, carrying the page's own shown values."""

    def __init__(self, lesson: Lesson, derivation: Derivation, sheet: Sheet | None = None):
        self.lesson = lesson
        self.derivation = derivation
        self.sheet = sheet
        self.lr = shown(lesson.learning_rate)
        self.beta = shown(lesson.optimizer.momentum)
        self.momentum = lesson.optimizer.kind == "momentum"

    def _exact(self, batch: tuple[int, ...] | None) -> dict[str, tuple]:
        """The points a step uses, as exact decimals; only a small step's points are converted."""
        rows = range(self.lesson.size) if batch is None else batch
        if len(rows) > self.lesson.document.points_shown:
            return {n: tuple(self.lesson.column(n)[i] for i in rows) for n, _ in self.lesson.data}
        return {n: tuple(to_fraction(self.lesson.column(n)[i]) for i in rows) for n, _ in self.lesson.data}

    def start_state(self, epoch: int, trace: Trace) -> State:
        """Where an epoch starts when the page did not just compute it: the lesson, or NumPy's run."""
        names = self.lesson.parameter_names
        if epoch == 1:
            params = {n: shown(v) for n, v in self.lesson.parameters}
            velocity = {n: shown(Fraction(0)) for n in names} if self.momentum else None
            return State(params, velocity)
        previous = trace.epochs[epoch - 2]
        params = {n: shown(to_fraction(previous.params_after[n])) for n in names}
        velocity = None
        if self.momentum:
            velocity = {n: shown(to_fraction(previous.velocity_after[n])) for n in names}
        return State(params, velocity)

    def _number(self, epoch: int, quantity: str):
        """How this epoch prints a value of ``quantity``: a number, or a worksheet's blank."""
        if self.sheet is None or not self.sheet.hides(epoch, quantity):
            return _plain
        reveal = self.sheet.reveal
        return lambda v, where="": E.Hidden(v.value, v.text, reveal)

    def _term_number(self, epoch: int, quantity: str, chain: str):
        """Term values: blank with their quantity, or when the worksheet's seeded share picks them."""
        whole = self._number(epoch, quantity)
        if self.sheet is None or whole is not _plain or not self.sheet.fraction:
            return whole
        sheet = self.sheet

        def number(v: Shown, where: str = "") -> E.Num:
            if sheet.hides_term(epoch, f"{chain}:{where}"):
                return E.Hidden(v.value, v.text, sheet.reveal)
            return _plain(v)
        return number

    def epoch(self, epoch: int, state: State, trace: Trace) -> EpochPage:
        lesson, d = self.lesson, self.derivation
        pred_num, loss_num, grad_num, update_num = (
            self._number(epoch, q) for q in ("predictions", "loss", "gradient", "update"))
        batch = trace.epochs[epoch - 1].batch
        data = self._exact(batch)
        n = len(data[TARGET])
        param_nums = {k: _plain(v) for k, v in state.params.items()}
        suffix = "" if batch is None else "B"
        names = {k: E.sym(k, _batch_tex(k, suffix)) for k in data}
        point_names = {k: E.sym(k, _batch_tex(k, suffix, "i")) for k in data}
        prefix = SUM_PREFIX if batch is None else r"\frac{1}{N_{B}}\sum_{i=1}^{N_{B}}"

        if n <= lesson.document.points_shown:
            vectors = {k: E.vec(*[E.num(v) for v in vals]) for k, vals in data.items()}
            substituted = formula.times_style(formula.substitute(lesson.model.tree, {**param_nums, **vectors}))
            raw = substituted.evaluate()
            preds = [shown(v) for v in (raw if isinstance(raw, tuple) else (raw,) * n)]
            forward = _chain(r"\hat{y}", "=", [
                (formula.substitute(lesson.model.tree, names), "="),
                (substituted, "="),
                (E.vec(*[pred_num(p) for p in preds]), "=" if all(p.exact for p in preds) else APPROX),
            ])

            def point_map(i: int) -> dict[str, E.Expr]:
                m = {k: E.num(vals[i]) for k, vals in data.items()}
                return {**m, **param_nums, "f": pred_num(preds[i])}

            loss_sides, loss_value = _mean_sides([d.loss_term(point_map(i)) for i in range(n)], n,
                                                 loss_num, self._term_number(epoch, "loss", "loss"))
            grad_sides = [_mean_sides([p.term(point_map(i)) for i in range(n)], n,
                                      grad_num, self._term_number(epoch, "gradient", f"gradient:{p.parameter}"))
                          for p in d.partials]
        else:
            forward = self._first_predictions(data, names, param_nums)
            loss_sides, loss_value, grad_sides = self._aggregates(data, state.params, n)

        rename = {**point_names, "f": E.sym("f", r"\hat{y}_{i}")}
        loss = _chain("J", "=", [(prefix + summand_tex(formula.substitute(d.loss_summand_f, rename)), "="), *loss_sides])
        gradients = tuple(
            _chain(p.lhs, "=", [(prefix + summand_tex(formula.substitute(p.summand_f, rename)), "="), *sides])
            for p, (sides, _) in zip(d.partials, grad_sides)
        )
        grad_values = tuple(g for _, g in grad_sides)
        updates, after, velocity_after = self._updates(state, grad_values, grad_num, update_num)
        self._check_drift(epoch, after, trace)
        return EpochPage(
            epoch=epoch,
            start=tuple(Binding(p, param_tex(p), state.params[p]) for p in lesson.parameter_names)
            + tuple(Binding(p, velocity_tex(p), v) for p, v in (state.velocity or {}).items()),
            forward=forward,
            loss=loss,
            gradients=gradients,
            updates=tuple(updates),
            after=tuple(after),
            loss_value=loss_value,
            gradient_values=grad_values,
            batch=None if batch is None else tuple(i + 1 for i in batch),
            batch_data=tuple(f"{_batch_tex(k, 'B')} = {E.vec(*[E.num(v) for v in vals]).latex()}"
                             for k, vals in data.items()) if batch is not None else (),
            size=n,
            velocity_after=tuple(velocity_after),
            loss_text=loss_value.text if loss_num is _plain else f"${loss_num(loss_value).latex()}$",
        )

    def _first_predictions(self, data: dict, names: dict, param_nums: dict) -> Chain:
        """For data too large to write out: the first prediction, substituted, as an example."""
        first = {k: E.num(to_fraction(vals[0])) for k, vals in data.items()}
        general = formula.substitute(self.lesson.model.tree, {k: E.sym(k, _batch_tex(k, "", "1")) for k in data})
        substituted = formula.times_style(formula.substitute(self.lesson.model.tree, {**param_nums, **first}))
        node, rel, _ = _value_side(substituted.evaluate())
        return _chain(r"\hat{y}_{1}", "=", [(general, "="), (substituted, "="), (node, rel)])

    def _aggregates(self, data: dict, params: dict[str, Shown], n: int):
        """Loss and gradients of many points: each sum in float64 (fsum), shown with ≈, then divided exactly."""
        import math

        import numpy as np

        from .trace import compile_point_functions

        loss_fn, grad_fns = compile_point_functions(self.lesson, self.derivation)
        columns = [np.asarray([float(v) for v in data[k]]) for k in (*self.lesson.inputs, TARGET)]
        values = [float(params[p].value) for p in self.lesson.parameter_names]

        def mean_sides(fn):
            per_point = np.broadcast_to(fn(*columns, *values), columns[0].shape)
            total = shown(to_fraction(math.fsum(per_point.tolist())))
            result = shown(total.value / n)
            return [(E.mul(E.frac(1, n), _plain(total)), APPROX), (_plain(result), result.rel)], result

        loss_sides, loss_value = mean_sides(loss_fn)
        return loss_sides, loss_value, [mean_sides(g) for g in grad_fns]

    def _updates(self, state: State, gradients: tuple[Shown, ...], grad_num=_plain, update_num=_plain):
        updates, after, velocity_after = [], [], []
        for partial, g in zip(self.derivation.partials, gradients):
            p = partial.parameter
            old = state.params[p]
            step_size: E.Expr = grad_num(g)
            rule = rf"{param_tex(p)} - \alpha {partial.lhs}"
            if self.momentum:
                v_old = state.velocity[p]
                v_expr = E.add(E.mul(_plain(self.beta), _plain(v_old)), grad_num(g))
                v_new = shown(v_expr.evaluate())
                updates.append(_chain(velocity_tex(p), ASSIGN, [
                    (rf"\beta {velocity_tex(p)} + {partial.lhs}", ASSIGN), (v_expr, "="), (update_num(v_new), v_new.rel)]))
                velocity_after.append(Binding(p, velocity_tex(p), v_new, update_num(v_new)))
                step_size = update_num(v_new)
                rule = rf"{param_tex(p)} - \alpha {velocity_tex(p)}"
            step = E.sub(_plain(old), E.mul(_plain(self.lr), step_size))
            new = shown(step.evaluate())
            updates.append(_chain(param_tex(p), ASSIGN, [(rule, ASSIGN), (step, "="), (update_num(new), new.rel)]))
            after.append(Binding(p, param_tex(p), new, update_num(new)))
        return updates, after, velocity_after

    def _check_drift(self, epoch: int, after: list[Binding], trace: Trace) -> None:
        record = trace.epochs[epoch - 1]
        for b in after:
            reference = to_fraction(record.params_after[b.name])
            scale = max(abs(reference), Fraction(1))
            if abs(b.value.value - reference) > DRIFT * scale:
                raise DriftError(
                    f"epoch {epoch}: the page's {b.name} = {b.value.text} but NumPy has {float(reference)!r}"
                )

    def prediction(self, point: tuple[Fraction, ...], params: dict[str, Shown]) -> Prediction:
        lesson = self.lesson
        inputs = {x: E.num(v) for x, v in zip(lesson.inputs, point)}
        general = formula.times_style(formula.substitute(lesson.model.tree, inputs))
        numbers = formula.times_style(formula.substitute(
            lesson.model.tree, {**inputs, **{p: _plain(s) for p, s in params.items()}}))
        node, rel, value = _value_side(numbers.evaluate())
        label = ", ".join(show(v) for v in point)
        return Prediction(label, _chain(f"f({label})", "=", [(general, "="), (numbers, "="), (node, rel)]), value)

    def gradient_vector(self, page: EpochPage) -> Chain:
        """``∇J = [∂J/∂w₁, …] = [g₁, …]``: the partial derivatives gathered into one vector."""
        names = [g.rows[0].lhs for g in page.gradients]
        values = E.vec(*[self._number(page.epoch, "gradient")(v) for v in page.gradient_values])
        return _chain(r"\nabla J", "=", [(r"\left[" + ", ".join(names) + r"\right]", "="), (values, "=")])
