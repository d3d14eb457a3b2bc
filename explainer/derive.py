"""The calculus of a lesson, derived rule by rule as a teacher would write it on the board.

For a loss ``J = (1/N) Σ ℓ(f(x_i), y_i)`` every partial derivative is shown as the same five moves:
the definition, linearity (the derivative enters the sum), the chain rule through ℓ, the inner
derivative of the model, and a tidy final form. Each displayed step is a tree of our own (so terms
keep the author's order) and a SymPy twin; SymPy proves every step equal to the one before, so a
derivation that is wrong cannot be printed.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import expr as E
from . import formula
from .spec import TARGET, Lesson

SUM_PREFIX = r"\frac{1}{N}\sum_{i=1}^{N}"


class DerivationError(AssertionError):
    """A displayed step is not equal to the one before: a bug in a rule, never the user's fault."""


@dataclass(frozen=True)
class Step:
    latex: str
    rule: str  # catalog key naming the rule that leads to this step ("" for the first)


@dataclass(frozen=True)
class Partial:
    parameter: str
    lhs: str  # \frac{\partial J}{\partial w}
    steps: tuple[Step, ...]
    summand_f: E.Expr  # the final summand written with the prediction f (ŷ_i): for substitution
    point_gradient: object  # SymPy: the summand in inputs, y and parameters (for NumPy)


@dataclass(frozen=True)
class Derivation:
    loss_general: str  # J(w) = \frac{1}{N}\sum (f(x_i) - y_i)^2
    loss_model: str  # the same with the model written out
    loss_summand_f: E.Expr  # ℓ(f, y) as a tree in Sym f, Sym y
    point_loss: object  # SymPy: ℓ(model, y) in inputs, y and parameters
    partials: tuple[Partial, ...]
    symbols: dict  # name → SymPy symbol (inputs, y, parameters)
    outer_rule: str


def _point(name: str) -> E.Sym:
    """A name as it reads for the i-th data point (``x_{i}``); parameters stay as they are."""
    return E.sym(name, formula.point_tex(name))


def prediction_symbol() -> E.Sym:
    return E.sym("f", r"\hat{y}_{i}")


def loss_tree(lesson: Lesson) -> tuple[E.Expr, E.Expr, str]:
    """ℓ(f, y) and ℓ'(f, y) as trees in the names f and y, and the rule that differentiates ℓ."""
    f, y = E.sym("f"), E.sym(TARGET)
    r = E.sub(f, y)
    kind = lesson.loss.kind
    if kind == "mse":
        return E.power(r, 2), E.mul(2, r, style="implicit"), "rule_power"
    if kind == "mae":
        return E.call("abs", r), E.call("sign", r), "rule_abs"
    if kind == "custom":
        import sympy as sp

        symbols: dict = {}
        tree = lesson.loss.formula.tree
        d = sp.diff(formula.to_sympy(tree, symbols), symbols["f"])
        names = {s: E.sym(n) for n, s in symbols.items()}
        return tree, formula.from_sympy(d, names), "rule_chain_outer"
    raise NotImplementedError(f"loss {kind} is not derived yet")


def derive(lesson: Lesson) -> Derivation:
    import sympy as sp

    symbols: dict = {}
    names = list(lesson.inputs) + [TARGET] + list(lesson.parameter_names)
    for n in names:
        symbols[n] = sp.Symbol(n, real=True)
    point_names = {n: _point(n) for n in list(lesson.inputs) + [TARGET]}
    model_i = formula.substitute(lesson.model.tree, point_names)
    loss_f, dloss_f, outer_rule = loss_tree(lesson)
    f_tex = {"f": prediction_symbol(), TARGET: point_names[TARGET]}

    def with_model(tree: E.Expr) -> E.Expr:
        return formula.substitute(tree, {"f": model_i, TARGET: point_names[TARGET]})

    model_sym = formula.to_sympy(lesson.model.tree, symbols)
    f_sym = sp.Symbol("f", real=True)
    loss_f_sym = formula.to_sympy(loss_f, {"f": f_sym, TARGET: symbols[TARGET]})
    dloss_f_sym = formula.to_sympy(dloss_f, {"f": f_sym, TARGET: symbols[TARGET]})
    point_loss = loss_f_sym.subs(f_sym, model_sym)

    loss_general = rf"{SUM_PREFIX}{summand_tex(formula.substitute(loss_f, {'f': E.sym('f', 'f(x_{i})'), TARGET: point_names[TARGET]}))}"
    loss_model = rf"{SUM_PREFIX}{summand_tex(with_model(loss_f))}"

    partials = []
    for p in lesson.parameter_names:
        ps = symbols[p]
        inner = sp.diff(model_sym, ps)
        inner_tree = formula.from_sympy(inner, {symbols[n]: t for n, t in point_names.items()} | {
            symbols[q]: E.sym(q, formula.tex_name(q)) for q in lesson.parameter_names})
        d_p = rf"\frac{{\partial}}{{\partial {formula.tex_name(p)}}}"
        outer_i = with_model(dloss_f)
        chain = E.mul(outer_i, E.sym("_d", rf"{d_p}\left[{model_i.latex()}\right]"), style="implicit")
        substituted = formula.product([outer_i, inner_tree])
        tidy = _tidy(inner_tree, outer_i)
        point_derivative = sp.Derivative(point_loss, ps)
        candidates = [
            (rf"{d_p}\left({loss_model}\right)", point_derivative, ""),
            (rf"{SUM_PREFIX}{d_p}\left[{with_model(loss_f).latex()}\right]", point_derivative, "rule_linearity"),
            (rf"{SUM_PREFIX}{summand_tex(chain)}", dloss_f_sym.subs(f_sym, model_sym) * sp.Derivative(model_sym, ps), outer_rule),
            (rf"{SUM_PREFIX}{summand_tex(substituted)}", dloss_f_sym.subs(f_sym, model_sym) * inner, _inner_rule(lesson.model.tree)),
            (rf"{SUM_PREFIX}{summand_tex(tidy)}", dloss_f_sym.subs(f_sym, model_sym) * inner, "rule_tidy"),
        ]
        steps = _verified_steps(candidates, p)
        summand_f = _tidy(inner_tree, formula.substitute(dloss_f, f_tex))
        partials.append(
            Partial(
                parameter=p,
                lhs=rf"\frac{{\partial J}}{{\partial {formula.tex_name(p)}}}",
                steps=steps,
                summand_f=summand_f,
                point_gradient=sp.diff(point_loss, ps),
            )
        )
    return Derivation(
        loss_general=loss_general,
        loss_model=loss_model,
        loss_summand_f=formula.substitute(loss_f, f_tex),
        point_loss=point_loss,
        partials=tuple(partials),
        symbols=symbols,
        outer_rule=outer_rule,
    )


def summand_tex(tree: E.Expr) -> str:
    """A summand after ``\\sum``: a sum or difference needs brackets to stay inside it."""
    text = tree.latex()
    return rf"\left({text}\right)" if isinstance(tree, E.BinOp) and tree.op in "+-" else text


def _tidy(inner: E.Expr, outer: E.Expr) -> E.Expr:
    """Put the inner derivative in front when it is a plain factor (``2 x_{i} (…)``), else keep order."""
    if isinstance(inner, E.Num) and inner.value == 1:
        return outer
    if isinstance(outer, E.BinOp) and outer.op == "*" and isinstance(outer.left, E.Num):
        return E.mul(outer.left, E.mul(inner, outer.right, style="implicit"), style="implicit")
    return E.mul(inner, outer, style="implicit")


def _inner_rule(model: E.Expr) -> str:
    return "rule_inner_chain" if isinstance(model, E.Call) else "rule_inner_linear"


def _verified_steps(candidates, parameter: str) -> tuple[Step, ...]:
    """Drop steps that print the same as the one before, and prove the rest equal with SymPy."""
    import sympy as sp

    steps: list[Step] = []
    previous_sym = None
    for latex, sym, rule in candidates:
        if steps and latex == steps[-1].latex:
            continue
        value = sym.doit() if hasattr(sym, "doit") else sym
        if previous_sym is not None and sp.simplify(sp.expand(value - previous_sym)) != 0:
            raise DerivationError(f"step {len(steps) + 1} of dJ/d{parameter} does not follow from the one before")
        previous_sym = value
        steps.append(Step(latex, rule))
    return tuple(steps)
