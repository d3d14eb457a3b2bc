"""The numeric run: the lesson's NumPy program (float64), the independent reference for every page.

The run is the very program the document prints (:mod:`explainer.program`), executed once: its
``history`` gives one record per epoch, so memory stays proportional to the data plus the epochs,
and the reader's copy of the program reproduces the trace line for line. A run whose loss or
parameters stop being finite is cut at that epoch and marked diverged; what to do about it is the
caller's decision (explain it in the document, or refuse the spec).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .derive import Derivation
from .spec import TARGET, Lesson

#: A loss beyond this is treated as overflow: squaring it again would leave float64's range.
OVERFLOW = 1e150


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    params: dict
    loss: float
    gradient: dict
    params_after: dict
    batch: tuple[int, ...] | None = None  # indices used, kept for detailed epochs of a stochastic run
    velocity_after: dict | None = None


@dataclass(frozen=True)
class Trace:
    parameters: tuple[str, ...]
    learning_rate: Fraction
    epochs: tuple[EpochRecord, ...]
    diverged_at: int | None
    final_params: dict
    program: object = None  # the program.Program that was run

    @property
    def losses(self) -> list[float]:
        return [r.loss for r in self.epochs]


def compile_point_functions(lesson: Lesson, derivation: Derivation):
    """Vectorised NumPy functions of (inputs..., y, params...) for the loss and each gradient summand.

    ``lambdify`` prints our own validated SymPy tree to NumPy code; no user text is evaluated.
    """
    import sympy as sp

    order = [derivation.symbols[n] for n in (*lesson.inputs, TARGET, *lesson.parameter_names)]
    loss = sp.lambdify(order, derivation.point_loss, modules="numpy", cse=True)
    grads = [sp.lambdify(order, p.point_gradient, modules="numpy", cse=True) for p in derivation.partials]
    return loss, grads


def replay_batches(lesson: Lesson, epochs: frozenset) -> dict[int, tuple[int, ...]]:
    """The batch each of ``epochs`` used, by replaying the program's random draws in the same order."""
    import numpy as np

    opt = lesson.optimizer
    if opt.kind not in ("sgd", "minibatch") or not epochs:
        return {}
    rng = np.random.default_rng(opt.seed)
    out = {}
    for epoch in range(1, max(epochs) + 1):
        idx = rng.choice(lesson.size, size=opt.batch_size, replace=False)
        if epoch in epochs:
            out[epoch] = tuple(int(i) for i in idx)
    return out


def descend(lesson: Lesson, derivation: Derivation, learning_rate: Fraction | None = None,
            keep_batches: frozenset = frozenset()) -> Trace:
    from . import program

    run = program.run(lesson, derivation, learning_rate)
    names = lesson.parameter_names
    k = len(names)
    batches = replay_batches(lesson, keep_batches)
    params = {n: float(v) for n, v in lesson.parameters}
    records: list[EpochRecord] = []
    diverged_at = None
    for epoch, row in enumerate(run.history, start=1):
        loss = float(row[0])
        gradient = dict(zip(names, map(float, row[1:1 + k])))
        after = dict(zip(names, map(float, row[1 + k:1 + 2 * k])))
        velocity = dict(zip(names, map(float, row[1 + 2 * k:]))) if len(row) > 1 + 2 * k else None
        records.append(EpochRecord(epoch, params, loss, gradient, after, batches.get(epoch), velocity))
        if not (math.isfinite(loss) and abs(loss) < OVERFLOW and all(map(math.isfinite, after.values()))):
            diverged_at = epoch
            break
        params = after
    return Trace(
        parameters=names,
        learning_rate=Fraction(learning_rate if learning_rate is not None else lesson.learning_rate),
        epochs=tuple(records),
        diverged_at=diverged_at,
        final_params=params,
        program=run,
    )
