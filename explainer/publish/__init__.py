"""Publishing: the generated Markdown as a self-contained HTML page and a typeset PDF.

    to_html(markdown, title=, lang=, figures=, labels=) -> str     explainer.publish.html
    to_pdf(markdown, title=, lang=, figures=, labels=) -> bytes    explainer.publish.pdf
    pdf_available() -> None | reason                               explainer.publish.pdf

Both read the Markdown with one parser (markdown_tree) so they cannot disagree on what it says.
The heavy libraries (latex2mathml, fontTools, typst) are imported inside the functions that use
them: `explainer build --format md` must not pay for the PDF.
"""
from __future__ import annotations


def to_html(*args, **kwargs) -> str:
    from explainer.publish.html import to_html as _to_html

    return _to_html(*args, **kwargs)


def to_pdf(*args, **kwargs) -> bytes:
    from explainer.publish.pdf import to_pdf as _to_pdf

    return _to_pdf(*args, **kwargs)


def pdf_available() -> str | None:
    from explainer.publish.pdf import pdf_available as _pdf_available

    return _pdf_available()
