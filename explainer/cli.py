"""The ``explainer`` command: a thin layer over the library; every user error becomes one message.

Exit codes: 0 success, 1 the document failed its own check (or ``check`` found mistakes),
2 bad input (spec, file, option). No traceback reaches the user for an error they can fix.
"""
from __future__ import annotations

import argparse
import sys

from .errors import ExplainerError


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explainer",
        description="Turn a gradient-descent lesson into a step-by-step worked example in which every number is checked.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    b = sub.add_parser(
        "build",
        help="build a lesson's document (Markdown, HTML, PDF) and its trace (JSON)",
        description="Build a lesson into <out>/<lesson>.<lang>.md (and .html, .pdf, .json, figures). "
        "The document's arithmetic is re-read and verified before anything is written.",
    )
    b.add_argument("spec", nargs="?", help="the lesson spec (TOML); default: the built-in seed lesson")
    b.add_argument("--lang", choices=["en", "zh"], help="document language (default: the spec's language)")
    b.add_argument("--out", default="output", help="output folder (default: output/)")
    b.add_argument("--format", default=None, metavar="LIST",
                   help="comma-separated formats among md,html,pdf (default: all that are installed)")
    b.add_argument("--templates", metavar="DIR", help="a folder of your own Jinja templates, searched first")
    b.add_argument("--worksheet", action="store_true",
                   help="also write <lesson>.<lang>.worksheet.* (blanks, chosen by the spec's [worksheet] table) "
                        "and <lesson>.<lang>.key.* (the answers underlined)")
    b.set_defaults(run=_run_build)

    g = sub.add_parser(
        "gallery",
        help="rebuild output/: every shipped lesson in English and Chinese, in every format",
        description="Build every lesson shipped in lessons/ in both languages into one folder (default output/).",
    )
    g.add_argument("--out", default="output", help="output folder (default: output/)")
    g.add_argument("--format", default=None, metavar="LIST", help="comma-separated formats (default: all installed)")
    g.set_defaults(run=_run_gallery)

    from .check import command as check_command

    check_command.add_parser(sub)
    from . import teacher_cli

    teacher_cli.add_parsers(sub)
    return parser


def _formats(option: str | None) -> tuple[tuple[str, ...], bool]:
    from .pipeline import FORMATS, available_formats

    if option is None:
        return available_formats(), False
    chosen = tuple(f.strip() for f in option.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ExplainerError(f"--format: unknown format(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    return chosen, True


def _run_build(args) -> int:
    from .pipeline import build, outputs, write

    from .figures import Painter

    painter = Painter()  # forked first, so matplotlib loads on the other core meanwhile
    formats, explicit = _formats(args.format)
    doc = build(args.spec, lang=args.lang, templates=args.templates, worksheet=args.worksheet, painter=painter,
                formats=formats)
    files, problems = outputs(doc, formats)
    written = write(files, args.out)
    for path in written:
        print(f"wrote {path}")
    print(f"checked {doc.checked} equalities: all hold")
    for problem in problems:
        print(f"explainer: {problem}", file=sys.stderr)
    return 2 if problems and explicit else 0


def _run_gallery(args) -> int:
    from .gallery import build_gallery

    formats, explicit = _formats(args.format)
    problems = build_gallery(args.out, formats)
    for problem in problems:
        print(f"explainer: {problem}", file=sys.stderr)
    return 2 if problems and explicit else 0


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ExplainerError as exc:
        print(f"explainer: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ModuleNotFoundError as exc:  # the project was not installed with its dependencies
        print(f"explainer: error: the package {exc.name!r} is missing; install the project with "
              f"pip install \".[pdf]\" (see the README)", file=sys.stderr)
        return 2
    except OSError as exc:  # an output folder that cannot be written, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"explainer: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
