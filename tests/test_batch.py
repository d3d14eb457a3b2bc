"""`explainer batch`: a handout per student with its own data, a teacher's key, resumable runs."""
import argparse
import json
import re
import tomllib
from fractions import Fraction

import pytest

from explainer import batch, spec
from explainer.errors import ExplainerError, InputError

from conftest import LESSONS

SEED = LESSONS / "seed.toml"


@pytest.fixture(scope="module", autouse=True)
def checker():
    """Handouts are built for real, so the checker must be there (it is written alongside)."""
    pytest.importorskip("explainer.check")
    try:
        from explainer.check import check_text  # noqa: F401
    except ImportError:
        pytest.skip("the checker has no check_text yet")


def run_batch(*argv) -> int:
    from explainer import teacher_cli

    parser = argparse.ArgumentParser(prog="explainer")
    teacher_cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["batch", *argv, "--no-progress"])
    return args.run(args)


def key_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the table under ``heading`` in the key."""
    section = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_three_students_get_their_own_data_and_a_second_run_skips_them_all(tmp_path, capsys):
    out = tmp_path / "class"
    assert run_batch(str(SEED), "--students", "3", "--out", str(out), "--format", "md,html", "--jobs", "2") == 0
    printed = capsys.readouterr().out
    assert "3 student(s)" in printed and "3 written, 0 up to date (skipped), 0 failed" in printed
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["student-01", "student-02", "student-03"]
    for folder in folders:
        names = {p.name for p in (out / folder).iterdir()}
        assert {"seed.toml", "seed.en.md", "seed.en.html", "seed.en.json"} <= names
    lessons = [spec.load(out / f / "seed.toml") for f in folders]
    original = spec.load(SEED)
    assert len({lesson.data for lesson in lessons}) == 3
    for lesson in lessons:
        assert (lesson.model.text, lesson.learning_rate, lesson.epochs) == ("w*x", original.learning_rate, original.epochs)
        assert lesson.size == original.size

    key = (out / "key.en.md").read_text(encoding="utf-8")
    assert (out / "key.en.html").is_file()
    from explainer.check import check_file

    for produced in (out / "key.en.md", out / "student-03" / "seed.en.md"):  # all pass `explainer check`
        assert not check_file(produced, strict=True).findings
    students = key_rows(key, "Students and their data")
    assert [row[0] for row in students] == ["Student 01", "Student 02", "Student 03"]
    # the key's numbers are the handouts' own: student 1's epoch-1 loss is the mean of y² (w starts at 0)
    first = spec.load(out / "student-01" / "seed.toml")
    trace = json.loads((out / "student-01" / "seed.en.json").read_text(encoding="utf-8"))
    epoch1 = key_rows(key, "Epoch 1")[0]
    mean_square = sum(Fraction(y) ** 2 for y in first.column("y")) / first.size
    assert Fraction(epoch1[1]) == mean_square == Fraction(trace["epochs"][0]["loss"])
    assert Fraction(epoch1[3]) == Fraction(str(trace["epochs"][0]["params_after"]["w"]))
    assert epoch1[1] in (out / "student-01" / "seed.en.md").read_text(encoding="utf-8")

    mtime = (out / "student-02" / "seed.en.md").stat().st_mtime_ns
    assert run_batch(str(SEED), "--students", "3", "--out", str(out), "--format", "md,html", "--jobs", "2") == 0
    assert "0 written, 3 up to date (skipped), 0 failed" in capsys.readouterr().out
    assert (out / "student-02" / "seed.en.md").stat().st_mtime_ns == mtime
    assert (out / "key.en.md").read_text(encoding="utf-8") == key


def test_a_failing_student_is_reported_and_the_others_are_written(tmp_path, monkeypatch, capsys):
    from explainer import pipeline

    real_build = pipeline.build

    def build(lesson, **options):
        if "Student 02" in lesson.title:
            raise ExplainerError("the seed.en.md failed its own check (1 finding(s)); no file written")
        return real_build(lesson, **options)

    monkeypatch.setattr(pipeline, "build", build)
    out = tmp_path / "class"
    assert run_batch(str(SEED), "--students", "3", "--out", str(out), "--format", "md", "--jobs", "1") == 1
    captured = capsys.readouterr()
    assert "2 written, 0 up to date (skipped), 1 failed" in captured.out
    assert "failed: Student 02 (student-02): the seed.en.md failed its own check" in captured.err
    assert (out / "student-01" / "seed.en.md").is_file() and (out / "student-03" / "seed.en.md").is_file()
    assert not (out / "student-02").exists()
    key = (out / "key.en.md").read_text(encoding="utf-8")
    assert [row[0] for row in key_rows(key, "Epoch 1")] == ["Student 01", "Student 03"]
    assert "- Student 02: not built: the seed.en.md failed its own check" in key

    monkeypatch.setattr(pipeline, "build", real_build)
    assert run_batch(str(SEED), "--students", "3", "--out", str(out), "--format", "md", "--jobs", "1") == 0
    assert "1 written, 2 up to date (skipped), 0 failed" in capsys.readouterr().out


def test_an_interrupted_batch_keeps_what_it_finished(tmp_path, monkeypatch, capsys):
    from explainer import pipeline

    real_build = pipeline.build

    def build(lesson, **options):
        if "Student 02" in lesson.title:
            raise KeyboardInterrupt
        return real_build(lesson, **options)

    monkeypatch.setattr(pipeline, "build", build)
    out = tmp_path / "class"
    with pytest.raises(KeyboardInterrupt):
        run_batch(str(SEED), "--students", "2", "--out", str(out), "--format", "md", "--jobs", "1")
    assert list(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["students"]) == ["student-01"]
    monkeypatch.setattr(pipeline, "build", real_build)
    assert run_batch(str(SEED), "--students", "2", "--out", str(out), "--format", "md", "--jobs", "1") == 0
    assert "1 written, 1 up to date (skipped), 0 failed" in capsys.readouterr().out


def test_a_roster_of_chinese_names_with_a_duplicate(tmp_path, capsys):
    roster = tmp_path / "班级.csv"
    roster.write_text("学号,name\n1,张三\n2,李四\n3,张三\n", encoding="utf-8-sig")
    out = tmp_path / "class"
    assert run_batch(str(SEED), "--roster", str(roster), "--out", str(out), "--lang", "zh",
                     "--format", "md", "--jobs", "1") == 0
    assert "3 written" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["张三", "张三-2", "李四"]
    for folder in ("张三", "张三-2", "李四"):
        assert spec.load(out / folder / "seed.toml").title.endswith(f"（{folder[:2]}）")
        assert (out / folder / "seed.zh.md").is_file()
    twins = [spec.load(out / f / "seed.toml").data for f in ("张三", "张三-2")]
    assert twins[0] != twins[1]
    key = (out / "key.zh.md").read_text(encoding="utf-8")
    assert [row[:2] for row in key_rows(key, "学生及其数据")] == [
        ["张三", "[张三/](张三/)"], ["李四", "[李四/](李四/)"], ["张三", "[张三-2/](张三-2/)"]]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["students"]) == ["张三", "李四", "张三-2"]


# --- the pieces --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, slug", [
    ("Ana María", "ana-maría"), ("张三", "张三"), ("O'Brien, Pat", "o-brien-pat"), ("../etc/passwd", "etc-passwd"),
    ("CON", "student-con"), ("***", "student"), ("Ｗｉｄｅ", "wide"),
])
def test_slugs_are_safe_folder_names(name, slug):
    assert batch.slugify(name) == slug


def test_seeds_follow_the_student_not_the_roster_order():
    one = batch.make_class(["Ann", "Bo", "Ann"], None, 4, "en")
    two = batch.make_class(["Bo", "Ann", "Ann"], None, 4, "en")
    assert [s.slug for s in one] == ["ann", "bo", "ann-2"]
    assert {s.name: s.seed for s in one[:2]} == {s.name: s.seed for s in two[:2]}
    assert len({s.seed for s in one}) == 3
    assert batch.make_class(["Ann"], None, 5, "en")[0].seed != one[0].seed
    numbered = batch.make_class(None, 12, 4, "zh")
    assert (numbered[0].name, numbered[0].slug) == ("学生 01", "student-01")


def test_a_roster_without_a_name_column_or_with_a_blank_name_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("student\nAnn\n", encoding="utf-8")
    with pytest.raises(InputError, match='header row with a column "name" \\(found: student\\)'):
        batch.read_roster(bad)
    bad.write_text("Name,age\nAnn,9\n,10\n\nBo,11\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 3 has no name"):
        batch.read_roster(bad)
    bad.write_text("name\nAnn\n\nBo\n", encoding="utf-8")
    assert batch.read_roster(bad) == ["Ann", "Bo"]


@pytest.mark.parametrize("old, new, message", [
    ('loss = "mse"', 'loss = "mae"', "loss: fresh data is made for the mean squared error"),
    ("learning_rate = 0.01", "learning_rate = 0.5", "learning_rate = 0.5 is too large for fresh data of 4 points"),
])
def test_a_spec_batch_cannot_make_data_for_is_refused_before_any_work(tmp_path, old, new, message):
    odd = tmp_path / "odd.toml"
    odd.write_text(SEED.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(ExplainerError, match=re.escape(message)):
        run_batch(str(odd), "--students", "2", "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_no_two_students_share_a_dataset_even_when_few_are_possible():
    """line-wb's α = 0.05 allows only a handful of x sets; the class still gets 25 different datasets."""
    path = LESSONS / "line-wb.toml"
    lesson = spec.load(path)
    students = batch.make_class(None, 25, 0, "en")
    drawn = batch.student_specs(path.read_text(encoding="utf-8"), lesson, students, Fraction(0), "en")
    datasets = [spec.from_dict(tomllib.loads(text)).data for text, _ in drawn]
    assert len(set(datasets)) == 25
    for text, facts in drawn:
        own = spec.from_dict(tomllib.loads(text))
        assert (own.learning_rate, own.epochs, own.document) == (lesson.learning_rate, lesson.epochs, lesson.document)
        assert facts["data"]["y"] == [str(v).removesuffix(".0") for v in own.column("y")]


def test_every_student_of_the_default_lesson_gets_short_numbers():
    lesson = spec.load(SEED)
    for student in batch.make_class(None, 30, 0, "en"):
        from explainer import newdata

        assert newdata.for_lesson(lesson, student.seed).decimals <= 4


def test_the_key_template_and_catalogs_agree():
    from explainer.catalog import catalog

    en, zh = catalog("en", "batch").entries, catalog("zh", "batch").entries
    assert en.keys() == zh.keys()
    for key in en:
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", zh[key])), key
    text = (LESSONS.parent / "templates" / "md" / "key.md.j2").read_text(encoding="utf-8")
    assert set(re.findall(r't\("(\w+)"', text)) <= en.keys()
