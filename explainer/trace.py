"""The numeric run: NumPy float64 gradient descent, the independent reference for every page.

Memory stays proportional to the data plus one small record per epoch: the per-point arrays are
overwritten each epoch, and only the batches of detailed epochs are kept. A run whose loss or
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


def batch_indices(lesson: Lesson, rng, size: int):
    """Indices of the points one step uses: all of them for gradient descent and momentum."""
    opt = lesson.optimizer
    if opt.kind in ("sgd", "minibatch"):
        return rng.choice(size, size=opt.batch_size, replace=False)
    return None


def descend(lesson: Lesson, derivation: Derivation, learning_rate: Fraction | None = None,
            keep_batches: frozenset = frozenset()) -> Trace:
    import numpy as np

    lr = float(learning_rate if learning_rate is not None else lesson.learning_rate)
    columns = [np.asarray(lesson.column(n), dtype=np.float64) for n in (*lesson.inputs, TARGET)]
    names = lesson.parameter_names
    params = np.array([float(v) for _, v in lesson.parameters], dtype=np.float64)
    velocity = np.zeros_like(params)
    loss_fn, grad_fns = compile_point_functions(lesson, derivation)
    rng = np.random.default_rng(lesson.optimizer.seed)
    momentum = lesson.optimizer.kind == "momentum"
    beta = float(lesson.optimizer.momentum)
    size = lesson.size

    records: list[EpochRecord] = []
    diverged_at = None
    with np.errstate(all="ignore"):
        for epoch in range(1, lesson.epochs + 1):
            idx = batch_indices(lesson, rng, size)
            data = columns if idx is None else [c[idx] for c in columns]
            args = (*data, *params)
            loss = float(np.mean(np.broadcast_to(loss_fn(*args), data[0].shape)))
            grad = np.array([np.mean(np.broadcast_to(g(*args), data[0].shape)) for g in grad_fns])
            if momentum:
                velocity = beta * velocity + grad
                new = params - lr * velocity
            else:
                new = params - lr * grad
            ok = math.isfinite(loss) and abs(loss) < OVERFLOW and bool(np.all(np.isfinite(new)))
            records.append(
                EpochRecord(
                    epoch=epoch,
                    params=dict(zip(names, params.tolist())),
                    loss=loss,
                    gradient=dict(zip(names, grad.tolist())),
                    params_after=dict(zip(names, new.tolist())),
                    batch=tuple(int(i) for i in idx) if idx is not None and epoch in keep_batches else None,
                    velocity_after=dict(zip(names, velocity.tolist())) if momentum else None,
                )
            )
            if not ok:
                diverged_at = epoch
                break
            params = new
    return Trace(
        parameters=names,
        learning_rate=Fraction(learning_rate if learning_rate is not None else lesson.learning_rate),
        epochs=tuple(records),
        diverged_at=diverged_at,
        final_params=dict(zip(names, params.tolist())),
    )


def predict(lesson: Lesson, params: dict, inputs: dict) -> float:
    """The model's value at one input point with float parameters (for predictions and plots)."""
    import numpy as np
    from . import formula

    symbols: dict = {}
    expression = formula.to_sympy(lesson.model.tree, symbols)
    value = expression.subs({symbols[k]: v for k, v in {**params, **inputs}.items() if k in symbols})
    return float(np.float64(value))
