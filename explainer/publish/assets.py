"""Templates and stylesheets of the publishers, read from the package so a wheel works like a checkout."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def read_template(*parts: str) -> str:
    from explainer.resources import templates_dir

    return templates_dir().joinpath(*parts).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def jinja_environment(autoescape: bool):
    """Templates by path relative to the package's templates folder (e.g. "html/page.html.j2")."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: read_template(*name.split("/"))),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
