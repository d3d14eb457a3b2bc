"""Hostile input gives a skip or a clear error, never a crash, a hang, or executed document text."""
from __future__ import annotations

import time

import pytest

from explainer.check import check_file, check_text
from explainer.errors import InputError


def quick(text: str, fmt: str = "md", limit: float = 3.0):
    start = time.monotonic()
    report = check_text(text, fmt=fmt)
    assert time.monotonic() - start < limit
    return report


@pytest.mark.parametrize("math", [
    r"10^{10^{10}} = 1",
    r"2^{100000} = 3",
    r"(1/3)^{-5000} = 1",
    r"\exp(100000000) = 1",
    r"\sum_{i=1}^{1000000000} i = 1",
    r"\frac{1}{0} = 1",
    r"\ln(-1) = 0",
    "1" * 5000 + " = 1",
])
def test_huge_or_undefined_values_are_skipped(math):
    report = quick(f"$${math}$$\n")
    assert report.findings == () and report.skipped == 1


def test_deep_nesting_is_skipped():
    report = quick("$$" + "(" * 5000 + "1" + ")" * 5000 + " = 1$$\n")
    assert report.findings == () and report.skipped == 1
    report = quick("$$" + r"\frac{1}{" * 400 + "2" + "}" * 400 + " = 1$$\n")
    assert report.findings == ()


def test_a_long_flat_sum_is_read_or_skipped_without_recursion_errors():
    report = quick("$$" + " + ".join(["1"] * 2000) + " = 2000$$\n")
    assert report.findings == ()
    report = quick("$$" + " + ".join(["1"] * 2000) + " = 1999$$\n")
    assert len(report.findings) + report.skipped == 1


def test_megabyte_lines_are_linear():
    prose = "word " * 200_000 + "\n"
    assert quick(prose).checked == 0
    assert quick("$" * 1_000_000 + "\n").findings == ()
    assert quick("`" * 500_000 + "\n").findings == ()
    assert quick("| --- " * 100_000 + "\n").findings == ()
    assert quick("$$" + "1 + " * 250_000 + "1 = 3$$\n").findings == ()
    assert quick("<!--" * 200_000).findings == ()


def test_unterminated_delimiters_are_prose():
    report = quick("costs $5 and\n\n$$ 1 + 1 = 3\n\n\\( 2 = 3\n\\[ 4 = 5\n\\begin{align} 1 = 2\n")
    assert report.findings == () and report.checked == 0


def test_document_text_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    report = quick(f"$$__import__('os').system('touch {marker}') = 0$$\n$x = eval(1)$\n")
    assert not marker.exists()
    assert report.findings == ()


def test_unreadable_files_raise_input_error(tmp_path):
    binary = tmp_path / "b.md"
    binary.write_bytes(b"$1 = 1$\x00\x01\x02")
    latin1 = tmp_path / "l.md"
    latin1.write_bytes("$x = 1$ caf\xe9".encode("latin-1"))
    for path, words in ((tmp_path / "missing.md", "no such file"), (binary, "binary"),
                        (latin1, "UTF-8"), (tmp_path, "directory")):
        with pytest.raises(InputError, match=words):
            check_file(path)


def test_bom_and_crlf_are_read(tmp_path):
    path = tmp_path / "w.md"
    path.write_bytes("\ufeff# t\r\n\r\n$$0.3 \\times 2 = 0.7$$\r\n".encode("utf-8"))
    report = check_file(path)
    assert [(f.line, f.kind) for f in report.findings] == [(3, "arithmetic")]
