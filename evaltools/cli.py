"""Command line (README.md, `evaltools <command> --help`): parses arguments, maps errors to exit codes, nothing more.

Exit codes: 0 ok, 1 invalid data, 2 usage, 3 the run folder was written but a
notebook failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

import yaml

from evaltools.errors import DataInvalid, EvaltoolsError, UsageError
from evaltools.labels import DEFAULT_LANG, LANGS, system_lang, t

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_NOTEBOOK = 0, 1, 2, 3


_ARGPARSE = {  # argparse's own words (its gettext msgids) -> catalogue keys
    "usage: ": "cli.argparse.usage",
    "positional arguments": "cli.argparse.positionals",
    "options": "cli.argparse.options",
    "show this help message and exit": "cli.argparse.help",
    "the following arguments are required: %s": "cli.argparse.required",
    "unrecognized arguments: %s": "cli.argparse.unrecognized",
    "invalid choice: %(value)r (choose from %(choices)s)": "cli.argparse.invalid_choice",
    "argument %(argument_name)s: %(message)s": "cli.argparse.argument",
    "expected one argument": "cli.argparse.expected_one",
    "invalid %(type)s value: %(value)r": "cli.argparse.invalid_type",
    "ambiguous option: %(option)s could match %(matches)s": "cli.argparse.ambiguous",
    "ignored explicit argument %r": "cli.argparse.ignored",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: exit 2 with a one-line message, no traceback
        self.print_usage(sys.stderr)
        print(f"evaltools: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


@contextlib.contextmanager
def _argparse_speaks(lang: str):
    """argparse's own words (usage, options, its errors) in ``lang`` while parsing."""
    original = argparse._
    argparse._ = lambda msgid: t(_ARGPARSE[msgid], lang) if msgid in _ARGPARSE else msgid
    try:
        yield
    finally:
        argparse._ = original


def _option_value(argv: list[str], option: str) -> str | None:
    """The last value given to ``option`` (``--opt v`` or ``--opt=v``) anywhere in ``argv``."""
    value = None
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(option + "="):
            value = arg.split("=", 1)[1]
    return value


def _data_folder(argv: list[str]) -> Path | None:
    data = _option_value(argv, "--data")
    if data is None and "validate" in argv:
        rest = argv[argv.index("validate") + 1:]
        data = next((a for a in rest if not a.startswith("-")), None)
    return Path(data) if data else None


def _project_lang(data: Path | None) -> str | None:
    """project.yaml's language, read leniently (validation reports a broken file later)."""
    if data is None:
        return None
    try:
        config = yaml.safe_load((data / "project.yaml").read_text(encoding="utf-8"))
        lang = str(config.get("language") or "").strip().lower()
    except (OSError, ValueError, AttributeError, yaml.YAMLError):
        return None
    return lang if lang in LANGS else None


def resolve_lang(argv: list[str], environ: dict | None = None) -> str:
    """The language of the messages (docs/index.md): ``--lang`` (before or after the command),
    else project.yaml's, else the system's locale when evaltools speaks it, else English.

    >>> resolve_lang(["--lang", "pl", "validate", "x"]), resolve_lang(["validate", "x", "--lang=en"], {"LANG": "pl_PL"})
    ('pl', 'en')
    >>> resolve_lang(["validate", "/nonexistent"], {"LANG": "pl_PL.UTF-8"}), resolve_lang([], {"LANG": "C.UTF-8"})
    ('pl', 'en')
    """
    given = (_option_value(argv, "--lang") or "").strip().lower()
    if given in LANGS:
        return given
    return _project_lang(_data_folder(argv)) or system_lang(environ) or DEFAULT_LANG


def _params(pairs: list[str], lang: str = DEFAULT_LANG) -> dict:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UsageError(t("cli.error.param", lang, pair=repr(pair)))
        key, value = pair.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def build_parser(lang: str = DEFAULT_LANG) -> argparse.ArgumentParser:
    """The parser, every help text in ``lang`` (argparse's own words: see :func:`main`)."""
    def h(key: str) -> str:
        return t(f"cli.{key}", lang)

    langs = tuple(LANGS)
    lang_meta = h("metavar.lang")
    p = _Parser(prog="evaltools", description=h("description"), epilog=h("epilog"))
    p.add_argument("--lang", dest="lang_global", choices=langs, default=None, metavar=lang_meta,
                   help=h("lang") + f" ({', '.join(langs)})")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser, title=h("commands"),
                           metavar=h("metavar.command"))

    def command(name: str, key: str):
        return sub.add_parser(name, help=h(f"{key}.help"), description=h(f"{key}.help"), epilog=h("epilog"))

    def lang_option(s, help_key: str = "lang", default=None):
        s.add_argument("--lang", choices=langs, default=default, metavar=lang_meta,
                       help=h(help_key) + f" ({', '.join(langs)})")

    s = command("templates", "templates")
    s.add_argument("out", type=Path, metavar=h("metavar.out"), help=h("templates.out"))
    lang_option(s, "templates.lang")
    s.add_argument("--data", type=Path, metavar=h("metavar.data"), help=h("templates.data"))

    s = command("demo-data", "demo_data")
    s.add_argument("out", type=Path, metavar=h("metavar.out"), help=h("demo_data.out"))
    s.add_argument("--seed", type=int, default=0, metavar=h("metavar.n"), help=h("demo_data.seed"))
    s.add_argument("--participants", type=int, default=None, metavar=h("metavar.n"), help=h("demo_data.participants"))
    s.add_argument("--format", choices=("csv", "xlsx"), default="csv", help=h("demo_data.format"))
    lang_option(s, "demo_data.lang")
    s.add_argument("--until", choices=("baseline", "endline"), default=None, help=h("demo_data.until"))
    s.add_argument("--comparison", type=int, default=0, metavar=h("metavar.n"), help=h("demo_data.comparison"))
    s.add_argument("--waves", default="baseline,endline", help=h("demo_data.waves"))

    s = command("demo", "demo")
    s.add_argument("--out", type=Path, default=Path("."), metavar=h("metavar.out"), help=h("demo.out"))
    lang_option(s, "demo.lang")

    s = command("init", "init")
    s.add_argument("data", type=Path, metavar=h("metavar.data"), help=h("init.data"))
    lang_option(s, "init.lang")

    s = command("validate", "validate")
    s.add_argument("data", type=Path, metavar=h("metavar.data"), help=h("validate.data"))
    lang_option(s)

    s = command("run", "run")
    s.add_argument("phase", choices=("baseline", "endline"), metavar=h("metavar.phase"), help=h("run.phase"))
    s.add_argument("--data", type=Path, required=True, metavar=h("metavar.data"), help=h("run.data"))
    s.add_argument("--out", type=Path, default=Path("runs"), metavar=h("metavar.out"), help=h("run.out"))
    lang_option(s)
    s.add_argument("--param", action="append", default=[], metavar=h("metavar.param"), help=h("run.param"))
    s.add_argument("--quiet", action="store_true", help=h("run.quiet"))

    s = command("xlsform", "xlsform")
    s.add_argument("out", type=Path, metavar=h("metavar.out"), help=h("xlsform.out"))
    s.add_argument("--data", type=Path, required=True, metavar=h("metavar.data"), help=h("xlsform.data"))
    lang_option(s, "xlsform.lang")
    return p


def _printable_streams() -> None:
    """A console or file that cannot encode a letter (cp1252 on Windows and "ż") shows an escape, never fails."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    _printable_streams()
    lang = resolve_lang(argv)
    with _argparse_speaks(lang):
        args = build_parser(lang).parse_args(argv)
    args.lang = args.lang or args.lang_global  # --lang before the command counts as after it
    args.message_lang = args.lang or lang
    try:
        return _dispatch(args)
    except UsageError as e:
        print(f"evaltools: {e}", file=sys.stderr)
        return EXIT_USAGE
    except DataInvalid as e:
        from evaltools.validate import format_problems
        print(format_problems(e.problems, args.message_lang), file=sys.stderr)
        return EXIT_INVALID
    except EvaltoolsError as e:
        print(f"evaltools: {e}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print(f"evaltools: {t('cli.error.interrupted', args.message_lang)}", file=sys.stderr)
        return 130
    except OSError as e:  # a file that cannot be read or written: say which, no traceback
        print(f"evaltools: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return EXIT_INVALID
    except Exception as e:  # a bug of ours: one line for the user, the traceback on request
        if os.environ.get("EVALTOOLS_DEBUG"):
            raise
        print(f"evaltools: {t('cli.error.bug', args.message_lang, error=f'{type(e).__name__}: {e}')}", file=sys.stderr)
        return EXIT_NOTEBOOK if args.command == "run" else EXIT_INVALID


def _dispatch(args) -> int:
    if args.command == "templates":
        from evaltools.templates import write_templates
        for path in write_templates(args.out, lang=args.lang or "pl", data_dir=args.data):
            print(path)
        return EXIT_OK
    if args.command == "demo-data":
        from evaltools.synth import write_demo_data
        if args.participants is not None and args.participants < 1:
            raise UsageError(t("cli.error.participants", args.message_lang))
        path = write_demo_data(args.out, seed=args.seed, participants=args.participants, fmt=args.format,
                               lang=args.lang or "pl", until=args.until, comparison=args.comparison,
                               waves=tuple(args.waves.split(",")))
        print(path)
        return EXIT_OK
    if args.command == "demo":
        from evaltools.report import run
        from evaltools.synth import write_demo_data
        data = args.out / "data" / "demo"  # as `make demo`: data/demo and runs/ (the notebooks' defaults)
        if not (data / "project.yaml").is_file():
            write_demo_data(data, seed=0, fmt="xlsx", lang=args.lang or "pl")
        result = run("endline", data_dir=data, out=args.out / "runs", lang=args.lang)
        print(result.index_path)
        return EXIT_OK if result.ok else EXIT_NOTEBOOK
    if args.command == "init":
        from evaltools.new_project import write_new_project
        lang = args.lang or args.message_lang
        for path in write_new_project(args.data, lang=lang):
            print(path)
        print(t("cli.init.next", lang, data=args.data))
        return EXIT_OK
    if args.command == "validate":
        from evaltools.validate import format_problems, summary, validate_folder
        if not args.data.is_dir():
            raise UsageError(t("cli.error.no_data_folder", args.message_lang, path=args.data))
        report = validate_folder(args.data)
        lang = args.message_lang
        if report.errors:
            print(format_problems(report.problems, lang, folder=str(args.data)), file=sys.stderr)
            return EXIT_INVALID
        print(summary(report, lang))
        return EXIT_OK
    if args.command == "run":
        from evaltools.report import run
        if not args.data.is_dir():
            raise UsageError(t("cli.error.no_data_folder", args.message_lang, path=args.data))
        result = run(args.phase, data_dir=args.data, out=args.out, lang=args.lang,
                     params=_params(args.param, args.message_lang),
                     progress=not args.quiet)
        print(result.index_path)
        return EXIT_OK if result.ok else EXIT_NOTEBOOK
    if args.command == "xlsform":
        from evaltools.xlsform import write_xlsforms
        if not args.data.is_dir():
            raise UsageError(t("cli.error.no_data_folder", args.message_lang, path=args.data))
        for path in write_xlsforms(args.out, data_dir=args.data, lang=args.lang):
            print(path)
        return EXIT_OK
    raise UsageError(t("cli.error.unknown_command", args.message_lang, command=repr(args.command)))


if __name__ == "__main__":
    sys.exit(main())
