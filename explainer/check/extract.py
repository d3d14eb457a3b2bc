"""Finding the math in a handout: Markdown or LaTeX source in, math spans with offsets out.

Code (fenced blocks, inline code, ``verbatim``), comments and tables are blanked out first, keeping
every offset, so a span's position still points at the right line of the original file. Delimiters
follow pandoc's rules for ``$`` (no space inside the delimiters, no digit after the closing one),
so "costs $5 and $10" is prose. An unterminated delimiter is text, never an error. Every scan moves
forward only: a megabyte line costs a megabyte of work, not its square.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

#: A single math span longer than this is not a formula anyone reads; it is skipped unread.
MAX_SPAN = 200_000


@dataclass(frozen=True)
class MathSpan:
    start: int  # offset of the first character inside the delimiters
    text: str
    display: bool


_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})[^\n]*$", re.M)
_BACKTICKS = re.compile(r"`+")
_MATH_ENVS = r"(?:equation|align|alignat|gather|multline|eqnarray|flalign|displaymath|math)\*?"
_ENV_BEGIN = re.compile(r"\\begin\{(" + _MATH_ENVS + r")\}")
_TEX_VERBATIM = re.compile(r"\\begin\{(verbatim|lstlisting|minted|comment)\}")
_TEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _spaces(piece: str) -> str:
    return re.sub(r"[^\n]", " ", piece)


def _blank_ranges(text: str, ranges) -> str:
    """``text`` with each ``(start, end)`` replaced by spaces, newlines kept (offsets and lines stay valid)."""
    parts, last = [], 0
    for start, end in ranges:
        parts.append(text[last:start])
        parts.append(_spaces(text[start:end]))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _delimited(text: str, opener: str, closer: str):
    """Ranges ``opener … closer``; once a closer is missing no later opener can close, so stop."""
    i = 0
    while True:
        start = text.find(opener, i)
        if start < 0:
            return
        end = text.find(closer, start + len(opener))
        if end < 0:
            return
        yield start, end + len(closer)
        i = end + len(closer)


def _code_spans(text: str):
    """CommonMark inline code: a run of n backticks up to the next run of exactly n (linear time)."""
    runs = [(m.start(), m.end() - m.start()) for m in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for k, (_, length) in enumerate(runs):
        by_length.setdefault(length, []).append(k)
    k = 0
    while k < len(runs):
        start, length = runs[k]
        same = by_length[length]
        pos = bisect.bisect_right(same, k)
        if pos == len(same):
            k += 1
            continue
        close = same[pos]
        yield start, runs[close][0] + length
        k = close + 1


def _tex_verbatim(text: str):
    for m in _TEX_VERBATIM.finditer(text):
        end = text.find("\\end{" + m.group(1) + "}", m.end())
        if end >= 0:
            yield m.start(), end


def _is_table_delimiter(line: str) -> bool:
    stripped = line.strip()
    return "---" in stripped and "|" in stripped and not stripped.strip("|:- ")


def _mask_markdown(text: str) -> str:
    lines = text.split("\n")
    out, fence = [], None
    for line in lines:
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
            out.append(" " * len(line))
        elif fence is not None:
            if m and m.group(1).startswith(fence) and not line.strip()[len(m.group(1)):].strip():
                fence = None
            out.append(" " * len(line))
        else:
            out.append(line)
    masked = "\n".join(out)
    masked = _blank_ranges(masked, list(_delimited(masked, "<!--", "-->")))
    masked = _blank_ranges(masked, list(_code_spans(masked)))
    return _mask_tables(masked)


def _mask_tables(text: str) -> str:
    """Tables hold values, not equalities: their math is skipped silently (and not counted)."""
    lines = text.split("\n")
    in_table = False
    for k, line in enumerate(lines):
        stripped = line.strip()
        if _is_table_delimiter(line):
            in_table = True
            if k > 0 and "|" in lines[k - 1]:
                lines[k - 1] = " " * len(lines[k - 1])
        elif in_table and (not stripped or "|" not in stripped):
            in_table = False
        if in_table or stripped.startswith("|"):
            lines[k] = " " * len(line)
    return "\n".join(lines)


def _mask_tex(text: str) -> str:
    text = _blank_ranges(text, _non_overlapping(_tex_verbatim(text)))
    return _blank_ranges(text, [m.span() for m in _TEX_COMMENT.finditer(text)])


def _non_overlapping(ranges):
    last = -1
    for start, end in ranges:
        if start >= last:
            yield start, end
            last = end


def _escaped(text: str, i: int) -> bool:
    n = 0
    while i - n - 1 >= 0 and text[i - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _scan(text: str) -> list[MathSpan]:
    spans: list[MathSpan] = []
    i, n = 0, len(text)
    dollars = re.compile(r"\$|\\\(|\\\[|\\begin\{" + _MATH_ENVS + r"\}")
    paragraph_end_cache = [-1, -1]

    def paragraph_end(k: int) -> int:
        if paragraph_end_cache[0] <= k < paragraph_end_cache[1]:
            return paragraph_end_cache[1]
        e = text.find("\n\n", k)
        e = n if e < 0 else e
        paragraph_end_cache[:] = [k, e]
        return e

    skip_inline_until = -1
    while True:
        m = dollars.search(text, i)
        if not m:
            break
        j = m.start()
        token = m.group()
        if _escaped(text, j):
            i = j + 1
            continue
        if token == "$" and text.startswith("$$", j):
            close = j + 2
            while True:
                close = text.find("$$", close)
                if close < 0 or not _escaped(text, close):
                    break
                close += 2
            if close < 0:
                i = j + 2
                continue
            spans.append(MathSpan(j + 2, text[j + 2:close], True))
            i = close + 2
            continue
        if token == "$":
            if j < skip_inline_until or j + 1 >= n or text[j + 1].isspace():
                i = j + 1
                continue
            end = paragraph_end(j)
            k = j + 1
            found = -1
            while True:
                k = text.find("$", k, end)
                if k < 0:
                    break
                if not _escaped(text, k) and not text[k - 1].isspace() and not (k + 1 < n and text[k + 1].isdigit()):
                    found = k
                    break
                k += 1
            if found < 0:
                skip_inline_until = end  # no later opener in this paragraph can close either
                i = j + 1
                continue
            spans.append(MathSpan(j + 1, text[j + 1:found], False))
            i = found + 1
            continue
        if token in ("\\(", "\\["):
            closer = "\\)" if token == "\\(" else "\\]"
            close = text.find(closer, j + 2)
            if close < 0:
                i = j + 2
                continue
            spans.append(MathSpan(j + 2, text[j + 2:close], token == "\\["))
            i = close + 2
            continue
        env = _ENV_BEGIN.match(text, j).group(1)
        close = text.find("\\end{" + env + "}", m.end())
        if close < 0:
            i = m.end()
            continue
        spans.append(MathSpan(j, text[j:close + len(env) + 6], True))
        i = close + len(env) + 6
    return [s for s in spans if len(s.text) <= MAX_SPAN]


def extract(text: str, fmt: str = "md") -> list[MathSpan]:
    """Math spans of a Markdown (``md``) or LaTeX (``tex``) document, in reading order."""
    masked = _mask_tex(text) if fmt == "tex" else _mask_markdown(text)
    return _scan(masked)


def prose(text: str, fmt: str = "md") -> str:
    return _mask_tex(text) if fmt == "tex" else _mask_markdown(text)


def detect_lang(text: str) -> str:
    """``zh`` when the prose is mostly Chinese; a Chinese title over English prose stays ``en``."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]{2,}", text))
    return "zh" if (cjk >= 10 and cjk * 2 >= latin) or cjk > latin else "en"


class Lines:
    """Offset → 1-based line number, and the text of a line."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, max(offset, 0))

    def text_of(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start:end]

    def start_of(self, line: int) -> int:
        return self.starts[line - 1]
