"""The plots: self-contained, deterministic SVG; Chinese labels drawn with the CJK font."""
import re
import warnings

import numpy as np
import pytest

from explainer import plots

X = np.array([1.0, 2.0, 3.0, 4.0])
Y = 2 * X


def loss_1d(w):
    return np.mean((np.multiply.outer(w, X) - Y) ** 2, axis=-1)


def loss_2d(w, b):
    return np.mean((np.multiply.outer(w, X) + np.asarray(b)[..., None] - Y) ** 2, axis=-1)


def descent(epochs=20, lr=0.01):
    w, path, losses = 0.0, [0.0], []
    for _ in range(epochs):
        losses.append(float(loss_1d(np.array(w))))
        w -= lr * float(np.mean(2 * X * (w * X - Y)))
        path.append(w)
    return path, losses


PATH, LOSSES = descent()
ZH = {"x": "轮次", "y": "损失 J", "title": "损失随迭代下降"}


def assert_self_contained(svg: str) -> None:
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert not re.search(r'href="(?!#)|url\((?!#)|<image|@import|<script', svg)
    assert "<text" not in svg  # text drawn as paths: no font needed where the SVG is shown


def test_loss_curve_is_self_contained_and_deterministic():
    a = plots.loss_curve_svg(range(1, 21), LOSSES, labels={"x": "epoch", "y": "loss J", "title": "Loss"})
    b = plots.loss_curve_svg(range(1, 21), LOSSES, labels={"x": "epoch", "y": "loss J", "title": "Loss"})
    assert_self_contained(a)
    assert a == b
    assert "<dc:date>" not in a and "Matplotlib v" not in a


def test_chinese_labels_use_the_cjk_font_without_missing_glyphs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        svg = plots.loss_curve_svg(range(1, 21), LOSSES, labels=ZH)
    cjk_glyphs = set(re.findall(r'id="(NotoSansCJKsc-Regular-[0-9a-f]+)"', svg))
    distinct_chars = {c for text in ZH.values() for c in text if ord(c) > 0x2E80}
    assert len(cjk_glyphs) >= len(distinct_chars)


def test_log_scale_only_past_two_decades():
    assert plots.log_scale(np.array(LOSSES))  # 30 down to 0.06
    assert not plots.log_scale(np.array([30.0, 20.0, 1.0]))
    assert not plots.log_scale(np.array([1.0, 0.0, 500.0]))  # a zero cannot go on a log axis


def test_landscape_1d_tangent_slope_matches_the_gradient():
    # dJ/dw at w = 0.3 is -25.5 (the seed's second epoch)
    assert plots._slope(loss_1d, 0.3) == pytest.approx(-25.5, abs=1e-6)
    svg = plots.landscape_1d_svg(loss_1d, PATH[:6], tangent_at=1,
                                 labels={"x": "w", "y": "J(w)", "curve": "J", "steps": "steps", "tangent": "tangent"})
    assert_self_contained(svg)
    assert svg == plots.landscape_1d_svg(loss_1d, PATH[:6], tangent_at=1,
                                         labels={"x": "w", "y": "J(w)", "curve": "J", "steps": "steps", "tangent": "tangent"})


def test_landscape_range_reaches_the_minimum():
    (lo, hi), = plots._with_minimum(lambda g: loss_1d(g[0]), [plots._span(np.array(PATH[:4]))])
    assert lo < 2.0 < hi  # J is smallest at w = 2, far right of the first four steps


def test_landscape_2d_contours_and_path():
    path = [(0.0, 0.0), (0.6, 0.2), (1.0, 0.33), (1.3, 0.4)]
    svg = plots.landscape_2d_svg(loss_2d, path, labels={"x": "w", "y": "b", "title": "J(w, b)"})
    assert_self_contained(svg)
    assert svg == plots.landscape_2d_svg(loss_2d, path, labels={"x": "w", "y": "b", "title": "J(w, b)"})
    assert len(svg) < 200_000


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        plots.loss_curve_svg([1, 2], [1.0], labels={})
