"""The few shapes a hand-written handout has that the generator's tree does not, and how they evaluate.

``expr.py`` covers substituted arithmetic; reading LaTeX back also meets indexed names (``x_{i}``),
sums with bounds, derivative operators, gradient names and calls of functions the document
defined (``f(x_{i})``). They live here so that ``expr.py`` stays the generator's vocabulary; the
evaluator below extends the shared one, so numbers are still exact ``Fraction`` values.

Derivatives are evaluated with dual numbers at a point: exact for rational expressions, no SymPy
import on the hot path, and never a string handed to a computer-algebra parser.
"""
from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

# _BINARY is the one arithmetic table, shared on purpose
from ..expr import (
    _BINARY,
    SCALAR_FUNCTIONS,
    BinOp,
    Call,
    EvaluationError,
    Evaluator,
    Expr,
    Group,
    Neg,
    Sym,
    Vec,
    elementwise,
)

#: A sum over more terms than this is not something a handout writes out; refuse instead of looping.
MAX_SUM_TERMS = 10_000
#: Calls of document-defined functions nest at most this deep (``f(x) = f(x) + 1`` must not hang).
MAX_CALL_DEPTH = 32


@dataclass(frozen=True)
class Indexed(Expr):
    """``x_{i}``, ``x_{2}``, ``y_{\\text{pred}, i}``: a name with an index that may select an element."""

    base: str
    index: Expr
    index_text: str


@dataclass(frozen=True)
class Grad(Expr):
    """A gradient used as a name, ``\\frac{dJ}{dw}`` → ``dJ/dw``; ``of``/``wrt`` say what it differentiates."""

    name: str
    of: str
    wrt: str


@dataclass(frozen=True)
class SumOver(Expr):
    """``\\sum_{i=lower}^{upper} body``; without bounds the range is the length of the vectors indexed."""

    index: str
    lower: Expr | None
    upper: Expr | None
    body: Expr


@dataclass(frozen=True)
class Deriv(Expr):
    """``\\frac{\\partial}{\\partial w} body``: the derivative operator applied to what follows."""

    wrt: str
    body: Expr


@dataclass(frozen=True)
class Apply(Expr):
    """``f(x_{i})``, ``J(w, b)``, ``\\sigma'(z)``: a call of a named function, ``primes`` times differentiated."""

    func: str
    args: tuple
    primes: int = 0


# --- dual numbers: value and first derivative --------------------------------------------------

class Dual:
    """``val + der·ε`` with ``ε² = 0``: evaluating with one input set to ``Dual(v, 1)`` yields f(v) and f'(v)."""

    __slots__ = ("val", "der")

    def __init__(self, val: Fraction, der: Fraction):
        self.val, self.der = Fraction(val), Fraction(der)

    @staticmethod
    def lift(x) -> "Dual":
        return x if isinstance(x, Dual) else Dual(x, 0)

    def __add__(self, o):
        o = Dual.lift(o)
        return Dual(self.val + o.val, self.der + o.der)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.val, -self.der)

    def __sub__(self, o):
        return self + (-Dual.lift(o))

    def __rsub__(self, o):
        return Dual.lift(o) - self

    def __mul__(self, o):
        o = Dual.lift(o)
        return Dual(self.val * o.val, self.val * o.der + self.der * o.val)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = Dual.lift(o)
        if o.val == 0:
            raise EvaluationError("division by zero")
        return Dual(self.val / o.val, (self.der * o.val - self.val * o.der) / (o.val * o.val))

    def __rtruediv__(self, o):
        return Dual.lift(o) / self

    def __abs__(self):
        return Dual(abs(self.val), self.der * _sign(self.val))

    def __eq__(self, o):
        return self.val == (o.val if isinstance(o, Dual) else o)

    def __hash__(self):
        return hash(self.val)

    def __lt__(self, o):
        return self.val < (o.val if isinstance(o, Dual) else o)

    def __gt__(self, o):
        return self.val > (o.val if isinstance(o, Dual) else o)


def _sign(x: Fraction) -> Fraction:
    return Fraction((x > 0) - (x < 0))


def _dual_power(a, b):
    if isinstance(b, Dual):
        if b.der != 0:
            raise EvaluationError("a power whose exponent varies is not supported")
        b = b.val
    if b.denominator != 1:
        raise EvaluationError("fractional power of a variable")
    a = Dual.lift(a)
    n = b.numerator
    if abs(n) > 64:
        raise EvaluationError("power too large to differentiate")
    if a.val == 0 and n <= 0:
        raise EvaluationError("division by zero")
    value = a.val ** n
    return Dual(value, n * a.val ** (n - 1) * a.der if n != 0 else 0)


def _dual_function(name: str, x: Dual) -> Dual:
    f = SCALAR_FUNCTIONS[name]
    v = f(x.val)
    if name == "exp":
        d = v
    elif name == "log":
        d = 1 / x.val
    elif name == "sqrt":
        if v == 0:
            raise EvaluationError("derivative of the square root at 0")
        d = 1 / (2 * v)
    elif name == "sigma":
        d = v * (1 - v)
    elif name == "abs":
        d = _sign(x.val)
    else:  # sign
        d = Fraction(0)
    return Dual(v, d * x.der)


def has_dual(v) -> bool:
    return isinstance(v, Dual) or (isinstance(v, tuple) and any(isinstance(x, Dual) for x in v))


# --- evaluation -------------------------------------------------------------------------------

class Functions(dict):
    """Functions the document defined: name → (parameter names, body)."""


class DocEvaluator(Evaluator):
    """The shared exact evaluator, taught the handout shapes above and a table of defined functions."""

    def __init__(self, env: Mapping, functions: Mapping | None = None, depth: int = 0):
        super().__init__(env)
        self.functions = functions or {}
        self.depth = depth

    def _with(self, extra: dict) -> "DocEvaluator":
        return DocEvaluator(ChainMap(extra, self.env), self.functions, self.depth)

    def _eval_Grad(self, node: Grad):
        if node.name not in self.env:
            raise EvaluationError(f"unknown name {node.name}")
        return self.env[node.name]

    def _eval_Indexed(self, node: Indexed):
        whole = f"{node.base}_{node.index_text}"
        if whole in self.env:
            return self.env[whole]
        k = self.eval(node.index)
        if isinstance(k, Dual):
            k = k.val
        if isinstance(k, tuple) or k.denominator != 1:
            raise EvaluationError(f"index of {node.base} is not a whole number")
        k = k.numerator
        if f"{node.base}_{k}" in self.env:
            return self.env[f"{node.base}_{k}"]
        vector = self.env.get(node.base)
        if not isinstance(vector, tuple) or not 1 <= k <= len(vector):
            raise EvaluationError(f"{node.base} has no element {k}")
        return vector[k - 1]

    def _eval_SumOver(self, node: SumOver):
        if node.lower is None:
            lo, hi = 1, self._implied_length(node)
        else:
            lo = self._whole(self.eval(node.lower))
            hi = self._whole(self.eval(node.upper)) if node.upper is not None else self._implied_length(node)
        if hi - lo + 1 > MAX_SUM_TERMS:
            raise EvaluationError("sum with too many terms")
        if hi < lo:
            raise EvaluationError("empty sum")
        total = None
        for k in range(lo, hi + 1):
            term = self._with({node.index: Fraction(k)}).eval(node.body)
            total = term if total is None else elementwise(lambda a, b: a + b, total, term)
        return total

    def _implied_length(self, node: SumOver) -> int:
        lengths = {len(self.env[b]) for b in indexed_bases(node.body, node.index)
                   if isinstance(self.env.get(b), tuple)}
        if len(lengths) != 1:
            raise EvaluationError("the range of the sum is not clear")
        return lengths.pop()

    @staticmethod
    def _whole(v) -> int:
        if isinstance(v, Dual):
            v = v.val
        if isinstance(v, tuple) or v.denominator != 1:
            raise EvaluationError("a bound of the sum is not a whole number")
        return v.numerator

    def _eval_Deriv(self, node: Deriv):
        point = self.env.get(node.wrt)
        if point is None:
            raise EvaluationError(f"unknown name {node.wrt}")
        if isinstance(point, tuple) or any(has_dual(v) for v in self.env.values()):
            raise EvaluationError("nested or vector derivatives are not supported")
        result = self._with({node.wrt: Dual(point, 1)}).eval(node.body)
        if isinstance(result, tuple):
            return tuple(x.der if isinstance(x, Dual) else Fraction(0) for x in result)
        return result.der if isinstance(result, Dual) else Fraction(0)

    def _eval_Apply(self, node: Apply):
        if self.depth > MAX_CALL_DEPTH:
            raise EvaluationError("functions call each other too deeply")
        args = [self.eval(a) for a in node.args]
        if node.func in self.functions:
            (params, body), outer = self.functions[node.func], self.env
        elif node.func in SCALAR_FUNCTIONS:
            params, body, outer = ("__x",), Call(node.func, (Sym("__x", "x"),)), {}
        else:
            raise EvaluationError(f"unknown function {node.func}")
        if len(params) != len(args):
            raise EvaluationError(f"{node.func} takes {len(params)} argument(s)")
        if node.primes == 0:
            return DocEvaluator(ChainMap(dict(zip(params, args)), outer), self.functions, self.depth + 1).eval(body)
        if node.primes > 1 or len(args) != 1 or isinstance(args[0], tuple) or has_dual(args[0]):
            raise EvaluationError("only first derivatives of one-argument functions are supported")
        point = ChainMap({params[0]: Dual(args[0], 1)}, outer)
        result = DocEvaluator(point, self.functions, self.depth + 1).eval(body)
        return result.der if isinstance(result, Dual) else Fraction(0)

    def _eval_BinOp(self, node: BinOp):
        a, b = self.eval(node.left), self.eval(node.right)
        if node.op == "^" and (has_dual(a) or has_dual(b)):
            return elementwise(_dual_power, a, b)
        return elementwise(_BINARY[node.op], a, b)

    def _eval_Call(self, node: Call):
        if node.func in SCALAR_FUNCTIONS and len(node.args) == 1:
            v = self.eval(node.args[0])
            if has_dual(v):
                if isinstance(v, tuple):
                    return tuple(_dual_function(node.func, Dual.lift(x)) for x in v)
                return _dual_function(node.func, v)
            fn = SCALAR_FUNCTIONS[node.func]
            return tuple(fn(x) for x in v) if isinstance(v, tuple) else fn(v)
        return super()._eval_Call(node)


# --- walking ----------------------------------------------------------------------------------

def children(node: Expr) -> tuple:
    """The sub-expressions of any node, shared and handout shapes alike."""
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, (Neg,)):
        return (node.operand,)
    if isinstance(node, Group):
        return (node.inner,)
    if isinstance(node, Vec):
        return node.items
    if isinstance(node, (Call, Apply)):
        return node.args
    if isinstance(node, Indexed):
        return (node.index,)
    if isinstance(node, SumOver):
        return tuple(x for x in (node.lower, node.upper, node.body) if x is not None)
    if isinstance(node, Deriv):
        return (node.body,)
    return ()


def walk(node: Expr):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(children(n))


def indexed_bases(node: Expr, index: str) -> set:
    """Names indexed by the summation variable ``index`` in ``node`` (``x`` in ``x_{i}``)."""
    return {n.base for n in walk(node)
            if isinstance(n, Indexed) and isinstance(n.index, Sym) and n.index.name == index}


def names_in(node: Expr) -> set:
    """Every name a node reads: symbols, gradient names, indexed bases (not their indices)."""
    out = set()
    for n in walk(node):
        if isinstance(n, Sym):
            out.add(n.name)
        elif isinstance(n, Grad):
            out.add(n.name)
        elif isinstance(n, Indexed):
            out.add(n.base)
    return out


def has_node(node: Expr, kind: type) -> bool:
    return any(isinstance(n, kind) for n in walk(node))
