import numpy as np
import pytest

from explainer import derive, spec, trace
from conftest import LESSONS


def test_seed_derivation_names_each_rule_and_ends_in_the_general_formula(seed_derivation):
    (partial,) = seed_derivation.partials
    rules = [s.rule for s in partial.steps]
    assert rules == ["", "rule_linearity", "rule_power", "rule_inner_linear", "rule_tidy"]
    assert partial.steps[-1].latex == r"\frac{1}{N}\sum_{i=1}^{N}2 x_{i} \left(w x_{i} - y_{i}\right)"
    assert partial.summand_f.latex() == r"2 x_{i} \left(\hat{y}_{i} - y_{i}\right)"


def test_a_wrong_step_is_refused():
    import sympy as sp

    w, x = sp.symbols("w x")
    with pytest.raises(derive.DerivationError):
        derive._verified_steps([("a", (w * x) ** 2, ""), ("b", x * (w * x), "rule_power")], "w")


@pytest.mark.parametrize("path", sorted(LESSONS.glob("*.toml")), ids=lambda p: p.name)
def test_every_derived_gradient_matches_a_finite_difference(path):
    lesson = spec.load(path)
    d = derive.derive(lesson)
    loss_fn, grad_fns = trace.compile_point_functions(lesson, d)
    data = [np.asarray(lesson.column(n), dtype=float) for n, _ in lesson.data]
    point = np.array([0.3 + 0.1 * k for k in range(len(lesson.parameters))])
    h = 1e-6
    for k, g in enumerate(grad_fns):
        up, down = point.copy(), point.copy()
        up[k] += h
        down[k] -= h
        numeric = (np.mean(loss_fn(*data, *up)) - np.mean(loss_fn(*data, *down))) / (2 * h)
        analytic = np.mean(np.broadcast_to(g(*data, *point), data[0].shape))
        assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-7)
