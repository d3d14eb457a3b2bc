import pytest

from explainer import formula
from explainer import expr as E


def test_author_order_is_kept():
    f = formula.parse("w*x + b", {"w", "x", "b"})
    assert f.tree.latex() == "w x + b"
    assert f.names == {"w", "x", "b"}


def test_names_print_as_a_teacher_writes_them():
    assert formula.tex_name("w1") == "w_{1}"
    assert formula.tex_name("theta") == r"\theta"
    assert formula.tex_name("height") == r"\text{height}"
    assert formula.point_tex("x1") == "x_{1,i}"


@pytest.mark.parametrize("text", [
    "__import__('os').system('ls')", "w.__class__", "lambda: 1", "x[0]", "1 if w else 2",
    "open('f')", "w; x", "(lambda: 0)()", "w if x else 1",
])
def test_anything_but_arithmetic_is_refused_without_running_it(text):
    with pytest.raises(formula.FormulaError):
        formula.parse(text, {"w", "x"})


def test_unknown_names_are_named():
    with pytest.raises(formula.FormulaError, match="'c'"):
        formula.parse("w*x + c", {"w", "x"})


def test_substitution_writes_products_with_times():
    tree = formula.parse("2*x*(w*x - y)", {"w", "x", "y"}).tree
    out = formula.times_style(formula.substitute(tree, {"w": E.num("0.3"), "x": E.num(2), "y": E.num(4)}))
    assert out.latex() == r"2 \times 2 \times \left(0.3 \times 2 - 4\right)"
    assert out.evaluate() == E.num("-13.6").value


def test_a_caret_is_a_power_with_the_power_s_precedence():
    tree = formula.parse("w^2*x", {"w", "x"}).tree
    assert tree.latex() == "w^{2} x"
    assert tree.evaluate({"w": E.num(3).value, "x": E.num(2).value}) == 18
