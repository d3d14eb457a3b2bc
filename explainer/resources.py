"""Where the templates and the shipped lessons are: one answer for a wheel and a source checkout.

Installed, they are the packages ``explainer.templates`` and ``explainer.lessons`` (pyproject maps the
repository's ``templates/`` and ``lessons/`` folders onto them); run from a checkout without
installing, those packages do not exist, and the same folders beside the ``explainer/`` source are used.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path


@lru_cache(maxsize=None)
def _folder(package: str, name: str) -> Path:
    try:
        return Path(str(files(package)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / name


def templates_dir() -> Path:
    return _folder("explainer.templates", "templates")


def lessons_dir() -> Path:
    return _folder("explainer.lessons", "lessons")
