"""Reading a handout top to bottom: what each equality claims, and whether it holds.

Scoping rule (text order): a name means what the most recent line that bound it said, wherever
that line is; sections do not reset anything. A line binds a name when it starts ``name =`` (or
``name \\leftarrow``, ``name :=``) and ends in a value; that value is the one *shown*, so a rounded
``0.772`` is what later lines must use. A new iteration simply rebinds (``w = 0.3``).

What a chain ``a = b = c`` claims depends on its sides:

* numbers (or names already bound) on both sides: the values agree, checked part by part
  (:mod:`.align`);
* general formulas on both sides (unbound names, ``\\frac{\\partial}{\\partial w}``): the same function,
  checked at random points (:mod:`.symbolic`);
* a formula whose target it rebinds (``w = w - \\alpha \\frac{dJ}{dw}``) is an update rule: a later line
  ``w = 0.3 - 0.01 \\times (-25.5)`` of the same shape is checked against it, each substituted number
  against the value the document established for its symbol;
* ``name = …`` right after a line that bound the same name continues it (the seed's four
  ``\\frac{dL}{dw} = …`` lines), so each is checked against the one before;
* a definition (``f(x) = w x``, ``J(w) = …``, ``J = \\frac{1}{N}\\sum …`` with unbound names) is
  recorded, never reported; with the loss defined, a claimed gradient formula is differentiated and
  compared;
* anything else, or anything unreadable, is counted as skipped.
"""
from __future__ import annotations

import time
from collections import ChainMap
from dataclasses import dataclass
from fractions import Fraction

from ..expr import EvaluationError, Expr, Group, Neg, Num, Sym, Vec
from .align import Ctx, Memo, Mismatch, agree, align, literal_text
from .latex import Chain
from .nodes import Apply, Deriv, DocEvaluator, Grad, Indexed, SumOver, has_node, names_in, walk
from .symbolic import equivalent, free_names

#: A document that takes longer than this is cut short: the rest is counted as skipped.
TIME_BUDGET = 30.0
_FAILURES = (EvaluationError, ArithmeticError, RecursionError, TypeError, ValueError, OverflowError, MemoryError)
_IMPLICIT_SIZES = ("N", "n")


@dataclass
class Binding:
    value: object
    true: object
    line: int
    node: Expr  # the side that gave the value, free of names (for a continuation to align against)
    fix: Expr
    kind: str  # literal | computed | update
    flagged: bool = False  # the value itself was reported wrong on its line


@dataclass
class Step:
    """One side of a chain being checked; ``virtual`` sides come from earlier lines."""

    node: Expr
    rel: str | None
    start: int
    fix: Expr | None = None
    value: object = None
    virtual: bool = False
    flagged: bool = False


@dataclass(frozen=True)
class Problem:
    """A finding before it is worded: where, what kind, and the values involved."""

    offset: int
    end: int
    kind: str
    found: str
    expected: object = None
    carried: object = None
    name: str | None = None
    ref_line: int | None = None
    detail: str | None = None
    shown: str | None = None  # the plain number as written, when the wrong part is one
    ref_shown: str | None = None  # how the referenced line wrote the value it established


def key_of(node: Expr) -> str | None:
    if isinstance(node, (Sym, Grad)):
        return node.name
    if isinstance(node, Indexed):
        return f"{node.base}_{node.index_text}"
    return None


def _is_plain_sym(node: Expr) -> bool:
    return isinstance(node, Sym)


def _symbol_free(node: Expr) -> bool:
    return not any(isinstance(n, (Sym, Grad, Indexed, Apply, SumOver, Deriv)) for n in walk(node))


def _is_shown(node: Expr) -> bool:
    """A plain number or a vector of plain numbers, as a value is stated rather than computed."""
    while isinstance(node, Group):
        node = node.inner
    return literal_text(node) is not None or (isinstance(node, Vec) and all(map(_is_shown, node.items)))


def _shape(v) -> object:
    return len(v) if isinstance(v, tuple) else None


def shape_matches(rule: Expr, node: Expr) -> bool:
    """Is ``node`` the rule with its names replaced by values (same operators, same numbers)?"""
    while isinstance(rule, Group):
        rule = rule.inner
    while isinstance(node, Group):
        node = node.inner
    if isinstance(rule, (Sym, Grad, Indexed)):
        return True
    if type(rule) is not type(node):
        return False
    if isinstance(rule, Num):
        return rule.value == node.value
    if hasattr(rule, "op"):
        return rule.op == node.op and shape_matches(rule.left, node.left) and shape_matches(rule.right, node.right)
    if isinstance(rule, Neg):
        return shape_matches(rule.operand, node.operand)
    if isinstance(rule, Vec):
        return len(rule.items) == len(node.items) and all(map(shape_matches, rule.items, node.items))
    if hasattr(rule, "args"):
        return rule.func == node.func and len(rule.args) == len(node.args) and all(
            map(shape_matches, rule.args, node.args))
    return False


class Checker:
    def __init__(self, src: str, line_of, strict: bool, budget: float = TIME_BUDGET):
        self.src, self.line_of, self.strict = src, line_of, strict
        self.spans = None
        self.values: dict = {}
        self.truths: dict = {}
        self.history: dict[str, list] = {}
        self.bindings: dict[str, Binding] = {}
        self.functions: dict = {}
        self.formulas: dict[str, tuple] = {}
        self.rules: dict[str, Expr] = {}
        self.last_targets: frozenset = frozenset()
        self.tail = None
        self.problems: list[Problem] = []
        self.replacements: list = []
        self.checked = self.skipped = 0
        self.truth = None  # within a chain of formulas: the last one known to be right
        self.deadline = time.monotonic() + budget

    # -- evaluation
    def evaluate(self, node: Expr, env: dict):
        try:
            return DocEvaluator(env, self.functions).eval(node)
        except EvaluationError:
            implicit = self._implicit_sizes(node, env)
            if not implicit:
                raise
            return DocEvaluator(ChainMap(implicit, env), self.functions).eval(node)

    def _implicit_sizes(self, node: Expr, env) -> dict:
        """``N`` left unbound in ``\\frac{1}{N}\\sum`` is the length of the vectors it sums over."""
        names = names_in(node)
        missing = [n for n in _IMPLICIT_SIZES if n in names and n not in env]
        lengths = {len(env[x]) for x in names if isinstance(env.get(x), tuple)}
        if not missing or len(lengths) != 1:
            return {}
        return {m: Fraction(lengths.pop()) for m in missing}

    def try_value(self, node: Expr):
        try:
            return self.evaluate(node, self.values)
        except _FAILURES:
            return None

    def ctx(self, rel: str) -> Ctx:
        return Ctx(Memo(lambda n: self.evaluate(n, self.values)), Memo(lambda n: self.evaluate(n, self.truths)),
                   self.strict, rel or "=")

    # -- the walk
    def run(self, chains: list[Chain]) -> None:
        for chain in chains:
            if time.monotonic() > self.deadline:
                self.skipped += 1
                continue
            try:
                self.chain(chain)
            except _FAILURES:
                self.skipped += 1
                self.tail = None

    def chain(self, chain: Chain) -> None:
        self.spans = chain.spans
        readable = [item.node is not None or not item.toks for item in chain.items]
        if not all(readable):
            # check what can be read; each relation touching an unreadable side is skipped
            self.skipped += sum(1 for k in range(1, len(readable)) if not (readable[k] and readable[k - 1]))
            run = []
            for item, ok in zip(chain.items, readable):
                if ok:
                    run.append(item)
                    continue
                if len(run) >= 2:
                    self.chain(Chain(run, chain.continues and run[0] is chain.items[0], chain.spans))
                run = []
            if len(run) >= 2:
                self.chain(Chain(run, False, chain.spans))
            self.tail = None
            self.last_targets = frozenset()  # an unreadable line breaks "the line just before"
            return
        steps = [Step(item.node, item.rel, item.start) for item in chain.items if item.node is not None]
        if chain.continues:
            if self.tail is None:
                self.skipped += 1
                return
            target, aliases, head = self.tail
            head = Step(head.node, None, head.start, head.fix, None, True, head.flagged)
            self.sides(target, aliases, [head] + steps, assign=False, continued=True)
            return
        first = steps[0].node
        if isinstance(first, Apply) and steps[1].rel == "=" and self.defines_function(first, steps):
            return
        if key_of(first) is not None and steps[1].rel in ("=", "assign", "approx") and not (
                isinstance(first, Indexed) and self.try_value(first.index) is None):
            k, aliases = 1, []
            while (k < len(steps) - 1 and key_of(steps[k].node) is not None and steps[k + 1].rel == "="
                   and self.try_value(steps[k].node) is None):
                aliases.append(steps[k].node)
                k += 1
            self.sides(first, aliases, steps[k:], assign=steps[1].rel == "assign", continued=False)
            return
        self.sides(None, [], steps, assign=False, continued=False)

    def defines_function(self, first: Apply, steps: list[Step]) -> bool:
        """``f(x) = w x`` records ``f``; ``\\sigma'(z) = …`` is a claim about a known function, checked."""
        params = [a.name for a in first.args if isinstance(a, Sym)]
        if len(params) != len(first.args) or len(set(params)) != len(params):
            return False
        known = first.func in self.functions or first.func == "sigma"
        if first.primes or (first.func == "sigma" and first.func not in self.functions):
            if not known:
                return False
            self.symbolic_chain(steps)
        else:
            self.functions[first.func] = (tuple(params), steps[1].node)
            self.symbolic_chain(steps[1:])
        self.last_targets = frozenset()
        self.tail = None
        return True

    def symbolic_chain(self, steps: list[Step]) -> None:
        self.truth = steps[0].node
        for a, b in zip(steps, steps[1:]):
            self.symbolic_step(a, b)

    # -- a chain's sides
    def sides(self, target, aliases, rhs: list[Step], assign: bool, continued: bool) -> None:
        tkey = key_of(target) if target is not None else None
        self.truth = None
        if tkey is not None and not continued:
            reads_itself = tkey in names_in(rhs[0].node) or (
                isinstance(target, Indexed) and target.base in names_in(rhs[0].node))
            if assign or reads_itself:
                self.rules[tkey] = rhs[0].node
                if len(rhs) == 1:
                    self.note(tkey, aliases, rhs[-1], target)
                    return
            else:
                head = self.head_for(tkey, rhs[0])
                if head is not None:
                    rhs = [head] + rhs
            if isinstance(target, Grad):
                self.check_derivative(target, next(s for s in rhs if not s.virtual))
        for s in rhs:
            s.value = s.value if s.virtual and s.value is not None else self.try_value(s.node)
            if s.fix is None:
                s.fix = s.node
        symbolic = any(has_node(s.node, Deriv) for s in rhs)
        for a, b in zip(rhs, rhs[1:]):
            if symbolic or (a.value is None and b.value is None):
                self.symbolic_step(a, b)
            elif a.value is not None and b.value is not None:
                self.numeric_step(a, b, recap=tkey is None)
            else:
                self.skipped += 1
        last = rhs[-1]
        if tkey is not None and last.value is not None and not symbolic:
            own = [s for s in rhs if not s.virtual]
            if len(own) == 1 and _is_shown(own[0].node):
                kind = "literal"
            elif assign or (rhs[0].virtual and rhs[0].node is self.rules.get(tkey)):
                kind = "update"
            else:
                kind = "computed"
            self.bind(target, aliases, last, kind)
        formula = next((s for s in rhs if not s.virtual), None)
        if tkey is not None and formula is not None and not _symbol_free(formula.node):
            for name in [tkey] + [key_of(a) for a in aliases]:
                self.formulas[name] = (formula.node, self.line_of(formula.start))
        self.note(tkey, aliases, last, target)

    def note(self, tkey, aliases, last: Step, target) -> None:
        self.last_targets = frozenset([tkey] + [key_of(a) for a in aliases]) if tkey else frozenset()
        self.tail = (target, aliases, last)

    def head_for(self, tkey: str, first: Step) -> Step | None:
        """The earlier expression this line restates: an update rule, or the line just before."""
        rule = self.rules.get(tkey)
        if rule is not None and self.try_value(first.node) is not None and shape_matches(rule, first.node) \
                and literal_text(first.node) is None and self.try_value(rule) is not None:
            return Step(rule, None, first.start, rule, None, True)
        binding = self.bindings.get(tkey)
        if binding is not None and binding.kind == "literal" and _is_shown(first.node):
            return None  # one stated value after another: a new scenario ("before training: w = 0")
        if tkey in self.last_targets and binding is not None:
            value = self.try_value(first.node)
            if value is not None and _shape(value) == _shape(binding.value):
                return Step(binding.node, None, first.start, binding.fix, binding.value, True, binding.flagged)
        return None

    def bind(self, target, aliases, last: Step, kind: str) -> None:
        try:
            true = self.evaluate(last.fix, self.truths)
        except _FAILURES:
            true = last.value
        value = last.value
        node = last.node if _symbol_free(last.node) else _number(value)
        fix = last.fix if _symbol_free(last.fix) else _number(true)
        line = self.line_of(last.start)
        for t in [target] + list(aliases):
            self._set(t, value, true)
            self.bindings[key_of(t)] = Binding(value, true, line, node, fix, kind, last.flagged)

    def _set(self, target, value, true) -> None:
        name = key_of(target)
        if isinstance(target, Indexed) and not isinstance(value, tuple):
            k = self.try_value(target.index)
            vector = self.values.get(target.base)
            if isinstance(vector, tuple) and k is not None and k.denominator == 1 and 1 <= k <= len(vector):
                i = int(k) - 1
                self.values[target.base] = vector[:i] + (value,) + vector[i + 1:]
                t = self.truths.get(target.base, vector)
                self.truths[target.base] = t[:i] + (true,) + t[i + 1:]
                return
        if isinstance(value, tuple):
            for store in (self.values, self.truths):
                for k in [k for k in store if k.startswith(name + "_") and k[len(name) + 1:].isdigit()]:
                    del store[k]
        self.values[name] = value
        self.truths[name] = true
        self.history.setdefault(name, []).append(value)

    # -- the two kinds of check
    def binding_of(self, name: str) -> Binding | None:
        """The binding behind a name as substituted: ``ŷ_3`` is element 3 of ``ŷ`` unless bound itself."""
        if name in self.bindings:
            return self.bindings[name]
        base = name.rsplit("_", 1)[0]
        return self.bindings.get(base) if base != name else None

    def held_earlier(self, name: str, node: Expr, value, ctx: Ctx) -> bool:
        """A recap ("before training: f(5) = 0 × 5") may use a value a name had earlier in the text."""
        return any(agree(old, node, value, ctx) for old in self.history.get(name, ())[:-1])

    def numeric_step(self, a: Step, b: Step, recap: bool = False) -> None:
        ctx = self.ctx("=" if a.virtual and b.rel is None else b.rel)
        if recap:
            ctx.earlier = self.held_earlier
        ctx.prev_flagged = a.flagged
        ctx.name_flagged = lambda name: (self.binding_of(name) or Binding(0, 0, 0, None, None, "")).flagged
        try:
            b.fix = align(a.node, a.fix, b.node, ctx, self.functions)
        except _FAILURES:
            self.skipped += 1
            b.fix = b.node
            return
        self.checked += 1
        for node, value in ctx.replacements:
            span = self.spans.get(node)
            if span is not None:
                self.replacements.append((span[0], span[1], value))
        b.flagged = bool(ctx.mismatches)
        for m in ctx.mismatches:
            self.problems.append(self.problem(m, ctx))

    def problem(self, m: Mismatch, ctx: Ctx) -> Problem:
        span = self.spans.get(m.node) or (0, 0)
        found = self.src[span[0]:span[1]].strip()
        ref = self.binding_of(m.name) if m.name else None
        return Problem(span[0], span[1], m.kind, found, m.true, m.carried, m.name,
                       ref.line if ref else None, "strict" if self.strict else ctx.rel,
                       literal_text(m.node), literal_text(ref.node) if ref else None)

    def symbolic_step(self, a: Step, b: Step) -> None:
        if a.virtual:
            self.skipped += 1
            return
        result = equivalent(a.node, b.node, self.functions, self.values, seed=b.start)
        if result is None:
            self.skipped += 1
            return
        self.checked += 1
        if self.truth is None:
            self.truth = a.node
        if result:
            return
        if equivalent(self.truth, b.node, self.functions, self.values, seed=b.start):
            return  # right again after a wrong step that was reported
        if not result:
            start, end = self.item_span(b)
            self.problems.append(Problem(start, end, "symbolic", self.src[start:end].strip(),
                                         ref_line=self.line_of(a.start),
                                         detail=self.src[slice(*self.item_span(a))].strip()))

    def check_derivative(self, target: Grad, claim: Step) -> None:
        """``\\frac{dJ}{dw} = …`` with ``J`` defined: the formula must be the derivative of the definition."""
        definition = None
        if target.of in self.functions:
            params, _ = self.functions[target.of]
            definition = (Apply(target.of, tuple(Sym(p, p) for p in params)), None)
        elif target.of in self.formulas:
            definition = self.formulas[target.of]
        if definition is None or has_node(claim.node, Deriv):
            return
        body = definition[0]
        defined = free_names(body, self.functions)
        claimed = free_names(claim.node, self.functions)
        if not claimed - set(_IMPLICIT_SIZES):
            return  # a number, not a formula: checked as arithmetic instead
        if target.wrt not in defined or not claimed - {target.wrt} <= defined | set(_IMPLICIT_SIZES):
            return
        result = equivalent(Deriv(target.wrt, body), claim.node, self.functions, self.values, seed=claim.start)
        if result is None:
            return
        self.checked += 1
        self.truth = Deriv(target.wrt, body)
        if not result:
            start, end = self.item_span(claim)
            self.problems.append(Problem(start, end, "derivative", self.src[start:end].strip(),
                                         name=target.name, ref_line=definition[1], detail=target.of))

    def item_span(self, step: Step) -> tuple[int, int]:
        return self.spans.get(step.node) or (step.start, step.start)


def _number(value) -> Expr:
    from ..numbers import show

    if isinstance(value, tuple):
        return Vec(tuple(Num(v, show(v)) for v in value))
    return Num(value, show(value))
