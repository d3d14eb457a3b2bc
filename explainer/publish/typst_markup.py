"""Python-Markdown's element tree printed as Typst markup, one method per element type.

Walking the tree (rather than rewriting Markdown text) means every construct the Markdown parser
knows is either printed on purpose or reported: an unknown element raises, it is never dropped.
Block structure is printed with function calls (`#enum(..)[..]`, `#table(..)`), not Typst's
indentation-sensitive shorthands, so nesting cannot go wrong; text is escaped character by character.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping

from explainer.errors import ExportError
from explainer.publish.markdown_tree import code_block, is_math, math_source

# Characters with a meaning in Typst markup; each is printed escaped.
_SPECIAL = re.compile(r"([\\#*_`$<>@\[\]~=+\-/])")
_ENUM_START = re.compile(r"^(\d+)\.")
_PLACEHOLDER = re.compile("\x02wzxhzdk:\\d+\x03")


def escape_text(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def typst_string(text: str) -> str:
    """A Typst string literal (for code, URLs, alt text): only `\\` and `"` need escaping."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


class TypstPrinter:
    """Prints one document; `math` turns LaTeX into Typst math, `figure_input` names a figure's input.

    `figure_input(src)` returns the key under which the SVG is handed to Typst (sys.inputs), so the
    figures travel without temporary files.
    """

    def __init__(self, md, *, math: Callable[[str, bool], str], figure_input: Callable[[str], str]):
        self.md = md
        self.math = math
        self.figure_input = figure_input
        self.seen_title = False
        self.formulas: list[tuple[str, str]] = []  # (LaTeX, Typst) in order, to name a failing one

    def formula(self, el: ET.Element, display: bool) -> str:
        latex = math_source(el)
        converted = self.math(latex, display)
        self.formulas.append((latex, converted))
        return converted

    # -- blocks ---------------------------------------------------------------------------------
    def document(self, root: ET.Element) -> str:
        return self.blocks(root)

    def blocks(self, parent: ET.Element) -> str:
        """The children of `parent` as blocks; runs of text and inline elements (a tight list
        item's words, say) become one paragraph."""
        out: list[str] = []
        run: list[str] = []

        def flush() -> None:
            paragraph = "".join(run).strip()
            if paragraph:
                out.append(_ENUM_START.sub(r"\1\\.", paragraph))
            run.clear()

        def text(value: str | None) -> None:
            found = code_block(self.md, value or "")
            if found:
                flush()
                out.append(self.code(*found))
            else:
                run.append(self.inline_text(value))

        text(parent.text)
        for child in parent:
            if child.tag in _INLINE_TAGS:
                run.append(self.inline(child))
            else:
                flush()
                out.append(self.block(child))
            text(child.tail)
        flush()
        return "\n\n".join(x for x in out if x)

    def code(self, lang: str, code: str) -> str:
        return f"#raw(block: true, lang: {typst_string(lang or 'text')}, {typst_string(code.rstrip(chr(10)))})"

    def block(self, el: ET.Element) -> str:
        method = getattr(self, f"block_{el.tag}", None)
        if method is None:
            if el.tag in _INLINE_TAGS:
                return self.inline(el)
            raise ExportError(f"the PDF writer has no rule for the Markdown element <{el.tag}>")
        return method(el)

    def block_h1(self, el):
        self.seen_title = True
        return "#lesson-title[" + self.inlines(el) + "]\n\n#lesson-contents()"

    def _heading(self, el, level: int) -> str:
        return "=" * level + " " + self.inlines(el).strip()

    def block_h2(self, el):
        return self._heading(el, 1)

    def block_h3(self, el):
        return self._heading(el, 2)

    def block_h4(self, el):
        return self._heading(el, 3)

    def block_h5(self, el):
        return self._heading(el, 4)

    def block_h6(self, el):
        return self._heading(el, 5)

    def block_p(self, el):
        only = list(el)
        if len(only) == 1 and only[0].tag == "img" and not (el.text or "").strip() and not (only[0].tail or "").strip():
            return self.figure(only[0], block=True)
        found = code_block(self.md, el.text or "") if not len(el) else None
        if found:
            return self.code(*found)
        text = self.inlines(el).strip()
        # A paragraph beginning "3." would become a numbered item; escape the dot.
        return _ENUM_START.sub(r"\1\\.", text)

    def block_div(self, el):
        if is_math(el):
            return "#display-math($ " + self.formula(el, True) + " $)"
        return self.blocks(el)

    def block_ul(self, el):
        items = ", ".join(f"[{self.blocks(li)}]" for li in el if li.tag == "li")
        return f"#list({items})"

    def block_ol(self, el):
        start = int(el.get("start", "1"))
        items = ", ".join(f"[{self.blocks(li)}]" for li in el if li.tag == "li")
        return f"#enum(start: {start}, {items})"

    def block_blockquote(self, el):
        return f"#aside[{self.blocks(el)}]"

    def block_hr(self, el):
        return "#rule()"

    def block_pre(self, el):
        code = el.find("code")
        return self.code("text", "".join((code if code is not None else el).itertext()))

    def block_table(self, el):
        rows = [tr for part in el for tr in (part if part.tag in ("thead", "tbody") else [part]) if tr.tag == "tr"]
        if not rows:
            return ""
        head = [tr for part in el if part.tag == "thead" for tr in part]
        columns = max(len(tr) for tr in rows)
        aligns = [_cell_align(cell) for cell in rows[0]] + ["left"] * (columns - len(rows[0]))
        parts = [f"columns: {columns}", "align: (" + ", ".join(aligns) + ",)"]
        if head:
            cells = ", ".join(f"[{self.inlines(c)}]" for tr in head for c in tr)
            parts.append(f"table.header({cells})")
        for tr in rows:
            if tr in head:
                continue
            parts.extend(f"[{self.inlines(c)}]" for c in tr)
        return "#lesson-table(" + ", ".join(parts) + ")"

    # -- inlines --------------------------------------------------------------------------------
    def inline_text(self, text: str | None) -> str:
        if not text:
            return ""
        if _PLACEHOLDER.search(text):
            raise ExportError("the PDF writer found raw HTML or a code block inside a paragraph; "
                              "put fenced code on its own lines")
        return escape_text(text.replace("\n", " "))

    def inlines(self, el: ET.Element) -> str:
        out = [self.inline_text(el.text)]
        for child in el:
            out.append(self.inline(child))
            out.append(self.inline_text(child.tail))
        return "".join(out)

    def inline(self, el: ET.Element) -> str:
        tag = el.tag
        if is_math(el):
            return "$" + self.formula(el, False) + "$"
        if tag == "strong":
            return f"#strong[{self.inlines(el)}];"
        if tag == "em":
            return f"#emph[{self.inlines(el)}];"
        if tag == "code":
            return f"#raw({typst_string(''.join(el.itertext()))});"
        if tag == "a":
            return f"#link({typst_string(el.get('href', ''))})[{self.inlines(el)}];"
        if tag == "br":
            return " \\\n"
        if tag == "img":
            return self.figure(el, block=False)
        if tag == "span":
            return self.inlines(el)
        raise ExportError(f"the PDF writer has no rule for the Markdown element <{tag}>")

    def figure(self, el: ET.Element, *, block: bool) -> str:
        key = self.figure_input(el.get("src", ""))
        alt = typst_string(el.get("alt", ""))
        call = f"lesson-figure({typst_string(key)}, alt: {alt}, block: {'true' if block else 'false'})"
        return "#" + call + ("" if block else ";")


_INLINE_TAGS = {"strong", "em", "code", "a", "br", "img", "span"}


def _cell_align(cell: ET.Element) -> str:
    style = cell.get("style", "")
    for word in ("right", "center", "left"):
        if f"text-align: {word}" in style:
            return word
    return "left"


def figure_keys(figures: Mapping[str, str]) -> dict[str, str]:
    """Stable sys.inputs keys for the figures: by sorted name, so equal input gives equal PDF."""
    return {name: f"figure-{i}" for i, name in enumerate(sorted(figures))}
