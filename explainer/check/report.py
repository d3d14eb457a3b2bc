"""Findings as the reader sees them: where, what kind, what was expected, what the line should say.

The checker's stages pass frozen records; wording happens only here, from the language's catalog
(``templates/catalog/<lang>/check.toml``), so a Chinese handout gets Chinese messages and the JSON
keeps the same machine-readable fields in every language.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal, localcontext
from dataclasses import asdict, dataclass

from ..catalog import catalog
from ..numbers import places_of, rounded_places, show, show_places
from .extract import Lines
from .verify import Problem


@dataclass(frozen=True)
class Finding:
    line: int
    kind: str  # arithmetic | rounding | inconsistent | symbolic
    message: str
    expected: str | None
    found: str | None
    corrected: str | None  # the whole line as it would read corrected, when it can be said


@dataclass(frozen=True)
class Report:
    file: str
    checked: int
    skipped: int
    findings: tuple
    lang: str

    def to_dict(self) -> dict:
        return {"file": self.file, "checked": self.checked, "skipped": self.skipped, "lang": self.lang,
                "findings": [asdict(f) for f in self.findings]}


_ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303"}
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ",
          "lambda": "λ", "mu": "μ", "sigma": "σ", "omega": "ω", "tau": "τ", "phi": "φ"}


def display_name(key: str | None) -> str:
    if key is None:
        return "?"
    for word, letter in _GREEK.items():
        key = key.replace(word, letter)
    return re.sub(r"(hat|bar|tilde)\((\w)\)", lambda m: m.group(2) + _ACCENTS[m.group(1)], key)


def display_value(value, like: str | None = None, rounding: bool = False) -> str:
    """A value as a finding shows it; a rounding finding keeps the number of places the author chose."""
    if isinstance(value, tuple):
        return "[" + ", ".join(display_value(v) for v in value) + "]"
    if rounding and like is not None:
        return show_places(value, places_of(like))
    return show(value)


def _number_text(original: str, value, before: str) -> str:
    """The corrected number: as many decimals as the author chose where the value needs rounding, a
    fraction where the author wrote one, brackets where a negative number follows an operator."""
    stripped = original.strip()
    shown = re.findall(r"\d+(?:\.\d+)?", stripped)
    places = places_of(shown[0]) if len(shown) == 1 else 0
    if isinstance(value, tuple):
        return display_value(value)
    if re.match(r"-?\\[dt]?frac", stripped) and value.denominator != 1 and value.denominator <= 10_000:
        sign = "-" if value < 0 else ""
        return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    if places and rounded_places(value, places) != value:
        text = show_places(value, places)
    else:
        text = display_value(value)
    for left, right in (("\\left(", "\\right)"), ("(", ")"), ("\\left[", "\\right]"), ("[", "]")):
        if stripped.startswith(left) and stripped.endswith(right):
            return left + text + right
    follows_operator = re.search(r"([-+*/(\[]|\\times|\\cdot)\s*$", before) is not None
    if value < 0 and follows_operator:
        return "(" + text + ")"
    return text


def corrected_line(src: str, lines: Lines, line: int, replacements) -> str | None:
    """The source line with every correction that falls on it applied (outermost first, no overlaps)."""
    start = lines.start_of(line)
    end = start + len(lines.text_of(line))
    chosen, last = [], -1
    for s, e, value in sorted(r for r in replacements if start <= r[0] and r[1] <= end):
        if s >= last:
            chosen.append((s, e, value))
            last = e
    if not chosen:
        return None
    out, pos = [], start
    for s, e, value in chosen:
        out.append(src[pos:s])
        out.append(_number_text(src[s:e], value, src[max(start, s - 12):s]))
        pos = e
    out.append(src[pos:end])
    return "".join(out).strip()


def word(problems: list[Problem], replacements, src: str, lines: Lines, lang: str) -> tuple[Finding, ...]:
    t = catalog(lang, "check")
    out = []
    for p in problems:
        line = lines.line_of(p.offset)
        corrected = corrected_line(src, lines, line, replacements)
        expected: str | None
        if p.kind == "symbolic":
            message = t("symbolic", line=p.ref_line, previous=p.detail)
            expected, corrected = p.detail, None
        elif p.kind == "derivative":
            of, wrt = p.name.split("/")[0][1:], p.name.split("/")[1][1:]
            key = "derivative" if p.ref_line else "derivative_unplaced"
            message = t(key, found=p.found, of=display_name(of), wrt=display_name(wrt), line=p.ref_line)
            expected, corrected = None, None
        elif p.kind == "inconsistent":
            expected = p.ref_shown or display_value(p.carried)
            right = p.expected == _value_of(p.found)
            key = "inconsistent_right" if right else "inconsistent"
            if p.ref_line is None:
                key += "_unplaced"
            message = t(key, found=p.found, name=display_name(p.name), expected=expected, line=p.ref_line,
                        correct=display_value(p.expected))
            if right:
                corrected = None
        elif p.kind == "rounding":
            strict = p.detail == "strict"
            expected = show(p.expected) if strict else display_value(p.expected, p.shown, rounding=True)
            places = places_of(p.shown or "")
            if _value_of(p.shown or "") == rounded_places(p.carried, places):
                expected = _long(p.carried)  # the rounding is right; '=' promised exactness
                message = t("inexact", found=p.found, value=expected)
            else:
                message = t("rounding_strict" if strict else "rounding", found=p.found, expected=expected,
                            value=display_value(p.carried), places=places)
        else:
            expected = display_value(p.expected)
            if p.carried is not None and p.carried != p.expected:
                message = t("arithmetic_carried", found=p.found, expected=expected,
                            carried=display_value(p.carried))
            else:
                message = t("arithmetic", found=p.found, expected=expected)
        out.append(Finding(line, "symbolic" if p.kind == "derivative" else p.kind, message, expected,
                           p.found, corrected))
    out.sort(key=lambda f: f.line)
    return tuple(out)


def _long(value) -> str:
    """An exact value with up to 25 significant digits: enough to show why '=' was not exact."""
    if isinstance(value, tuple):
        return "[" + ", ".join(_long(v) for v in value) + "]"
    with localcontext() as ctx:
        ctx.prec = 25
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _value_of(text: str):
    from fractions import Fraction

    cleaned = text.replace("\\left", "").replace("\\right", "").strip("() []")
    try:
        return Fraction(cleaned)
    except (ValueError, ZeroDivisionError):
        return None


def as_text(report: Report) -> str:
    t = catalog(report.lang, "check")
    out = []
    for f in report.findings:
        out.append(t("finding", file=report.file, line=f.line, kind=t("kind_" + f.kind), message=f.message))
        if f.corrected:
            out.append(t("corrected", corrected=f.corrected))
    out.append(t("summary", file=report.file, checked=report.checked, skipped=report.skipped,
                 count=len(report.findings)))
    return "\n".join(out)


def as_json(reports: list[Report], single: bool) -> str:
    data = [r.to_dict() for r in reports]
    return json.dumps(data[0] if single else data, ensure_ascii=False, indent=2)
