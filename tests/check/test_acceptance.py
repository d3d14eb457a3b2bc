"""The issue's acceptance: the seed handout's known mistakes, and a corpus of handouts with injected ones."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from explainer.check import check_file

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEED = REPO.parent / "shared" / "seed" / "gradient-descent-numpy.zh.md"
CORPUS = HERE / "corpus"
HANDOUTS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".md", ".tex"))


@pytest.mark.skipif(not SEED.exists(), reason="shared/seed is not beside the repository")
def test_seed_reports_exactly_its_known_mistakes():
    report = check_file(SEED)
    got = [(f.line, f.kind, f.found, f.expected) for f in report.findings]
    assert got == [
        (150, "arithmetic", "(-7.4)", "-6.8"),
        (150, "arithmetic", "(-16.1)", "-15.3"),
        (150, "arithmetic", "(-28.8)", "-27.2"),
        (152, "arithmetic", "[-53.999]", "-51"),
        (160, "inconsistent", "(-25.5)", "-27.0"),
    ]
    assert report.lang == "zh" and report.skipped == 0 and report.checked >= 20
    by_line = {f.line: f for f in report.findings}
    assert "(-6.8) + (-15.3) + (-27.2)" in by_line[150].corrected
    assert by_line[152].corrected.endswith("[-51] = -25.5$$")
    assert "-54" in by_line[152].message  # the sum of the terms as written, beside the right value
    assert "152" in by_line[160].message  # the update line points at the line to fix


def test_corpus_is_large_and_mixed():
    assert len(HANDOUTS) >= 12
    assert {p.name[:2] for p in HANDOUTS} == {"en", "zh"}
    assert any(p.suffix == ".tex" for p in HANDOUTS)
    expectations = [json.loads(p.with_suffix(".expected.json").read_text()) for p in HANDOUTS]
    kinds = {f["kind"] for e in expectations for f in e["findings"]}
    assert kinds >= {"arithmetic", "rounding", "inconsistent", "symbolic"}
    assert sum(1 for e in expectations if not e["findings"]) >= 6


@pytest.mark.parametrize("path", HANDOUTS, ids=lambda p: p.name)
def test_corpus_handout(path):
    expected = json.loads(path.with_suffix(".expected.json").read_text())
    report = check_file(path, strict=expected.get("strict", False))
    want = Counter((f["line"], f["kind"]) for f in expected["findings"])
    got = Counter((f.line, f.kind) for f in report.findings)
    missed, extra = want - got, got - want
    assert not missed, f"injected errors not found: {sorted(missed)}"
    assert not extra, f"false alarms: {[(f.line, f.kind, f.message) for f in report.findings if (f.line, f.kind) in extra]}"
    for f in report.findings:
        assert f.message and f.found
        if f.kind != "symbolic":
            assert f.expected


def corpus_figures() -> dict:
    """Recall and false positives over the corpus (printed into CHECK_NOTES.md by hand)."""
    injected = found = false = 0
    for path in HANDOUTS:
        expected = json.loads(path.with_suffix(".expected.json").read_text())
        report = check_file(path, strict=expected.get("strict", False))
        want = Counter((f["line"], f["kind"]) for f in expected["findings"] if "injected" in f)
        allowed = Counter((f["line"], f["kind"]) for f in expected["findings"])
        got = Counter((f.line, f.kind) for f in report.findings)
        injected += sum(want.values())
        found += sum((want & got).values())
        false += sum((got - allowed).values())
    return {"files": len(HANDOUTS), "injected": injected, "found": found, "false_positives": false}


if __name__ == "__main__":
    print(corpus_figures())
