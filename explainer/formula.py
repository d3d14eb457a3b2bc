"""User formulas (``model = "w*x + b"``) read without running them, and moved between trees.

``sympify`` and ``parse_expr`` evaluate Python, so a spec could run code. Instead the text goes
through :mod:`ast` in ``eval`` mode, every node is checked against a short whitelist (numbers, names,
``+ - * / ** ^``, a few functions), and the result is built twice: as an :mod:`explainer.expr` tree
that keeps the author's order for printing, and as a SymPy expression for the calculus.
"""
from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from fractions import Fraction

from . import expr as E

MAX_LENGTH = 500
MAX_DEPTH = 40

#: function name in a spec → name in the arithmetic tree
FUNCTIONS = {"sigmoid": "sigma", "exp": "exp", "log": "log", "sqrt": "sqrt", "abs": "abs"}

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
}


class FormulaError(ValueError):
    """A formula that is not allowed or not well formed; the message says why, without the field."""


@dataclass(frozen=True)
class Formula:
    text: str
    tree: E.Expr
    names: frozenset


def tex_name(name: str) -> str:
    """How a spec name prints: ``w1`` → ``w_{1}``, ``theta`` → ``\\theta``, ``height`` → ``\\text{height}``."""
    m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    base, index = (m.group(1), m.group(2)) if m else (name, None)
    if base in GREEK:
        base_tex = "\\" + base
    elif len(base) == 1:
        base_tex = base
    else:
        base_tex = r"\text{" + base + "}"
    return f"{base_tex}_{{{index}}}" if index else base_tex


def point_tex(name: str, index: str = "i") -> str:
    """The name of one data point's value: ``x`` → ``x_{i}``, ``x1`` → ``x_{1,i}``."""
    tex = tex_name(name)
    if tex.endswith("}") and "_{" in tex:
        return tex[:-1] + "," + index + "}"
    return f"{tex}_{{{index}}}"


def parse(text: str, allowed: set[str] | frozenset) -> Formula:
    """Parse ``text`` into a tree over the ``allowed`` names, or raise FormulaError saying why."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("is empty; write an expression such as \"w*x + b\"")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"is longer than {MAX_LENGTH} characters")
    try:
        # ``^`` means a power, binding as tightly as ``**`` (``w^2*x`` is w²·x, not w^(2x)); strings,
        # the only other place a caret could stand, are refused below anyway
        node = ast.parse(text.strip().replace("^", "**"), mode="eval").body
    except SyntaxError as exc:
        raise FormulaError(f"is not a valid expression ({exc.msg} at column {exc.offset})") from None
    names: set[str] = set()
    tree = _Reader(allowed, names).read(node, 0)
    return Formula(text, tree, frozenset(names))


class _Reader:
    """Turns a whitelisted Python AST into an arithmetic tree; anything else is refused by name."""

    _OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}

    def __init__(self, allowed, names: set[str]):
        self.allowed, self.names = allowed, names

    def read(self, node: ast.AST, depth: int) -> E.Expr:
        if depth > MAX_DEPTH:
            raise FormulaError(f"is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return E.num(Fraction(repr(node.value)) if isinstance(node.value, float) else node.value)
        if isinstance(node, ast.Name):
            if node.id not in self.allowed:
                known = ", ".join(sorted(self.allowed)) or "none"
                raise FormulaError(
                    f"uses the unknown name {node.id!r} (known names: {known}); "
                    "declare it or fix the spelling"
                )
            self.names.add(node.id)
            return E.sym(node.id, tex_name(node.id))
        if isinstance(node, ast.BinOp) and type(node.op) in self._OPS:
            op = self._OPS[type(node.op)]
            left, right = self.read(node.left, depth + 1), self.read(node.right, depth + 1)
            style = {"*": "implicit", "/": "frac"}.get(op, "")
            if op == "*" and isinstance(right, E.Num):
                style = "times"
            return E.BinOp(op, left, right, style)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.read(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return inner
            if isinstance(inner, E.Num):
                return E.num(-inner.value)
            return E.Neg(inner)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            and len(node.args) == 1
            and not node.keywords
        ):
            return E.call(FUNCTIONS[node.func.id], self.read(node.args[0], depth + 1))
        raise FormulaError(
            f"contains {ast.unparse(node)!r}, which is not arithmetic; use numbers, names, "
            f"+ - * / ** and the functions {', '.join(FUNCTIONS)}"
        )


def substitute(tree: E.Expr, mapping: dict[str, E.Expr]) -> E.Expr:
    """Replace names by trees, wrapping a replaced sum in brackets where precedence needs it."""
    if isinstance(tree, E.Sym):
        return mapping.get(tree.name, tree)
    if isinstance(tree, E.BinOp):
        left, right = substitute(tree.left, mapping), substitute(tree.right, mapping)
        style = tree.style
        if tree.op == "*" and style == "implicit" and (_starts_with_number(right) or _is_number(left) and _is_number(right)):
            style = "times"
        return E.BinOp(tree.op, left, right, style)
    if isinstance(tree, E.Neg):
        return E.Neg(substitute(tree.operand, mapping))
    if isinstance(tree, E.Group):
        return E.Group(substitute(tree.inner, mapping), tree.brackets)
    if isinstance(tree, E.Call):
        return E.Call(tree.func, tuple(substitute(a, mapping) for a in tree.args))
    if isinstance(tree, E.Vec):
        return E.Vec(tuple(substitute(a, mapping) for a in tree.items))
    return tree


def _is_number(tree: E.Expr) -> bool:
    return isinstance(tree, (E.Num, E.Vec))


def _starts_with_number(tree: E.Expr) -> bool:
    while isinstance(tree, E.BinOp):
        tree = tree.left
    return _is_number(tree) or isinstance(tree, E.Neg)


def times_style(tree: E.Expr) -> E.Expr:
    """Every product written with ``\\times``: substituted numbers must never touch (``0.3 1``)."""
    if isinstance(tree, E.BinOp):
        style = "times" if tree.op == "*" else tree.style
        return E.BinOp(tree.op, times_style(tree.left), times_style(tree.right), style)
    if isinstance(tree, E.Neg):
        return E.Neg(times_style(tree.operand))
    if isinstance(tree, E.Group):
        return E.Group(times_style(tree.inner), tree.brackets)
    if isinstance(tree, E.Call):
        return E.Call(tree.func, tuple(times_style(a) for a in tree.args))
    return tree


# --- SymPy bridge: the calculus happens there, the printing here -------------------------------

_SYMPY_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "^": operator.pow}

def to_sympy(tree: E.Expr, symbols: dict):
    """The SymPy expression of a tree; ``symbols`` maps names to SymPy symbols (filled on demand)."""
    import sympy as sp

    def conv(node):
        if isinstance(node, E.Num):
            return sp.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, E.Sym):
            if node.name not in symbols:
                symbols[node.name] = sp.Symbol(node.name, real=True)
            return symbols[node.name]
        if isinstance(node, E.BinOp):
            return _SYMPY_OPS[node.op](conv(node.left), conv(node.right))
        if isinstance(node, E.Neg):
            return -conv(node.operand)
        if isinstance(node, E.Group):
            return conv(node.inner)
        if isinstance(node, E.Call):
            arg = conv(node.args[0])
            return {
                "sigma": lambda z: 1 / (1 + sp.exp(-z)),
                "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "sign": sp.sign,
            }[node.func](arg)
        raise TypeError(f"no SymPy form for {type(node).__name__}")

    return conv(tree)


def from_sympy(expression, names: dict) -> E.Expr:
    """A printable tree of a SymPy result, numeric factor first (``2 x_{i} (w x_{i} - y_{i})``).

    ``names`` maps SymPy symbols to the trees that stand for them.
    """
    import sympy as sp

    def conv(e):
        if e in names:
            return names[e]
        if e.is_Rational:
            return E.num(Fraction(int(e.p), int(e.q)))
        if e.is_Add:
            terms = e.as_ordered_terms()
            out = conv(terms[0])
            for t in terms[1:]:
                coeff, rest = t.as_coeff_Mul()
                if coeff < 0:
                    out = E.BinOp("-", out, conv(-t))
                else:
                    out = E.BinOp("+", out, conv(t))
            return out
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            if coeff < 0:
                return E.Neg(conv(-e))
            factors = ([coeff] if coeff != 1 else []) + list(sp.Mul.make_args(rest))
            numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
            denom = [1 / f for f in factors if f.is_Pow and f.exp.is_negative]
            top = product([conv(f) for f in numer]) if numer else E.num(1)
            if denom:
                return E.BinOp("/", top, product([conv(f) for f in denom]), "frac")
            return top
        if e.is_Pow:
            if e.exp == -1:
                return E.BinOp("/", E.num(1), conv(e.base), "frac")
            return E.BinOp("^", conv(e.base), conv(e.exp))
        if isinstance(e, sp.exp):
            return E.call("exp", conv(e.args[0]))
        if isinstance(e, sp.log):
            return E.call("log", conv(e.args[0]))
        if isinstance(e, sp.sign):
            return E.call("sign", conv(e.args[0]))
        if isinstance(e, sp.Abs):
            return E.call("abs", conv(e.args[0]))
        raise TypeError(f"cannot print {e}")

    return conv(expression)


def product(factors: list[E.Expr]) -> E.Expr:
    """Juxtaposed factors (``2 x_{i}``), switching to ``\\times`` before a number (``x_{i} \\times 2``)."""
    out = factors[0]
    for f in factors[1:]:
        style = "times" if _starts_with_number(f) else "implicit"
        out = E.BinOp("*", out, f, style)
    return out
