"""The arithmetic on the page, as a tree that evaluates exactly and prints as the author wrote it.

SymPy reorders terms even when told not to evaluate, so substituted arithmetic (``0.3 \\times 2 - 4``)
lives in this small tree instead: numbers keep the digits they were shown with, parentheses are
nodes, and evaluation uses :class:`fractions.Fraction`. The generator builds these trees and the
checker parses LaTeX back into them, so both sides verify with the same code.

Values are a scalar ``Fraction`` or a vector (``tuple`` of ``Fraction``); the arithmetic operators
work element-wise and broadcast a scalar over a vector, as NumPy does.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Callable, Mapping, Union

from .numbers import show

Value = Union[Fraction, tuple]

#: Digits used for functions with no exact value (exp, log, sqrt); far past anything shown.
WORKING_DIGITS = 50
#: Refuse powers whose result would be astronomically large (``10^{10^{10}}``) instead of hanging.
MAX_RESULT_DIGITS = 2000


class EvaluationError(ArithmeticError):
    """An expression has no finite value (division by zero, overflow, unknown name, shape clash)."""


class Expr:
    """Base of every node; nodes are frozen dataclasses and compare by structure."""

    def latex(self) -> str:
        return LatexPrinter().print(self)

    def evaluate(self, env: Mapping[str, Value] | None = None) -> Value:
        return Evaluator(env or {}).eval(self)


@dataclass(frozen=True)
class Num(Expr):
    """A number with the exact text it is shown as (``text`` decides how it prints)."""

    value: Fraction
    text: str


@dataclass(frozen=True)
class Sym(Expr):
    """A name such as ``w`` or ``dJ/dw``; ``tex`` is how it prints (``\\frac{\\partial J}{\\partial w}``)."""

    name: str
    tex: str


@dataclass(frozen=True)
class Vec(Expr):
    items: tuple


@dataclass(frozen=True)
class BinOp(Expr):
    """``left op right`` with op in ``+ - * / ^``; ``style`` picks the sign: times/cdot/implicit, frac/slash."""

    op: str
    left: Expr
    right: Expr
    style: str = ""


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True)
class Group(Expr):
    """Brackets the author wrote: ``()`` or ``[]``; they print even where precedence does not need them."""

    inner: Expr
    brackets: str = "()"


@dataclass(frozen=True)
class Call(Expr):
    """A named function: ``sum``/``mean`` of a vector, ``exp``, ``log``, ``sqrt``, ``abs``, ``sign``, ``sigma``."""

    func: str
    args: tuple


@dataclass(frozen=True)
class Hidden(Num):
    """A number a worksheet asks for: it evaluates as the number, and prints as a blank — or, in the
    answer key (``reveal``), underlined where the blank was."""

    reveal: bool = False


@dataclass(frozen=True)
class Blank(Expr):
    """A worksheet blank: prints as a gap, has no value, so the checker skips what contains it."""


# --- constructors: the generator's vocabulary -------------------------------------------------

def num(value, text: str | None = None) -> Num:
    """A number as shown; without ``text`` it is shown by the display rule and *is* the shown value,
    so what the page carries on is always what the reader saw."""
    value = Fraction(value) if not isinstance(value, float) else Fraction(repr(value))
    if text is None:
        text = show(value)
        value = Fraction(text)
    return Num(value, text)


def sym(name: str, tex: str | None = None) -> Sym:
    return Sym(name, tex if tex is not None else name)


def vec(*items) -> Vec:
    return Vec(tuple(x if isinstance(x, Expr) else num(x) for x in items))


def _fold(op: str, style: str, operands) -> Expr:
    operands = [x if isinstance(x, Expr) else num(x) for x in operands]
    out = operands[0]
    for x in operands[1:]:
        out = BinOp(op, out, x, style)
    return out


def add(*terms) -> Expr:
    return _fold("+", "", terms)


def sub(a, b) -> Expr:
    return _fold("-", "", (a, b))


def mul(*factors, style: str = "times") -> Expr:
    return _fold("*", style, factors)


def frac(a, b) -> Expr:
    return _fold("/", "frac", (a, b))


def power(base, exponent) -> Expr:
    return _fold("^", "", (base, exponent))


def paren(inner: Expr, brackets: str = "()") -> Group:
    return Group(inner, brackets)


def call(func: str, *args) -> Call:
    return Call(func, tuple(args))


# --- exact evaluation -------------------------------------------------------------------------

def _decimal_fn(name: str) -> Callable[[Fraction], Fraction]:
    def apply(x: Fraction) -> Fraction:
        with localcontext() as ctx:
            ctx.prec = WORKING_DIGITS
            d = Decimal(x.numerator) / Decimal(x.denominator)
            if name == "exp":
                if d > 100000:
                    raise EvaluationError("exp overflows")
                r = d.exp()
            elif name == "log":
                if d <= 0:
                    raise EvaluationError("log of a number that is not positive")
                r = d.ln()
            else:
                if d < 0:
                    raise EvaluationError("square root of a negative number")
                r = d.sqrt()
            return Fraction(r)
    return apply


def _sigma(x: Fraction) -> Fraction:
    return 1 / (1 + _decimal_fn("exp")(-x))


def _sign(x: Fraction) -> Fraction:
    return Fraction((x > 0) - (x < 0))


SCALAR_FUNCTIONS: dict[str, Callable[[Fraction], Fraction]] = {
    "exp": _decimal_fn("exp"),
    "log": _decimal_fn("log"),
    "sqrt": _decimal_fn("sqrt"),
    "abs": abs,
    "sign": _sign,
    "sigma": _sigma,
}


def _pow(a: Fraction, b: Fraction) -> Fraction:
    if b.denominator != 1:
        if b.denominator == 2 and a >= 0:
            return _pow(SCALAR_FUNCTIONS["sqrt"](a), b * 2)
        raise EvaluationError("fractional power")
    e = b.numerator
    if a == 0 and e < 0:
        raise EvaluationError("division by zero")
    size = max(len(str(abs(a.numerator))), len(str(a.denominator)))
    if a not in (0, 1, -1) and abs(e) * size > MAX_RESULT_DIGITS:
        raise EvaluationError("power too large to evaluate")
    return a ** e


def _div(a: Fraction, b: Fraction) -> Fraction:
    if b == 0:
        raise EvaluationError("division by zero")
    return a / b


_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "^": _pow,
}


def elementwise(fn: Callable[[Fraction, Fraction], Fraction], a: Value, b: Value) -> Value:
    """Apply ``fn`` with NumPy-style broadcasting of scalars over vectors of equal length."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            raise EvaluationError(f"vectors of lengths {len(a)} and {len(b)} do not match")
        return tuple(fn(x, y) for x, y in zip(a, b))
    if isinstance(a, tuple):
        return tuple(fn(x, b) for x in a)
    if isinstance(b, tuple):
        return tuple(fn(a, y) for y in b)
    return fn(a, b)


class Evaluator:
    """Exact evaluation of a tree in an environment of names bound to values."""

    def __init__(self, env: Mapping[str, Value]):
        self.env = env

    def eval(self, node: Expr) -> Value:
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            raise EvaluationError(f"cannot evaluate {type(node).__name__}")
        return method(node)

    def _eval_Num(self, node: Num) -> Value:
        return node.value

    _eval_Hidden = _eval_Num

    def _eval_Sym(self, node: Sym) -> Value:
        if node.name not in self.env:
            raise EvaluationError(f"unknown name {node.name}")
        return self.env[node.name]

    def _eval_Vec(self, node: Vec) -> Value:
        items = tuple(self.eval(x) for x in node.items)
        if any(isinstance(x, tuple) for x in items):
            raise EvaluationError("nested vectors")
        return items

    def _eval_BinOp(self, node: BinOp) -> Value:
        return elementwise(_BINARY[node.op], self.eval(node.left), self.eval(node.right))

    def _eval_Neg(self, node: Neg) -> Value:
        v = self.eval(node.operand)
        return tuple(-x for x in v) if isinstance(v, tuple) else -v

    def _eval_Group(self, node: Group) -> Value:
        return self.eval(node.inner)

    def _eval_Blank(self, node: Blank) -> Value:
        raise EvaluationError("a blank has no value")

    def _eval_Call(self, node: Call) -> Value:
        args = [self.eval(a) for a in node.args]
        if node.func in ("sum", "mean"):
            if len(args) != 1 or not isinstance(args[0], tuple) or not args[0]:
                raise EvaluationError(f"{node.func} needs one non-empty vector")
            total = sum(args[0], Fraction(0))
            return total if node.func == "sum" else total / len(args[0])
        fn = SCALAR_FUNCTIONS.get(node.func)
        if fn is None or len(args) != 1:
            raise EvaluationError(f"unknown function {node.func}")
        v = args[0]
        return tuple(fn(x) for x in v) if isinstance(v, tuple) else fn(v)


# --- LaTeX printing ---------------------------------------------------------------------------

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}
_FUNCTION_TEX = {
    "sum": r"\sum",
    "mean": r"\operatorname{mean}",
    "exp": r"\exp",
    "log": r"\ln",
    "sqrt": r"\sqrt",
    "abs": "",
    "sign": r"\operatorname{sign}",
    "sigma": r"\sigma",
    # the Huber loss and its slope: printed, not evaluated (their branch is written out per point)
    "huber": r"L_{\delta}",
    "huber_slope": r"\psi_{\delta}",
}


def _precedence(node: Expr) -> int:
    if isinstance(node, BinOp):
        if node.op == "/" and node.style == "frac":
            return 5
        return _PRECEDENCE[node.op]
    if isinstance(node, Neg) or (type(node) is Num and node.value < 0):
        return 1.5  # a hidden number is one underlined box: it needs no brackets, and shows no sign
    return 5


class LatexPrinter:
    """One printer for all LaTeX, dispatching on node type (after ``sympy.printing``).

    Brackets are added only where the tree's meaning needs them (a sum inside a product, a
    negative number after an operator); :class:`Group` nodes keep the author's own brackets.
    """

    def print(self, node: Expr) -> str:
        return getattr(self, "_print_" + type(node).__name__)(node)

    def _wrap(self, node: Expr, needed: bool) -> str:
        text = self.print(node)
        return rf"\left({text}\right)" if needed else text

    def _print_Num(self, node: Num) -> str:
        return node.text

    def _print_Sym(self, node: Sym) -> str:
        return node.tex

    def _print_Vec(self, node: Vec) -> str:
        return "[" + ", ".join(self.print(x) for x in node.items) + "]"

    def _print_Blank(self, node: Blank) -> str:
        return r"\underline{\qquad}"

    def _print_Hidden(self, node: Hidden) -> str:
        return rf"\underline{{{node.text}}}" if node.reveal else r"\underline{\qquad}"

    def _print_Group(self, node: Group) -> str:
        left, right = node.brackets
        if left == "(":
            return rf"\left({self.print(node.inner)}\right)"
        return rf"\left[{self.print(node.inner)}\right]"

    def _print_Neg(self, node: Neg) -> str:
        return "-" + self._wrap(node.operand, _precedence(node.operand) <= 2)

    def _print_Call(self, node: Call) -> str:
        inner = ", ".join(self.print(a) for a in node.args)
        if node.func == "sqrt":
            return rf"\sqrt{{{inner}}}"
        if node.func == "abs":
            return rf"\left|{inner}\right|"
        if node.func == "sum":
            return rf"\sum {inner}"
        return rf"{_FUNCTION_TEX[node.func]}\left({inner}\right)"

    def _print_BinOp(self, node: BinOp) -> str:
        op, prec = node.op, _precedence(node)
        if op == "/" and node.style == "frac":
            return rf"\frac{{{self.print(node.left)}}}{{{self.print(node.right)}}}"
        if op == "^":
            base = self._wrap(node.left, _precedence(node.left) <= 4)
            return f"{base}^{{{self.print(node.right)}}}"
        left = self._wrap(node.left, _precedence(node.left) < prec)
        # the right operand of - and / binds tighter; a negative number there needs brackets
        right_needs = _precedence(node.right) <= prec if op in "-/" else _precedence(node.right) < prec
        if _precedence(node.right) == 1.5:
            right_needs = True
        right = self._wrap(node.right, right_needs)
        sign = {
            "+": " + ",
            "-": " - ",
            "/": " / ",
            "*": {"times": r" \times ", "cdot": r" \cdot ", "implicit": " "}.get(node.style, r" \times "),
        }[op]
        return left + sign + right
