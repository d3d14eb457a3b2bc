"""The one Markdown dialect that both the HTML page and the PDF are read in.

HTML and PDF must agree on what a document says, so they share this parser: the same extensions,
the same math protection, the same list numbering. The HTML writer serialises the element tree
Python-Markdown builds; the PDF writer walks that same tree and prints Typst.

Raw HTML in the Markdown is shown as text, never passed through: the title and the prose come from
a teacher's lesson file, and a page meant to be opened offline must not run what it was given.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Callable

MATH_CLASS = "arithmatex"

_CODE_BLOCK = re.compile(
    r'^<pre class="highlight"><code(?: class="language-(?P<lang>[\w+-]+)")?>(?P<body>.*)</code></pre>$',
    re.DOTALL,
)
_PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")

_EXTENSION_CONFIGS = {
    # Generic mode with empty wraps hands us the bare LaTeX; only `$…$` and `$$…$$` are math, so
    # a `\[` in prose stays prose.
    "pymdownx.arithmatex": {
        "generic": True,
        "tex_inline_wrap": ["", ""],
        "tex_block_wrap": ["", ""],
        "inline_syntax": ["dollar"],
        "block_syntax": ["dollar"],
    },
    # No Pygments: its markup would need its own stylesheet, and Typst highlights code itself.
    "pymdownx.highlight": {"use_pygments": False},
}


def new_markdown(*, slugify: Callable[..., str] | None = None, toc_depth: str = "2-3"):
    """A fresh converter (Python-Markdown instances carry state between documents)."""
    import markdown

    configs = dict(_EXTENSION_CONFIGS)
    toc: dict = {"toc_depth": toc_depth}
    if slugify is not None:
        toc["slugify"] = slugify
    configs["toc"] = toc
    md = markdown.Markdown(
        extensions=["tables", "sane_lists", "toc", "pymdownx.highlight", "pymdownx.superfences", "pymdownx.arithmatex"],
        extension_configs=configs,
        output_format="html",
    )
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def is_math(el: ET.Element) -> bool:
    return el.tag in ("span", "div") and MATH_CLASS in (el.get("class") or "").split()


def math_source(el: ET.Element) -> str:
    """The LaTeX of a math element. arithmatex leaves block math HTML-escaped (`&amp;`), inline not."""
    text = el.text or ""
    return html.unescape(text) if el.tag == "div" else text


def code_block(md, text: str) -> tuple[str, str] | None:
    """(language, code) when `text` is the placeholder of a fenced code block, else None.

    Fenced code is stashed as finished HTML before the tree is built; the PDF needs the code back.
    """
    m = _PLACEHOLDER.fullmatch(text.strip())
    if not m:
        return None
    index = int(m.group(1))
    stashed = md.htmlStash.rawHtmlBlocks[index]
    found = _CODE_BLOCK.match(str(stashed).strip())
    if not found:
        return None
    return found.group("lang") or "", html.unescape(found.group("body"))


def parse(markdown_text: str):
    """(converter, element tree) after every inline pattern ran, for writers that are not HTML."""
    from markdown.treeprocessors import Treeprocessor

    md = new_markdown()
    captured: list[ET.Element] = []

    class _Capture(Treeprocessor):
        def run(self, root):
            captured.append(root)
            return None

    # After "inline" (20), before "prettify" (10) adds whitespace-only text.
    md.treeprocessors.register(_Capture(md), "capture", 15)
    md.convert(markdown_text)
    return md, captured[0]
