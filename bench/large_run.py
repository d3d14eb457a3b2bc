"""Benchmark: 100,000 data points, 10,000 epochs, two detailed — against a bare NumPy loop.

Writes a lesson (TOML + CSV) into a temporary folder, times `explainer build --format md,html` in a
cold process with /usr/bin/time -v (wall time and peak memory), times a bare NumPy loop doing the same
arithmetic (forward pass, loss, two gradients, update, every epoch), and prints both and the ratio.
Issue 5's budget: peak memory under 200 MB, time within 1.5× of the bare loop.

    python bench/large_run.py [--points 100000] [--epochs 10000]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_lesson(folder: Path, points: int, epochs: int) -> Path:
    rng = np.random.default_rng(0)
    x = np.round(rng.uniform(0, 4, points), 2)
    y = np.round(2 * x + 1 + rng.normal(0, 0.3, points), 2)
    with open(folder / "big.csv", "w") as fh:
        fh.write("x,y\n")
        fh.writelines(f"{a},{b}\n" for a, b in zip(x.tolist(), y.tolist()))
    spec = folder / "big.toml"
    spec.write_text(
        'title = "A large run"\nmodel = "w*x + b"\nparameters = { w = 0.0, b = 0.0 }\n'
        f"learning_rate = 0.05\nepochs = {epochs}\n\n[data]\ncsv = \"big.csv\"\n\n"
        f"[document]\ndetailed = [1, 2]\nlog_every = {max(1, epochs // 10)}\npredict = [5]\n"
    )
    return spec


def bare_numpy(csv: Path, epochs: int) -> float:
    """The same arithmetic as the lesson's program, with nothing else: the floor to compare with."""
    start = time.perf_counter()
    data = np.loadtxt(csv, delimiter=",", skiprows=1)
    X, Y = data[:, 0], data[:, 1]
    w = b = 0.0
    for _ in range(epochs):
        y_pred = w * X + b
        loss = np.mean((y_pred - Y) ** 2)
        dw = np.mean(2 * X * (y_pred - Y))
        db = np.mean(2 * (y_pred - Y))
        w -= 0.05 * dw
        b -= 0.05 * db
    del loss
    return time.perf_counter() - start


def timed_build(spec: Path, out: Path) -> tuple[float, float]:
    explainer = shutil.which("explainer") or str(Path(sys.executable).with_name("explainer"))
    cmd = ["/usr/bin/time", "-v", explainer, "build", str(spec), "--format", "md,html", "--out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"explainer build failed:\n{result.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    h, m, s = (float(g) if g else 0.0 for g in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return h * 3600 + m * 60 + s, rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = write_lesson(folder, args.points, args.epochs)
        build_s, peak_mb = timed_build(spec, folder / "out")
        loop_s = bare_numpy(folder / "big.csv", args.epochs)
    print(f"explainer build (md, html): {build_s:.2f} s wall, peak memory {peak_mb:.0f} MB")
    print(f"bare NumPy loop:            {loop_s:.2f} s")
    print(f"ratio:                      {build_s / loop_s:.2f}x (budget 1.5x, memory budget 200 MB)")


if __name__ == "__main__":
    main()
