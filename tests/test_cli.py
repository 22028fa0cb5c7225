"""Tests of evaltools/cli.py: the language of help and messages (DESIGN §6, issue 16)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from evaltools import cli
from evaltools.labels import raw_catalogue

ENV_VARS = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


@pytest.fixture
def system(monkeypatch):
    """Set the system locale: system("pl_PL.UTF-8")."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)

    def set_lang(value: str, var: str = "LANG"):
        monkeypatch.setenv(var, value)
    return set_lang


def english_words() -> list[str]:
    """Every English text of the CLI's catalogue entries that differs from its Polish one, and argparse's words."""
    words = ["usage:", "show this help", "positional arguments", "options:", "the following arguments"]
    for key, entry in raw_catalogue().items():
        if key.startswith("cli.") and entry["en"] != entry["pl"] and len(entry["en"]) > 3:
            words.append(entry["en"].split("%")[0].split("{")[0].strip())
    return [w for w in words if w and not w.startswith("-")]


def help_text(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 0
    return capsys.readouterr().out


def assert_polish(text: str):
    assert "użycie:" in text and "pokaż tę pomoc i zakończ" in text
    leaks = [w for w in english_words() if w in text]
    assert leaks == []


def test_english_words_have_teeth(system, capsys):
    system("C.UTF-8")
    text = help_text(["--help"], capsys)
    assert len([w for w in english_words() if w in text]) >= 5


def test_lang_pl_before_command_help(system, capsys):
    system("en_US.UTF-8")
    text = help_text(["--lang", "pl", "--help"], capsys)
    assert_polish(text)
    assert "sprawdź folder danych względem kontraktu" in text


@pytest.mark.parametrize("command", ["validate", "run", "templates", "demo-data"])
def test_subcommand_help_under_polish_system_locale(system, capsys, command):
    system("pl_PL.UTF-8")
    text = help_text([command, "--help"], capsys)
    assert_polish(text)
    assert "opcje:" in text


def test_every_option_has_help(system, capsys):
    system("C")
    for command in ("templates", "demo-data", "validate", "run"):
        parser = cli.build_parser("pl")
        sub = next(a for a in parser._actions if a.dest == "command").choices[command]
        assert all(a.help for a in sub._actions), command


def test_lang_after_command_wins_over_system(system, capsys):
    system("pl_PL.UTF-8", "LC_ALL")
    text = help_text(["validate", "--lang", "en", "--help"], capsys)
    assert "usage:" in text and "check a data folder against the contract" in text


def test_english_without_polish_locale(system, capsys):
    system("de_DE.UTF-8")
    assert "usage:" in help_text(["validate", "--help"], capsys)


def test_lc_all_overrides_lang(system):
    system("pl_PL.UTF-8")
    system("en_GB.UTF-8", "LC_ALL")
    assert cli.resolve_lang(["validate", "x"]) == "en"


def test_project_yaml_language(system, tmp_path):
    system("C.UTF-8")
    (tmp_path / "project.yaml").write_text("name: x\nlanguage: pl\n", encoding="utf-8")
    assert cli.resolve_lang(["validate", str(tmp_path)]) == "pl"
    assert cli.resolve_lang(["run", "endline", "--data", str(tmp_path)]) == "pl"
    assert cli.resolve_lang(["run", "endline", f"--data={tmp_path}", "--lang", "en"]) == "en"
    (tmp_path / "project.yaml").write_text(": not yaml [", encoding="utf-8")
    assert cli.resolve_lang(["validate", str(tmp_path)]) == "en"


def test_usage_error_in_polish(system, capsys):
    system("pl_PL.UTF-8")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run"])
    assert exit_.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "brakuje wymaganych argumentów" in err and "użycie:" in err


def test_missing_folder_message_in_polish(system, capsys, tmp_path):
    system("pl_PL.UTF-8")
    assert cli.main(["validate", str(tmp_path / "nope")]) == cli.EXIT_USAGE
    assert "nie ma takiego folderu danych" in capsys.readouterr().err


def test_lang_before_command_reaches_the_command(system, monkeypatch):
    system("C")
    seen = {}
    monkeypatch.setattr(cli, "_dispatch", lambda args: seen.update(lang=args.lang, msg=args.message_lang) or 0)
    assert cli.main(["--lang", "en", "templates", "out"]) == 0
    assert seen == {"lang": "en", "msg": "en"}
    assert cli.main(["templates", "out"]) == 0
    assert seen == {"lang": None, "msg": "en"}  # write_templates then keeps its default, Polish


def test_argparse_words_restored(system, capsys):
    import argparse
    system("pl_PL.UTF-8")
    help_text(["--help"], capsys)
    assert argparse._("usage: ") == "usage: "


def test_real_process_help_in_polish():
    env = {"LANG": "pl_PL.UTF-8", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "evaltools", "validate", "--help"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert_polish(out.stdout)
