from fractions import Fraction as F

from explainer import derive, spec, trace
from explainer.steps import PageBuilder, State


def _epochs(seed_lesson, seed_derivation, seed_trace):
    b = PageBuilder(seed_lesson, seed_derivation)
    first = b.epoch(1, b.start_state(1, seed_trace), seed_trace)
    second = b.epoch(2, State({x.name: x.value for x in first.after}), seed_trace)
    return first, second


def test_seed_epoch_one(seed_lesson, seed_derivation, seed_trace):
    first, _ = _epochs(seed_lesson, seed_derivation, seed_trace)
    assert first.loss_value.text == "30"
    assert first.gradient_values[0].text == "-30"
    assert first.after[0].value.text == "0.3"


def test_seed_epoch_two_written_out(seed_lesson, seed_derivation, seed_trace):
    _, second = _epochs(seed_lesson, seed_derivation, seed_trace)
    assert second.forward.value == "[0.3, 0.6, 0.9, 1.2]"
    loss_rows = [r.rhs for r in second.loss.rows]
    assert r"\frac{1}{4} \left(2.89 + 11.56 + 26.01 + 46.24\right)" in loss_rows
    assert second.loss_value.value == F("21.675") and second.loss_value.exact
    grad_rows = [r.rhs for r in second.gradients[0].rows]
    assert r"2 \times 2 \times \left(0.6 - 4\right)" in grad_rows[1]
    assert grad_rows[2] == r"\frac{1}{4} \left(-3.4 + \left(-13.6\right) + \left(-30.6\right) + \left(-54.4\right)\right)"
    assert second.gradient_values[0].text == "-25.5"
    update = [r.rhs for r in second.updates[0].rows]
    assert update[1:] == [r"0.3 - 0.01 \times \left(-25.5\right)", "0.555"]
    assert second.after[0].value.value == F("0.555")


def test_inexact_values_are_written_with_approx():
    lesson = spec.from_dict({
        "title": "thirds", "model": "w*x", "parameters": {"w": 0}, "learning_rate": 0.1, "epochs": 2,
        "data": {"x": [1, 2, 3], "y": [1, 1, 3]},
    })
    d = derive.derive(lesson)
    run = trace.descend(lesson, d)
    b = PageBuilder(lesson, d)
    page = b.epoch(1, b.start_state(1, run), run)
    last = page.loss.rows[-1]
    assert (last.rel, last.rhs) == (r"\approx", "3.666666667")  # 11/3
    assert page.loss_value.value == F("3.666666667")  # the shown value is what is carried on
