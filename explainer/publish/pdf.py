"""Markdown to a typeset PDF through Typst: TeX-quality math, no TeX, nothing fetched at run time.

The `typst` wheel carries the compiler and its Latin and math fonts (New Computer Modern); Chinese
comes from the Noto Sans CJK file of `noto-cjk-sans-otc`. System fonts are ignored, so the same
Markdown gives the same PDF on every machine, down to the byte (the creation date is fixed).
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from functools import lru_cache

from explainer.errors import ExportError
from explainer.publish import fonts, linebreak

INSTALL_HINT = 'PDF output needs the typst package: pip install "explainer[pdf]"'

#: Written as the PDF's creation date, so that a rebuild is byte-identical (SOURCE_DATE_EPOCH style).
CREATION_DATE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)

#: Rows wider than this (linebreak.width units) are cut; it fits the A4 column at 10.5 pt.
ROW_LIMIT = 76

_ALIGNED = re.compile(r"\\(begin|end)\{aligned\}")
_BLANK_MARK = "EXPLAINERBLANK"


def pdf_available() -> str | None:
    """None when a PDF can be made, else the reason and the install command."""
    try:
        import typst  # noqa: F401
    except ImportError:
        return INSTALL_HINT
    return None


def to_pdf(
    markdown_text: str,
    *,
    title: str,
    lang: str,
    figures: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> bytes:
    """Typeset PDF of the Markdown; raises ExportError naming the package when typst is missing."""
    try:
        import typst
    except ImportError:
        raise ExportError(INSTALL_HINT) from None
    from explainer.publish.assets import read_template
    from explainer.publish.markdown_tree import parse
    from explainer.publish.typst_markup import TypstPrinter, figure_keys

    labels = dict(labels or {})
    keys = figure_keys(figures)

    def figure_input(src: str) -> str:
        if src not in keys:
            have = ", ".join(sorted(keys)) or "none"
            raise ExportError(f"the Markdown shows the image {src!r}, but no figure of that name was made (figures: {have})")
        return keys[src]

    md, root = parse(markdown_text)
    printer = TypstPrinter(md, math=latex_to_typst, figure_input=figure_input)
    body = printer.document(root)
    if not printer.seen_title:
        body = "#lesson-title(sys.inputs.at(\"title\"))\n\n#lesson-contents()\n\n" + body
    source = read_template("typst", "page.typ") + "\n" + body + "\n"

    inputs = {
        "title": title,
        "lang": lang,
        "contents": labels.get("contents", ""),
        **{keys[name]: svg for name, svg in figures.items()},
    }
    everything = "".join([markdown_text, title, *labels.values()])
    font_paths = [str(fonts.cjk_font_path().parent)] if fonts.cjk_chars(everything) else []
    try:
        pdf = typst.compile(
            source.encode("utf-8"),
            format="pdf",
            font_paths=font_paths,
            ignore_system_fonts=True,
            sys_inputs=inputs,
            timestamp=CREATION_DATE,
        )
    except Exception as exc:  # typst.TypstError, with Typst's own diagnostics
        raise ExportError(f"Typst could not typeset the PDF: {_culprit(typst, printer.formulas) or _typst_message(exc)}") from exc
    return bytes(pdf)


def _culprit(typst, formulas: list[tuple[str, str]]) -> str | None:
    """Which formula broke the compile: Typst's error has no position in generated source, so each
    formula is tried alone (only after a failure, so the cost is paid only then)."""
    for latex, converted in formulas:
        try:
            typst.compile(f"#let blank = box(width: 3em)\n$ {converted} $".encode(), format="pdf", ignore_system_fonts=True)
        except Exception as exc:
            return f"the formula {latex!r} (as Typst math: {converted!r}) failed: {_typst_message(exc)}"
    return None


def _typst_message(exc: Exception) -> str:
    parts = [getattr(exc, "message", None) or str(exc)]
    hints = getattr(exc, "hints", None) or []
    parts.extend(f"hint: {h}" for h in hints)
    return "; ".join(parts)


@lru_cache(maxsize=4096)
def latex_to_typst(latex: str, display: bool) -> str:
    """Typst math for one LaTeX formula (tex2typst, with the worksheet blank as a Typst box)."""
    from tex2typst import tex2typst

    if display:
        latex = linebreak.break_long_rows(latex, ROW_LIMIT)
    source = _ALIGNED.sub(r"\\\1{aligned}", latex).replace(r"\underline{\qquad}", r"\text{" + _BLANK_MARK + "}")
    try:
        out = tex2typst(source)
    except Exception as exc:
        raise ExportError(f"cannot convert the formula {latex!r} to Typst math: {exc}") from exc
    return out.replace(f'"{_BLANK_MARK}"', "#blank")
