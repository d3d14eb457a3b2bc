"""Reading the arithmetic subset of LaTeX into expression trees, with the source span of every node.

A small grammar of our own rather than a general LaTeX-to-SymPy parser: decimals stay exact
(``Fraction`` plus the digits shown, which the rounding rule needs), names stay as written (``X`` is
not ``x``), a handout of thousands of equalities reads in well under a second, and nothing in the
document is ever handed to ``eval`` or ``sympify``. Anything outside the grammar raises
:class:`ParseError`, which the checker counts as skipped, never as a mistake.

Layers: :func:`tokenize` (one linear pass), :func:`split_chains` (rows of ``aligned``, annotations
after ``&&``, statements separated by commas or ``\\quad``, relations ``= \\approx \\leftarrow``),
then :class:`Parser`, a recursive descent over one side of a relation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..expr import BinOp, Call, Expr, Group, Neg, Num, Sym, Vec
from .nodes import Apply, Deriv, Grad, Indexed, SumOver

#: Deeper bracket nesting than this is not arithmetic a reader follows; refuse rather than recurse.
MAX_DEPTH = 60
#: One side of an equation longer than this many tokens is skipped (keeps evaluation recursion bounded).
MAX_ITEM_TOKENS = 3000
#: Longer digit strings than this are not numbers anyone computes with by hand.
MAX_NUMBER_DIGITS = 60


class ParseError(ValueError):
    """The text is outside the grammar: the checker skips it and says so in the count."""


@dataclass(frozen=True)
class Tok:
    kind: str  # num letter cmd op text sep
    text: str
    start: int
    end: int


# --- tokens -----------------------------------------------------------------------------------

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "pi rho sigma tau upsilon phi varphi chi psi omega ell Gamma Delta Theta Lambda Xi Pi Sigma "
    "Upsilon Phi Psi Omega".split()
)
_DROPPED = frozenset(
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle displaystyle "
    "textstyle scriptstyle limits nolimits , ; : ! enspace thinspace mathstrut strut nonumber notag "
    "mathbf boldsymbol bm mathit mathsf mathnormal".split()
) | {" "}
_WITH_ARGUMENT_DROPPED = frozenset({"tag", "label", "color"})
_TEXTUAL = frozenset({"text", "textrm", "textit", "textbf", "textsf", "texttt", "textup", "textnormal",
                      "mbox", "mathrm", "operatorname", "operatorname*"})
_UNICODE = {
    "−": ("op", "-"), "–": ("op", "-"), "×": ("cmd", "\\times"), "·": ("cmd", "\\cdot"),
    "⋅": ("cmd", "\\cdot"), "÷": ("cmd", "\\div"), "≈": ("cmd", "\\approx"), "≤": ("cmd", "\\le"),
    "≥": ("cmd", "\\ge"), "≠": ("cmd", "\\neq"), "←": ("cmd", "\\leftarrow"), "→": ("cmd", "\\to"),
    "…": ("cmd", "\\ldots"), "∑": ("cmd", "\\sum"), "∂": ("cmd", "\\partial"), "√": ("cmd", "\\sqrt"),
    "α": ("cmd", "\\alpha"), "β": ("cmd", "\\beta"), "γ": ("cmd", "\\gamma"), "δ": ("cmd", "\\delta"),
    "ε": ("cmd", "\\epsilon"), "η": ("cmd", "\\eta"), "θ": ("cmd", "\\theta"), "λ": ("cmd", "\\lambda"),
    "μ": ("cmd", "\\mu"), "σ": ("cmd", "\\sigma"), "ω": ("cmd", "\\omega"), "∗": ("op", "*"),
}
_SUPERSCRIPTS = {"²": "2", "³": "3"}
_NUM = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_CMD = re.compile(r"\\(?:[A-Za-z]+\*?|.)", re.S)
_SPACE = re.compile(r"\s+")


def _brace_end(text: str, i: int) -> int:
    """Index just past the ``}`` matching the ``{`` at ``i`` (or len(text) when unbalanced)."""
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c == "\\":
            continue
        if c == "{" and (j == 0 or text[j - 1] != "\\"):
            depth += 1
        elif c == "}" and text[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(text)


def tokenize(text: str, base: int = 0) -> list[Tok]:
    """One left-to-right pass; offsets are ``base + i`` so findings can point into the document."""
    out: list[Tok] = []
    i, n = 0, len(text)
    drop_dot = False
    pending = None  # where a dropped \left began: the bracket after it starts there
    while i < n:
        c = text[i]
        m = _SPACE.match(text, i)
        if m:
            i = m.end()
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUM.match(text, i)
            out.append(Tok("num", m.group(), base + i, base + m.end()))
            i = m.end()
            continue
        if c == "\\":
            m = _CMD.match(text, i)
            if not m:
                out.append(Tok("op", c, base + i, base + i + 1))
                i += 1
                continue
            name = m.group()[1:]
            j = m.end()
            if name in ("left", "right"):
                drop_dot = True
                if name == "left":
                    pending = i
            if name in _DROPPED:
                i = j
                continue
            if name in ("quad", "qquad"):
                out.append(Tok("sep", name, base + i, base + j))
                i = j
                continue
            if name in _WITH_ARGUMENT_DROPPED or name in _TEXTUAL:
                k = j
                while k < n and text[k] == " ":
                    k += 1
                if k < n and text[k] == "{":
                    end = _brace_end(text, k)
                    if name in _TEXTUAL:
                        out.append(Tok("text", text[k + 1:end - 1].strip(), base + i, base + end))
                    i = end
                    continue
            out.append(Tok("cmd", "\\" + name, base + i, base + j))
            i = j
            continue
        if drop_dot and c == ".":
            drop_dot = pending = False
            i += 1
            continue
        drop_dot = False
        if pending is not None and c in "([|":
            out.append(Tok("op", c, base + pending, base + i + 1))
            pending = None
            i += 1
            continue
        pending = None
        if c in _UNICODE:
            kind, t = _UNICODE[c]
            out.append(Tok(kind, t, base + i, base + i + 1))
        elif c in _SUPERSCRIPTS:
            out.append(Tok("op", "^", base + i, base + i))
            out.append(Tok("num", _SUPERSCRIPTS[c], base + i, base + i + 1))
        elif c.isascii() and c.isalpha():
            out.append(Tok("letter", c, base + i, base + i + 1))
        else:
            out.append(Tok("op", c, base + i, base + i + 1))
        i += 1
    return out


# --- rows, statements, relations ---------------------------------------------------------------

RELATIONS = {"=": "=", "\\approx": "approx", "\\leftarrow": "assign", "\\gets": "assign",
             "\\coloneqq": "assign", "\\simeq": "approx", "\\doteq": "approx"}
OTHER_RELATIONS = frozenset(
    "< > \\le \\leq \\ge \\geq \\neq \\ne \\lt \\gt \\to \\rightarrow \\mapsto \\in \\notin \\equiv "
    "\\sim \\propto \\Rightarrow \\implies \\iff \\Leftarrow \\Leftrightarrow \\longrightarrow \\ll "
    "\\gg \\leqslant \\geqslant \\approxeq \\subset \\subseteq \\therefore \\because".split()
)
_NAME_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9]{0,23}$")
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")


def is_name_text(t: Tok) -> bool:
    return t.kind == "text" and bool(_NAME_TEXT.match(t.text))


@dataclass
class Item:
    """One side of a relation: ``rel`` is the relation before it (None for the first side)."""

    rel: str | None
    toks: list
    node: Expr | None = None
    error: str | None = None

    @property
    def start(self) -> int:
        return self.toks[0].start if self.toks else -1

    @property
    def end(self) -> int:
        return self.toks[-1].end if self.toks else -1


@dataclass
class Chain:
    """``a = b = c \\approx d`` (possibly over several ``aligned`` rows); ``continues`` when it opens with ``=``."""

    items: list
    continues: bool = False
    spans: dict = field(default_factory=dict)


def _with_depth(toks: list[Tok]):
    """Each token with the bracket depth after it: splitting happens only at depth 0."""
    depth = 0
    for t in toks:
        if t.kind == "op" and t.text in _OPEN:
            depth += 1
        elif t.kind == "op" and t.text in _CLOSE:
            depth -= 1
        yield t, depth


def _rows(toks: list[Tok]) -> list[list[Tok]]:
    rows, row = [], []
    for t, depth in _with_depth(toks):
        if t.kind == "cmd" and t.text in ("\\\\", "\\cr") and depth <= 0:
            rows.append(row)
            row = []
            continue
        row.append(t)
    rows.append(row)
    return rows


def _strip_annotation(row: list[Tok]) -> list[Tok]:
    """Drop everything after ``&&`` (a row's comment column) and the alignment ``&`` marks."""
    for k in range(len(row) - 1):
        if row[k].text == "&" and row[k + 1].text == "&" and row[k].kind == row[k + 1].kind == "op":
            row = row[:k]
            break
    return [t for t in row if not (t.kind == "op" and t.text == "&")]


def _statements(row: list[Tok]) -> list[list[Tok]]:
    """Split a row at top-level commas, semicolons and ``\\quad``; prose in ``\\text`` ends the math."""
    out, cur = [], []
    for t, depth in _with_depth(row):
        if depth <= 0:
            if t.kind == "sep" or (t.kind == "op" and t.text in ",;"):
                out.append(cur)
                cur = []
                continue
            if t.kind == "text" and not is_name_text(t):
                if any(x.kind in ("op", "cmd") and (x.text in RELATIONS or x.text in OTHER_RELATIONS)
                       for x in cur):
                    break
                continue
        if t.kind == "sep":
            continue
        cur.append(t)
    out.append(cur)
    return [s for s in out if s]


def _relation(toks: list[Tok], k: int) -> tuple[str | None, int]:
    """The relation starting at ``toks[k]`` and how many tokens it takes."""
    t = toks[k]
    if t.kind == "op" and t.text == ":" and k + 1 < len(toks) and toks[k + 1].text == "=":
        return "assign", 2
    if t.kind in ("op", "cmd") and t.text in RELATIONS:
        return RELATIONS[t.text], 1
    if t.kind in ("op", "cmd") and t.text in OTHER_RELATIONS:
        return "other", 1
    return None, 0


def _chains_of(statement: list[Tok]) -> list[Chain]:
    chains: list[Chain] = []
    items: list[Item] = []
    cur: list[Tok] = []
    rel: str | None = None
    depth, k = 0, 0
    while k < len(statement):
        t = statement[k]
        if t.kind == "op" and t.text in _OPEN:
            depth += 1
        elif t.kind == "op" and t.text in _CLOSE:
            depth -= 1
        r, width = _relation(statement, k) if depth <= 0 else (None, 0)
        if r is None:
            cur.append(t)
            k += 1
            continue
        items.append(Item(rel, cur))
        if r == "other":
            chains.append(Chain(items))
            items, rel = [], None
        else:
            rel = r
        cur = []
        k += width
    if cur and cur[-1].kind == "op" and cur[-1].text == ".":
        cur = cur[:-1]
    items.append(Item(rel, cur))
    chains.append(Chain(items))
    out = []
    for c in chains:
        # an empty trailing side (``a = ``) has nothing to check
        while len(c.items) > 1 and not c.items[-1].toks:
            c.items.pop()
        if len(c.items) < 2:
            continue
        c.continues = not c.items[0].toks
        out.append(c)
    return out


_ENV = re.compile(r"\\(?:begin|end)\{(aligned|align\*?|gathered|gather\*?|split|equation\*?|eqnarray\*?|"
                  r"multline\*?|alignat\*?|flalign\*?|displaymath|math)\}(?:\{\d+\})?")


def split_chains(text: str, base: int = 0) -> list[Chain]:
    """The equality chains of one math span, rows that open with a relation joined to the row above."""
    text = _ENV.sub(lambda m: " " * len(m.group()), text)
    chains: list[Chain] = []
    for row in _rows(tokenize(text, base)):
        for s_index, statement in enumerate(_statements(_strip_annotation(row))):
            for c_index, chain in enumerate(_chains_of(statement)):
                if chain.continues and chains and s_index == 0 and c_index == 0:
                    chains[-1].items.extend(chain.items[1:])
                else:
                    chains.append(chain)
    return chains


# --- the grammar ------------------------------------------------------------------------------

DEFAULT_FUNCTIONS = frozenset({"f", "g", "h", "J", "L", "F", "ell", "cal(L)", "sigma"})
_KNOWN_WORDS = frozenset({"MSE", "MAE", "RMSE", "BCE", "SSE", "RSS", "Loss", "loss", "cost", "Cost", "lr",
                          "pred", "grad", "err", "error", "new", "old", "true", "mean", "sign", "sgn",
                          "exp", "ln", "log"})
_DECORATIONS = frozenset({"hat", "widehat", "bar", "overline", "tilde", "widetilde", "dot", "ddot", "vec",
                          "check", "mathcal"})
_FUNCTION_CMDS = {"\\exp": "exp", "\\ln": "log", "\\log": "log", "\\sgn": "sign"}
_FUNCTION_WORDS = {"exp": "exp", "ln": "log", "log": "log", "sign": "sign", "sgn": "sign", "mean": "mean"}
_MUL = {"\\times": "times", "\\cdot": "cdot", "*": "times", "\\ast": "times"}
_BARS = frozenset({"|", "\\vert", "\\lvert", "\\rvert", "\\mid"})


class Spans:
    """Source span of each parsed node, kept beside the tree (nodes are frozen and compare by value)."""

    def __init__(self):
        self._by_id: dict[int, tuple] = {}

    def mark(self, node: Expr, start: int, end: int) -> Expr:
        self._by_id[id(node)] = (node, start, end)
        return node

    def get(self, node: Expr) -> tuple[int, int] | None:
        entry = self._by_id.get(id(node))
        return (entry[1], entry[2]) if entry and entry[0] is node else None


class Parser:
    """Recursive descent over ``toks[lo:hi]``; one instance per side of a relation (or ``\\frac`` part)."""

    def __init__(self, toks, src: str, spans: Spans, functions=DEFAULT_FUNCTIONS, lo=0, hi=None, depth=0):
        self.toks, self.src, self.spans, self.functions = toks, src, spans, functions
        self.i, self.hi, self.depth, self.bars = lo, len(toks) if hi is None else hi, depth, 0

    # -- helpers
    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.toks[j] if j < self.hi else None

    def at(self, text: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind in ("op", "cmd") and t.text == text

    def take(self) -> Tok:
        t = self.peek()
        if t is None:
            raise ParseError("the expression ends too early")
        self.i += 1
        return t

    def expect(self, text: str) -> Tok:
        if not self.at(text):
            t = self.peek()
            raise ParseError(f"expected {text!r}, found {t.text if t else 'the end'!r}")
        return self.take()

    def mark(self, node: Expr, start_index: int) -> Expr:
        end = self.toks[max(self.i - 1, start_index)].end
        return self.spans.mark(node, self.toks[start_index].start, end)

    def sub(self, lo: int, hi: int) -> "Parser":
        p = Parser(self.toks, self.src, self.spans, self.functions, lo, hi, self.depth + 1)
        if p.depth > MAX_DEPTH:
            raise ParseError("nested too deeply")
        return p

    def group_range(self) -> tuple[int, int]:
        """``{…}`` → the token range inside; a single token otherwise (``\\frac12``-style arguments)."""
        if self.at("{"):
            depth, j = 0, self.i
            while j < self.hi:
                t = self.toks[j]
                if t.kind == "op" and t.text == "{":
                    depth += 1
                elif t.kind == "op" and t.text == "}":
                    depth -= 1
                    if depth == 0:
                        lo = self.i + 1
                        self.i = j + 1
                        return lo, j
                j += 1
            raise ParseError("unbalanced braces")
        t = self.take()
        if t.kind == "num" and len(t.text) > 1:
            raise ParseError("ambiguous single-token argument")
        return self.i - 1, self.i

    def whole(self, lo: int, hi: int, rule: str = "expr") -> Expr:
        if lo >= hi:
            raise ParseError("empty group")
        p = self.sub(lo, hi)
        node = getattr(p, rule)()
        if p.i != hi:
            raise ParseError(f"cannot read {self.toks[p.i].text!r}")
        return node

    # -- entry
    def parse(self) -> Expr:
        if self.hi - self.i > MAX_ITEM_TOKENS:
            raise ParseError("expression too long")
        if self.i >= self.hi:
            raise ParseError("empty expression")
        node = self.expr()
        if self.i != self.hi:
            raise ParseError(f"cannot read {self.toks[self.i].text!r}")
        return node

    # -- grammar
    def expr(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("nested too deeply")
        start = self.i
        node = self.term()
        while self.at("+") or self.at("-"):
            op = self.take().text
            node = self.mark(BinOp(op, node, self.term()), start)
        self.depth -= 1
        return node

    def term(self) -> Expr:
        start = self.i
        node = self.unary()
        while True:
            t = self.peek()
            if t is None:
                break
            if t.kind in ("op", "cmd") and t.text in _MUL:
                self.take()
                node = self.mark(BinOp("*", node, self.unary(), _MUL[t.text]), start)
            elif t.kind in ("op", "cmd") and t.text in ("/", "\\div"):
                self.take()
                node = self.mark(BinOp("/", node, self.unary(), "slash"), start)
            elif self.starts_factor(t):
                if t.kind == "num" and self.toks[self.i - 1].kind == "num":
                    raise ParseError("two numbers side by side")
                node = self.mark(BinOp("*", node, self.power(), "implicit"), start)
            else:
                break
        return node

    def starts_factor(self, t: Tok) -> bool:
        if t.kind in ("num", "letter"):
            return True
        if t.kind == "text":
            return is_name_text(t)
        if t.kind == "op":
            return t.text in "([{" or (t.text == "|" and self.bars == 0)
        if t.kind == "cmd":
            if t.text in _BARS:
                return self.bars == 0 or t.text == "\\lvert"
            return t.text[1:] in GREEK or t.text[1:] in _DECORATIONS or t.text in (
                "\\frac", "\\dfrac", "\\tfrac", "\\sqrt", "\\sum", "\\boxed", "\\nabla") or t.text in _FUNCTION_CMDS
        return False

    def unary(self) -> Expr:
        start = self.i
        if self.at("-"):
            self.take()
            return self.mark(Neg(self.unary()), start)
        if self.at("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Expr:
        start = self.i
        node = self.atom()
        while self.at("^"):
            self.take()
            node = self.mark(BinOp("^", node, self.script()), start)
        return node

    def script(self) -> Expr:
        lo, hi = self.group_range()
        t = self.toks[lo] if lo < hi else None
        if t is not None and t.kind == "cmd" and t.text in ("\\top", "\\intercal", "\\prime", "\\dagger"):
            raise ParseError("transpose or prime superscript")
        return self.whole(lo, hi)

    def atom(self) -> Expr:
        t = self.peek()
        if t is None:
            raise ParseError("the expression ends too early")
        start = self.i
        if t.kind == "num":
            self.take()
            digits = t.text.replace(".", "")
            if len(digits) > MAX_NUMBER_DIGITS:
                raise ParseError("number too long")
            return self.mark(Num(Fraction(t.text), t.text), start)
        if t.kind == "op" and t.text in "([":
            return self.brackets()
        if t.kind == "op" and t.text == "{":
            lo, hi = self.group_range()
            return self.mark(self.whole(lo, hi), start)
        if (t.kind == "op" and t.text == "|") or (t.kind == "cmd" and t.text in _BARS):
            return self.absolute()
        if t.kind == "cmd":
            if t.text in ("\\frac", "\\dfrac", "\\tfrac"):
                return self.fraction()
            if t.text == "\\sqrt":
                self.take()
                if self.at("["):
                    raise ParseError("roots other than square roots")
                lo, hi = self.group_range()
                return self.mark(Call("sqrt", (self.whole(lo, hi),)), start)
            if t.text == "\\sum":
                return self.summation()
            if t.text in _FUNCTION_CMDS:
                self.take()
                return self.mark(Call(_FUNCTION_CMDS[t.text], (self.argument(),)), start)
            if t.text == "\\boxed":
                self.take()
                lo, hi = self.group_range()
                return self.mark(self.whole(lo, hi), start)
            if t.text == "\\nabla":
                return self.nabla()
        if t.kind == "text" and t.text in _FUNCTION_WORDS and self.at("(", 1):
            self.take()
            return self.mark(Call(_FUNCTION_WORDS[t.text], (self.argument(),)), start)
        if t.kind in ("letter", "text") or (t.kind == "cmd" and (t.text[1:] in GREEK or t.text[1:] in _DECORATIONS)):
            return self.name_or_call()
        raise ParseError(f"cannot read {t.text!r}")

    def nabla(self) -> Expr:
        """``\\nabla J``, ``\\nabla_{w} J``: the gradient as one name."""
        start = self.i
        self.take()
        sub = ""
        if self.at("_"):
            self.take()
            lo, hi = self.group_range()
            sub = "_" + "".join(self.toks[j].text.lstrip("\\") for j in range(lo, hi))
        inner = self.name_or_call()
        if not isinstance(inner, Sym):
            raise ParseError("\\nabla of something that is not a name")
        tex = self.src[self.toks[start].start:self.toks[self.i - 1].end]
        return self.mark(Sym(f"∇{sub}({inner.name})", tex), start)

    def argument(self) -> Expr:
        """The argument of ``\\exp``/``\\ln``: a bracket or a brace group, else the next power."""
        if self.at("(") or self.at("["):
            return self.brackets()
        return self.power()

    def brackets(self) -> Expr:
        start = self.i
        opener = self.take().text
        items = [self.expr()]
        while self.at(","):
            self.take()
            items.append(self.expr())
        if not (self.at(")") or self.at("]")):
            t = self.peek()
            raise ParseError(f"unclosed bracket before {t.text if t else 'the end'!r}")
        self.take()
        if len(items) > 1:
            return self.mark(Vec(tuple(items)), start)
        return self.mark(Group(items[0], "()" if opener == "(" else "[]"), start)

    def absolute(self) -> Expr:
        start = self.i
        self.take()
        self.bars += 1
        inner = self.expr()
        t = self.peek()
        if t is None or not ((t.kind == "op" and t.text == "|") or (t.kind == "cmd" and t.text in _BARS)):
            raise ParseError("unclosed absolute value")
        self.take()
        self.bars -= 1
        return self.mark(Call("abs", (inner,)), start)

    # -- fractions and derivatives
    @staticmethod
    def _marker(t: Tok) -> str | None:
        if t.kind == "letter" and t.text == "d":
            return "d"
        if t.kind == "text" and t.text == "d":
            return "d"
        if t.kind == "cmd" and t.text == "\\partial":
            return "∂"
        return None

    def fraction(self) -> Expr:
        start = self.i
        self.take()
        nlo, nhi = self.group_range()
        dlo, dhi = self.group_range()
        if nhi > nlo and dhi - dlo >= 2:
            m = self._marker(self.toks[nlo])
            if m is not None and m == self._marker(self.toks[dlo]):
                wrt = self.name_key(self.whole(dlo + 1, dhi, "name_or_call"))
                if nhi - nlo == 1:
                    body = self.term()
                    return self.mark(Deriv(wrt, body), start)
                of = self.name_key(self.whole(nlo + 1, nhi, "name_or_call"))
                return self.mark(Grad(f"{m}{of}/{m}{wrt}", of, wrt), start)
        num, den = self.whole(nlo, nhi), self.whole(dlo, dhi)
        return self.mark(BinOp("/", num, den, "frac"), start)

    @staticmethod
    def name_key(node: Expr) -> str:
        if isinstance(node, Sym):
            return node.name
        if isinstance(node, Indexed):
            return f"{node.base}_{node.index_text}"
        raise ParseError("a derivative with respect to something that is not a name")

    # -- sums
    def summation(self) -> Expr:
        start = self.i
        self.take()
        index = lower = upper = None
        for _ in range(2):
            if self.at("_") and index is None:
                self.take()
                lo, hi = self.group_range()
                t = self.toks[lo] if lo < hi else None
                if t is None or not (t.kind == "letter" or (t.kind == "cmd" and t.text[1:] in GREEK)):
                    raise ParseError("sum index is not a name")
                index = t.text.lstrip("\\")
                if hi - lo > 1:
                    if not (self.toks[lo + 1].kind == "op" and self.toks[lo + 1].text == "="):
                        raise ParseError("sum range not of the form i=1")
                    lower = self.whole(lo + 2, hi)
            elif self.at("^") and upper is None:
                self.take()
                upper = self.script()
        body = self.term()
        if index is None:
            if upper is not None:
                raise ParseError("sum with an upper bound but no index")
            return self.mark(Call("sum", (body,)), start)
        if upper is not None and lower is None:
            raise ParseError("sum with an upper bound but no lower bound")
        return self.mark(SumOver(index, lower, upper, body), start)

    # -- names
    def base_name(self) -> str:
        t = self.take()
        if t.kind == "letter":
            word = t.text
            j = self.i
            while j < self.hi and self.toks[j].kind == "letter" and self.toks[j].start == self.toks[j - 1].end:
                word += self.toks[j].text
                j += 1
            if len(word) > 1 and word in _KNOWN_WORDS:
                self.i = j
                return word
            return t.text
        if t.kind == "text":
            if not is_name_text(t):
                raise ParseError(f"cannot read text {t.text!r}")
            return t.text
        name = t.text[1:]
        if name in GREEK:
            return name
        # a decoration: \hat{y}, \bar{x}, \mathcal{L}
        lo, hi = self.group_range()
        inner = self.whole(lo, hi, "name_or_call")
        if not isinstance(inner, Sym):
            raise ParseError(f"\\{name} over something that is not a plain name")
        short = {"widehat": "hat", "widetilde": "tilde", "overline": "bar", "mathcal": "cal"}.get(name, name)
        return f"{short}({inner.name})"

    def subscript(self) -> tuple[str | None, Expr | None, str]:
        """``_{\\text{pred}}`` → qualifier; ``_{i}``, ``_{2}`` → index; ``_{1,i}``, ``_{\\text{pred}, i}`` → both."""
        lo, hi = self.group_range()
        parts, cur, depth = [], [], 0
        for j in range(lo, hi):
            t = self.toks[j]
            if t.kind == "op" and t.text in _OPEN:
                depth += 1
            elif t.kind == "op" and t.text in _CLOSE:
                depth -= 1
            if depth == 0 and t.kind == "op" and t.text == ",":
                parts.append(cur)
                cur = []
            else:
                cur.append(j)
        parts.append(cur)
        if not parts[-1] or len(parts) > 2:
            raise ParseError("subscript not understood")

        def text_of(idx: list[int]) -> str:
            return "".join(self.toks[j].text.lstrip("\\") for j in idx)

        def is_word(idx: list[int]) -> bool:
            ts = [self.toks[j] for j in idx]
            return (len(ts) == 1 and is_name_text(ts[0])) or (
                len(ts) > 1 and all(t.kind == "letter" for t in ts))

        if len(parts) == 2:
            qualifier = text_of(parts[0])
            index_idx = parts[1]
        elif is_word(parts[0]):
            return text_of(parts[0]), None, ""
        else:
            qualifier, index_idx = None, parts[0]
        index = self.whole(index_idx[0], index_idx[-1] + 1)
        index_text = self.src[self.toks[index_idx[0]].start:self.toks[index_idx[-1]].end].replace(" ", "")
        return qualifier, index, index_text

    def name_or_call(self) -> Expr:
        start = self.i
        key = self.base_name()
        if key == "e" and self.at("^"):
            self.take()
            return self.mark(Call("exp", (self.script(),)), start)
        qualifier = index = None
        index_text = ""
        if self.at("_"):
            self.take()
            qualifier, index, index_text = self.subscript()
        if qualifier:
            key = f"{key}_{qualifier}"
        primes = 0
        while self.at("'"):
            self.take()
            primes += 1
        if self.at("^") and self.at("{", 1) and (self.at("(", 2) or self.at("[", 2) or self.at("*", 2)):
            self.take()
            lo, hi = self.group_range()
            key += "^" + "".join(self.toks[j].text for j in range(lo, hi))
        if index is None and (self.at("(") and (key in self.functions or primes)):
            self.take()
            args = [self.expr()]
            while self.at(","):
                self.take()
                args.append(self.expr())
            self.expect(")")
            return self.mark(Apply(key, tuple(args), primes), start)
        key += "'" * primes
        tex = self.src[self.toks[start].start:self.toks[self.i - 1].end]
        if index is not None:
            return self.mark(Indexed(key, index, index_text), start)
        return self.mark(Sym(key, tex), start)


# --- functions the document defines, found before parsing ------------------------------------

def defined_functions(chains: list[Chain]) -> frozenset:
    """Names written as ``g(x, …) =`` at the start of a chain: later ``g(…)`` is a call, not a product."""
    found = set()
    for chain in chains:
        toks = chain.items[0].toks
        if len(toks) >= 4 and toks[1].kind == "op" and toks[1].text == "(" and toks[-1].text == ")":
            t = toks[0]
            if t.kind == "letter":
                found.add(t.text)
            elif t.kind == "cmd" and t.text[1:] in GREEK:
                found.add(t.text[1:])
    return DEFAULT_FUNCTIONS | found


def parse_chain(chain: Chain, src: str, functions=DEFAULT_FUNCTIONS) -> Chain:
    """Parse every side of ``chain`` in place; a side that fails keeps the reason in ``error``."""
    spans = Spans()
    chain.spans = spans
    for item in chain.items:
        if not item.toks:
            continue
        try:
            item.node = Parser(item.toks, src, spans, functions).parse()
        except ParseError as exc:
            item.error = str(exc)
        except (RecursionError, ValueError, ZeroDivisionError) as exc:
            item.error = f"unreadable ({type(exc).__name__})"
    return chain
