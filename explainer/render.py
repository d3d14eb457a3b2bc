"""Jinja rendering: one environment factory, filters that turn finished LaTeX into math blocks.

Templates hold prose structure and never math; formulas arrive as finished LaTeX through the
``math`` and ``inline`` filters. Words come from the language's catalog through ``t(key, …)``.
The search path is ordered like mkdocs' theme dirs: a teacher's folder first, then the language's
overrides, then the shared templates, so a teacher can replace one block or a whole document.
"""
from __future__ import annotations

from pathlib import Path

from .catalog import catalog
from .errors import TemplateError
from .resources import templates_dir
from .steps import Binding, Chain


def math_block(chain: Chain, tags: bool = False) -> str:
    """``$$\\begin{aligned} lhs &= a \\\\ &= b \\end{aligned}$$`` (a single row stays unaligned)."""
    rows = chain.rows
    if len(rows) == 1:
        r = rows[0]
        return f"$${r.lhs} {r.rel} {r.rhs}$$"
    lines = []
    for k, r in enumerate(rows, start=1):
        tag = rf" && \text{{({k - 1})}}" if tags and k > 1 else ""
        lines.append(f"{r.lhs} &{r.rel} {r.rhs}{tag}")
    body = " \\\\\n".join(lines)
    return "$$\\begin{aligned}\n" + body + "\n\\end{aligned}$$"


def inline(binding: Binding) -> str:
    """``$w = 0.3$`` (or the worksheet's blank in place of the value)."""
    value = binding.node.latex() if binding.node is not None else binding.value.text
    return f"${binding.tex} {binding.value.rel} {value}$"


def template_dirs(kind: str, lang: str, teacher_dir: str | Path | None = None) -> list[str]:
    base = templates_dir()
    dirs = [str(base / kind / lang), str(base / kind)]
    if teacher_dir is not None:
        dirs.insert(0, str(Path(teacher_dir)))
    return dirs


def environment(kind: str, lang: str, teacher_dir: str | Path | None = None, *, autoescape: bool = False):
    """The one Jinja environment: StrictUndefined, sandboxed, the catalog as ``t``."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(template_dirs(kind, lang, teacher_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = catalog(lang, "document")
    env.filters["math"] = math_block
    env.filters["inline"] = inline
    return env


def render(template: str, context: dict, *, kind: str, lang: str, teacher_dir=None, autoescape=False) -> str:
    """Render ``template`` and turn any Jinja failure into a TemplateError naming file and line."""
    import jinja2

    env = environment(kind, lang, teacher_dir, autoescape=autoescape)
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found in {', '.join(template_dirs(kind, lang, teacher_dir))}") from None
    except (jinja2.UndefinedError, jinja2.exceptions.SecurityError, KeyError, TypeError) as exc:
        raise TemplateError(f"{_template_location(exc)}: {exc}") from None


def _template_location(exc: BaseException) -> str:
    """The template file and line where rendering failed, read from the traceback Jinja rewrote."""
    tb = exc.__traceback__
    where = "template"
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2") or "/templates/" in name:
            where = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where
