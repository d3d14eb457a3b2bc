"""The page as a browser lays it out: every formula has a size, chains line up, nothing overflows.

Headless Chromium loads the page with a probe script appended; the probe writes its measurements
into document.title, and --dump-dom hands them back. Skipped where Chromium is not installed.
"""
import html as htmllib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from explainer.publish.html import to_html

FIXTURES = Path(__file__).parent / "fixtures" / "publish"
BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="Chromium not installed")

FIGURE = '<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt" viewBox="0 0 100 50"><rect width="100" height="50"/></svg>'

PROBE = """<script>
(() => {
  const box = el => el.getBoundingClientRect();
  const maths = [...document.querySelectorAll("math")];
  const zero = maths.filter(m => box(m).width < 1 || box(m).height < 1).length;
  let misaligned = 0, rows = 0;
  // aligned chains only (they carry columnspacing); a cases block aligns its columns left by design
  for (const table of document.querySelectorAll("mtable[columnspacing]")) {
    const lefts = [], rights = [];
    for (const tr of table.querySelectorAll(":scope > mtr")) {
      const cells = tr.querySelectorAll(":scope > mtd");
      if (cells.length < 2 || !cells[1].firstElementChild) continue;
      rows++;
      lefts.push(box(cells[1].firstElementChild).left);
      if (cells[0].lastElementChild) rights.push(box(cells[0].lastElementChild).right);
    }
    const spread = xs => xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
    if (spread(lefts) > 1 || spread(rights) > 1) misaligned++;
  }
  const overflowing = [...document.querySelectorAll(".math-display")]
    .filter(d => d.scrollWidth > d.clientWidth + 1).length;
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll("pre, script").forEach(e => e.remove());
  document.title = JSON.stringify({maths: maths.length, zero, rows, misaligned, overflowing,
                                   dollars: (clone.textContent.match(/\\$/g) || []).length});
})();
</script>
"""


def measure(page: str, tmp_path: Path, width: int = 1000) -> dict:
    path = tmp_path / "page.html"
    path.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    profile = tmp_path / "profile"
    out = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},2000",
         "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=60,
    ).stdout
    title = re.search(r"<title>(.*?)</title>", out, re.S)
    assert title, out[:500]
    return json.loads(htmllib.unescape(title.group(1)))


def render(name: str, lang: str) -> str:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return to_html(text, title="t", lang=lang, figures={"linear.loss.svg": FIGURE, "seed.loss.svg": FIGURE},
                   labels={"contents": "Contents"})


def test_math_is_laid_out_aligned_and_fits(tmp_path):
    page = render("long-chains.en.md", "en") + render("linear-1d.en.md", "en").split("<main>", 1)[1]
    result = measure(page, tmp_path)
    assert result["maths"] > 40
    assert result["zero"] == 0, result
    assert result["dollars"] == 0, result
    assert result["rows"] > 40 and result["misaligned"] == 0, result
    assert result["overflowing"] == 0, result  # long rows were cut to fit a laptop's column


def test_chinese_page_lays_out(tmp_path):
    result = measure(render("worksheet.zh.md", "zh"), tmp_path, width=420)
    assert result["maths"] > 10 and result["zero"] == 0 and result["dollars"] == 0, result


@pytest.mark.parametrize("name", ["seed.en.html", "seed.zh.html", "logistic.en.html", "huber.zh.html"])
def test_the_gallery_pages_lay_out(tmp_path, name):
    page = (Path(__file__).resolve().parents[1] / "output" / name).read_text(encoding="utf-8")
    result = measure(page, tmp_path)
    assert result["maths"] > 30 and result["zero"] == 0 and result["dollars"] == 0, result
    assert result["misaligned"] == 0, result
