"""Are two general formulas the same function? Checked at random points, exactly.

A derivation step (``\\frac{\\partial}{\\partial w}(w x_i - y_i)^2 = 2(w x_i - y_i) x_i``) holds for every
value of its names or it is wrong. Evaluating both sides at a few random rational points, with sums
written out over a small data set and derivatives taken with dual numbers, decides that with exact
``Fraction`` arithmetic (polynomial identity testing): two different rational functions agree on
random rationals with negligible probability. It is fast (no SymPy import, no simplification) and
works on the same trees as the arithmetic checks. Transcendental functions (exp, ln, σ) are compared
to 25 significant digits of a 50-digit evaluation.
"""
from __future__ import annotations

import random
from fractions import Fraction

from ..expr import EvaluationError, Expr
from .align import close_enough
from .nodes import Apply, Call, Deriv, DocEvaluator, Grad, Indexed, Sym, SumOver, walk

#: How many points each identity is tried at; every point that can be evaluated must agree.
POINTS = 4
#: The data set size used when the document does not bind one.
DEFAULT_N = 3


def _scan(node: Expr, functions, seen: set, out: dict) -> None:
    """Collect names by role: sum indices, vectors (indexed, or summed over without an index), scalars."""
    for n in walk(node):
        if isinstance(n, SumOver):
            out["indices"].add(n.index)
            if isinstance(n.upper, Sym):
                out["sizes"].add(n.upper.name)
        elif isinstance(n, Call) and n.func == "sum":
            out["summed"].append(n.args[0])
        elif isinstance(n, Indexed):
            if isinstance(n.index, Sym):
                out["vectors"].add(n.base)
            else:
                out["scalars"].add(f"{n.base}_{n.index_text}")
        elif isinstance(n, Deriv):
            out["wrt"].add(n.wrt)
        elif isinstance(n, Sym):
            out["names"].add(n.name)
        elif isinstance(n, Grad):
            out["scalars"].add(n.name)
        elif isinstance(n, Apply) and n.func in functions and n.func not in seen:
            params, body = functions[n.func]
            inner = {k: (set() if k != "summed" else []) for k in out}
            _scan(body, functions, seen | {n.func}, inner)
            inner["names"] -= set(params)
            for k in out:
                if k == "summed":
                    out[k].extend(inner[k])
                else:
                    out[k] |= inner[k]


def _roles(nodes, functions, values):
    out = {"indices": set(), "sizes": set(), "summed": [], "vectors": set(), "scalars": set(),
           "wrt": set(), "names": set()}
    for node in nodes:
        _scan(node, functions, set(), out)
    vectors = set(out["vectors"])
    fixed_scalars = out["wrt"] | {n for n in out["names"] if n in values and not isinstance(values[n], tuple)}
    for body in out["summed"]:
        for n in walk(body):
            if isinstance(n, Sym) and n.name not in fixed_scalars and n.name not in out["indices"]:
                vectors.add(n.name)
    vectors |= {n for n in out["names"] if isinstance(values.get(n), tuple)}
    vectors -= out["wrt"]
    names = (out["names"] | out["scalars"] | out["wrt"]) - out["indices"] - vectors
    return names, vectors, out["sizes"]


def _size(values, sizes, vectors) -> int:
    for name in sorted(sizes):
        v = values.get(name)
        if isinstance(v, Fraction) and v.denominator == 1 and 1 <= v <= 12:
            return int(v)
    for name in sorted(vectors):
        v = values.get(name)
        if isinstance(v, tuple) and 1 <= len(v) <= 12:
            return len(v)
    return DEFAULT_N


def _point(rng: random.Random, k: int):
    if k % 2 == 0:  # inside (0, 1): logs of 1 - p, square roots and σ stay defined
        def draw():
            q = rng.randint(3, 97)
            return Fraction(rng.randint(1, q - 1), q)
    else:
        def draw():
            return Fraction(rng.choice((-1, 1)) * rng.randint(1, 400), rng.randint(7, 97))
    return draw


def equivalent(a: Expr, b: Expr, functions, values, seed: int = 0) -> bool | None:
    """True when ``a`` and ``b`` agree at every random point, False when they differ, None if unknowable."""
    names, vectors, sizes = _roles((a, b), functions, values)
    n = _size(values, sizes, vectors)
    rng = random.Random(seed)
    evaluated = 0
    for k in range(POINTS):
        draw = _point(rng, k)
        env = {name: draw() for name in sorted(names)}
        env.update({name: tuple(draw() for _ in range(n)) for name in sorted(vectors)})
        for size in sizes:
            env[size] = Fraction(n)
        try:
            va = DocEvaluator(env, functions).eval(a)
            vb = DocEvaluator(env, functions).eval(b)
        except (EvaluationError, ArithmeticError, RecursionError, TypeError):
            continue
        if not _plain(va) or not _plain(vb):
            return None
        evaluated += 1
        if not close_enough(va, vb):
            return False
    return True if evaluated >= 2 else None


def _plain(v) -> bool:
    return isinstance(v, Fraction) or (isinstance(v, tuple) and all(isinstance(x, Fraction) for x in v))


def free_names(node: Expr, functions) -> set:
    """Every name ``node`` depends on, through the functions it calls, less sum indices."""
    names, vectors, sizes = _roles((node,), functions, {})
    return names | vectors | sizes
