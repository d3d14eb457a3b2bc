"""``explainer check FILE…``: audit the arithmetic of handouts people wrote.

Exit codes: 0 nothing wrong, 1 mistakes found, 2 a file could not be read (the others are still
checked and reported). ``--json`` prints one object for one file, a list for several.
"""
from __future__ import annotations

import argparse
import sys

from ..catalog import LANGUAGES, catalog
from ..errors import InputError
from . import check_file
from .report import as_json, as_text


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "check",
        help="check the arithmetic of hand-written handouts (Markdown or .tex)",
        description="Re-read every equality in the given Markdown or LaTeX handouts and report the ones "
        "that do not hold: wrong values, wrong rounding, values used inconsistently, wrong derivation "
        "steps. What cannot be read is counted as skipped, never reported.",
    )
    configure(p)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="handouts to check (.md, or .tex for LaTeX)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--lang", choices=LANGUAGES, help="language of the messages (default: the document's)")
    p.add_argument("--strict", action="store_true",
                   help="demand exact '=' and correctly rounded '\\approx' (as for generated documents)")
    p.set_defaults(run=run)


def run(args) -> int:
    reports, unreadable = [], False
    for path in args.files:
        try:
            reports.append(check_file(path, lang=args.lang, strict=getattr(args, "strict", False)))
        except InputError as exc:
            unreadable = True
            print(catalog(args.lang or "en", "check")("cannot_read", error=exc), file=sys.stderr)
    if args.json:
        if reports:
            print(as_json(reports, single=len(args.files) == 1))
    else:
        for report in reports:
            print(as_text(report))
    if unreadable:
        return 2
    return 1 if any(r.findings for r in reports) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="explainer check")
    configure(parser)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
