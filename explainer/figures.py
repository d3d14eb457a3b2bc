"""The lesson's pictures: which plots a lesson gets, fed with its own trace and words.

A one-parameter lesson gets its loss curve J(w) with the steps and the tangent at the first
detailed epoch; a two-parameter lesson gets contours with the path; every lesson gets the loss per
epoch. The drawing itself is :mod:`explainer.plots`.
"""
from __future__ import annotations

import numpy as np

from .catalog import catalog
from .spec import TARGET, Lesson
from .trace import Trace, compile_point_functions

#: Data points per chunk when the loss is evaluated over a grid (bounds memory for big data).
CHUNK = 128
#: Points drawn on a loss curve, and steps drawn on a landscape, at most (a long run is thinned).
CURVE_POINTS = 400
PATH_STEPS = 24
#: A landscape of more points than this is drawn from every k-th point (the shape, not the page's numbers).
LANDSCAPE_POINTS = 5_000


def _loss_over_grid(lesson: Lesson, derivation):
    """J at many parameter values at once, summing over the data in chunks."""
    import numpy as np

    loss_fn, _ = compile_point_functions(lesson, derivation)
    stride = max(1, lesson.size // LANDSCAPE_POINTS)
    columns = [np.asarray(lesson.column(n), dtype=np.float64)[::stride] for n in (*lesson.inputs, TARGET)]
    size = columns[0].size

    def loss_of(*params):
        params = [np.asarray(p, dtype=np.float64) for p in params]
        shape = np.broadcast(*params).shape
        flat = [np.broadcast_to(p, shape).reshape(1, -1) for p in params]
        total = np.zeros(flat[0].shape[1])
        with np.errstate(all="ignore"):
            for start in range(0, size, CHUNK):
                data = [c[start:start + CHUNK].reshape(-1, 1) for c in columns]
                values = np.broadcast_to(loss_fn(*data, *flat), (data[0].shape[0], total.size))
                total += values.sum(axis=0)
        return (total / size).reshape(shape)

    return loss_of


def thinned(count: int, keep: int) -> list[int]:
    """Indices 0…count-1 to draw: all of a short run; else the first steps, then spaced out to the end."""
    if count <= keep:
        return list(range(count))
    head = keep // 2
    rest = np.unique(np.geomspace(head, count - 1, keep - head).astype(int))
    return sorted(set(range(head)) | set(rest.tolist()) | {count - 1})


def make(lesson: Lesson, derivation, run: Trace, page, lang: str) -> dict[str, str]:
    from . import plots

    t = catalog(lang, "document")
    usable = [r for r in run.epochs if r.epoch != run.diverged_at]
    if not usable:
        return {}
    stem = f"{lesson.name}.{lang}"
    names = lesson.parameter_names
    out = {
        f"{stem}.loss.svg": plots.loss_curve_svg(
            [usable[k].epoch for k in thinned(len(usable), CURVE_POINTS)],
            [usable[k].loss for k in thinned(len(usable), CURVE_POINTS)],
            labels={"x": t("log_epoch"), "y": "J", "title": t("fig_loss_title")},
        )
    }
    if page.story is not None:
        out[f"{stem}.rates.svg"] = plots.loss_curves_svg(
            {f"α = {r.rate}": ([r.epochs[k] for k in thinned(len(r.epochs), CURVE_POINTS)],
                               [r.losses[k] for k in thinned(len(r.losses), CURVE_POINTS)])
             for r in page.story.runs},
            labels={"x": t("log_epoch"), "y": "J", "title": t("fig_rates_title")},
        )
    full_path = [tuple(r.params[p] for p in names) for r in usable] + [tuple(usable[-1].params_after[p] for p in names)]
    path = [full_path[k] for k in thinned(len(full_path), PATH_STEPS)]
    loss_of = _loss_over_grid(lesson, derivation)
    if len(names) == 1:
        first = page.epochs[0].epoch - 1 if page.epochs else None
        out[f"{stem}.landscape.svg"] = plots.landscape_1d_svg(
            loss_of, [p[0] for p in path], tangent_at=first,
            labels={"x": names[0], "y": f"J({names[0]})", "title": t("fig_landscape_title"),
                    "curve": f"J({names[0]})", "steps": t("fig_steps"), "tangent": t("fig_tangent")},
        )
    elif len(names) == 2:
        out[f"{stem}.landscape.svg"] = plots.landscape_2d_svg(
            loss_of, path,
            labels={"x": names[0], "y": names[1], "title": t("fig_landscape_title"), "steps": t("fig_steps")},
        )
    return out
