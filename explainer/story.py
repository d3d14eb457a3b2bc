"""The learning-rate story: the same lesson at several rates, and why one converges, one crawls, one diverges.

Near a minimum the loss is a bowl whose steepest and flattest curvatures are the largest and smallest
eigenvalues λ of its Hessian (exactly so for a squared error with a linear model, where the Hessian
is constant). One step of size α multiplies the distance to the minimum along each eigen-direction
by (1 − αλ): when |1 − αλ_max| > 1 the steps overshoot more each time and the run diverges; when
|1 − αλ_min| is close to 1 the run crawls. The verdicts are then confirmed on each NumPy run.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from . import trace as tr
from .numbers import show, show_prose, to_fraction
from .spec import TARGET, Lesson
from .steps import Shown, shown

#: A run has converged when the loss above its minimum shrank to this fraction or less.
CONVERGED = Fraction(1, 100)


@dataclass(frozen=True)
class RateRun:
    rate: str
    verdict: str  # converges | crawls | diverges
    factor: str  # LaTeX: \left|1 - 0.01 \times 15\right| = 0.85
    remaining: str  # factor^(2·epochs): the share of the excess loss left after the run
    final_loss: str
    stopped_at: int | None
    epochs: tuple[int, ...]
    losses: tuple[float, ...]


@dataclass(frozen=True)
class Story:
    quadratic: bool
    curvature: str  # λ_max as shown
    curvature_min: str
    limit: str  # LaTeX: \frac{2}{15} \approx 0.1333333333
    epochs: int
    runs: tuple[RateRun, ...]


def _hessian_eigenvalues(lesson: Lesson, derivation) -> tuple[list[Fraction], bool]:
    """Eigenvalues of the Hessian of J at the starting parameters; exact for one parameter."""
    import numpy as np
    import sympy as sp

    params = [derivation.symbols[p] for p in lesson.parameter_names]
    order = [derivation.symbols[n] for n in (*lesson.inputs, TARGET, *lesson.parameter_names)]
    entries = [[sp.diff(derivation.point_loss, a, b) for b in params] for a in params]
    quadratic = all(not (e.free_symbols & set(params)) for row in entries for e in row)
    if len(params) == 1 and quadratic:
        # one parameter: the curvature is the mean of exact per-point second derivatives
        point = {derivation.symbols[n]: sp.Rational(str(v)) for n, v in lesson.parameters}
        values = [entries[0][0].subs({**point, **{derivation.symbols[k]: sp.Rational(repr(lesson.column(k)[i]))
                                                  for k in (*lesson.inputs, TARGET)}})
                  for i in range(lesson.size)] if lesson.size <= 1000 else None
        if values is not None and all(v.is_Rational for v in values):
            total = sum(values, sp.Integer(0)) / lesson.size
            return [Fraction(int(total.p), int(total.q))], quadratic
    columns = [np.asarray(lesson.column(n), dtype=float) for n in (*lesson.inputs, TARGET)]
    start = [float(v) for _, v in lesson.parameters]
    h = np.empty((len(params), len(params)))
    for i, row in enumerate(entries):
        for j, e in enumerate(row):
            fn = sp.lambdify(order, e, modules="numpy")
            h[i, j] = float(np.mean(np.broadcast_to(fn(*columns, *start), columns[0].shape)))
    return sorted(to_fraction(float(v)) for v in np.linalg.eigvalsh(h)), quadratic


def tell(lesson: Lesson, derivation) -> Story | None:
    rates = lesson.document.compare_learning_rates
    if not rates:
        return None
    eigen, quadratic = _hessian_eigenvalues(lesson, derivation)
    lam_max, lam_min = shown(eigen[-1]), shown(max(eigen[0], Fraction(0)))
    limit = Fraction(2) / lam_max.value if lam_max.value > 0 else None
    runs = []
    for rate in rates:
        run = tr.descend(lesson, derivation, learning_rate=rate)
        factor_max = abs(1 - rate * lam_max.value)
        factor_min = abs(1 - rate * lam_min.value)
        factor = max(factor_max, factor_min)
        remaining = factor ** (2 * lesson.epochs) if factor < 1 else None
        first, last = run.epochs[0].loss, run.epochs[-1].loss
        if run.diverged_at is not None or factor > 1 or last > first:
            verdict = "diverges"
        elif remaining is not None and remaining <= CONVERGED:
            verdict = "converges"
        else:
            verdict = "crawls"
        worst = "max" if factor_max >= factor_min else "min"
        lam = lam_max if worst == "max" else lam_min
        runs.append(RateRun(
            rate=show(rate),
            verdict=verdict,
            factor=rf"\left|1 - {show(rate)} \times {lam.text}\right| {shown(factor).rel} {shown(factor).text}",
            remaining=f"{float(remaining):.2g}" if remaining is not None else "",
            final_loss=show_prose(last),
            stopped_at=run.diverged_at,
            epochs=tuple(r.epoch for r in run.epochs),
            losses=tuple(r.loss for r in run.epochs),
        ))
    limit_tex = ""
    if limit is not None:
        s: Shown = shown(limit)
        limit_tex = rf"\frac{{2}}{{{lam_max.text}}} {s.rel} {s.text}"
    return Story(quadratic, lam_max.text, lam_min.text, limit_tex, lesson.epochs, tuple(runs))
