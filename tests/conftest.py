from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SPECS = REPO / "tests" / "fixtures" / "specs"
LESSONS = REPO / "lessons"


@pytest.fixture(scope="session")
def seed_lesson():
    from explainer import spec

    return spec.load()


@pytest.fixture(scope="session")
def seed_derivation(seed_lesson):
    from explainer import derive

    return derive.derive(seed_lesson)


@pytest.fixture(scope="session")
def seed_trace(seed_lesson, seed_derivation):
    from explainer import trace

    return trace.descend(seed_lesson, seed_derivation)
