"""Does one step equal the step before it, and if not, which part of it is wrong?

A step of a worked example is the previous expression with one part replaced: a symbol by its value,
a product by its result, four terms by their sum. :func:`align` walks the previous and the current
expression side by side; where they agree (within what the shown digits promise) it stops, where
they disagree it descends into parts of matching shape and reports the smallest wrong part, so the
seed's ``(-7.4)`` is reported as one wrong term rather than the whole line as one wrong sum.

Two values travel together: the *carried* one (what the document's own numbers give — each step is
judged against the step before it as written, so one slip is reported once, not on every later line)
and the *true* one (what it would be had every earlier step been right — the ``expected`` value of a
finding and the number in the corrected line).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Callable

from ..expr import BinOp, Call, EvaluationError, Expr, Group, Neg, Num, Sym, Vec
from ..numbers import places_of, rounded, rounded_places, show, tolerance_of
from .nodes import Apply, Grad, Indexed, SumOver, indexed_bases, names_in, walk

INFINITE = None  # an error bound that cannot be computed: accept rather than risk a false alarm


@dataclass(frozen=True)
class Mismatch:
    node: Expr  # the part of the current step that is wrong
    carried: object  # the value the previous step, as written, gives it
    true: object  # the value it should have
    kind: str  # arithmetic | rounding | inconsistent
    name: str | None = None  # for inconsistent: the name whose value was substituted


class Memo:
    """Evaluation cached per node; entries keep their node alive so an ``id`` is never reused."""

    def __init__(self, evaluate: Callable[[Expr], object]):
        self.evaluate = evaluate
        self.cache: dict[int, tuple] = {}

    def __call__(self, node: Expr):
        hit = self.cache.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        value = self.evaluate(node)
        self.cache[id(node)] = (node, value)
        return value


@dataclass
class Ctx:
    ev: Memo  # evaluation with the document's values
    tev: Memo  # evaluation with the true values
    strict: bool
    rel: str = "="
    mismatches: list = field(default_factory=list)
    replacements: list = field(default_factory=list)  # (node of the current step, true value)
    quiet: int = 0
    earlier: Callable | None = None  # name, value → did the name hold that value earlier in the text?
    prev_flagged: bool = False  # the previous step was itself reported wrong
    name_flagged: Callable = lambda name: False  # the line that bound ``name`` was reported wrong


# --- the precision rule -----------------------------------------------------------------------

def literal_text(node: Expr) -> str | None:
    """The digits of a plain shown number (``-7.4``, ``(−1.7)``), or None for an expression."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Neg) and isinstance(node.operand, Num):
        return "-" + node.operand.text
    if isinstance(node, Group):
        return literal_text(node.inner)
    return None


def shown_tolerance(text: str, rel: str) -> Fraction:
    """Half a unit of the last shown digit; a whole number written with ``=`` promises exactness."""
    if "." in text or rel == "approx":
        return tolerance_of(text)
    return Fraction(0)


def agree(expected, node: Expr, value, ctx: Ctx) -> bool:
    """Is ``node`` (worth ``value``) a correct statement of ``expected`` under the precision rule?"""
    if isinstance(expected, tuple) or isinstance(value, tuple):
        if not (isinstance(expected, tuple) and isinstance(value, tuple)) or len(expected) != len(value):
            return False
        inner = _strip(node)
        if isinstance(inner, Vec) and len(inner.items) == len(value):
            return all(agree(e, n, v, ctx) for e, n, v in zip(expected, inner.items, value))
        return all(agree(e, node, v, ctx) for e, v in zip(expected, value)) if expected != value else True
    if expected == value:
        return True
    text = literal_text(node)
    if ctx.strict:
        return ctx.rel == "approx" and text is not None and value == rounded(expected)
    if text is not None:
        return abs(expected - value) <= shown_tolerance(text, ctx.rel)
    bound = error_bound(node, ctx.ev)
    return bound is INFINITE or abs(expected - value) <= bound


def _mag(v) -> Fraction:
    return max((abs(x) for x in v), default=Fraction(0)) if isinstance(v, tuple) else abs(v)


def error_bound(node: Expr, ev) -> Fraction | None:
    """How far an expression of rounded shown numbers may be from the exact value (interval reasoning)."""
    try:
        return _bound(node, ev)
    except (EvaluationError, ArithmeticError, TypeError, ValueError):
        return INFINITE


def _bound(node: Expr, ev) -> Fraction | None:
    if isinstance(node, Num):
        return tolerance_of(node.text) if "." in node.text else Fraction(0)
    if isinstance(node, (Sym, Grad, Indexed)):
        return Fraction(0)
    if isinstance(node, Neg):
        return _bound(node.operand, ev)
    if isinstance(node, Group):
        return _bound(node.inner, ev)
    if isinstance(node, Vec):
        bounds = [_bound(x, ev) for x in node.items]
        return INFINITE if any(b is INFINITE for b in bounds) else max(bounds, default=Fraction(0))
    if isinstance(node, BinOp):
        ea, eb = _bound(node.left, ev), _bound(node.right, ev)
        if ea is INFINITE or eb is INFINITE:
            return INFINITE
        if ea == 0 and eb == 0:
            return Fraction(0)
        a, b = _mag(ev(node.left)), _mag(ev(node.right))
        if node.op in "+-":
            return ea + eb
        if node.op == "*":
            return a * eb + b * ea + ea * eb
        if node.op == "/":
            return INFINITE if b <= eb else (a * eb + b * ea) / (b * (b - eb))
        exponent = ev(node.right)
        if eb or isinstance(exponent, tuple) or exponent.denominator != 1 or not 0 <= exponent <= 64:
            return INFINITE
        n = exponent.numerator
        return (a + ea) ** n - a ** n
    if isinstance(node, Call) and len(node.args) == 1:
        e = _bound(node.args[0], ev)
        if e is INFINITE or e == 0:
            return e
        arg = ev(node.args[0])
        if node.func == "sum":
            return e * (len(arg) if isinstance(arg, tuple) else 1)
        if node.func in ("mean", "abs"):
            return e
        if node.func == "sigma":
            return e / 4
        if node.func == "exp" and e < 1:
            return _mag(ev(node)) * 2 * e
        if node.func == "log" and _mag(arg) > 2 * e:
            return 2 * e / _mag(arg)
        return INFINITE
    return Fraction(0) if not any(isinstance(n, Num) and "." in n.text for n in _nums(node)) else INFINITE


def _nums(node: Expr):
    return walk(node)


# --- walking two steps side by side -----------------------------------------------------------

def _strip(node: Expr) -> Expr:
    while isinstance(node, Group):
        node = node.inner
    return node


def _terms(node: Expr) -> list:
    """``a - b + c`` → [(+1, a), (-1, b), (+1, c)]; a leading ``-a`` gives (-1, a)."""
    out = []
    while isinstance(node, BinOp) and node.op in "+-":
        out.append((1 if node.op == "+" else -1, node.right))
        node = node.left
    if isinstance(node, Neg):
        out.append((-1, node.operand))
    else:
        out.append((1, node))
    out.reverse()
    return out


def _factors(node: Expr) -> list:
    out = []

    def visit(n):
        if isinstance(n, BinOp) and n.op == "*":
            visit(n.left)
            visit(n.right)
        else:
            out.append(n)

    visit(node)
    return out


def _rebuild_terms(cur: Expr, fixes: list) -> Expr:
    signs = [s for s, _ in _terms(cur)]
    acc = Neg(fixes[0]) if signs[0] < 0 else fixes[0]
    for sign, fix in zip(signs[1:], fixes[1:]):
        acc = BinOp("+" if sign > 0 else "-", acc, fix)
    return acc


def _rebuild_factors(fixes: list) -> Expr:
    acc = fixes[0]
    for f in fixes[1:]:
        acc = BinOp("*", acc, f, "times")
    return acc


def substitute(node: Expr, mapping: dict) -> Expr:
    """``node`` with each ``Sym`` named in ``mapping`` replaced (function bodies, sum terms)."""
    if isinstance(node, Sym) and node.name in mapping:
        return mapping[node.name]
    if isinstance(node, BinOp):
        return BinOp(node.op, substitute(node.left, mapping), substitute(node.right, mapping), node.style)
    if isinstance(node, Neg):
        return Neg(substitute(node.operand, mapping))
    if isinstance(node, Group):
        return Group(substitute(node.inner, mapping), node.brackets)
    if isinstance(node, Vec):
        return Vec(tuple(substitute(x, mapping) for x in node.items))
    if isinstance(node, Call):
        return Call(node.func, tuple(substitute(x, mapping) for x in node.args))
    if isinstance(node, Apply):
        return Apply(node.func, tuple(substitute(x, mapping) for x in node.args), node.primes)
    if isinstance(node, Indexed):
        index = substitute(node.index, mapping)
        return Indexed(node.base, index, index.text if isinstance(index, Num) else node.index_text)
    if isinstance(node, SumOver):
        inner = {k: v for k, v in mapping.items() if k != node.index}
        return SumOver(node.index, node.lower and substitute(node.lower, inner),
                       node.upper and substitute(node.upper, inner), substitute(node.body, inner))
    return node


def _expand_sum(node: Expr, ctx: Ctx) -> list | None:
    """The terms of ``\\sum_{i=1}^{N} body`` (or ``\\sum`` over vectors) written out one by one."""
    try:
        if isinstance(node, SumOver):
            lo = 1 if node.lower is None else ctx.ev(node.lower)
            hi = _value_or_none(ctx.ev, node.upper) if node.upper is not None else None
            if hi is None:  # ``N`` unbound (or no bounds): the length of the vectors indexed
                lengths = {len(v) for v in (_value_or_none(ctx.ev, Sym(b, b)) for b in indexed_bases(node.body, node.index))
                           if isinstance(v, tuple)}
                if len(lengths) != 1:
                    return None
                hi = lo + lengths.pop() - 1
            if any(isinstance(v, tuple) or Fraction(v).denominator != 1 for v in (lo, hi)) or hi - lo > 200:
                return None
            return [substitute(node.body, {node.index: Num(Fraction(k), str(k))})
                    for k in range(int(lo), int(hi) + 1)]
        if isinstance(node, Call) and node.func == "sum":
            body = node.args[0]
            vectors = {n for n in names_in(body) if isinstance(_safe(ctx.ev, Sym(n, n)), tuple)}
            length = ctx.ev(body)
            if not vectors or not isinstance(length, tuple) or len(length) > 200:
                return None
            return [substitute(body, {n: Indexed(n, Num(Fraction(k), str(k)), str(k)) for n in vectors})
                    for k in range(1, len(length) + 1)]
    except (EvaluationError, ArithmeticError, TypeError):
        return None
    return None


def _safe(ev, node):
    try:
        return ev.evaluate(node)
    except (EvaluationError, ArithmeticError):
        return None


def _expand_call(node: Apply, functions) -> Expr | None:
    if node.func not in functions or node.primes:
        return None
    params, body = functions[node.func]
    if len(params) != len(node.args):
        return None
    return substitute(body, dict(zip(params, node.args)))


def _pairs(prev: Expr, pfix: Expr | None, cur: Expr, ctx: Ctx, functions):
    """Matching parts of two steps and how to rebuild the current one from its corrected parts."""
    p, pf, c = _strip(prev), (_strip(pfix) if pfix is not None else None), _strip(cur)
    if pf is not None and type(pf) is not type(p):
        pf = None
    if isinstance(p, Apply):
        expanded = _expand_call(p, functions)
        return None if expanded is None else _pairs(expanded, None, cur, ctx, functions)
    cterms = _terms(c)
    if len(cterms) > 1 and isinstance(p, (SumOver, Call)) and (not isinstance(p, Call) or p.func == "sum"):
        expanded = _expand_sum(p, ctx)
        if expanded is None or len(expanded) != len(cterms):
            return None
        fexpanded = _expand_sum(pf, ctx) if pf is not None else None
        pterms = [(1, t) for t in expanded]
        fterms = [(1, t) for t in fexpanded] if fexpanded and len(fexpanded) == len(expanded) else None
        return _signed_pairs(pterms, fterms, cterms, ctx), lambda fixes: _rebuild_terms(c, fixes)
    if isinstance(c, Vec):
        return _vector_pairs(p, pf, c, ctx)
    pterms, fterms = _parts(_terms, p, pf, cterms)
    if pterms is not None:
        return _signed_pairs(pterms, fterms, cterms, ctx), lambda fixes: _rebuild_terms(c, fixes)
    if len(_terms(p)) > 1 or len(cterms) > 1:
        return None
    cfac = _factors(c)
    pfac, ffac = _parts(_factors, p, pf, cfac)
    if pfac is not None:
        order = _matched(pfac, cfac, ctx.ev)
        return [(pfac[i], ffac[i] if ffac else None, b) for i, b in zip(order, cfac)], _rebuild_factors
    if len(_factors(p)) > 1 or len(cfac) > 1:
        return None
    if isinstance(p, BinOp) and isinstance(c, BinOp) and p.op == c.op:
        triples = [(p.left, pf.left if pf is not None else None, c.left),
                   (p.right, pf.right if pf is not None else None, c.right)]
        return triples, lambda fixes: BinOp(c.op, fixes[0], fixes[1], c.style)
    if isinstance(p, Neg) and isinstance(c, Neg):
        return [(p.operand, pf.operand if pf is not None else None, c.operand)], lambda fixes: Neg(fixes[0])
    if isinstance(p, Call) and isinstance(c, Call) and p.func == c.func and len(p.args) == len(c.args):
        fargs = pf.args if pf is not None else [None] * len(p.args)
        return list(zip(p.args, fargs, c.args)), lambda fixes: Call(c.func, tuple(fixes))
    return None


def _matched(prevs: list, curs: list, value) -> list[int]:
    """For each current part, the index of the previous part it stands for.

    Parts with equal values are matched first, in any order, so commuted factors or terms
    (``x_i \\cdot 2`` for ``2 x_i``) are not compared crosswise; the rest pair up in order.
    """
    pvals = [_value_or_none(value, p) for p in prevs]
    cvals = [_value_or_none(value, c) for c in curs]
    order: list = [None] * len(curs)
    used = set()
    for j, cv in enumerate(cvals):
        for i, pv in enumerate(pvals):
            if i not in used and cv is not None and pv == cv:
                order[j] = i
                used.add(i)
                break
    rest = iter(i for i in range(len(prevs)) if i not in used)
    return [i if i is not None else next(rest) for i in order]


def _value_or_none(value, node):
    try:
        return value(node)
    except (EvaluationError, ArithmeticError, TypeError):
        return None


def _parts(split, p, pf, cparts):
    """``p`` (and its corrected twin ``pf``) split like ``cparts`` when there is more than one part and
    the counts agree; ``(None, None)`` otherwise."""
    pparts = split(p)
    if len(pparts) < 2 or len(pparts) != len(cparts):
        return None, None
    fparts = split(pf) if pf is not None else None
    return pparts, fparts if fparts is not None and len(fparts) == len(pparts) else None


def _signed_pairs(pterms, fterms, cterms, ctx):
    """Pair terms by signed value; a term whose sign flipped (``+ (-2)`` for ``- 2``) is compared negated."""
    def signed(sign, node):
        return node if sign > 0 else Neg(node)

    order = _matched([signed(s, n) for s, n in pterms], [signed(s, n) for s, n in cterms], ctx.ev)
    triples = []
    for (cs, cn), i in zip(cterms, order):
        ps, pn = pterms[i]
        fn = fterms[i][1] if fterms else None
        if ps != cs:
            pn = Neg(pn)
            fn = Neg(fn) if fn is not None else None
        triples.append((pn, fn, cn))
    return triples


def _vector_pairs(p, pf, c: Vec, ctx: Ctx):
    if isinstance(p, Vec) and len(p.items) == len(c.items):
        fitems = pf.items if isinstance(pf, Vec) and len(pf.items) == len(p.items) else [None] * len(p.items)
        return list(zip(p.items, fitems, c.items)), lambda fixes: Vec(tuple(fixes))
    try:
        pv = ctx.ev(p)
        tv = ctx.tev(pf) if pf is not None else pv
    except (EvaluationError, ArithmeticError):
        return None
    if not isinstance(pv, tuple) or len(pv) != len(c.items) or not isinstance(tv, tuple) or len(tv) != len(pv):
        return None
    triples = [(Num(a, show(a)), Num(b, show(b)), item) for a, b, item in zip(pv, tv, c.items)]
    return triples, lambda fixes: Vec(tuple(fixes))


def align(prev: Expr, pfix: Expr | None, cur: Expr, ctx: Ctx, functions=None) -> Expr:
    """Check ``cur`` against ``prev``; record mismatches in ``ctx``; return ``cur`` as it should read.

    Parts of matching shape are compared part by part first (a wrong substituted value is found even
    when the rounding slack of the other numbers would hide it in the total); the whole value is
    compared, under the precision rule, only where the shapes differ or ``cur`` is a plain number.
    """
    functions = functions or {}
    pv, cv = ctx.ev(prev), ctx.ev(cur)
    try:
        tv = ctx.tev(pfix) if pfix is not None else pv
    except (EvaluationError, ArithmeticError):
        tv = pv
    if pv == cv and tv == pv:
        return cur
    if literal_text(cur) is None:
        ctx.quiet += pv == cv
        try:
            paired = _descend(prev, pfix, cur, ctx, functions)
        finally:
            ctx.quiet -= pv == cv
        if paired is not None:
            return paired[0]
    if agree(pv, cur, cv, ctx):
        return cur if tv == pv or agree(tv, cur, cv, ctx) else _replace(cur, tv, ctx)
    name = _name_of(prev)
    if name is not None and ctx.earlier is not None and ctx.earlier(name, cur, cv, ctx):
        return cur
    if tv != pv and agree(tv, cur, cv, ctx) and (ctx.name_flagged(name) if name else ctx.prev_flagged):
        return cur  # right, and the wrong value it disagrees with was reported where it was written
    if not ctx.quiet:
        ctx.mismatches.append(Mismatch(cur, pv, tv, _kind(prev, cur, pv, cv, ctx), _name_of(prev)))
    return _replace(cur, tv, ctx)


def _descend(prev, pfix, cur, ctx, functions):
    found = _pairs(prev, pfix, cur, ctx, functions)
    if found is None:
        return None
    triples, rebuild = found
    before = len(ctx.mismatches)
    fixes = []
    for p, pf, c in triples:
        try:
            fixes.append(align(p, pf, c, ctx, functions))
        except (EvaluationError, ArithmeticError):
            fixes.append(c)
    fix = rebuild(fixes)
    inner = cur
    wrappers = []
    while isinstance(inner, Group):
        wrappers.append(inner.brackets)
        inner = inner.inner
    for brackets in reversed(wrappers):
        fix = Group(fix, brackets)
    return fix, len(ctx.mismatches) > before


def _name_of(node: Expr) -> str | None:
    node = _strip(node)
    if isinstance(node, (Sym, Grad)):
        return node.name
    if isinstance(node, Indexed):
        return f"{node.base}_{node.index_text}"
    return None


def _kind(prev, cur, pv, cv, ctx) -> str:
    """``inconsistent`` for a wrong substituted value, ``rounding`` for a value that needed rounding and
    is off by at most one unit of its last digit, ``arithmetic`` for everything else."""
    if _name_of(prev) is not None:
        return "inconsistent"
    text = literal_text(cur)
    if text is not None and not isinstance(pv, tuple) and not isinstance(cv, tuple):
        places = places_of(text)
        needs_rounding = rounded_places(pv, places) != pv
        if needs_rounding and abs(pv - cv) <= Fraction(1, 10 ** places):
            return "rounding"
    return "arithmetic"


def _replace(cur: Expr, value, ctx: Ctx) -> Expr:
    ctx.replacements.append((cur, value))
    if isinstance(value, tuple):
        return Vec(tuple(Num(v, show(v)) for v in value))
    return Num(value, show(value))


def close_enough(a, b) -> bool:
    """Values from approximated functions (exp, log) agree to far more digits than any page shows."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(
            close_enough(x, y) for x, y in zip(a, b))
    if a == b:
        return True
    scale = max(abs(a), abs(b), Fraction(1))
    return abs(a - b) <= scale * Fraction(Decimal("1e-25"))
