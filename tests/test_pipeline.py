"""The whole pipeline on real lessons: golden files, self-check, and the trace file."""
import json

import pytest

import explainer
from explainer.check import check_text
from explainer.gallery import shipped_lessons
from conftest import REPO

OUTPUT = REPO / "output"


@pytest.fixture(scope="module")
def seed_docs():
    return {lang: explainer.build(lang=lang) for lang in ("en", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_fresh_build_reproduces_the_gallery_byte_for_byte(seed_docs, lang):
    doc = seed_docs[lang]
    files, problems = explainer.outputs(doc, ("md", "html"))
    for name in (f"seed.{lang}.md", f"seed.{lang}.html", f"seed.{lang}.json", f"seed.{lang}.loss.svg"):
        assert files[name] == (OUTPUT / name).read_bytes(), f"{name} differs from output/; run `explainer gallery`"


def test_the_seed_document_shows_the_seed_numbers(seed_docs):
    md = seed_docs["en"].markdown
    for text in ("[0.3, 0.6, 0.9, 1.2]", r"\left(2.89 + 11.56 + 26.01 + 46.24\right)", "&= 21.675",
                 r"\left(-3.4 + \left(-13.6\right) + \left(-30.6\right) + \left(-54.4\right)\right)",
                 "&= -25.5", r"0.3 - 0.01 \times \left(-25.5\right)", "&= 0.555",
                 "| 19 | 1.909 |", "Prediction after training: f(5) = 9.612"):
        assert text in md
    assert "## 第 2 次迭代" in seed_docs["zh"].markdown


def test_the_trace_file(seed_docs):
    trace = seed_docs["en"].trace
    assert trace["parameters"] == ["w"]
    first, second = trace["epochs"][:2]
    assert first == {"epoch": 1, "params": {"w": 0.0}, "loss": 30.0, "gradient": {"w": -30.0}, "params_after": {"w": 0.3}}
    assert second["loss"] == pytest.approx(21.675) and second["params_after"]["w"] == pytest.approx(0.555)
    assert len(trace["epochs"]) == 20
    assert trace["predictions"]["before"] == {"5": 0.0}
    assert round(trace["predictions"]["after"]["5"], 3) == 9.612
    json.dumps(trace)  # plain JSON types only


@pytest.mark.parametrize("path", shipped_lessons(), ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_shipped_lesson_passes_the_checker_in_both_languages(path, lang):
    doc = explainer.build(path, lang=lang, figures=False)
    report = check_text(doc.markdown, lang=lang)
    assert report.findings == ()
    assert report.checked >= 20


def test_a_wrong_number_in_a_rendered_document_is_named(seed_docs):
    md = seed_docs["en"].markdown.replace("&= -25.5", "&= -27")
    report = check_text(md, strict=True)
    line = md.splitlines().index(r" &= -27") + 1
    assert [f.line for f in report.findings][:1] == [line]
    assert "-25.5" in (report.findings[0].expected or "")


def test_a_wrong_substitution_in_a_rendered_document_is_named(seed_docs):
    md = seed_docs["en"].markdown.replace(r"0.3 - 0.01 \times \left(-25.5\right)", r"0.3 - 0.01 \times \left(-27\right)")
    report = check_text(md, strict=True)
    assert report.findings, "a substituted gradient that differs from the derived one must be reported"
    assert any(f.kind == "inconsistent" for f in report.findings)


@pytest.mark.parametrize("lang, headings", [("en", ["Epoch 2", "Deriving the gradient"]), ("zh", ["第 2 次迭代", "推导梯度"])])
def test_the_gallery_pdf_holds_the_seed_numbers(tmp_path, lang, headings):
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = OUTPUT / f"seed.{lang}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for fragment in ["21.675", "0.555", *headings]:
        assert fragment in text, fragment
    assert "−25.5" in text or "-25.5" in text
