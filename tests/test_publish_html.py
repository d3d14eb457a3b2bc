"""The HTML page: self-contained, all math as MathML, escaped, byte-for-byte reproducible."""
import base64
import html as htmllib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from explainer.errors import ExportError
from explainer.publish import linebreak
from explainer.publish.html import latex_to_mathml, to_html

FIXTURES = Path(__file__).parent / "fixtures" / "publish"
REPO = Path(__file__).resolve().parents[1]
SEED_CANDIDATES = [REPO.parent / "shared" / "seed" / "gradient-descent-numpy.zh.md",
                   Path("/work/shared/seed/gradient-descent-numpy.zh.md")]
SEED = next((p for p in SEED_CANDIDATES if p.is_file()), None)

FIGURE = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="100pt" height="50pt" viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg">
 <defs><clipPath id="c1"><rect width="100" height="50"/></clipPath><path id="g-30" d="M 0 0 L 5 5"/></defs>
 <g clip-path="url(#c1)"><use xlink:href="#g-30"/></g>
</svg>"""
FIGURES = {"linear.loss.svg": FIGURE, "seed.loss.svg": FIGURE}


def render(name: str, lang: str, **kw) -> str:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    labels = {"contents": "Contents" if lang == "en" else "目录"}
    return to_html(text, title=kw.pop("title", "Lesson"), lang=lang, figures=kw.pop("figures", FIGURES), labels=labels)


@pytest.fixture(scope="module")
def pages():
    out = {name: render(name, name.split(".")[-2]) for name in
           ("linear-1d.en.md", "long-chains.en.md", "worksheet.zh.md")}
    if SEED:
        out["seed"] = to_html(SEED.read_text(encoding="utf-8"), title="使用Numpy手工模拟梯度下降算法",
                              lang="zh", figures={}, labels={"contents": "目录"})
    return out


def visible_text(page: str) -> str:
    body = re.sub(r"<pre.*?</pre>|<style.*?</style>|<math.*?</math>|<svg.*?</svg>", " ", page, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", body))


def test_nothing_is_loaded_from_anywhere(pages):
    for name, page in pages.items():
        assert "http://" not in page and "https://" not in page, name
        assert not re.search(r"<script[^>]*\bsrc|<link\b|@import|<iframe|<img\b", page), name
        for url in re.findall(r'(?:src|href)="([^"]*)"', page):
            assert url.startswith(("#", "data:")), (name, url)


def test_no_raw_dollar_math_left(pages):
    for name, page in pages.items():
        assert "$" not in visible_text(page), name
        assert 'class="arithmatex"' not in page


def test_every_formula_became_mathml(pages):
    source = (FIXTURES / "linear-1d.en.md").read_text(encoding="utf-8")
    display = source.count("$$") // 2
    inline = source.replace("$$", "").count("$") // 2
    page = pages["linear-1d.en.md"]
    assert page.count("<math") == display + inline
    assert page.count('<math display="block"') == display
    assert "<mtable" in page and 'columnalign="left"' in page  # aligned chains became tables
    assert "\\frac" not in visible_text(page)


def test_title_and_markdown_html_are_escaped():
    page = to_html("# <script>alert(1)</script> & co\n\nText <b onclick=x>bold</b>\n", title='<script>x</script> "q"',
                   lang="en", figures={})
    assert "<script" not in page
    assert "<title>&lt;script&gt;x&lt;/script&gt; &#34;q&#34;</title>" in page
    assert "&lt;b onclick=x&gt;" in page


def test_title_used_when_markdown_has_no_heading():
    page = to_html("Just text.\n", title="A & B", lang="en", figures={})
    assert "<h1>A &amp; B</h1>" in page


def test_same_input_same_bytes_across_processes(pages):
    again = render("worksheet.zh.md", "zh")
    assert again == pages["worksheet.zh.md"]
    # the tests folder, not the repository, on the path: the package must be the installed one
    code = ("import sys; sys.path.insert(0, %r); from test_publish_html import render; "
            "sys.stdout.write(render('worksheet.zh.md', 'zh'))") % str(Path(__file__).parent)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=Path(__file__).parent,
                         check=True).stdout.decode("utf-8")
    assert out == pages["worksheet.zh.md"]


def test_chinese_subset_embedded_for_zh_only(pages):
    from fontTools.ttLib import TTFont

    zh = pages["worksheet.zh.md"]
    data = re.search(r'url\("data:font/woff;base64,([^"]+)"\)', zh).group(1)
    cmap = TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
    for char in "梯度下降练习第轮迭代损失目录":
        assert ord(char) in cmap, char
    assert len(data) < 200_000
    assert "@font-face" not in pages["linear-1d.en.md"]
    assert 'lang="zh-CN"' in zh and "目录" in zh


def test_worksheet_blank_is_a_bordered_space(pages):
    assert pages["worksheet.zh.md"].count('<mspace class="blank"') == 2
    assert "&#x02015;" not in pages["worksheet.zh.md"]


def test_figures_are_inlined_with_private_ids(pages):
    page = pages["linear-1d.en.md"]
    assert "<figure><svg" in page and 'aria-label="Loss per epoch"' in page
    assert 'id="f0-c1"' in page and 'url(#f0-c1)' in page and 'xlink:href="#f0-g-30"' in page
    assert 'id="c1"' not in page


def test_missing_figure_is_an_error():
    with pytest.raises(ExportError, match="nothing.svg"):
        to_html("![x](nothing.svg)\n", title="t", lang="en", figures={})


def test_figure_with_external_reference_is_refused():
    bad = '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.org/x.png"/></svg>'
    with pytest.raises(ExportError, match="self-contained"):
        to_html("![x](a.svg)\n", title="t", lang="en", figures={"a.svg": bad})


def test_contents_lists_the_iterations(pages):
    page = pages["linear-1d.en.md"]
    nav = re.search(r'<nav class="contents".*?</nav>', page, re.S).group(0)
    assert ">Contents<" in nav and 'href="#epoch-2"' in nav and 'id="epoch-2"' in page


def test_ordered_list_keeps_its_start_number(pages):
    # "3. **Gradient**:" follows a display formula: the list resumes at 3, not 1
    assert '<ol start="3">' in pages["linear-1d.en.md"]


def test_sign_after_relation_is_grouped():
    assert "<mrow><mo>&#x02212;</mo><mn>25.5</mn></mrow>" in latex_to_mathml(r"\frac{dL}{dw} = -25.5", False)
    assert "<mrow><mo>&#x02212;</mo><mn>2</mn></mrow>" in latex_to_mathml(r"(1 \times -2)", False)
    assert "<mrow><mo>&#x02212;</mo>" not in latex_to_mathml(r"w - 2", False)


def test_long_rows_are_cut_into_aligned_lines(pages):
    page = pages["long-chains.en.md"]
    # uncut there would be 35 rows (31-row chain, 4-row loss); the loss and gradient gain lines
    assert page.count("<mtr>") >= 35 + 3 + 4


SUM8 = r"J = \frac{1}{8}\left(" + " + ".join(f"(0.3 \\times {x} + 0.1 - {y})^{{2}}" for x, y in
                                              zip(range(1, 9), range(11, 19))) + r"\right)"


def strip_layout(latex: str) -> str:
    for junk in (r"\begin{aligned}", r"\end{aligned}", r"\left.", r"\right.", r"\qquad", r"\left", r"\right", "{}", "\\\\", "&"):
        latex = latex.replace(junk, "")
    return re.sub(r"\s+", "", latex)


def test_linebreak_keeps_every_symbol_and_fits():
    broken = linebreak.break_long_rows(SUM8, 60)
    assert broken.startswith(r"\begin{aligned} J &= ")
    assert strip_layout(broken) == strip_layout(SUM8)
    rows = linebreak.rows(broken)
    assert len(rows) >= 3
    assert all(linebreak.width(r) <= 60 + 4 for r in rows)  # + the \qquad of a continuation
    assert broken.count(r"\right.") == broken.count(r"\left.") == len(rows) - 1


def test_linebreak_leaves_short_formulas_alone():
    for latex in (r"w = 0.3 - 0.01 \times (-25.5) = 0.555", r"\begin{aligned} a &= b \\ &= c \end{aligned}"):
        assert linebreak.break_long_rows(latex, 60) == latex


def test_linebreak_turns_plain_brackets_into_sized_halves():
    row = r"g = 2 \times [" + " + ".join(f"{k} \\times ({k} - 8)" for k in range(1, 12)) + "]"
    broken = linebreak.break_long_rows(row, 50)
    assert r"\left[" in broken and r"\right]" in broken
    assert strip_layout(broken) == strip_layout(row)


@pytest.mark.skipif(SEED is None, reason="shared seed lesson not present")
def test_seed_renders_its_numbers(pages):
    text = visible_text(pages["seed"])
    for heading in ("代码步骤详细解释", "第二次迭代的起点", "梯度计算"):
        assert heading in text
    page = pages["seed"]
    assert "<mn>21.675</mn>" in page and "<mn>0.555</mn>" in page and "<mn>25.5</mn>" in page
