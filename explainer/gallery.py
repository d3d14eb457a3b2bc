"""The gallery in output/: every shipped lesson, in every language, in every format, from one command.

Files are deterministic (no dates, no random ids), so a rebuilt gallery is byte-identical and a test
can compare them; the PDF carries a fixed creation date.
"""
from __future__ import annotations

from pathlib import Path

from .catalog import LANGUAGES
from .resources import lessons_dir


def shipped_lessons() -> list[Path]:
    return sorted(lessons_dir().glob("*.toml"))


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
