"""The PDF: typeset by Typst, Chinese in the embedded CJK font, reproducible, clear when unavailable."""
import builtins
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explainer.errors import ExportError
from explainer.publish import pdf as pdfmod
from explainer.publish.markdown_tree import parse
from explainer.publish.typst_markup import TypstPrinter, escape_text

FIXTURES = Path(__file__).parent / "fixtures" / "publish"
REPO = Path(__file__).resolve().parents[1]
SEED = next((p for p in [REPO.parent / "shared" / "seed" / "gradient-descent-numpy.zh.md",
                         Path("/work/shared/seed/gradient-descent-numpy.zh.md")] if p.is_file()), None)
FIGURE = ('<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt" viewBox="0 0 100 50">'
          '<rect width="100" height="50" fill="#2b5fab"/></svg>')

needs_typst = pytest.mark.skipif(pdfmod.pdf_available() is not None, reason="typst not installed")
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def build(name: str, lang: str) -> bytes:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return pdfmod.to_pdf(text, title="Lesson 课", lang=lang, figures={"seed.loss.svg": FIGURE, "linear.loss.svg": FIGURE},
                         labels={"contents": "Contents" if lang == "en" else "目录"})


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


@pytest.fixture(scope="module")
def zh_pdf():
    return build("worksheet.zh.md", "zh")


@needs_typst
def test_pdf_is_deterministic_and_dated(zh_pdf):
    assert zh_pdf.startswith(b"%PDF-")
    assert build("worksheet.zh.md", "zh") == zh_pdf
    assert b"D:20240101" in zh_pdf


@needs_typst
def test_cjk_font_is_embedded_and_system_fonts_ignored(zh_pdf):
    names = set(re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-]+)", zh_pdf))
    assert any(b"NotoSansCJK" in n for n in names), names
    assert all(re.match(rb"[A-Z]{6}\+", n) for n in names), names  # every font subset-embedded
    assert not any(b"DejaVuSans-" in n or b"Liberation" in n for n in names)


@needs_typst
@needs_pdftotext
def test_zh_text_numbers_and_headings(zh_pdf, tmp_path):
    text = pdf_text(zh_pdf, tmp_path)
    for fragment in ("梯度下降练习", "第 2 轮迭代", "第 3 轮迭代", "前向传播", "21.675", "0.555", "目录", "提示"):
        assert fragment in text, fragment
    assert "−25.5" in text or "-25.5" in text
    assert "$" not in text


@needs_typst
@needs_pdftotext
@pytest.mark.skipif(SEED is None, reason="shared seed lesson not present")
def test_seed_lesson(tmp_path):
    data = pdfmod.to_pdf(SEED.read_text(encoding="utf-8"), title="使用Numpy手工模拟梯度下降算法", lang="zh",
                         figures={}, labels={"contents": "目录"})
    text = pdf_text(data, tmp_path)
    for fragment in ("21.675", "0.555", "代码步骤详细解释", "第二次迭代的起点", "梯度计算", "def gradient(x, y, y_pred):"):
        assert fragment in text, fragment
    assert "−25.5" in text or "-25.5" in text


@needs_typst
@needs_pdftotext
def test_english_lesson_with_long_rows(tmp_path):
    text = pdf_text(build("long-chains.en.md", "en"), tmp_path)
    assert "Thirty updates in one chain" in text and "18.27875" in text
    # the eight-term loss was cut: its last term starts a line of its own, at full size
    assert re.search(r"^\s*\+\s*\(0\.3 × 3\.5", text, re.M)


def test_missing_typst_names_the_package(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "typst" or name.startswith("typst."):
            raise ImportError("No module named 'typst'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "typst", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    reason = pdfmod.pdf_available()
    assert reason is not None and 'pip install "explainer[pdf]"' in reason
    with pytest.raises(ExportError, match=r'pip install "explainer\[pdf\]"'):
        pdfmod.to_pdf("# T\n", title="T", lang="en", figures={})


@needs_typst
def test_bad_formula_is_named():
    with pytest.raises(ExportError, match=r"Big"):
        pdfmod.to_pdf("# T\n\n$$a \\Big| b$$\n", title="T", lang="en", figures={})


@needs_typst
def test_missing_figure_is_an_error():
    with pytest.raises(ExportError, match="gone.svg"):
        pdfmod.to_pdf("![x](gone.svg)\n", title="T", lang="en", figures={})


def markup(markdown_text: str) -> str:
    md, root = parse(markdown_text)
    return TypstPrinter(md, math=pdfmod.latex_to_typst, figure_input=lambda src: "figure-0").document(root)


def test_text_is_escaped_for_typst():
    assert escape_text("#set $5 *a* _b_ <x> @y // [z] ~ 1-2") == \
        r"\#set \$5 \*a\* \_b\_ \<x\> \@y \/\/ \[z\] \~ 1\-2"
    out = markup("Cost #1 is $x$ and *emph* here\n\n3. not a list start? yes it is\n")
    assert r"Cost \#1 is $x$ and #emph[emph]; here" in out
    assert "#enum(start: 3," in out


def test_structure_is_printed_with_function_calls():
    out = markup("- a $w$\n- b\n\n> quote\n\n| a | b |\n|:-|-:|\n| 1 | $2$ |\n\n```python\nx = '#'\n```\n\n![alt](f.svg)\n")
    assert "#list([a $w$], [b])" in out
    assert "#aside[quote]" in out
    assert "#lesson-table(columns: 2, align: (left, right,), table.header([a], [b]), [1], [$2$])" in out
    assert '#raw(block: true, lang: "python", "x = \'#\'")' in out
    assert '#lesson-figure("figure-0", alt: "alt", block: true)' in out


def test_worksheet_blank_and_aligned_math():
    out = markup("$$\\begin{aligned} J &= \\underline{\\qquad} \\\\ w &\\approx 0.5 \\end{aligned}$$\n")
    assert out == "#display-math($ J &= #blank \\ w & approx 0.5 $)"
