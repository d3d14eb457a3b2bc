"""`explainer new`: fresh lesson specs whose numbers stay short, reproducible from a seed."""
import argparse
import re
import tomllib
from fractions import Fraction

import numpy as np
import pytest

from explainer import newdata, spec
from explainer.catalog import catalog
from explainer.errors import ExplainerError

from conftest import LESSONS


def lesson_of(text: str) -> spec.Lesson:
    return spec.from_dict(tomllib.loads(text), name="fresh")


def test_the_same_seed_gives_the_same_spec_text():
    assert newdata.new_lesson(7) == newdata.new_lesson(7)
    assert newdata.new_lesson(7, model="w*x + b", noise="0.5") == newdata.new_lesson(7, model="w*x + b", noise="0.5")


def test_different_seeds_give_different_data():
    data = {tuple(lesson_of(newdata.new_lesson(seed)).data) for seed in range(8)}
    assert len(data) >= 6


def test_a_fresh_spec_names_its_seed_and_true_relation_in_its_first_lines():
    text = newdata.new_lesson(7, command="explainer new --seed 7")
    first, second = text.splitlines()[:2]
    assert first == "# Made by: explainer new --seed 7"
    lesson = lesson_of(text)
    slope = Fraction(re.search(r"y = (-?[\d.]*)·?x", second).group(1) or "1")
    assert lesson.column("y") == tuple(float(slope * Fraction(x)) for x in lesson.column("x"))


@pytest.mark.parametrize("model, columns", [
    ("w*x", ["x", "y"]),
    ("w*x + b", ["x", "y"]),
    ("w1*x1 + w2*x2 + b", ["x1", "x2", "y"]),
    ("theta*x", ["x", "y"]),
])
def test_the_data_columns_are_named_after_the_model_inputs(model, columns):
    lesson = lesson_of(newdata.new_lesson(3, model=model, points=5))
    assert [n for n, _ in lesson.data] == columns
    assert lesson.size == 5
    assert lesson.model.text == model
    assert all(v == 0 for _, v in lesson.parameters)


@pytest.mark.parametrize("model", ["w*x", "w*x + b", "w1*x1 + w2*x2 + b"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_learning_rate_is_round_and_well_inside_the_convergence_bound(model, seed):
    lesson = lesson_of(newdata.new_lesson(seed, model=model, noise="0.5"))
    inputs = [np.array(lesson.column(n)) for n in lesson.inputs]
    a = np.array(inputs + ([np.ones(lesson.size)] if "b" in lesson.parameter_names else []))
    top = np.linalg.eigvalsh(2 / lesson.size * a @ a.T)[-1]
    rate = float(lesson.learning_rate)
    assert rate in (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
    assert rate * top <= 1  # half of the divergence bound 2/λmax
    if model == "w*x":
        assert rate <= lesson.size / (2 * sum(x * x for x in lesson.column("x")))


def test_noise_moves_y_off_the_line_in_steps_of_a_half():
    shape = newdata.Linear((("w", "x"),), "b")
    offsets = set()
    for seed in range(10):
        data = newdata.draw(shape, 4, seed, noise=Fraction(1))
        truth = dict(data.truth)
        columns = dict(data.columns)
        for x, y in zip(columns["x"], columns["y"]):
            offset = y - (truth["w"] * x + truth["b"])
            assert abs(offset) <= 1 and (2 * offset).denominator == 1
            offsets.add(offset)
    assert len(offsets) > 1


def test_the_seed_lessons_worked_epochs_need_three_decimals():
    """The replay behind the data choice, on known numbers: epoch 2's loss is 21.675."""
    lesson = spec.load(LESSONS / "seed.toml")
    columns = {n: tuple(Fraction(v) for v in values) for n, values in lesson.data}
    shape = newdata.shape_of(lesson)
    assert newdata.hand_places(shape, columns, {"w": Fraction(0)}, lesson.learning_rate, 1) == 1  # 30, -30, 0.3
    assert newdata.hand_places(shape, columns, {"w": Fraction(0)}, lesson.learning_rate, 2) == 3  # 21.675


def test_a_repeating_decimal_counts_as_too_long():
    assert newdata._places(Fraction(1, 3)) > newdata.MAX_DECIMALS
    assert newdata._places(Fraction("0.0625")) == 4


@pytest.mark.parametrize("model, message", [
    ("w*x**2", "cannot choose data for the term"),
    ("sigmoid(w*x)", "cannot choose data for the term"),
    ("w*x + v*x", "each name used once"),
    ("b", "fresh data is made for linear models"),
    ("w*x + b + c", "each name used once"),
    ("__import__('os')", "not arithmetic"),
])
def test_a_model_new_cannot_generate_for_is_refused_by_name(model, message):
    with pytest.raises(ExplainerError, match=re.escape(message)):
        newdata.new_lesson(1, model=model)


@pytest.mark.parametrize("noise", ["0.25", "-1", "6", "lots"])
def test_noise_must_be_a_tenth_step_amount(noise):
    with pytest.raises(ExplainerError, match="--noise"):
        newdata.new_lesson(1, noise=noise)


def test_too_few_points_for_the_parameters_is_refused():
    with pytest.raises(ExplainerError, match="--points: expected 3 to 12"):
        newdata.new_lesson(1, model="w1*x1 + w2*x2 + b", points=2)


def test_a_chinese_lesson_takes_its_title_from_the_catalog():
    lesson = lesson_of(newdata.new_lesson(5, lang="zh"))
    assert lesson.language == "zh"
    assert lesson.title == catalog("zh", "batch")("new_title", inputs="x", model="w·x")


def test_toml_text_round_trips_awkward_strings_and_numbers():
    table = {"title": 'a "quoted" \\ 标题\n', "parameters": {"w": 0.5, "b": -1}, "learning_rate": Fraction(1, 20),
             "data": {"x": [1, 2.5], "y": [1e-7, 1 / 3]}, "document": {"show_divergence": True, "predict": []}}
    back = tomllib.loads(newdata.toml_text(table, ("a comment",)))
    assert back == {**table, "learning_rate": 0.05}


# --- the built document -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def checker():
    pytest.importorskip("explainer.check")
    try:
        from explainer.check import check_text
    except ImportError:
        pytest.skip("the checker has no check_text yet")
    return check_text


def _epoch_sections(markdown: str, lang: str, epochs) -> str:
    """The Markdown of the worked epochs, from each epoch's heading to the next heading."""
    words = catalog(lang, "document")
    parts = []
    for e in epochs:
        heading = f"## {words('h_epoch', n=e)}\n"
        start = markdown.index(heading)
        end = markdown.find("\n## ", start + len(heading))
        parts.append(markdown[start:end if end >= 0 else None])
    return "\n".join(parts)


@pytest.mark.parametrize("seed, model", [(7, "w*x"), (11, "w*x + b")])
def test_a_fresh_lesson_builds_checked_and_its_worked_epochs_have_at_most_four_decimals(checker, seed, model):
    from explainer.pipeline import build

    doc = build(lesson_of(newdata.new_lesson(seed, model=model)), figures=False)
    assert doc.checked > 20
    assert not checker(doc.markdown, name="fresh.en.md", lang="en", strict=True).findings
    section = _epoch_sections(doc.markdown, "en", (1, 2))
    numbers = re.findall(r"\d+(?:\.\d+)?", section.replace(r"\frac{1}{4}", ""))
    assert len(numbers) > 30
    assert max(len(n.partition(".")[2]) for n in numbers) <= 4
    assert r"\approx" not in section


# --- the command ------------------------------------------------------------------------------

def run_new(*argv) -> int:
    from explainer import teacher_cli

    parser = argparse.ArgumentParser(prog="explainer")
    teacher_cli.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["new", *argv])
    return args.run(args)


def test_new_prints_the_spec_or_writes_it_and_refuses_to_overwrite(tmp_path, capsys):
    assert run_new("--seed", "7") == 0
    printed = capsys.readouterr().out
    assert printed == newdata.new_lesson(7, command="explainer new --seed 7")
    target = tmp_path / "fresh.toml"
    assert run_new("--seed", "7", "--out", str(target)) == 0
    assert target.read_text(encoding="utf-8") == printed
    with pytest.raises(ExplainerError, match="already exists; add --force"):
        run_new("--seed", "8", "--out", str(target))
    assert run_new("--seed", "8", "--model", "w*x + b", "--out", str(target), "--force") == 0
    assert spec.load(target).model.text == "w*x + b"
    assert "explainer new --seed 8 --model 'w*x + b'" in target.read_text(encoding="utf-8")


def test_new_without_a_seed_records_the_one_it_chose(capsys):
    assert run_new() == 0
    first = capsys.readouterr().out.splitlines()[0]
    seed = int(re.fullmatch(r"# Made by: explainer new --seed (\d+)", first).group(1))
    assert newdata.new_lesson(seed).splitlines()[1:] == newdata.new_lesson(seed, command="x").splitlines()[1:]
