"""The lesson's pictures: which plots a lesson gets, fed with its own trace and words.

A one-parameter lesson gets its loss curve J(w) with the steps and the tangent at the first
detailed epoch; a two-parameter lesson gets contours with the path; every lesson gets the loss per
epoch. The drawing itself is :mod:`explainer.plots`.
"""
from __future__ import annotations

from .catalog import catalog
from .spec import TARGET, Lesson
from .trace import Trace

#: Data points per chunk when the loss is evaluated over a grid (bounds memory for big data).
CHUNK = 128
#: Points drawn on a loss curve, and steps drawn on a landscape, at most (a long run is thinned).
CURVE_POINTS = 400
PATH_STEPS = 24
#: A landscape of more points than this is drawn from every k-th point (the shape, not the page's numbers).
LANDSCAPE_POINTS = 5_000


def loss_source(lesson: Lesson, derivation) -> str:
    """The per-point loss as NumPy source, printed by SymPy from the derivation's own expression.

    Text rather than a function, so the forked painter needs no SymPy: it compiles this line of our
    own generated code (names are the spec's validated identifiers).
    """
    from sympy.printing.numpy import NumPyPrinter

    args = ", ".join((*lesson.inputs, TARGET, *lesson.parameter_names))
    return f"def loss({args}):\n    return {NumPyPrinter().doprint(derivation.point_loss)}\n"


def _loss_over_grid(lesson: Lesson, source: str):
    """J at many parameter values at once, summing over the data in chunks."""
    import numpy as np

    namespace = {"numpy": np}
    exec(compile(source, "<lesson loss>", "exec"), namespace)  # our own generated code, see loss_source
    loss_fn = namespace["loss"]
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
    import numpy as np

    if count <= keep:
        return list(range(count))
    head = keep // 2
    rest = np.unique(np.geomspace(head, count - 1, keep - head).astype(int))
    return sorted(set(range(head)) | set(rest.tolist()) | {count - 1})


def planned(lesson: Lesson, run: Trace, page, lang: str) -> list[str]:
    """The file names of the pictures a lesson gets, known before any is drawn (the text links them)."""
    if not any(r.epoch != run.diverged_at for r in run.epochs):
        return []
    stem = f"{lesson.name}.{lang}"
    out = [f"{stem}.loss.svg"]
    if page.story is not None:
        out.append(f"{stem}.rates.svg")
    if len(lesson.parameter_names) <= 2:
        out.append(f"{stem}.landscape.svg")
    return out


def make(lesson: Lesson, source: str, run: Trace, page, lang: str) -> dict[str, str]:
    """Every picture of a lesson as SVG; ``source`` is :func:`loss_source`'s text."""
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
    kept = thinned(len(full_path), PATH_STEPS)
    path = [full_path[k] for k in kept]
    loss_of = _loss_over_grid(lesson, source)
    if len(names) == 1:
        first = page.epochs[0].epoch - 1 if page.epochs else None
        out[f"{stem}.landscape.svg"] = plots.landscape_1d_svg(
            loss_of, [p[0] for p in path], tangent_at=kept.index(first) if first in kept else None,
            labels={"x": names[0], "y": f"J({names[0]})", "title": t("fig_landscape_title"),
                    "curve": f"J({names[0]})", "steps": t("fig_steps"), "tangent": t("fig_tangent")},
        )
    elif len(names) == 2:
        out[f"{stem}.landscape.svg"] = plots.landscape_2d_svg(
            loss_of, path,
            labels={"x": names[0], "y": names[1], "title": t("fig_landscape_title"), "steps": t("fig_steps")},
        )
    assert list(out) == planned(lesson, run, page, lang)
    return out


class Painter:
    """Draws the pictures in a forked process, so matplotlib's import and first drawing (about a
    second) run on the second core while this process derives, runs, renders and checks the lesson.

    Start it before the heavy imports; where ``fork`` is not available it quietly draws in-process.
    """

    def __init__(self, parallel: bool = True):
        import multiprocessing

        self._process = None
        if not parallel:
            return
        try:
            ctx = multiprocessing.get_context("fork")
            self._conn, child = ctx.Pipe()
            self._process = ctx.Process(target=_paint_jobs, args=(child,), daemon=True)
            self._process.start()
            child.close()
        except (ValueError, OSError):
            self._process = None  # no fork here: draw in-process

    @property
    def parallel(self) -> bool:
        return self._process is not None

    def submit(self, *job) -> None:
        self._job = job
        if self._process is not None:
            self._conn.send(job)

    def result(self) -> dict[str, str]:
        if self._process is None:
            return make(*self._job)
        try:
            answer = self._conn.recv()
        except EOFError:
            answer = RuntimeError("the figure process ended without an answer")
        self._process.join()
        if isinstance(answer, BaseException):
            raise answer
        return answer


def _paint_jobs(conn) -> None:
    """The forked painter: warm up matplotlib, then draw the one job it is sent."""
    try:
        from matplotlib.figure import Figure

        from . import plots  # noqa: F401  (imported to be warm)

        Figure()
    except BaseException as exc:  # e.g. matplotlib missing: reported by the main process, not here
        warm_up_failed: BaseException | None = exc
    else:
        warm_up_failed = None
    try:
        job = conn.recv()
    except EOFError:
        return
    try:
        if warm_up_failed is not None:
            raise warm_up_failed
        conn.send(make(*job))
    except BaseException as exc:  # handed back whole: the main process reports it
        conn.send(exc)
