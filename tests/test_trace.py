import pytest

from explainer import derive, spec, trace
from conftest import SPECS


def test_seed_run_matches_the_post(seed_trace):
    logged = [round(r.params_after["w"], 3) for r in seed_trace.epochs[::2]]
    assert logged == [0.3, 0.772, 1.113, 1.359, 1.537, 1.665, 1.758, 1.825, 1.874, 1.909]
    first, second = seed_trace.epochs[:2]
    assert (first.loss, first.gradient["w"], first.params_after["w"]) == (30.0, -30.0, 0.3)
    assert second.loss == pytest.approx(21.675)
    assert second.gradient["w"] == pytest.approx(-25.5)
    assert 5 * seed_trace.final_params["w"] == pytest.approx(9.612, abs=5e-4)


def test_divergence_is_cut_at_the_overflowing_epoch():
    lesson = spec.load(SPECS / "diverging.toml")
    run = trace.descend(lesson, derive.derive(lesson))
    assert run.diverged_at is not None and run.diverged_at < lesson.epochs
    assert len(run.epochs) == run.diverged_at


def test_only_detailed_epochs_keep_their_batch():
    lesson = spec.from_dict({
        "title": "sgd", "model": "w*x", "parameters": {"w": 0}, "learning_rate": 0.01, "epochs": 50,
        "data": {"x": [1, 2, 3, 4], "y": [2, 4, 6, 8]},
        "optimizer": {"kind": "minibatch", "batch_size": 2, "seed": 3},
    })
    run = trace.descend(lesson, derive.derive(lesson), keep_batches=frozenset({1, 2}))
    assert [r.batch is not None for r in run.epochs[:3]] == [True, True, False]
    assert all(r.batch is None for r in run.epochs[2:])


def test_the_printed_program_reproduces_its_output_in_a_fresh_interpreter(seed_trace):
    import subprocess
    import sys

    program = seed_trace.program
    result = subprocess.run([sys.executable, "-c", program.code], capture_output=True, text=True, check=True)
    assert result.stdout == program.output
    assert "epoch 3: w = 0.772, loss = 15.66018750" in result.stdout
    assert result.stdout.splitlines()[-1] == "Prediction after training: f(5) = 9.612"


def test_a_csv_lessons_program_loads_the_same_file_beside_the_lesson():
    import subprocess
    import sys

    from conftest import LESSONS

    lesson = spec.load(LESSONS / "study-csv.toml")
    program = trace.descend(lesson, derive.derive(lesson)).program
    assert 'np.loadtxt("study.csv"' in program.code and "2.5" not in program.code.split("def forward")[0]
    result = subprocess.run([sys.executable, "-c", program.code], capture_output=True, text=True, check=True, cwd=LESSONS)
    assert result.stdout == program.output
