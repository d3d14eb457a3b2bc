"""Markdown to one HTML file that opens offline: math as native MathML, figures and fonts inline.

The page asks no other host for anything (no CDN, no script file, no web font), so a student can be
mailed it or open it in a train. Math is kept away from Markdown by arithmatex and swapped for
MathML from latex2mathml, which every current browser lays out without a script.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache

from explainer.errors import ExportError
from explainer.publish import fonts, linebreak
from explainer.publish.markdown_tree import is_math, math_source, new_markdown

#: Family name of the embedded subset; not "Noto Sans CJK SC", so that an installed copy of the full
#: font can never stand in for (or be mistaken for) the page's own.
CJK_FACE_NAME = "Explainer CJK"

_ALIGNED = re.compile(r"\\(begin|end)\{aligned\}")
# latex2mathml draws \underline{\qquad} as a space under a stretched bar, which Chromium draws as a
# short dash; a bordered space reads as a fill-in blank everywhere.
_BLANK_MATHML = re.compile(r'<munder><mrow><mspace width="2em"\s*/></mrow><mo accent="true">&#x02015;</mo></munder>')
_BLANK = '<mspace class="blank" width="3em" height="1em" depth="0.35em" />'
# A minus right after a relation, an operator or an opening bracket is a sign, not a subtraction.
# TeX knows this; MathML spaces every <mo>-</mo> as a binary operator unless it opens its own
# <mrow>, so the sign and its operand are grouped: `= -30` reads "= −30", not "= − 30".
_UNARY_MINUS = re.compile(
    r"((?:^|[=(\[{,&+<>-]|\\(?:times|cdot|approx|left[(\[]|le|ge|neq))\s*)-\s*(\d+(?:\.\d+)?|[A-Za-z]|\\(?:alpha|sigma|eta|lambda|infty))(?![A-Za-z_^.\d])"
)
_XMLNS = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')

#: Rows wider than this (linebreak.width units) are cut; it fits the 48rem column at full size.
ROW_LIMIT = 66
# Widths past which a printed formula (one that could not be cut) is set smaller: paper cannot scroll.
_WIDE, _WIDER = 72, 90


def to_html(
    markdown_text: str,
    *,
    title: str,
    lang: str,
    figures: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> str:
    """Self-contained HTML page.

    `figures` maps the file names of the Markdown's images to SVG text, which is inlined; an image
    with no figure is an error rather than a link to a file that will not travel with the page.
    `labels` holds the page chrome's words ({"contents": …}); a missing word leaves its chrome out.
    """
    from markdown.treeprocessors import Treeprocessor
    from markupsafe import Markup
    from pymdownx.slugs import slugify

    labels = dict(labels or {})
    md = new_markdown(slugify=slugify(case="lower"))
    figure_markup = {name: _prepare_svg(svg, f"f{i}-") for i, (name, svg) in enumerate(sorted(figures.items()))}

    class _Publish(Treeprocessor):
        def run(self, root):
            _swap_math_and_figures(md, root, figure_markup)

    md.treeprocessors.register(_Publish(md), "explainer-publish", 15)
    body = md.convert(markdown_text)
    heading, body = _split_heading(body)
    if not heading:
        heading = f"<h1>{html.escape(title)}</h1>"

    from explainer.publish.assets import jinja_environment, read_template

    template = jinja_environment(autoescape=True).get_template("html/page.html.j2")
    return template.render(
        title=title,
        lang=_html_lang(lang),
        labels=labels,
        font_face=Markup(fonts.cjk_font_face_css("".join([markdown_text, title, *labels.values()]), CJK_FACE_NAME)),
        css=Markup(read_template("html", "page.css")),
        heading=Markup(heading),
        toc=Markup(md.toc) if getattr(md, "toc_tokens", None) else "",
        body=Markup(body),
    )


def _html_lang(lang: str) -> str:
    return {"zh": "zh-CN", "en": "en"}.get(lang, lang)


def _split_heading(body: str) -> tuple[str, str]:
    """The document's own `# Title` goes above the contents list, the rest below it."""
    stripped = body.lstrip()
    if stripped.startswith("<h1"):
        end = stripped.index("</h1>") + len("</h1>")
        return stripped[:end], stripped[end:].lstrip("\n")
    return "", body


def _swap_math_and_figures(md, root, figure_markup: Mapping[str, str]) -> None:
    for el in list(root.iter()):
        if is_math(el):
            display = el.tag == "div"
            latex = linebreak.break_long_rows(math_source(el), ROW_LIMIT) if display else math_source(el)
            width = max(map(linebreak.width, linebreak.rows(latex))) if display else 0
            el.set("class", "math-display" + (" wider" if width > _WIDER else " wide" if width > _WIDE else "")
                   if display else "math-inline")
            el.text = md.htmlStash.store(latex_to_mathml(latex, display))
        for child in list(el):
            if child.tag != "img":
                continue
            svg = _figure(figure_markup, child.get("src", ""), child.get("alt", ""))
            alone = len(el) == 1 and not (el.text or "").strip() and not (child.tail or "").strip()
            if el.tag == "p" and alone:
                el.tag = "figure"
                el.text = md.htmlStash.store(svg)
                el.remove(child)
            else:
                child.tag = "span"
                child.attrib.clear()
                child.set("class", "figure-inline")
                child.text = md.htmlStash.store(svg)


def _figure(figure_markup: Mapping[str, str], src: str, alt: str) -> str:
    try:
        svg = figure_markup[src]
    except KeyError:
        have = ", ".join(sorted(figure_markup)) or "none"
        raise ExportError(f"the Markdown shows the image {src!r}, but no figure of that name was made (figures: {have})") from None
    label = f' role="img" aria-label="{html.escape(alt, quote=True)}"' if alt else ""
    return svg.replace("<svg", "<svg" + label, 1)


_SVG_PROLOGUE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->|<metadata>.*?</metadata>", re.DOTALL)
_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_REF = re.compile(r'(href="#|url\(#)([^")]+)')
_SVG_EXTERNAL = re.compile(r'(?:href|src)="(?!#)|url\((?!#)|<script|@import', re.IGNORECASE)


def _prepare_svg(svg: str, prefix: str) -> str:
    """The SVG as markup for the page body, its ids made unique to it so two plots cannot clash."""
    body = _SVG_PROLOGUE.sub("", svg).strip()
    body = _XMLNS.sub("", body)
    if not body.startswith("<svg"):
        raise ExportError(f"a figure is not SVG text (it starts {body[:40]!r})")
    if _SVG_EXTERNAL.search(body):
        raise ExportError("a figure refers to another file or host; the page must be self-contained")
    body = _SVG_ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', body)
    return _SVG_REF.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", body)


@lru_cache(maxsize=4096)
def latex_to_mathml(latex: str, display: bool) -> str:
    """MathML for one formula; formulas repeat a lot in a worked example, hence the cache."""
    from latex2mathml.converter import convert

    source = _UNARY_MINUS.sub(r"\1{-\2}", _ALIGNED.sub(r"\\\1{align*}", latex))
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own assorted errors
        raise ExportError(f"cannot set the formula {latex!r} as MathML: {exc}") from exc
    return _XMLNS.sub("", _BLANK_MATHML.sub(_BLANK, mathml))


