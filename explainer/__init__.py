"""explainer: gradient-descent lessons as step-by-step worked examples in which every number is checked.

    >>> import explainer
    >>> doc = explainer.build()            # the built-in seed lesson, verified
    >>> doc.markdown                       # Markdown with $…$ math; displays in a notebook
    >>> explainer.check_text(doc.markdown).findings   # the same checker audits any handout

Heavy libraries (SymPy, NumPy, matplotlib, Typst) are imported only by the stage that needs them.
"""
from .pipeline import Document, build, outputs, write
from .errors import ExplainerError
from .spec import load


def check_text(text: str, **options):
    """Audit the arithmetic of a Markdown or LaTeX text (see :func:`explainer.check.check_text`)."""
    from .check import check_text as _check_text

    return _check_text(text, **options)


__all__ = ["Document", "ExplainerError", "build", "check_text", "load", "outputs", "write"]
