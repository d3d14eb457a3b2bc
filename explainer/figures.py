"""The lesson's pictures: which plots a lesson gets, fed with its own trace and words.

A one-parameter lesson gets its loss curve J(w) with the steps and the tangent at the first
detailed epoch; a two-parameter lesson gets contours with the path; every lesson gets the loss per
epoch. The drawing itself is :mod:`explainer.plots`.
"""
from __future__ import annotations

from .catalog import catalog
from .spec import TARGET, Lesson
from .trace import Trace, compile_point_functions

#: Data points per chunk when the loss is evaluated over a grid (bounds memory for big data).
CHUNK = 512


def _loss_over_grid(lesson: Lesson, derivation):
    """J at many parameter values at once, summing over the data in chunks."""
    import numpy as np

    loss_fn, _ = compile_point_functions(lesson, derivation)
    columns = [np.asarray(lesson.column(n), dtype=np.float64) for n in (*lesson.inputs, TARGET)]

    def loss_of(*params):
        params = [np.asarray(p, dtype=np.float64) for p in params]
        shape = np.broadcast(*params).shape
        flat = [np.broadcast_to(p, shape).reshape(1, -1) for p in params]
        total = np.zeros(flat[0].shape[1])
        with np.errstate(all="ignore"):
            for start in range(0, lesson.size, CHUNK):
                data = [c[start:start + CHUNK].reshape(-1, 1) for c in columns]
                values = np.broadcast_to(loss_fn(*data, *flat), (data[0].shape[0], total.size))
                total += values.sum(axis=0)
        return (total / lesson.size).reshape(shape)

    return loss_of


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
            [r.epoch for r in usable], [r.loss for r in usable],
            labels={"x": t("log_epoch"), "y": "J", "title": t("fig_loss_title")},
        )
    }
    if page.story is not None:
        out[f"{stem}.rates.svg"] = plots.loss_curves_svg(
            {f"α = {r.rate}": (r.epochs, r.losses) for r in page.story.runs},
            labels={"x": t("log_epoch"), "y": "J", "title": t("fig_rates_title")},
        )
    path = [tuple(r.params[p] for p in names) for r in usable] + [tuple(usable[-1].params_after[p] for p in names)]
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
