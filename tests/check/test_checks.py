"""One fact per test: each kind of check passes on a right line and fails on a wrong one."""
from __future__ import annotations

import argparse
import json
import re
import tomllib
from pathlib import Path

import pytest

from explainer.check import check_text, command
from explainer.check.latex import ParseError, Parser, Spans, tokenize
from explainer.check.nodes import DocEvaluator

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GENERATED = HERE / "corpus" / "en-generated-style.md"


def kinds(text: str, **kw) -> list:
    return [(f.line, f.kind) for f in check_text(text, **kw).findings]


def parse(latex: str):
    return Parser(tokenize(latex), latex, Spans()).parse()


def value(latex: str, env=None):
    return DocEvaluator(env or {}).eval(parse(latex))


# --- reading ----------------------------------------------------------------------------------

@pytest.mark.parametrize("latex, expected", [
    (r"1 \times -2", -2),
    (r"\frac{1}{4} \times 2 \times [-2 -8 -18 -32]", -30),
    (r"\left(0.3 - 2\right)^{2}", "2.89"),
    (r"2 \cdot 3 / 4", "1.5"),
    (r"−1.5 × 2", -3),
    (r"\sqrt{16} + |{-3}|", 7),
    (r"\dfrac{1}{2}\left[(1 - 3)^2 + (2 - 3)^2\right]", "2.5"),
    (r"\sum_{i=1}^{3} i^2", 14),
    (r"e^{0} + \ln 1", 1),
])
def test_arithmetic_is_read_exactly(latex, expected):
    from fractions import Fraction

    assert value(latex) == Fraction(expected)


def test_names_are_kept_as_written():
    env = {"X": (1, 2), "x": (5, 6), "y_pred": 7, "hat(y)": (3, 4), "alpha": 2, "dJ/dw": 3, "∂J/∂w": 4}
    assert value(r"X_{2} + x_{1}", env) == 7
    assert value(r"y_{\text{pred}} + \hat{y}_{2}", env) == 11
    assert value(r"\alpha \frac{dJ}{dw} + \frac{\partial J}{\partial w}", env) == 10


@pytest.mark.parametrize("latex", [r"\int_0^1 x\,dx", r"x^{\top} w", r"1 + \cdots + n", r"\begin{cases} 1 \end{cases}"])
def test_outside_the_grammar_is_a_parse_error(latex):
    with pytest.raises(ParseError):
        parse(latex)


# --- each check can pass and fail --------------------------------------------------------------

def test_arithmetic():
    assert kinds("$$0.3 \\times [1, 2] = [0.3, 0.6]$$\n") == []
    assert kinds("$$0.3 \\times [1, 2] = [0.3, 0.5]$$\n") == [(1, "arithmetic")]


def test_rounding_precision_rule():
    assert kinds("$0.77175 \\approx 0.772$, $-26.9995 = -27.0$, $\\frac{1}{3} = 0.33$\n") == []
    assert kinds("$\\frac{2}{3} \\approx 0.666$\n") == [(1, "rounding")]
    assert kinds("$\\frac{2}{3} \\approx 0.65$\n") == [(1, "arithmetic")]
    assert kinds("$\\frac{1}{4} \\times 86.7 = 22$\n") == [(1, "rounding")]  # '=' with a whole number is exact
    assert kinds("$\\frac{1}{4} \\times 86.7 \\approx 22$\n") == []


def test_strict_mode_demands_exact_equalities_and_ten_digit_roundings():
    assert kinds("$\\frac{2}{3} \\approx 0.6666666667$\n", strict=True) == []
    assert kinds("$\\frac{2}{3} \\approx 0.667$\n", strict=True) == [(1, "rounding")]
    assert kinds("$-26.9995 = -27.0$\n", strict=True) == [(1, "rounding")]


def test_inconsistent_substitution():
    text = "$g = -25.5$\n\n$w = 1$\n\n$$w = w - 0.1 g$$\n\n$$w = 1 - 0.1 \\times (-25.5) = 3.55$$\n"
    assert kinds(text) == []
    assert kinds(text.replace("(-25.5)", "(-27)").replace("3.55", "3.7")) == [(7, "inconsistent")]


def test_continuation_lines_are_checked_against_the_line_before():
    text = "$$L = \\frac{1}{2}(1.5 + 2.5)$$\n\n$$L = \\frac{1}{2} \\times 4 = 2$$\n"
    assert kinds(text) == []
    assert kinds(text.replace("\\times 4 = 2", "\\times 5 = 2.5")) == [(3, "arithmetic")]


def test_symbolic_steps_and_derivatives():
    ok = "$J = \\frac{1}{N}\\sum (w x - y)^2$\n\n$\\frac{dJ}{dw} = \\frac{1}{N}\\sum 2x(w x - y)$\n"
    assert kinds(ok) == []
    assert kinds(ok.replace("2x(w x - y)", "x(w x - y)")) == [(3, "symbolic")]
    step = "$$\\frac{\\partial}{\\partial w}(w x - 3)^2 = 2(w x - 3) x$$\n"
    assert kinds(step) == []
    assert kinds(step.replace("2(w x - 3) x", "2(w x - 3)")) == [(1, "symbolic")]


def test_definitions_and_general_formulas_are_not_reported():
    text = ("$f(x) = w x + b$, $J(w, b) = \\frac{1}{N}\\sum_{i=1}^{N}(f(x_i) - y_i)^2$, "
            "$\\hat{y} = w x$, $w_{t+1} = w_{t} - \\alpha g_{t}$\n")
    report = check_text(text)
    assert report.findings == () and report.checked == 0


def test_messages_follow_the_document_language_or_the_option():
    wrong = "$$2 \\times 3 = 7$$\n"
    assert "should be" in check_text(wrong).findings[0].message
    assert "应为" in check_text("计算如下，这是一个中文的讲义：" + wrong).findings[0].message
    assert "应为" in check_text(wrong, lang="zh").findings[0].message


def test_generated_document_shapes_pass_strict_and_each_mutation_fails():
    text = GENERATED.read_text(encoding="utf-8")
    report = check_text(text, strict=True)
    assert report.findings == () and report.skipped == 0 and report.checked > 30
    mutations = {
        " &\\approx 4.666666667": (" &\\approx 4.666666666", "rounding"),
        " &= \\frac{1}{3} \\times \\left(-26\\right)": (" &= \\frac{1}{3} \\times \\left(-25\\right)", "arithmetic"),
        " &= 0 - 0.1 \\times \\left(-8.666666667\\right)": (" &= 0 - 0.1 \\times \\left(-8.6\\right)", "inconsistent"),
        "2 \\left(w x_{i} - y_{i}\\right) \\frac{\\partial}": ("\\left(w x_{i} - y_{i}\\right) \\frac{\\partial}", "symbolic"),
        " &= 4.6222222226": (" &= 4.622222223", "rounding"),
    }
    for old, (new, kind) in mutations.items():
        assert old in text
        found = [f.kind for f in check_text(text.replace(old, new, 1), strict=True).findings]
        assert found == [kind], (old, found)


# --- the command ------------------------------------------------------------------------------

def run(capsys, *argv):
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["check", *map(str, argv)])
    code = args.run(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_exit_codes(tmp_path, capsys):
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text("$$2 \\times 3 = 6$$\n")
    bad.write_text("# t\n\n$$2 \\times 3 = 7$$\n")
    assert run(capsys, good)[0] == 0
    code, out, _ = run(capsys, bad)
    assert code == 1 and re.search(r"bad\.md:3: arithmetic: 7 should be 6", out)
    code, out, err = run(capsys, good, tmp_path / "missing.md")
    assert code == 2 and "no such file" in err and "good.md" in out


def test_json_shape(tmp_path, capsys):
    bad = tmp_path / "bad.md"
    bad.write_text("$$2 \\times 3 = 7$$\n")
    code, out, _ = run(capsys, bad, "--json")
    data = json.loads(out)
    assert code == 1 and data["file"] == str(bad) and data["checked"] == 1 and data["skipped"] == 0
    assert data["findings"] == [{"line": 1, "kind": "arithmetic", "message": "7 should be 6", "expected": "6",
                                 "found": "7", "corrected": "$$2 \\times 3 = 6$$"}]
    code, out, _ = run(capsys, bad, bad, "--json", "--lang", "zh")
    several = json.loads(out)
    assert isinstance(several, list) and len(several) == 2 and several[0]["findings"][0]["message"] == "7 应为 6"


def test_catalogs_have_the_same_keys_and_placeholders():
    def load(lang):
        return tomllib.loads((REPO / "templates" / "catalog" / lang / "check.toml").read_text(encoding="utf-8"))

    en, zh = load("en"), load("zh")
    assert en.keys() == zh.keys()
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", zh[key])), key
