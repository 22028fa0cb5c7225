"""Command line (DESIGN.md §6): parses arguments, maps errors to exit codes, nothing more.

Exit codes: 0 ok, 1 invalid data, 2 usage, 3 the run folder was written but a
notebook failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from evaltools.errors import DataInvalid, EvaltoolsError, UsageError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_NOTEBOOK = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: exit 2 with a one-line message, no traceback
        self.print_usage(sys.stderr)
        print(f"evaltools: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _params(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UsageError(f"--param {pair!r}: expected key=value")
        key, value = pair.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="evaltools", description="Evaluate a social-inclusion programme: templates, validation, runs.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("templates", help="write the Excel templates staff fill in")
    s.add_argument("out", type=Path)
    s.add_argument("--lang", choices=("pl", "en"), default="pl")
    s.add_argument("--data", type=Path, help="also add a q_<id> sheet for each instrument of this project")

    s = sub.add_parser("demo-data", help="write a synthetic data folder shaped like the programme")
    s.add_argument("out", type=Path)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--participants", type=int, default=None, help="scale up to N participants (benchmarks)")
    s.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    s.add_argument("--lang", choices=("pl", "en"), default="pl", help="language of the project and its templates")
    s.add_argument("--until", choices=("baseline", "endline"), default=None,
                   help="only what staff will have typed by that run (default: the whole year)")

    s = sub.add_parser("validate", help="check a data folder against the contract")
    s.add_argument("data", type=Path)
    s.add_argument("--lang", choices=("pl", "en"), default=None)

    s = sub.add_parser("run", help="validate, then execute the notebooks into a new run folder")
    s.add_argument("phase", choices=("baseline", "endline"))
    s.add_argument("--data", type=Path, required=True)
    s.add_argument("--out", type=Path, default=Path("runs"))
    s.add_argument("--lang", choices=("pl", "en"), default=None)
    s.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    s.add_argument("--quiet", action="store_true", help="no progress output")

    s = sub.add_parser("xlsform", help="write one XLSForm per instrument for KoboToolbox / ODK Collect")
    s.add_argument("out", type=Path)
    s.add_argument("--data", type=Path, required=True)
    s.add_argument("--lang", choices=("pl", "en"), default=None, help="default: the project's language")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UsageError as e:
        print(f"evaltools: {e}", file=sys.stderr)
        return EXIT_USAGE
    except DataInvalid as e:
        from evaltools.validate import format_problems
        print(format_problems(e.problems, args.__dict__.get("lang")), file=sys.stderr)
        return EXIT_INVALID
    except EvaltoolsError as e:
        print(f"evaltools: {e}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("evaltools: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a file that cannot be read or written: say which, no traceback
        print(f"evaltools: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return EXIT_INVALID
    except Exception as e:  # a bug of ours: one line for the user, the traceback on request
        if os.environ.get("EVALTOOLS_DEBUG"):
            raise
        print(f"evaltools: unexpected error ({type(e).__name__}: {e}). This is a bug in evaltools; "
              f"run again with EVALTOOLS_DEBUG=1 for details.", file=sys.stderr)
        return EXIT_NOTEBOOK if args.command == "run" else EXIT_INVALID


def _dispatch(args) -> int:
    if args.command == "templates":
        from evaltools.templates import write_templates
        for path in write_templates(args.out, lang=args.lang, data_dir=args.data):
            print(path)
        return EXIT_OK
    if args.command == "demo-data":
        from evaltools.synth import write_demo_data
        if args.participants is not None and args.participants < 1:
            raise UsageError("--participants must be at least 1")
        path = write_demo_data(args.out, seed=args.seed, participants=args.participants, fmt=args.format,
                               lang=args.lang, until=args.until)
        print(path)
        return EXIT_OK
    if args.command == "validate":
        from evaltools.validate import format_problems, summary, validate_folder
        if not args.data.is_dir():
            raise UsageError(f"{args.data}: no such data folder")
        report = validate_folder(args.data)
        lang = args.lang or report.language
        if report.errors:
            print(format_problems(report.problems, lang, folder=str(args.data)), file=sys.stderr)
            return EXIT_INVALID
        print(summary(report, lang))
        return EXIT_OK
    if args.command == "run":
        from evaltools.report import run
        if not args.data.is_dir():
            raise UsageError(f"{args.data}: no such data folder")
        result = run(args.phase, data_dir=args.data, out=args.out, lang=args.lang, params=_params(args.param),
                     progress=not args.quiet)
        print(result.index_path)
        return EXIT_OK if result.ok else EXIT_NOTEBOOK
    if args.command == "xlsform":
        from evaltools.xlsform import write_xlsforms
        if not args.data.is_dir():
            raise UsageError(f"{args.data}: no such data folder")
        for path in write_xlsforms(args.out, data_dir=args.data, lang=args.lang):
            print(path)
        return EXIT_OK
    raise UsageError(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
