"""The pipeline, read top to bottom: spec → derivation → trace → page → Markdown → check → files.

``build`` returns a :class:`Document` only after the checker has re-read the rendered Markdown and
found nothing wrong, so no unchecked number can reach a file. ``write`` produces every requested
format in memory first and then moves the files into place, so a failure leaves no partial file.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import derive, document, spec, trace
from .catalog import LANGUAGES
from .errors import CheckFailed, ExplainerError, ExportError
from .render import render
from .steps import Sheet

FORMATS = ("md", "html", "pdf")


@dataclass(frozen=True)
class Document:
    """A built, verified lesson document; ``markdown`` displays in a notebook as-is."""

    lesson: spec.Lesson
    lang: str
    markdown: str
    trace: dict
    figures: dict = field(default_factory=dict)
    checked: int = 0
    worksheet: str | None = None  # the student's copy: chosen numbers left blank
    answer_key: str | None = None  # the same page with the answers underlined where the blanks are

    @property
    def name(self) -> str:
        return f"{self.lesson.name}.{self.lang}"

    def _repr_markdown_(self) -> str:
        return self.markdown


def _lesson(source) -> spec.Lesson:
    if isinstance(source, spec.Lesson):
        return source
    if isinstance(source, dict):
        return spec.from_dict(source)
    return spec.load(source)


def build(source=None, *, lang: str | None = None, templates: str | Path | None = None,
          figures: bool = True, worksheet: bool = False, painter=None, formats: tuple[str, ...] = ()) -> Document:
    """Build and verify the document of a lesson (a path, a parsed dict, a Lesson, or the default).

    With ``worksheet``, the same computation is also rendered as a worksheet (blanks) and its answer
    key (the answers underlined where the blanks are): one trace, so they cannot disagree.
    ``painter`` (a :class:`explainer.figures.Painter`) draws the pictures in parallel; ``formats``, the
    formats about to be written, lets the HTML's math and fonts be set meanwhile.
    """
    lesson = _lesson(source)
    lang = lang or lesson.language
    if lang not in LANGUAGES:
        raise ExplainerError(f"--lang: expected one of {', '.join(LANGUAGES)}, found {lang!r}")
    derivation = derive.derive(lesson)
    keep = frozenset(lesson.document.detailed)
    run = trace.descend(lesson, derivation, keep_batches=keep)
    page = document.assemble(lesson, derivation, run, lang)
    from . import figures as pictures_of

    planned = pictures_of.planned(lesson, run, page, lang) if figures else []
    if figures:
        painter = painter or pictures_of.Painter(parallel=False)
        painter.submit(lesson, pictures_of.loss_source(lesson, derivation), run, page, lang)
    name = f"{lesson.name}.{lang}"

    def markdown_of(page, mode: str) -> tuple[str, int]:
        text = render("lesson.md.j2", {"page": page, "figures": planned if mode == "lesson" else [],
                                       "mode": mode}, kind="md", lang=lang, teacher_dir=templates)
        return text, verify(text, f"{name}.md" if mode == "lesson" else f"{name}.{mode}.md", lang)

    markdown, checked = markdown_of(page, "lesson")
    sheets = {}
    if worksheet:
        w = lesson.worksheet
        for mode, reveal in (("worksheet", False), ("key", True)):
            sheet = Sheet(w.epochs, frozenset(w.quantities), w.fraction, w.seed, reveal)
            sheets[mode] = markdown_of(document.with_sheet(page, lesson, derivation, run, sheet), mode)[0]
    if figures and painter.parallel and "html" in formats:
        # while the other process draws: set the math and the font subset (cached for the real page)
        from .publish.html import to_html

        to_html(markdown, title=lesson.title_in(lang), lang=lang, figures={n: "<svg></svg>" for n in planned},
                labels=_labels(lang))
    pictures = painter.result() if figures else {}
    return Document(lesson, lang, markdown, trace_json(lesson, run, page), pictures, checked,
                    sheets.get("worksheet"), sheets.get("key"))


def verify(markdown: str, name: str, lang: str) -> int:
    """Re-read the rendered Markdown with the checker; any finding stops the build."""
    from .check import check_text

    report = check_text(markdown, name=name, lang=lang, strict=True)
    if report.findings:
        raise CheckFailed(list(report.findings), where=name)
    return report.checked


def trace_json(lesson: spec.Lesson, run: trace.Trace, page: document.Page) -> dict:
    def floats(d: dict) -> dict:
        return {k: float(v) for k, v in d.items()}

    return {
        "title": page.title,
        "parameters": list(lesson.parameter_names),
        "learning_rate": float(lesson.learning_rate),
        "diverged_at": run.diverged_at,
        "epochs": [
            {
                "epoch": r.epoch,
                "params": floats(r.params),
                "loss": r.loss,
                "gradient": floats(r.gradient),
                "params_after": floats(r.params_after),
            }
            for r in run.epochs
        ],
        "predictions": {
            "before": {p.point: float(p.value.value) for p in page.predictions_before},
            "after": {p.point: float(p.value.value) for p in page.predictions_after},
        },
    }


def outputs(doc: Document, formats: tuple[str, ...]) -> tuple[dict[str, bytes], list[str]]:
    """Every file's bytes, in memory; a format that fails is left out and its reason returned."""
    files: dict[str, bytes] = {
        f"{doc.name}.json": (json.dumps(doc.trace, indent=2, ensure_ascii=False) + "\n").encode(),
    }
    problems: list[str] = []
    labels = _labels(doc.lang)
    title = doc.lesson.title_in(doc.lang)
    texts = {doc.name: (doc.markdown, title)}
    if doc.worksheet is not None:
        texts[f"{doc.name}.worksheet"] = (doc.worksheet, f"{title} — {_word(doc.lang, 'worksheet')}")
        texts[f"{doc.name}.key"] = (doc.answer_key, f"{title} — {_word(doc.lang, 'answer_key')}")
    if "md" in formats:
        files.update({f"{stem}.md": text.encode() for stem, (text, _) in texts.items()})
        files.update({name: svg.encode() for name, svg in doc.figures.items()})
    if "html" in formats:
        from .publish.html import to_html

        for stem, (text, title) in texts.items():
            files[f"{stem}.html"] = to_html(text, title=title, lang=doc.lang, figures=doc.figures, labels=labels).encode()
    if "pdf" in formats:
        try:
            from .publish.pdf import to_pdf

            for stem, (text, title) in texts.items():
                files[f"{stem}.pdf"] = to_pdf(text, title=title, lang=doc.lang, figures=doc.figures, labels=labels)
        except ExportError as exc:
            problems.append(str(exc))
    return files, problems


def _labels(lang: str) -> dict[str, str]:
    """The page chrome's words; the same for the warm-up page and the real one, so its caches hit."""
    return {"contents": _word(lang, "contents")}


def _word(lang: str, key: str) -> str:
    from .catalog import catalog

    return catalog(lang, "page")(key)


def write(files: dict[str, bytes], out: str | Path) -> list[Path]:
    """Move every file into ``out`` only once all of them exist: each via a temporary and a rename."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            fd, tmp = tempfile.mkstemp(prefix=".explainer-", dir=out)
            staged.append((tmp, out / name))  # before writing, so a failed write is cleaned up too
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
    except OSError:
        for tmp, _ in staged:
            os.unlink(tmp)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)
        os.chmod(final, 0o644)
    return [final for _, final in staged]


def available_formats() -> tuple[str, ...]:
    """The formats this installation can make: PDF only with the optional typst package."""
    from .publish.pdf import pdf_available

    return FORMATS if pdf_available() is None else ("md", "html")


__all__ = ["Document", "build", "write", "outputs", "available_formats", "FORMATS", "ExplainerError", "ExportError"]
