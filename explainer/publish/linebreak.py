"""Break a long formula into aligned rows, as a typesetter would, before HTML or Typst sees it.

Neither MathML nor Typst breaks a display formula by itself, and a worked example's substituted
sums are long (eight data points are eight squared terms in one row). Shrinking such a row makes it
unreadable on paper, so a row wider than `LIMIT` is cut before a `+`, `-` or relation, the
continuation set under the row's `=`: `J &= \\frac{1}{8}\\left(a + b \\right. \\\\ &\\qquad \\left. + c\\right)`.
A cut inside one pair of brackets turns that pair into `\\left…\\right` halves; deeper cuts are not
made. Only the layout changes, never a symbol, so the Markdown stays the checked source of truth.
"""
from __future__ import annotations

import re

#: Row width, in rough character widths (see `width`); each writer passes what fits its column.
LIMIT = 66

_COMMAND = re.compile(r"\\([A-Za-z]+\*?|.)")
_DELIMITER = re.compile(r"\s*(\\[A-Za-z]+|\\.|[^\s])")
_ALIGNED = re.compile(r"^\s*\\begin\{aligned\}(.*)\\end\{aligned\}\s*$", re.DOTALL)
_ZERO = {r"\left", r"\right", r"\text", r"\mathrm", r"\mathbf", r"\operatorname", r"\displaystyle", r"\,", r"\;", r"\!"}
_RELATIONS = {"=", "<", ">", r"\approx", r"\le", r"\ge", r"\leq", r"\geq", r"\neq"}
_OPERATORS = {"+", "-", r"\times", r"\cdot", r"\pm"} | _RELATIONS
_OPENERS = {"(", "["}
_CLOSERS = {")": "(", "]": "["}


def break_long_rows(latex: str, limit: int = LIMIT) -> str:
    """The formula with each over-long row cut into aligned rows; unchanged when all rows fit."""
    found = _ALIGNED.match(latex)
    body = found.group(1) if found else latex
    if "\\begin" in body or "\\end" in body:
        return latex  # nested environments: leave them to the renderer
    rows = _split_rows(body)
    if all(width(row) <= limit for row in rows):
        return latex
    if not found:
        rows = [_aligned_at_first_relation(body)]
    out: list[str] = []
    for row in rows:
        out.extend(_break_row(row, limit))
    return "\\begin{aligned} " + " \\\\ ".join(r.strip() for r in out) + " \\end{aligned}"


def rows(latex: str) -> list[str]:
    """The rows of an aligned formula (one row for any other formula)."""
    found = _ALIGNED.match(latex)
    return _split_rows(found.group(1) if found else latex) or [""]


def tokens(latex: str) -> list[str]:
    """Commands (with a \\left/\\right's delimiter), brace groups, and single characters."""
    out: list[str] = []
    i = 0
    while i < len(latex):
        c = latex[i]
        if c == "{":
            depth, j = 0, i
            while j < len(latex):
                depth += {"{": 1, "}": -1}.get(latex[j], 0)
                if latex[j] == "\\":
                    j += 1
                elif depth == 0:
                    break
                j += 1
            out.append(latex[i : j + 1])
            i = j + 1
        elif c == "\\":
            name = _COMMAND.match(latex, i).group(0)
            i += len(name)
            if name in (r"\left", r"\right"):
                delim = _DELIMITER.match(latex, i)
                if delim:
                    name += delim.group(1)
                    i = delim.end()
            out.append(name)
        else:
            out.append(c)
            i += 1
    return out


def width(latex: str) -> float:
    """A rough printed width: a digit or letter is 1, a spaced operator 2, a fraction its wider part."""
    toks = tokens(latex)
    total, k = 0.0, 0
    while k < len(toks):
        tok = toks[k]
        if tok in (r"\frac", r"\dfrac", r"\tfrac") and k + 2 < len(toks):
            total += max(width(toks[k + 1][1:-1]), width(toks[k + 2][1:-1])) + 0.5
            k += 3
            continue
        if tok in ("^", "_") and k + 1 < len(toks):
            nxt = toks[k + 1]
            total += 0.7 * width(nxt[1:-1] if nxt.startswith("{") else nxt)
            k += 2
            continue
        total += _token_width(tok)
        k += 1
    return total


def _token_width(tok: str) -> float:
    if tok.isspace() or tok == "&" or tok in _ZERO:
        return 0.0
    if tok.startswith("{"):
        return width(tok[1:-1])
    if tok.startswith((r"\left", r"\right")):
        return 0.0 if tok.endswith(".") else 1.0
    if tok in _OPERATORS:
        return 2.0
    if tok == r"\quad":
        return 2.0
    if tok == r"\qquad":
        return 4.0
    return 1.0


def _split_rows(body: str) -> list[str]:
    rows, current = [], []
    for tok in tokens(body):
        if tok == "\\\\":
            rows.append("".join(current))
            current = []
        else:
            current.append(tok)
    rows.append("".join(current))
    return [r for r in rows if r.strip()]


def _aligned_at_first_relation(row: str) -> str:
    toks = tokens(row)
    depth = 0
    for k, tok in enumerate(toks):
        depth += _depth_change(tok)
        if depth == 0 and tok in _RELATIONS:
            return "".join(toks[:k]) + "&" + "".join(toks[k:])
    return "&" + row


def _depth_change(tok: str) -> int:
    if tok in _OPENERS or tok.startswith(r"\left"):
        return 1
    if tok in _CLOSERS or tok.startswith(r"\right"):
        return -1
    return 0


def _break_row(row: str, limit: float) -> list[str]:
    if width(row) <= limit:
        return [row]
    toks = tokens(row)
    stack: list[int] = []
    opener_of: dict[int, int] = {}  # token index -> index of the bracket it sits in
    closer_of: dict[int, int] = {}
    candidates: list[int] = []
    after_align = "&" not in toks
    previous = None
    for k, tok in enumerate(toks):
        if tok == "&":
            after_align = True
        binary = previous is not None and previous not in _OPERATORS and previous not in _OPENERS \
            and not previous.startswith(r"\left") and previous != "&"
        if after_align and len(stack) <= 1 and ((tok in ("+", "-") and binary) or (tok in _RELATIONS and previous != "&")):
            candidates.append(k)
            if stack:
                opener_of[k] = stack[-1]
        if tok in _OPENERS or tok.startswith(r"\left"):
            stack.append(k)
        elif tok in _CLOSERS or tok.startswith(r"\right"):
            if stack:
                closer_of[stack.pop()] = k
        if not tok.isspace():
            previous = tok
    # A cut inside a bracket needs that bracket closed on the same row; drop cuts that are not.
    candidates = [k for k in candidates if k not in opener_of or opener_of[k] in closer_of]

    cuts: list[int] = []
    start, line_width, last = 0, 0.0, None
    for k in range(len(toks)):
        if k in candidates and k > start:
            last = k
        line_width = width("".join(toks[start : k + 1]))
        if line_width > limit and last is not None and last > start:
            cuts.append(last)
            start, last = last, None
    if not cuts:
        return [row]

    tok_out = list(toks)
    for k in cuts:
        if k in opener_of:
            o = opener_of[k]
            c = closer_of[o]
            if not tok_out[o].startswith(r"\left"):
                tok_out[o] = r"\left" + toks[o]
                tok_out[c] = r"\right" + toks[c]
    lines, begin = [], 0
    for k in cuts + [len(toks)]:
        piece = "".join(tok_out[begin:k]).strip()
        if begin and begin in opener_of:
            piece = r"\left. {} " + piece
        if k < len(toks) and k in opener_of:
            piece += r" \right."
        lines.append(piece if not begin else "& \\qquad " + piece)
        begin = k
    return lines
