"""The gallery in output/: every shipped lesson, in every language, in every format, from one command.

Files are deterministic (no dates, no random ids), so a rebuilt gallery is byte-identical and a test
can compare them; the PDF carries a fixed creation date.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .catalog import LANGUAGES


def shipped_lessons() -> list[Path]:
    return sorted(Path(str(p)) for p in files("explainer.lessons").iterdir() if p.name.endswith(".toml"))


def build_gallery(out: str | Path, formats: tuple[str, ...], report=print) -> list[str]:
    """Build every shipped lesson in both languages; returns the problems (a missing PDF package…)."""
    from .pipeline import build, outputs, write

    problems: list[str] = []
    for path in shipped_lessons():
        for lang in LANGUAGES:
            doc = build(path, lang=lang)
            data, trouble = outputs(doc, formats)
            write(data, out)
            problems += [p for p in trouble if p not in problems]
            report(f"{doc.name}: {', '.join(sorted(data))}")
    return problems
