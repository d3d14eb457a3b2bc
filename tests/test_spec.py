import pytest

from explainer import spec
from explainer.errors import SpecError
from conftest import SPECS, LESSONS


def test_default_lesson_is_the_seed_example(seed_lesson):
    assert seed_lesson.model.text == "w*x"
    assert seed_lesson.column("x") == (1, 2, 3, 4)
    assert seed_lesson.column("y") == (2, 4, 6, 8)
    assert float(seed_lesson.learning_rate) == 0.01
    assert seed_lesson.epochs == 20
    assert seed_lesson.document.detailed == (1, 2)


@pytest.mark.parametrize("path", sorted(LESSONS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_lesson_is_valid(path):
    assert spec.load(path).title


@pytest.mark.parametrize("name, field", [
    ("missing-field", "learning_rate: missing"),
    ("non-numeric", "data.x[1]: expected a number, found 'two'"),
    ("mismatched", "columns differ in length (x has 3, y has 2)"),
    ("empty-data", "data: is empty"),
    ("unknown-symbol", "uses the unknown name 'c'"),
    ("code-injection", "which is not arithmetic"),
    ("zero-rate", "learning_rate: must be greater than 0"),
    ("nan", "parameters.w: expected a finite number, found nan"),
    ("unknown-key", "epoch: unknown key; did you mean 'epochs'?"),
    ("not-toml", "not valid TOML"),
])
def test_bad_specs_name_the_field_and_the_fix(name, field):
    with pytest.raises(SpecError) as info:
        spec.load(SPECS / f"{name}.toml")
    assert field in str(info.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(SpecError) as info:
        spec.from_dict({"title": "", "model": 3, "parameters": {}, "learning_rate": -1, "epochs": 0, "data": {}})
    assert len(info.value.problems) >= 5


def test_csv_data_errors_name_row_and_column(tmp_path):
    (tmp_path / "d.csv").write_text("height,weight\n1.5,50\n,60\n1.7,abc\n")
    table = {"title": "t", "model": "w*x", "parameters": {"w": 0}, "learning_rate": 0.1, "epochs": 2,
             "data": {"csv": "d.csv", "x": "height", "y": "weight"}}
    with pytest.raises(SpecError) as info:
        spec.from_dict(table, base=tmp_path)
    text = str(info.value)
    assert "row 3, column 'height': blank cell" in text
    assert "row 4, column 'weight': 'abc' is not a number" in text
    table["data"]["y"] = "mass"
    with pytest.raises(SpecError, match="column 'mass' is not in d.csv"):
        spec.from_dict(table, base=tmp_path)
