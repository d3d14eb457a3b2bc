"""The calculus of a lesson, derived rule by rule as a teacher would write it on the board.

For a loss ``J = (1/N) Σ ℓ(f(x_i), y_i)`` every partial derivative is shown as the same moves: the
definition, linearity (the derivative enters the sum), the chain rule through ℓ, the chain rule
through the model's outer function when it has one (σ, exp), a cancellation where one happens
(cross-entropy after a sigmoid), the inner derivative, and a tidy final form. Each displayed step is
a tree of our own (terms keep the author's order) with a SymPy twin; SymPy proves every step equal to
the one before, so a derivation that is wrong cannot be printed.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Callable

from . import expr as E
from . import formula
from .spec import TARGET, Lesson

SUM_PREFIX = r"\frac{1}{N}\sum_{i=1}^{N}"
HALF = Fraction(1, 2)


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
    summand_f: E.Expr  # the final summand written with the prediction f (ŷ_i): the epochs' first row
    point_gradient: object  # SymPy: the summand in inputs, y and parameters (for NumPy)
    term: Callable[[dict], E.Expr]  # one point's term with numbers in: {"f": ŷ_i, "y": y_i, "x": x_i, …}


@dataclass(frozen=True)
class Derivation:
    loss_general: str  # \frac{1}{N}\sum (f(x_i) - y_i)^2
    loss_model: str  # the same with the model written out
    loss_summand_f: E.Expr  # ℓ(ŷ_i, y_i): the epochs' first row (may hold opaque names such as L_δ)
    loss_term: Callable[[dict], E.Expr]  # one point's loss with numbers in, the Huber branch chosen
    point_loss: object  # SymPy: ℓ(model, y) in inputs, y and parameters
    partials: tuple[Partial, ...]
    symbols: dict  # name → SymPy symbol (inputs, y, parameters)
    definitions: tuple[tuple[str, str], ...]  # (catalog key, display LaTeX): σ'(z), L_δ, ψ_δ …


def applied(operator: str, tree: E.Expr) -> E.Sym:
    """``\\frac{\\partial}{\\partial w}[…]``: an operator shown applied to a tree, not yet worked out."""
    return opaque(rf"{operator}\left[{tree.latex()}\right]")


def opaque(tex: str) -> E.Sym:
    """A printed-only piece (``\\frac{\\partial}{\\partial w}[…]``, ``L_{\\delta}(…)``): it has no value."""
    return E.sym("_", tex)


def _point(name: str) -> E.Sym:
    """A name as it reads for the i-th data point (``x_{i}``); parameters stay as they are."""
    return E.sym(name, formula.point_tex(name))


# --- the loss, per kind: ℓ(f, y), ℓ'(f, y) as trees, their SymPy forms, and the numeric branches ----

@dataclass(frozen=True)
class LossRule:
    kind: str
    rule: str  # catalog key of the chain-rule step through ℓ
    delta: Fraction = Fraction(1)
    custom: E.Expr | None = None

    def value(self, f: E.Expr, y: E.Expr) -> E.Expr:
        r = E.sub(f, y)
        if self.kind == "mse":
            return E.power(r, 2)
        if self.kind == "mae":
            return E.call("abs", r)
        if self.kind == "huber":
            return E.call("huber", r)
        if self.kind == "bce":
            return E.Neg(E.paren(E.add(
                formula.product([y, E.call("log", f)]),
                formula.product([E.paren(E.sub(1, y)), E.call("log", E.sub(1, f))]),
            )))
        return formula.substitute(self.custom, {"f": f, TARGET: y})

    def slope(self, f: E.Expr, y: E.Expr) -> E.Expr:
        r = E.sub(f, y)
        if self.kind == "mse":
            return E.mul(2, r, style="implicit")
        if self.kind == "mae":
            return E.call("sign", r)
        if self.kind == "huber":
            return E.call("huber_slope", r)
        if self.kind == "bce":
            return E.frac(r, formula.product([f, E.paren(E.sub(1, f))]))
        return formula.substitute(self._custom_slope_tree(), {"f": f, TARGET: y})

    def numeric_value(self, f: E.Num, y: E.Num) -> E.Expr:
        """The per-point loss with the branch chosen (Huber), so the page shows plain arithmetic."""
        if self.kind != "huber":
            return self.value(f, y)
        r = E.sub(f, y)
        if abs(r.evaluate()) <= self.delta:
            return E.mul(E.frac(1, 2), E.power(r, 2))
        d = E.num(self.delta)
        return E.mul(d, E.paren(E.sub(E.call("abs", r), E.mul(E.frac(1, 2), d))))

    def numeric_slope(self, f: E.Num, y: E.Num) -> E.Expr:
        if self.kind != "huber":
            return self.slope(f, y)
        r = E.sub(f, y)
        if abs(r.evaluate()) <= self.delta:
            return E.paren(r)
        return E.mul(E.num(self.delta), E.call("sign", r))

    def sympy(self, f, y):
        import sympy as sp

        r = f - y
        if self.kind == "mse":
            return r ** 2
        if self.kind == "mae":
            return sp.Abs(r)
        if self.kind == "huber":
            d = sp.Rational(self.delta.numerator, self.delta.denominator)
            return sp.Piecewise((r ** 2 / 2, sp.Abs(r) <= d), (d * (sp.Abs(r) - d / 2), True))
        if self.kind == "bce":
            return -(y * sp.log(f) + (1 - y) * sp.log(1 - f))
        return formula.to_sympy(self.custom, {"f": f, TARGET: y})

    def _custom_slope_tree(self) -> E.Expr:
        import sympy as sp

        f, y = sp.Symbol("f", real=True), sp.Symbol(TARGET, real=True)
        return formula.from_sympy(sp.diff(self.sympy(f, y), f), {f: E.sym("f"), y: E.sym(TARGET)})


def loss_rule(lesson: Lesson) -> LossRule:
    rules = {"mse": "rule_power", "mae": "rule_abs", "huber": "rule_huber", "bce": "rule_bce", "custom": "rule_chain_outer"}
    loss = lesson.loss
    return LossRule(loss.kind, rules[loss.kind], loss.delta, loss.formula.tree if loss.formula else None)


# --- the model's outer function: σ'(z) = σ(z)(1 − σ(z)), exp'(z) = exp(z) -----------------------

def outer_slope(func: str, value: E.Expr, z: E.Expr) -> E.Expr | None:
    """g'(z) written with g's own value where that reads best; None when there is no outer function."""
    if func == "sigma":
        return formula.product([value, E.paren(E.sub(1, value))])
    if func == "exp":
        return value
    if func == "log":
        return E.frac(1, z)
    if func == "sqrt":
        return E.frac(1, E.mul(2, value, style="implicit"))
    return None


def derive(lesson: Lesson) -> Derivation:
    import sympy as sp

    symbols = {n: sp.Symbol(n, real=True) for n in (*lesson.inputs, TARGET, *lesson.parameter_names)}
    points = {n: _point(n) for n in (*lesson.inputs, TARGET)}
    rule = loss_rule(lesson)
    model = lesson.model.tree
    model_i = formula.substitute(model, points)
    y_i = points[TARGET]
    f_hat = E.sym("f", r"\hat{y}_{i}")

    model_sym = formula.to_sympy(model, symbols)
    point_loss = rule.sympy(model_sym, symbols[TARGET])
    f_of_x = "f(" + ", ".join(formula.point_tex(n) for n in lesson.inputs) + ")"
    loss_general = SUM_PREFIX + summand_tex(rule.value(E.sym("f", f_of_x), y_i))
    loss_model = SUM_PREFIX + summand_tex(rule.value(model_i, y_i))
    wrapped = isinstance(model, E.Call) and outer_slope(model.func, model, model.args[0]) is not None
    cancels = wrapped and model.func == "sigma" and rule.kind == "bce"

    partials = []
    for p in lesson.parameter_names:
        ps = symbols[p]
        d_p = rf"\frac{{\partial}}{{\partial {formula.tex_name(p)}}}"

        outer_i = rule.slope(model_i, y_i)
        f_sym = sp.Symbol("f", real=True)
        slope_sym = sp.diff(rule.sympy(f_sym, symbols[TARGET]), f_sym).subs(f_sym, model_sym)
        point_derivative = sp.Derivative(point_loss, ps)
        steps = [
            (rf"{d_p}\left({loss_model}\right)", point_derivative, ""),
            (SUM_PREFIX + applied(d_p, rule.value(model_i, y_i)).tex, point_derivative, "rule_linearity"),
            (SUM_PREFIX + summand_tex(formula.product([outer_i, applied(d_p, model_i)])), slope_sym * sp.Derivative(model_sym, ps), rule.rule),
        ]
        inner_sym = model_sym
        front: list[E.Expr] = [outer_i]
        front_f: list[E.Expr] = [rule.slope(f_hat, E.sym(TARGET, "y_{i}"))]
        if wrapped:
            z = model.args[0]
            z_i, z_sym = formula.substitute(z, points), formula.to_sympy(z, symbols)
            g_slope = outer_slope(model.func, model_i, z_i)
            g_slope_sym = formula.to_sympy(outer_slope(model.func, model, z), symbols)
            steps.append((SUM_PREFIX + summand_tex(formula.product([outer_i, g_slope, applied(d_p, z_i)])),
                          slope_sym * g_slope_sym * sp.Derivative(z_sym, ps), f"rule_outer_{model.func}"))
            front = [outer_i, g_slope]
            front_f = [rule.slope(f_hat, E.sym(TARGET, "y_{i}")), outer_slope(model.func, f_hat, None)]
            if cancels:
                residual = E.paren(E.sub(model_i, y_i))
                steps.append((SUM_PREFIX + summand_tex(formula.product([residual, applied(d_p, z_i)])),
                              (model_sym - symbols[TARGET]) * sp.Derivative(z_sym, ps), "rule_cancel"))
                front = [residual]
                front_f = [E.paren(E.sub(f_hat, E.sym(TARGET, "y_{i}")))]
            inner_sym = z_sym
        inner = sp.diff(inner_sym, ps)
        inner_tree = formula.from_sympy(inner, {symbols[n]: t for n, t in points.items()} | {
            symbols[q]: E.sym(q, formula.tex_name(q)) for q in lesson.parameter_names})
        # the cancelled form is also the numerically stable one for NumPy (no log of 1 − σ)
        final_sym = (model_sym - symbols[TARGET]) * inner if cancels else sp.diff(point_loss, ps)
        steps.append((SUM_PREFIX + summand_tex(formula.product([*front, inner_tree])), final_sym, "rule_inner_chain" if wrapped and not cancels else "rule_inner_linear"))
        tidy = _tidy(inner_tree, front)
        steps.append((SUM_PREFIX + summand_tex(tidy), final_sym, "rule_tidy"))
        partials.append(Partial(
            parameter=p,
            lhs=rf"\frac{{\partial J}}{{\partial {formula.tex_name(p)}}}",
            steps=_verified_steps(steps, p),
            summand_f=_tidy(inner_tree, front_f),
            point_gradient=final_sym,
            term=partial(_gradient_term, rule, model.func if wrapped else None, cancels,
                         formula.from_sympy(inner, {sym: E.sym(n) for n, sym in symbols.items()})),
        ))
    return Derivation(
        loss_general=loss_general,
        loss_model=loss_model,
        loss_summand_f=rule.value(f_hat, E.sym(TARGET, "y_{i}")),
        loss_term=partial(_loss_term, rule),
        point_loss=point_loss,
        partials=tuple(partials),
        symbols=symbols,
        definitions=_definitions(rule, model),
    )


def _loss_term(rule: LossRule, m: dict) -> E.Expr:
    return formula.times_style(rule.numeric_value(m["f"], m[TARGET]))


def _gradient_term(rule: LossRule, outer: str | None, cancels: bool, inner: E.Expr, m: dict) -> E.Expr:
    """The tidy summand of a partial derivative at one point, every factor a number."""
    f, y = m["f"], m[TARGET]
    if cancels:
        front = [E.paren(E.sub(f, y))]
    else:
        front = [rule.numeric_slope(f, y)]
        if outer is not None:
            front.append(outer_slope(outer, f, None))
    return formula.times_style(_tidy(formula.substitute(inner, m), front, drop_one=inner == E.num(1)))


def summand_tex(tree: E.Expr) -> str:
    """A summand after ``\\sum``: a sum or difference needs brackets to stay inside it."""
    text = tree.latex()
    return rf"\left({text}\right)" if isinstance(tree, E.BinOp) and tree.op in "+-" else text


def _tidy(inner: E.Expr, front: list[E.Expr], drop_one: bool = True) -> E.Expr:
    """Constant factors first, then the inner derivative, then the rest (``2 x_{i} (…)``)."""
    factors: list[E.Expr] = []
    rest: list[E.Expr] = []
    for f in front:
        if isinstance(f, E.BinOp) and f.op == "*" and isinstance(f.left, E.Num):
            factors.append(f.left)
            rest.append(f.right)
        else:
            rest.append(f)
    if not (drop_one and isinstance(inner, E.Num) and inner.value == 1):
        factors.append(inner)
    return formula.product(factors + rest)


def _definitions(rule: LossRule, model: E.Expr) -> tuple[tuple[str, str], ...]:
    """Displayed definitions the derivation relies on, each checked with SymPy before it is shown.

    Words inside them are placeholders (``<otherwise>``) that the template fills from the catalog."""
    import sympy as sp

    out = []
    if rule.kind == "huber":
        out.append(("def_huber", r"L_{\delta}(r) = \begin{cases} \frac{1}{2} r^{2} & |r| \le \delta \\ "
                    r"\delta\left(|r| - \frac{1}{2}\delta\right) & \text{<otherwise>} \end{cases}"))
        out.append(("def_huber_slope", r"\psi_{\delta}(r) = L_{\delta}'(r) = \begin{cases} r & |r| \le \delta \\ "
                    r"\delta \operatorname{sign}(r) & \text{<otherwise>} \end{cases}"))
    if isinstance(model, E.Call) and model.func == "sigma":
        z = sp.Symbol("z", real=True)
        sigma = 1 / (1 + sp.exp(-z))
        chain = [sigma.diff(z), sp.exp(-z) / (1 + sp.exp(-z)) ** 2, sigma * (sp.exp(-z) / (1 + sp.exp(-z))), sigma * (1 - sigma)]
        if any(not _same(a, b) for a, b in zip(chain, chain[1:])):
            raise DerivationError("the derivation of the sigmoid's derivative does not hold")
        out.append(("def_sigmoid", r"\sigma(z) = \frac{1}{1 + e^{-z}}"))
        out.append(("def_sigmoid_slope",
                    r"\sigma'(z) = \frac{e^{-z}}{\left(1 + e^{-z}\right)^{2}} = \frac{1}{1 + e^{-z}} \cdot \frac{e^{-z}}{1 + e^{-z}} "
                    r"= \sigma(z)\left(1 - \sigma(z)\right)"))
    return tuple(out)


def _same(a, b) -> bool:
    """SymPy equality: expansion for polynomials, else exact-rational points evaluated to 30 digits.

    Evaluation at six random points decides an identity of these expressions (rational functions of
    exp, log, |·|, piecewise) with certainty for practical purposes, and is a hundred times faster
    than ``simplify``; points where the difference is undefined or not real are skipped.
    """
    import random

    import sympy as sp

    difference = (a - b).doit() if hasattr(a - b, "doit") else a - b
    if sp.expand(difference) == 0:
        return True
    rng = random.Random(0)
    free = sorted(difference.free_symbols, key=str)
    agreed = 0
    for _ in range(30):
        point = {s: sp.Rational(rng.randint(-90, 90), rng.randint(7, 19)) for s in free}
        value = difference.subs(point).evalf(30)
        if not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not value.is_real:
            continue
        if abs(value) > 1e-20:
            return False
        agreed += 1
        if agreed == 6:
            return True
    return False


def _verified_steps(candidates, parameter: str) -> tuple[Step, ...]:
    """Drop steps that print the same as the one before, and prove the rest equal with SymPy."""
    steps: list[Step] = []
    previous = None
    for latex, sym, rule in candidates:
        if steps and latex == steps[-1].latex:
            continue
        value = sym.doit() if hasattr(sym, "doit") else sym
        if previous is not None and not _same(value, previous):
            raise DerivationError(f"step {len(steps) + 1} of dJ/d{parameter} does not follow from the one before")
        previous = value
        steps.append(Step(latex, rule))
    return tuple(steps)
