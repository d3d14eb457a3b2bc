"""The command as a user meets it: one message per problem, exit codes, and no half-written files."""
import subprocess
import sys

import pytest

from explainer.cli import main
from conftest import SPECS


@pytest.mark.parametrize("name, words", [
    ("missing-field", "learning_rate: missing"),
    ("non-numeric", "data.x[1]: expected a number, found 'two'"),
    ("mismatched", "columns differ in length"),
    ("empty-data", "data: is empty"),
    ("unknown-symbol", "unknown name 'c'"),
    ("code-injection", "not arithmetic"),
    ("zero-rate", "learning_rate: must be greater than 0"),
    ("nan", "expected a finite number"),
    ("diverging", "makes the run diverge"),
])
def test_bad_input_gives_one_message_exit_2_and_no_file(tmp_path, capsys, name, words):
    out = tmp_path / "out"
    assert main(["build", str(SPECS / f"{name}.toml"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_an_expression_that_tries_to_run_code_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    spec = (SPECS / "code-injection.toml").read_text().replace("/tmp/explainer-pwned", str(marker))
    (tmp_path / "evil.toml").write_text(spec)
    assert main(["build", str(tmp_path / "evil.toml"), "--out", str(tmp_path / "o")]) == 2
    assert not marker.exists()


def test_a_diverging_run_is_explained_when_the_spec_asks(tmp_path):
    assert main(["build", str(SPECS / "diverging-shown.toml"), "--out", str(tmp_path), "--format", "md"]) == 0
    md = (tmp_path / "diverging-shown.en.md").read_text()
    assert "## The run diverges" in md and "overshoot" in md


def test_a_missing_pdf_package_is_named_and_the_other_formats_are_written(tmp_path, capsys, monkeypatch):
    from explainer.errors import ExportError
    from explainer.publish import pdf

    def no_typst(*args, **kwargs):
        raise ExportError('PDF output needs the typst package: pip install "explainer[pdf]"')

    monkeypatch.setattr(pdf, "to_pdf", no_typst)
    assert main(["build", "--out", str(tmp_path), "--format", "md,html,pdf"]) == 2
    assert 'pip install "explainer[pdf]"' in capsys.readouterr().err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "seed.en.md" in names and "seed.en.html" in names and "seed.en.pdf" not in names
    assert not [n for n in names if n.startswith(".explainer-")]  # no temporary left behind


def test_unknown_format_and_language_are_refused(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path), "--format", "docx"]) == 2
    assert "unknown format(s) docx" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["build", "--lang", "fr"])


def test_help_explains_every_command(tmp_path):
    # run from elsewhere, so `python -m explainer` is the installed package, not the source folder
    result = subprocess.run([sys.executable, "-m", "explainer", "--help"], capture_output=True, text=True, cwd=tmp_path)
    for command in ("build", "check", "gallery", "new", "batch"):
        assert command in result.stdout
    build_help = subprocess.run([sys.executable, "-m", "explainer", "build", "--help"], capture_output=True, text=True,
                                cwd=tmp_path).stdout
    for option in ("--lang", "--out", "--format", "--templates", "--worksheet"):
        assert option in build_help


def test_build_then_check_round_trip(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path), "--format", "md", "--lang", "zh"]) == 0
    assert "checked" in capsys.readouterr().out
    assert main(["check", str(tmp_path / "seed.zh.md")]) == 0


def test_an_output_folder_that_cannot_be_made_is_one_message(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["build", "--out", str(blocker / "out"), "--format", "md"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("explainer: error: ") and "Traceback" not in err


def test_a_missing_dependency_is_one_message(monkeypatch, capsys, tmp_path):
    from explainer import pipeline

    def no_sympy(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'sympy'", name="sympy")

    monkeypatch.setattr(pipeline, "build", no_sympy)
    assert main(["build", "--out", str(tmp_path), "--format", "md"]) == 2
    err = capsys.readouterr().err
    assert "'sympy' is missing" in err and "Traceback" not in err
