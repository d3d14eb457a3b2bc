"""The teacher's commands, ``explainer new`` and ``explainer batch``, as argparse subparsers.

Kept out of cli.py so that the main command stays a thin table of contents; cli.py registers them
with one call to :func:`add_parsers`. Like the rest of the CLI, the parsers import nothing heavy:
the work is imported by the run functions, only for the command actually run.
"""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

from .errors import ExplainerError


def add_parsers(sub) -> None:
    n = sub.add_parser(
        "new",
        help="write a fresh lesson spec whose data keeps the hand arithmetic short",
        description="Write a new lesson spec (TOML) for a linear model, with data chosen from a seed: small "
        "integer inputs, a true relation with whole or half parameters, optional noise, and a learning rate "
        "well inside the convergence bound. The same seed always gives the same spec.",
    )
    n.add_argument("--seed", type=int, help="the seed of the data (default: a random one, recorded in the spec)")
    n.add_argument("--model", default="w*x",
                   help='a linear model; inputs are named x, x1, x2, … (default: "w*x"; also "w*x + b", "w1*x1 + w2*x2 + b")')
    n.add_argument("--points", type=int, default=4, help="number of data points (default: 4)")
    n.add_argument("--noise", default="0", metavar="AMOUNT",
                   help="largest noise added to y, a multiple of 0.1; steps of 0.5 when AMOUNT allows (default: 0)")
    n.add_argument("--epochs", type=int, help="epochs (default: enough for the run to settle, 10 to 200)")
    n.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the lesson (default: en)")
    n.add_argument("--out", metavar="FILE", help="write the spec to FILE (default: print it)")
    n.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    n.set_defaults(run=run_new)

    b = sub.add_parser(
        "batch",
        help="one handout per student, each with its own data, plus a teacher's key",
        description="Build one handout per student from a lesson spec, each with fresh data drawn from a "
        "per-student seed (the spec's model, learning rate and settings are kept), and a teacher's key with "
        "every student's data and worked-epoch numbers. Handouts already up to date are skipped, so an "
        "interrupted or partly failed batch is finished by running the same command again.",
    )
    b.add_argument("spec", nargs="?", help="the lesson spec (TOML); default: the built-in seed lesson")
    who = b.add_mutually_exclusive_group(required=True)
    who.add_argument("--students", type=int, metavar="N", help="a class of N numbered students")
    who.add_argument("--roster", metavar="CSV", help='a UTF-8 CSV file with a header column "name"')
    b.add_argument("--out", default="handouts", help="output folder (default: handouts/)")
    b.add_argument("--seed", type=int, default=0, help="the batch seed every student's seed derives from (default: 0)")
    b.add_argument("--noise", default="0", metavar="AMOUNT", help="largest noise added to y, as for new (default: 0)")
    b.add_argument("--lang", choices=["en", "zh"], help="document language (default: the spec's language)")
    b.add_argument("--format", default=None, metavar="LIST",
                   help="comma-separated formats among md,html,pdf (default: all that are installed)")
    b.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: one per CPU core)")
    b.add_argument("--force", action="store_true", help="rebuild every handout, even those up to date")
    b.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    b.set_defaults(run=run_batch)


def _command(argv: list[str]) -> str:
    return "explainer " + " ".join(shlex.quote(a) for a in argv)


def run_new(args) -> int:
    from .newdata import new_lesson

    if args.seed is None:
        import secrets

        args.seed = secrets.randbelow(1_000_000)
    argv = ["new", "--seed", str(args.seed)]
    for option, value, default in (("--model", args.model, "w*x"), ("--points", args.points, 4),
                                   ("--noise", args.noise, "0"), ("--epochs", args.epochs, None),
                                   ("--lang", args.lang, "en")):
        if value != default:
            argv += [option, str(value)]
    text = new_lesson(args.seed, model=args.model, points=args.points, noise=args.noise, lang=args.lang,
                      epochs=args.epochs, command=_command(argv))
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if out.exists() and not args.force:
        raise ExplainerError(f"--out: {out} already exists; add --force to overwrite it")
    if out.is_dir():
        raise ExplainerError(f"--out: {out} is a folder; name the spec file to write, e.g. {out / 'lesson.toml'}")
    from .pipeline import write

    written = write({out.name: text.encode()}, out.parent if str(out.parent) else ".")
    print(f"wrote {written[0]}")
    return 0


def run_batch(args) -> int:
    import os

    from . import batch
    from .cli import _formats

    # before NumPy loads: one BLAS thread per worker process, or the workers fight over the cores
    for name in batch.THREAD_VARIABLES:
        os.environ.setdefault(name, "1")

    formats, _explicit = _formats(args.format)
    names = batch.read_roster(args.roster) if args.roster else None
    if args.jobs is not None and args.jobs < 1:
        raise ExplainerError(f"--jobs: expected 1 or more, found {args.jobs}")
    argv = ["batch"] + ([args.spec] if args.spec else []) + (
        ["--roster", Path(args.roster).name] if args.roster else ["--students", str(args.students)]
    ) + ["--seed", str(args.seed)] + (["--noise", args.noise] if args.noise != "0" else [])
    summary = batch.run(args.spec, names=names, count=args.students, out=args.out, seed=args.seed,
                        noise=args.noise, lang=args.lang, formats=formats, jobs=args.jobs, force=args.force,
                        progress=not args.no_progress, command=_command(argv))
    report(summary)
    return 1 if summary.failed else 0


def report(summary) -> None:
    """What was written, skipped and failed, and where the key is: the last thing a teacher reads."""
    total = len(summary.written) + len(summary.skipped) + len(summary.failed)
    print(f"{total} student(s) in {summary.out}/: {len(summary.written)} written, {len(summary.skipped)} up to date "
          f"(skipped), {len(summary.failed)} failed; {summary.seconds:.1f} s with {summary.jobs} worker(s)")
    for path in summary.key:
        print(f"wrote {path}")
    for student, reason in summary.failed:
        first, *rest = reason.splitlines() or [""]
        print(f"explainer: failed: {student.name} ({student.slug}): {first}", file=sys.stderr)
        for line in rest:
            print(f"  {line}", file=sys.stderr)
