"""The lesson's pictures as SVG text: loss per epoch, and the loss landscape with the steps taken.

The SVG is built to be pasted into a page or a PDF and to change only when the lesson does: text
is drawn as paths (no font needed where it is shown), ids come from a fixed salt, and no date is
written. Chinese labels are drawn with the Noto Sans CJK font of the `noto-cjk-sans-otc` package,
never with whatever the machine happens to have. matplotlib is imported here, inside the functions,
because it alone costs half a second and a Markdown-only build does not need it.

The figures are made with `matplotlib.figure.Figure` rather than pyplot: no global figure list, no
backend switched under the caller's feet.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

import numpy as np

_SIZE = (6.4, 4.0)  # inches; the page scales the SVG to its column
_LINE = "#2b5fab"
_STEP = "#d2552b"
_TANGENT = "#2f8a4a"
_LATIN_FAMILY = "DejaVu Sans"


def loss_curve_svg(epochs: Sequence[int], losses: Sequence[float], *, labels: Mapping[str, str]) -> str:
    """Loss per epoch; a log scale once the loss falls by more than two decades, so the tail shows."""
    x = np.asarray(epochs, dtype=float)
    y = np.asarray(losses, dtype=float)
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"epochs and losses must be equally long and non-empty (got {x.size} and {y.size})")
    with _style(labels) as fig:
        ax = fig.add_subplot()
        ax.plot(x, y, color=_LINE, marker="o", markersize=3.5, linewidth=1.6)
        if log_scale(y):
            ax.set_yscale("log")
        if x.size <= 30 and np.all(x == np.round(x)):
            ax.set_xticks(_integer_ticks(x))
        _finish(ax, labels)
        return _svg(fig)


def loss_curves_svg(series: Mapping[str, tuple[Sequence[int], Sequence[float]]], *, labels: Mapping[str, str]) -> str:
    """Several runs' losses on one log-scaled axis (a learning-rate comparison); a diverged run ends where it overflowed."""
    with _style(labels) as fig:
        ax = fig.add_subplot()
        for name, (epochs, losses) in series.items():
            y = np.asarray(losses, dtype=float)
            keep = np.isfinite(y) & (y > 0)
            ax.plot(np.asarray(epochs, dtype=float)[keep], y[keep], marker="o", markersize=2.5, linewidth=1.4, label=name)
        ax.set_yscale("log")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        _finish(ax, labels)
        return _svg(fig)


def landscape_1d_svg(
    loss_of: Callable[[np.ndarray], np.ndarray],
    path: Sequence[float],
    *,
    tangent_at: int | None,
    labels: Mapping[str, str],
) -> str:
    """J(w) over a range covering the path, each step an arrow, and a tangent showing the slope.

    The tangent's slope is taken from `loss_of` by a central difference rather than passed in, so
    the picture cannot contradict the curve it is drawn on. Optional labels: "curve", "steps",
    "tangent" name the legend entries (no legend without them).
    """
    w = np.asarray(path, dtype=float)
    if w.size == 0:
        raise ValueError("the path of a landscape needs at least one point")
    lo, hi = _span(w)
    lo, hi = _with_minimum(lambda g: loss_of(g[0]), [(lo, hi)])[0]
    grid = np.linspace(lo, hi, 400)
    j_grid = np.asarray(loss_of(grid), dtype=float)
    j_path = np.asarray(loss_of(w), dtype=float)
    with _style(labels) as fig:
        ax = fig.add_subplot()
        ax.plot(grid, j_grid, color=_LINE, linewidth=1.8, label=labels.get("curve"))
        _draw_steps(ax, w, j_path, label=labels.get("steps"))
        if tangent_at is not None:
            w0 = w[tangent_at]
            slope = _slope(loss_of, w0)
            half = 0.18 * (hi - lo)
            t = np.array([w0 - half, w0 + half])
            ax.plot(t, j_path[tangent_at] + slope * (t - w0), color=_TANGENT, linewidth=1.4,
                    linestyle="--", label=labels.get("tangent"))
            # Which way the step goes: against the slope, along the w axis.
            bottom = ax.get_ylim()[0]
            ax.annotate("", xy=(w0 - np.sign(slope) * 0.6 * half, bottom), xytext=(w0, bottom),
                        arrowprops={"arrowstyle": "-|>", "color": _TANGENT, "linewidth": 1.6},
                        annotation_clip=False)
        _finish(ax, labels)
        return _svg(fig)


def landscape_2d_svg(
    loss_of: Callable[[np.ndarray, np.ndarray], np.ndarray],
    path: Sequence[tuple[float, float]],
    *,
    labels: Mapping[str, str],
) -> str:
    """Contours of J(p1, p2) with the descent path across them."""
    p = np.asarray(path, dtype=float).reshape(-1, 2)
    if p.shape[0] == 0:
        raise ValueError("the path of a landscape needs at least one point")
    (x_lo, x_hi), (y_lo, y_hi) = _with_minimum(lambda g: loss_of(g[0], g[1]), [_span(p[:, 0]), _span(p[:, 1])])
    gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, 90), np.linspace(y_lo, y_hi, 90))
    j = np.asarray(loss_of(gx, gy), dtype=float)
    with _style(labels) as fig:
        ax = fig.add_subplot()
        levels = _levels(j)
        ax.contourf(gx, gy, j, levels=levels, cmap="Blues", alpha=0.45)
        ax.contour(gx, gy, j, levels=levels, colors=_LINE, linewidths=0.6)
        _draw_steps(ax, p[:, 0], p[:, 1], label=labels.get("steps"))
        _finish(ax, labels)
        return _svg(fig)


def log_scale(values: np.ndarray) -> bool:
    """True when the positive values span more than two decades (a linear axis would flatten the tail)."""
    finite = values[np.isfinite(values)]
    return bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > 100)


def _span(values: np.ndarray) -> tuple[float, float]:
    lo, hi = float(np.min(values)), float(np.max(values))
    width = hi - lo
    if width == 0:
        width = max(abs(lo), 1.0)
    return lo - 0.25 * width, hi + 0.25 * width


def _with_minimum(loss_of: Callable, spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The spans widened to show where the loss bottoms out, when that is near the path.

    Seeing the minimum is what makes "the step goes downhill" visible; looking three widths out
    either way finds it for any learning rate that converges, and a divergent path needs no more.
    """
    axes = [np.linspace(lo - 3 * (hi - lo), hi + 3 * (hi - lo), 121) for lo, hi in spans]
    grid = np.meshgrid(*axes, indexing="ij")
    with np.errstate(all="ignore"):
        values = np.asarray(loss_of(grid), dtype=float)
    if not np.isfinite(values).any():
        return spans
    best = np.unravel_index(np.nanargmin(values), values.shape)
    widened = []
    for (lo, hi), axis, index in zip(spans, axes, best):
        at = float(axis[index])
        margin = 0.15 * (max(hi, at) - min(lo, at))
        widened.append((min(lo, at - margin), max(hi, at + margin)))
    return widened


def _slope(loss_of: Callable[[np.ndarray], np.ndarray], w: float) -> float:
    h = 1e-5 * max(1.0, abs(w))
    ends = np.asarray(loss_of(np.array([w - h, w + h])), dtype=float)
    return float((ends[1] - ends[0]) / (2 * h))


def _levels(j: np.ndarray) -> np.ndarray:
    """Contour levels closer together near the minimum, where a quadratic bowl is flat."""
    lo, hi = float(np.nanmin(j)), float(np.nanmax(j))
    if hi <= lo:
        return np.array([lo, lo + 1.0])
    return lo + (hi - lo) * np.linspace(0.0, 1.0, 14) ** 2


def _draw_steps(ax, x: np.ndarray, y: np.ndarray, *, label: str | None) -> None:
    """Points numbered from 0, an arrow per step; numbers thinned where points crowd together."""
    ax.plot(x, y, linestyle="none", marker="o", markersize=4.5, color=_STEP, label=label, zorder=3)
    for k in range(len(x) - 1):
        ax.annotate("", xy=(x[k + 1], y[k + 1]), xytext=(x[k], y[k]), zorder=3,
                    arrowprops={"arrowstyle": "-|>", "color": _STEP, "linewidth": 1.1, "shrinkA": 3, "shrinkB": 3})
    x_range = float(np.ptp(x)) or 1.0
    y_range = float(np.ptp(y)) or 1.0
    def apart(a: int, b: int) -> bool:
        return bool(np.hypot((x[a] - x[b]) / x_range, (y[a] - y[b]) / y_range) >= 0.06)

    numbered = [0]
    for k in range(1, len(x)):
        if apart(k, numbered[-1]):
            numbered.append(k)
    end = len(x) - 1
    if numbered[-1] != end:  # the last point is always numbered, in place of a crowding neighbour
        if len(numbered) > 1 and not apart(end, numbered[-1]):
            numbered.pop()
        numbered.append(end)
    for k in numbered:
        ax.annotate(str(k), xy=(x[k], y[k]), xytext=(5, 5), textcoords="offset points",
                    fontsize=8, color=_STEP, zorder=4)


def _integer_ticks(x: np.ndarray) -> np.ndarray:
    step = max(1, int(np.ceil(x.size / 10)))
    return x[::step]


def _finish(ax, labels: Mapping[str, str]) -> None:
    ax.set_xlabel(labels.get("x", ""))
    ax.set_ylabel(labels.get("y", ""))
    if labels.get("title"):
        ax.set_title(labels["title"])
    ax.grid(True, linewidth=0.4, alpha=0.5)
    handles, names = ax.get_legend_handles_labels()
    if any(names):
        ax.legend(frameon=False, fontsize=9)


class _style:
    """A figure drawn under the project's fixed rcParams, with the CJK font when the labels need it."""

    def __init__(self, labels: Mapping[str, str]):
        self.labels = labels

    def __enter__(self):
        import matplotlib
        from matplotlib.figure import Figure

        from explainer.publish import fonts

        families = [_LATIN_FAMILY]
        if any(fonts.is_cjk(c) for text in self.labels.values() for c in str(text)):
            _register_cjk_font()
            families.append(fonts.CJK_FAMILY)
        self._rc = matplotlib.rc_context({
            "svg.hashsalt": "explainer",
            "svg.fonttype": "path",
            "font.family": families,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.unicode_minus": True,
        })
        self._rc.__enter__()
        self.fig = Figure(figsize=_SIZE)
        # fixed margins: constrained layout measured every label again and cost half the drawing time
        self.fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.9)
        return self.fig

    def __exit__(self, *exc):
        self._rc.__exit__(*exc)
        return False


@lru_cache(maxsize=1)
def _register_cjk_font() -> None:
    from matplotlib import font_manager

    from explainer.publish import fonts

    font_manager.fontManager.addfont(str(fonts.cjk_font_path()))


def _svg(fig) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()
