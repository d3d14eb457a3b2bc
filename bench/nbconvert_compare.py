"""Time the seed lesson as an executed Jupyter notebook against `explainer build --format md,html`.

The seed: X = [1, 2, 3, 4], Y = [2, 4, 6, 8], w = 0, learning rate 0.01, 20 epochs. The notebook
does what a teacher would do by hand: the NumPy loop in a code cell, the loss plot, and the worked
second epoch in Markdown cells; `jupyter nbconvert --execute --to html` runs it and writes HTML.

    python bench/nbconvert_compare.py [--runs 3] [--lesson PATH]

Needs nbconvert, nbformat and ipykernel (bench only, not project dependencies). Each run is a cold
process; the median is reported.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETUP = "import numpy as np\nX = np.array([1, 2, 3, 4], dtype=np.float64)\nY = np.array([2, 4, 6, 8], dtype=np.float64)\nw, lr, epochs = 0.0, 0.01, 20"
LOOP = """losses, ws = [], [w]
for epoch in range(epochs):
    y_pred = w * X
    loss = ((y_pred - Y) ** 2).mean()
    dw = np.mean(2 * X * (y_pred - Y))
    w -= lr * dw
    losses.append(loss); ws.append(w)
    print(f"epoch {epoch + 1}: w = {w:.3f}, loss = {loss:.8f}, dJ/dw = {dw:.3f}")"""
PLOT = """import matplotlib.pyplot as plt
plt.plot(range(1, epochs + 1), losses, marker="o"); plt.yscale("log"); plt.xlabel("epoch"); plt.ylabel("loss J")
plt.show()"""
WORKED = r"""### Epoch 2

$$\begin{aligned} J &= \frac{1}{4}\left((0.3 - 2)^{2} + (0.6 - 4)^{2} + (0.9 - 6)^{2} + (1.2 - 8)^{2}\right) \\ &= \frac{1}{4} \times 86.7 = 21.675 \end{aligned}$$

$$\frac{dJ}{dw} = \frac{1}{4} \times 2 \times \left(1 \times (-1.7) + 2 \times (-3.4) + 3 \times (-5.1) + 4 \times (-6.8)\right) = -25.5$$

$$w = 0.3 - 0.01 \times (-25.5) = 0.555$$"""


def make_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Gradient descent by hand\n\nFit $y = wx$ to four points."),
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(LOOP),
        nbformat.v4.new_code_cell(PLOT),
        nbformat.v4.new_markdown_cell(WORKED),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def explainer_command(lesson: str | None, out: Path) -> list[str] | None:
    """The CLI build command, or None when the CLI does not exist yet."""
    exe = shutil.which("explainer", path=str(Path(sys.executable).parent)) or shutil.which("explainer")
    try:
        import explainer.cli  # noqa: F401
    except ImportError:
        return None
    base = [exe] if exe else [sys.executable, "-m", "explainer.cli"]
    cmd = base + ["build"]
    if lesson:
        cmd.append(lesson)
    return cmd + ["--format", "md,html", "--out", str(out)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lesson", help="lesson spec for explainer build (default: the CLI's seed lesson)")
    args = parser.parse_args()

    try:
        import nbformat  # noqa: F401
    except ImportError:
        print("nbformat is missing: pip install nbconvert nbformat ipykernel", file=sys.stderr)
        return 2
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or shutil.which("jupyter")
    if not jupyter:
        print("jupyter is missing: pip install nbconvert nbformat ipykernel", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_notebook(work / "seed.ipynb")
        nb_times = [timed([jupyter, "nbconvert", "--execute", "--to", "html", "seed.ipynb"], work) for _ in range(args.runs)]
        nb = statistics.median(nb_times)
        print(f"jupyter nbconvert --execute --to html: median {nb:.2f} s over {args.runs} runs "
              f"({', '.join(f'{t:.2f}' for t in nb_times)})")

        cmd = explainer_command(args.lesson, work / "out")
        if cmd is None:
            print("explainer build: the CLI (explainer.cli) is not there yet; only the notebook was timed.")
            return 0
        try:
            ex_times = [timed(cmd, work) for _ in range(args.runs)]
        except RuntimeError as exc:
            print(f"explainer build failed, so it was not timed: {exc}")
            return 1
        ex = statistics.median(ex_times)
        print(f"explainer build --format md,html: median {ex:.2f} s over {args.runs} runs "
              f"({', '.join(f'{t:.2f}' for t in ex_times)})")
        print(f"ratio: nbconvert takes {nb / ex:.1f}x as long as explainer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
