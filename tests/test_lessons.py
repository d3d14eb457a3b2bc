"""Each kind of lesson, checked against values worked out by hand (exact fractions)."""
from fractions import Fraction as F

import pytest

from explainer import derive, document, spec, story, trace
from conftest import LESSONS


def _page(name: str):
    lesson = spec.load(LESSONS / f"{name}.toml")
    d = derive.derive(lesson)
    run = trace.descend(lesson, d, keep_batches=frozenset(lesson.document.detailed))
    return lesson, run, document.assemble(lesson, d, run, lesson.language)


def _values(epoch):
    return epoch.loss_value.value, [g.value for g in epoch.gradient_values], {b.name: b.value.value for b in epoch.after}


def test_two_inputs_gradient_vector():
    _, _, page = _page("two-inputs")
    loss, grads, after = _values(page.epochs[0])
    # J = mean(y²); ∂J/∂w₁ = mean(2·x₁·(0 − y)) …
    assert loss == F(16 + 36 + 49 + 81, 4)
    assert grads == [F(-2 * (12 + 24 + 35 + 54), 4), F(-2 * (4 + 12 + 14 + 27), 4), F(-2 * 26, 4)]
    assert after == {"w1": F("0.625"), "w2": F("0.285"), "b": F("0.13")}
    assert page.gradient_vectors[0].rows[-1].rhs == "[-62.5, -28.5, -13]"


def test_mean_absolute_error_uses_the_sign_of_each_residual():
    _, _, page = _page("mae")
    loss, grads, _ = _values(page.epochs[0])
    assert loss == F(2 + 3 + 5 + 9, 4)
    assert grads == [F(-(1 + 2 + 3 + 4), 4), F(-4, 4)]


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    _, _, page = _page("huber")
    loss, grads, _ = _values(page.epochs[0])
    # residuals -1, -2, -3, -10 with δ = 1: ½·1, then 1·(|r| − ½)
    assert loss == (F(1, 2) + F(3, 2) + F(5, 2) + F(19, 2)) / 4
    assert grads == [F(-(1 + 2 + 3 + 4), 4), F(-1)]
    assert any("L_{\\delta}" in latex for _, latex in page.definitions)


def test_logistic_regression_cross_entropy():
    _, _, page = _page("logistic")
    loss, grads, _ = _values(page.epochs[0])
    # ln 2 at σ(0) = ½; the page divides the sum it showed (2.772588722), so the last digit may differ
    assert abs(float(loss) - 0.6931471805599453) < 1e-9
    assert grads == [F(1 * 1 + 2 * 1 - 3 * 1 - 4 * 1, 2 * 4), F(0)]
    steps = page.partials[0].rules
    assert "rule_outer_sigma" in steps and "rule_cancel" in steps
    assert any("\\sigma'(z)" in latex for _, latex in page.definitions)


def test_momentum_carries_a_velocity():
    _, _, page = _page("momentum")
    first, second = page.epochs[:2]
    assert [b.value.value for b in first.velocity_after] == [F(-30)]
    assert first.after[0].value.value == F("0.3")
    # v = 0.5·(−30) + (−25.5) = −40.5; w = 0.3 − 0.01·(−40.5) = 0.705
    assert [b.value.value for b in second.velocity_after] == [F("-40.5")]
    assert second.after[0].value.value == F("0.705")


def test_minibatch_steps_use_the_programs_own_batches():
    lesson, run, page = _page("minibatch")
    import numpy as np

    rng = np.random.default_rng(lesson.optimizer.seed)
    for epoch in page.epochs:
        batch = tuple(int(i) + 1 for i in rng.choice(lesson.size, size=2, replace=False))
        assert epoch.batch == batch
        x = [F(int(lesson.column("x")[i - 1])) for i in batch]
        y = [F(int(lesson.column("y")[i - 1])) for i in batch]
        w = epoch.start[0].value.value
        assert epoch.gradient_values[0].value == sum(2 * a * (w * a - b) for a, b in zip(x, y)) / 2


def test_data_from_csv():
    lesson, _, page = _page("study-csv")
    assert lesson.column("x") == (1, 2, 3, 4, 5)
    assert page.epochs[0].loss_value.value == F("6.25") / 5 + F("12.25") / 5 + F(25, 5) + F(36, 5) + F("56.25") / 5


def test_learning_rate_story():
    lesson, _, page = _page("learning-rates")
    told = page.story
    assert told.curvature == "15" and told.limit == r"\frac{2}{15} \approx 0.1333333333"
    assert [r.verdict for r in told.runs] == ["crawls", "converges", "converges", "diverges"]
    assert told.runs[3].factor == r"\left|1 - 0.2 \times 15\right| = 2"


def test_a_story_survives_overflow():
    lesson = spec.from_dict({
        "title": "t", "model": "w*x", "parameters": {"w": 0}, "learning_rate": 0.01, "epochs": 400,
        "data": {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]}, "document": {"compare_learning_rates": [0.01, 5]},
    })
    told = story.tell(lesson, derive.derive(lesson))
    assert told.runs[1].verdict == "diverges" and told.runs[1].stopped_at is not None


@pytest.mark.parametrize("name", ["seed", "line-wb", "two-inputs", "logistic", "momentum"])
def test_the_page_stays_within_drift_of_numpy(name):
    lesson, run, page = _page(name)
    for epoch in page.epochs:
        for b in epoch.after:
            assert abs(float(b.value.value) - run.epochs[epoch.epoch - 1].params_after[b.name]) < 1e-9
