import pytest

import explainer
from explainer.errors import TemplateError


def _teacher(tmp_path, body):
    (tmp_path / "lesson.md.j2").write_text('{% extends "base.md.j2" %}\n' + body, encoding="utf-8")
    return tmp_path


def test_a_teachers_block_replaces_the_built_in_one(tmp_path):
    folder = _teacher(tmp_path, "{% block why %}\n## From your teacher\n\nThe first gradient was ${{ page.why.gradient }}$.\n{% endblock %}\n")
    doc = explainer.build(templates=folder, figures=False)
    assert doc.markdown.rstrip().endswith("The first gradient was $-30$.")
    assert "## Why the update moves against the gradient" not in doc.markdown


@pytest.mark.parametrize("body, message", [
    ("{% block why %}\n{{ page.no_such_field }}\n{% endblock %}\n", "lesson.md.j2:3"),
    ("{% block why %}\n{% if %}\n{% endblock %}\n", "lesson.md.j2:3: template syntax error"),
    ("{% block why %}\n{{ page.__class__.__mro__ }}\n{% endblock %}\n", "unsafe"),
])
def test_a_broken_template_names_its_file_and_line(tmp_path, body, message):
    folder = _teacher(tmp_path, body)
    with pytest.raises(TemplateError, match=message):
        explainer.build(templates=folder, figures=False)
