"""The arithmetic checker: reads the math of a handout back and verifies every equality it can.

Used twice: ``explainer build`` runs it (strict) on every generated document before writing it, and
``explainer check`` runs it on handouts people wrote. Stages, one module each, frozen records between
them::

    text ─extract──▶ math spans ─latex──▶ chains of trees ─verify──▶ problems ─report──▶ Report

What cannot be read is counted as skipped, never reported: a false alarm costs the reader's trust as
much as a missed error.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .extract import MAX_SPAN, Lines, detect_lang, extract, prose
from .latex import defined_functions, parse_chain, split_chains
from .report import Finding, Report, word
from .verify import Checker

__all__ = ["Finding", "Report", "check_text", "check_file"]


def check_text(text: str, *, name: str = "<text>", fmt: str = "md", lang: str | None = None,
               strict: bool = False) -> Report:
    """Check the arithmetic of one document (Markdown ``md`` or LaTeX ``tex``).

    ``strict`` (for generated documents): every ``=`` must hold exactly and every ``\\approx`` must be
    the correct rounding to 10 significant digits. Otherwise a shown number may be off by half a
    unit of its last digit.
    """
    if fmt not in ("md", "tex"):
        raise ValueError(f"unknown format {fmt!r}; choose md or tex")
    lang = lang or detect_lang(prose(text, fmt))
    lines = Lines(text)
    chains, oversized = [], 0
    for span in extract(text, fmt):
        if len(span.text) > MAX_SPAN:
            oversized += 1
            continue
        chains.extend(split_chains(span.text, span.start))
    functions = defined_functions(chains)
    for chain in chains:
        parse_chain(chain, text, functions)
    checker = Checker(text, lines.line_of, strict)
    checker.run(chains)
    findings = word(checker.problems, checker.replacements, text, lines, lang)
    return Report(name, checker.checked, checker.skipped + oversized, findings, lang)


def read_document(path) -> str:
    """The text of a handout, or :class:`InputError` saying why it is not one."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a document")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if b"\0" in data:
        raise InputError(f"{path}: not a text file (it contains binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (undecodable byte at offset {exc.start})") from None


def check_file(path, *, lang: str | None = None, strict: bool = False) -> Report:
    text = read_document(path)
    fmt = "tex" if str(path).lower().endswith((".tex", ".latex", ".ltx")) else "md"
    return check_text(text, name=str(path), fmt=fmt, lang=lang, strict=strict)
