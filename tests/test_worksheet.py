import re
import tomllib

import explainer
from explainer.check import check_text
from conftest import LESSONS

BLANK = r"\underline{\qquad}"


def _build(policy):
    table = tomllib.loads((LESSONS / "seed.toml").read_text())
    table["worksheet"] = policy
    return explainer.build(table, worksheet=True, figures=False)


def _epochs(md: str) -> str:
    start = md.index("## Epoch 1")
    return md[start:md.index("\n## ", md.index("## Epoch 2"))].rstrip()


def test_blanks_are_exactly_the_answer_keys_values():
    doc = _build({"epochs": [2], "quantities": ["loss", "gradient", "update"]})
    work, key, lesson = _epochs(doc.worksheet), _epochs(doc.answer_key), _epochs(doc.markdown)
    underlined = re.compile(r"\\underline\{([^{}]*)\}")
    answers = underlined.findall(key)
    assert {"21.675", "86.7", "-25.5", "0.555"} <= set(answers)
    # the key with its answers blanked is exactly the worksheet
    assert underlined.sub(lambda m: BLANK, key) == work
    assert all(a in lesson for a in answers)  # every answer is the lesson's own number


def test_blanks_look_like_blanks_and_the_answers_are_hidden_from_the_worksheet():
    doc = _build({"epochs": [2], "quantities": ["loss"]})
    epoch2 = doc.worksheet[doc.worksheet.index("## Epoch 2"):]
    assert "21.675" not in epoch2 and "86.7" not in epoch2
    assert "## Training log" not in doc.worksheet  # the log would give the answers away
    assert BLANK in epoch2


def test_a_seeded_share_of_terms_is_blanked_the_same_way_every_time():
    a = _build({"epochs": [2], "quantities": ["update"], "fraction": 0.5, "seed": 3})
    b = _build({"epochs": [2], "quantities": ["update"], "fraction": 0.5, "seed": 3})
    assert a.worksheet == b.worksheet and a.worksheet.count(BLANK) > 3


def test_worksheet_and_key_pass_the_checker():
    doc = _build({"epochs": [1, 2]})
    for text in (doc.worksheet, doc.answer_key):
        assert check_text(text, strict=True).findings == ()
