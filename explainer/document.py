"""The document model: everything a template needs, gathered from the lesson, derivation and trace.

Nothing here is prose or LaTeX layout: the page is numbers, chains and bindings; the templates
decide the words and the order.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from . import formula, story
from .derive import Derivation
from .errors import DivergenceError
from .numbers import SIGNIFICANT, show, show_places, show_prose, to_fraction
from .spec import Lesson
from .steps import Binding, Chain, EpochPage, PageBuilder, Prediction, Row, Sheet, State, shown
from .trace import Trace


@dataclass(frozen=True)
class PartialPage:
    parameter: str
    tex: str
    chain: Chain
    rules: tuple[str, ...]


@dataclass(frozen=True)
class LogRow:
    epoch: int
    params: tuple[str, ...]
    loss: str


@dataclass(frozen=True)
class Why:
    parameter: str
    gradient: str
    sign: str  # negative | positive | zero
    before: str
    after: str
    loss_before: str
    loss_after: str | None
    loss_fell: bool


@dataclass(frozen=True)
class Divergence:
    epoch: int
    first: str
    last: str


@dataclass(frozen=True)
class Page:
    name: str
    title: str
    lang: str
    n: int
    columns: tuple[str, ...]  # tex of the data columns
    rows: tuple[tuple[str, ...], ...]
    size: str  # N = 4
    vectors: tuple[str, ...]  # x = [1, 2, 3, 4] … (when the data is small enough to show)
    rate: str  # \alpha = 0.01
    momentum: str | None  # \beta = 0.9 for a momentum run
    batch_size: int  # 0 for full-batch gradient descent
    seed: int
    points_shown: int
    start: tuple[str, ...]  # w = 0 …
    model: str
    loss_kind: str
    loss: Chain
    partials: tuple[PartialPage, ...]
    definitions: tuple[tuple[str, str], ...]
    delta: str
    epochs: tuple[EpochPage, ...]
    gradient_vectors: tuple[Chain, ...]  # one per detailed epoch when there are several parameters
    log_every: int
    log_params: tuple[str, ...]
    log: tuple[LogRow, ...]
    predictions_before: tuple[Prediction, ...]
    predictions_after: tuple[Prediction, ...]
    initial: tuple[Binding, ...]
    final: tuple[Binding, ...]
    program: object  # program.Program: the code and its printed output
    why: Why | None
    story: object  # story.Story | None
    divergence: Divergence | None
    learning_rate: str
    significant: int = SIGNIFICANT


def _vector(values) -> str:
    return "[" + ", ".join(show(to_fraction(v)) for v in values) + "]"


def _usable(trace: Trace) -> int:
    """Epochs with finite numbers: all of them, or those before the one that overflowed."""
    return len(trace.epochs) if trace.diverged_at is None else trace.diverged_at - 1


def _epoch_pages(builder: PageBuilder, lesson: Lesson, trace: Trace) -> tuple[tuple[EpochPage, ...], tuple[Chain, ...]]:
    """The detailed epochs, each starting from the page's own values when it follows another."""
    epochs: list[EpochPage] = []
    for e in lesson.document.detailed:
        if e > _usable(trace):
            break
        if epochs and epochs[-1].epoch == e - 1:
            last = epochs[-1]
            state = State({b.name: b.value for b in last.after},
                          {b.name: b.value for b in last.velocity_after} or None)
        else:
            state = builder.start_state(e, trace)
        epochs.append(builder.epoch(e, state, trace))
    vectors = tuple(builder.gradient_vector(e) for e in epochs) if len(lesson.parameters) > 1 else ()
    return tuple(epochs), vectors


def with_sheet(page: Page, lesson: Lesson, derivation: Derivation, trace: Trace, sheet: Sheet) -> Page:
    """The same page with a worksheet's blanks (or its key's underlined answers) in the epochs."""
    epochs, vectors = _epoch_pages(PageBuilder(lesson, derivation, sheet), lesson, trace)
    return replace(page, epochs=epochs, gradient_vectors=vectors)


def assemble(lesson: Lesson, derivation: Derivation, trace: Trace, lang: str) -> Page:
    if trace.diverged_at is not None and not lesson.document.show_divergence:
        first, last = trace.epochs[0].loss, trace.epochs[-1].loss
        raise DivergenceError(
            f"learning_rate = {show(lesson.learning_rate)} makes the run diverge: the loss grew from "
            f"{show(to_fraction(first))} to {last:.4g} by epoch {trace.diverged_at}. Use a smaller "
            "learning_rate, or set [document] show_divergence = true to explain the divergence in the document."
        )
    builder = PageBuilder(lesson, derivation)
    usable = _usable(trace)
    epochs, gradient_vectors = _epoch_pages(builder, lesson, trace)

    columns = tuple(formula.tex_name(n) for n, _ in lesson.data)
    rows = tuple(
        (str(i + 1),) + tuple(show(to_fraction(lesson.column(n)[i])) for n, _ in lesson.data)
        for i in range(min(lesson.size, lesson.document.points_shown))
    )
    vectors = ()
    if lesson.size <= lesson.document.points_shown:
        vectors = tuple(f"{formula.tex_name(n)} = {_vector(lesson.column(n))}" for n, _ in lesson.data)

    partials = tuple(
        PartialPage(
            parameter=p.parameter,
            tex=formula.tex_name(p.parameter),
            chain=Chain(tuple(Row(p.lhs if k == 0 else "", "=", s.latex, s.rule) for k, s in enumerate(p.steps))),
            rules=tuple(s.rule for s in p.steps[1:]),
        )
        for p in derivation.partials
    )
    args = ", ".join(formula.tex_name(p) for p in lesson.parameter_names)
    loss_chain = Chain((
        Row(f"J({args})", "=", derivation.loss_general),
        Row("", "=", derivation.loss_model),
    ))
    inputs = ", ".join(formula.tex_name(n) for n in lesson.inputs)

    usable_records = trace.epochs[:usable] if usable else ()
    log = tuple(
        LogRow(r.epoch, tuple(_log_value(r.params_after[p]) for p in lesson.parameter_names), show_prose(r.loss))
        for r in usable_records
        if (r.epoch - 1) % lesson.document.log_every == 0
    )

    start = {n: shown(v) for n, v in lesson.parameters}
    final_values = trace.final_params if trace.diverged_at is None else trace.epochs[usable - 1].params_after if usable else {}
    final = {n: shown(to_fraction(v)) for n, v in final_values.items()}
    before = tuple(builder.prediction(x, start) for x in lesson.document.predict)
    after = tuple(builder.prediction(x, final) for x in lesson.document.predict) if final else ()

    divergence = None
    if trace.diverged_at is not None:
        divergence = Divergence(trace.diverged_at, show(to_fraction(trace.epochs[0].loss)), f"{trace.epochs[-1].loss:.4g}")

    return Page(
        name=lesson.name,
        title=lesson.title_in(lang),
        lang=lang,
        n=lesson.size,
        columns=columns,
        rows=rows,
        size=f"N = {lesson.size}",
        vectors=vectors,
        rate=rf"\alpha = {show(lesson.learning_rate)}",
        momentum=rf"\beta = {show(lesson.optimizer.momentum)}" if lesson.optimizer.kind == "momentum" else None,
        batch_size=lesson.optimizer.batch_size,
        seed=lesson.optimizer.seed,
        points_shown=lesson.document.points_shown,
        start=tuple(f"{formula.tex_name(n)} = {show(v)}" for n, v in lesson.parameters),
        model=f"f({inputs}) = {lesson.model.tree.latex()}",
        loss_kind=lesson.loss.kind,
        loss=loss_chain,
        partials=partials,
        definitions=derivation.definitions,
        delta=show(lesson.loss.delta),
        epochs=epochs,
        gradient_vectors=gradient_vectors,
        log_every=lesson.document.log_every,
        log_params=tuple(formula.tex_name(p) for p in lesson.parameter_names),
        log=log,
        predictions_before=before,
        predictions_after=after,
        initial=tuple(Binding(n, formula.tex_name(n), s) for n, s in start.items()),
        final=tuple(Binding(n, formula.tex_name(n), s) for n, s in final.items()) if after else (),
        program=trace.program,
        why=_why(epochs, trace),
        story=story.tell(lesson, derivation),
        divergence=divergence,
        learning_rate=show(lesson.learning_rate),
    )


def _log_value(value: float) -> str:
    """A parameter in the training log: 3 decimals like the program prints, e-notation once huge."""
    return show_places(value, 3) if abs(value) < 1e6 else f"{value:.4g}"


def _why(epochs: tuple[EpochPage, ...], trace: Trace) -> Why | None:
    """The first detailed epoch's own numbers, when it is epoch 1, for the 'why' section."""
    if not epochs or epochs[0].epoch != 1:
        return None
    page = epochs[0]
    start, after, g = page.start[0], page.after[0], page.gradient_values[0]
    sign = "negative" if g.value < 0 else "positive" if g.value > 0 else "zero"
    next_loss = None
    if len(epochs) > 1 and epochs[1].epoch == 2:
        next_loss = epochs[1].loss_value
    elif len(trace.epochs) > 1:
        next_loss = shown(to_fraction(trace.epochs[1].loss))
    return Why(
        parameter=start.tex,
        gradient=g.text,
        sign=sign,
        before=start.value.text,
        after=after.value.text,
        loss_before=page.loss_value.text,
        loss_after=next_loss.text if next_loss else None,
        loss_fell=next_loss is not None and next_loss.value < page.loss_value.value,
    )
