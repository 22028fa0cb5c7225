"""Tests of evaltools/cli.py: the language of help and messages (DESIGN §6, issue 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


@pytest.mark.parametrize("command", ["validate", "run", "templates", "demo-data", "demo", "init"])
def test_subcommand_help_under_polish_system_locale(system, capsys, command):
    system("pl_PL.UTF-8")
    text = help_text([command, "--help"], capsys)
    assert_polish(text)
    assert "opcje:" in text


def test_every_option_has_help(system, capsys):
    system("C")
    for command in ("templates", "demo-data", "validate", "run", "demo", "init"):
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


# =========================================================================== init, demo (issue 16)


def _init(tmp_path, lang="en"):
    import yaml

    data = tmp_path / "project"
    assert cli.main(["init", str(data), "--lang", lang]) == cli.EXIT_OK
    return data, yaml.safe_load((data / "project.yaml").read_text(encoding="utf-8"))


def test_init_validates_with_only_empty_tables(system, tmp_path, capsys):
    from evaltools.validate import validate_folder

    system("C")
    data, config = _init(tmp_path)
    out = capsys.readouterr().out
    assert "evaltools validate" in out and str(data / "project.yaml") in out
    report = validate_folder(data)
    assert report.errors == []
    assert {p.key for p in report.problems} == {"empty_table"}  # nothing but "table has no rows"
    tables = {p.table or p.sheet for p in report.problems}
    assert {"participants", "sessions", "attendance", "ties"} | {f"q_{i}" for i in config["instruments"]} <= tables


def test_init_yaml_has_only_documented_keys(system, tmp_path):
    """Every key is one project.yaml may hold and docs/data.md, docs/targets.md describe; the programme's shape."""
    import re

    from evaltools.instruments import find_instrument
    from evaltools.validate.project_yaml import PROJECT_KEYS

    system("C")
    _, config = _init(tmp_path)
    docs = Path(__file__).resolve().parent.parent / "docs"
    data_keys = set(re.findall(r"^\| `(\w+)` \|", (docs / "data.md").read_text(encoding="utf-8"), re.M))
    target_keys = set(re.findall(r"^\| `(\w+)` \|", (docs / "targets.md").read_text(encoding="utf-8"), re.M))
    assert set(config) <= PROJECT_KEYS and set(config) <= data_keys
    assert {"name", "period", "language", "instruments", "min_cell", "targets", "groups"} <= set(config)
    assert config["min_cell"] == 5 and config["language"] == "en"
    for target in config["targets"]:
        assert set(target) <= target_keys, target
    assert any("where" in target for target in config["targets"])
    for inst in config["instruments"]:
        find_instrument(inst)
    from evaltools.new_project import PRIMARY_OUTCOMES
    for outcome in config.get("primary_outcomes", PRIMARY_OUTCOMES):  # written as a comment until validation knows it
        inst, scale = outcome.split("/")
        assert inst in config["instruments"] and scale in [s.id for s in find_instrument(inst).scales], outcome


def test_init_filled_by_staff_validates(system, tmp_path):
    """The demo's year typed into init's workbook, under init's project.yaml: valid (warnings at most)."""
    import yaml

    from evaltools.instruments import find_instrument
    from evaltools.synth import demo_tables
    from evaltools.templates import write_filled_workbook
    from evaltools.validate import validate_folder

    system("C")
    data, config = _init(tmp_path)
    _, tables = demo_tables(seed=0, participants=40)
    workbook = next(data.glob("*.xlsx"))
    write_filled_workbook(workbook, tables, lang="en", instruments=[find_instrument(i) for i in config["instruments"]])
    text = (data / "project.yaml").read_text(encoding="utf-8")
    year = config["period"]["start"][:4]
    (data / "project.yaml").write_text(text.replace(year, "2021"), encoding="utf-8")  # the demo's year
    report = validate_folder(data)
    assert [p.text("en") for p in report.errors] == []
    assert yaml.safe_load((data / "project.yaml").read_text(encoding="utf-8"))["name"] == "project"


def test_init_polish_comments_and_no_overwrite(system, tmp_path, capsys):
    system("pl_PL.UTF-8")
    data = tmp_path / "nowy"
    assert cli.main(["init", str(data)]) == cli.EXIT_OK
    text = (data / "project.yaml").read_text(encoding="utf-8")
    assert "# Nazwa programu" in text and "language: pl" in text and (data / "evaltools_pl.xlsx").is_file()
    capsys.readouterr()
    assert cli.main(["init", str(data)]) == cli.EXIT_USAGE
    assert "niczego nie nadpisuje" in capsys.readouterr().err
    assert (data / "project.yaml").read_text(encoding="utf-8") == text


def test_demo_writes_data_and_runs_under_out(system, monkeypatch, tmp_path, capsys):
    """`evaltools demo --out DIR` = `make demo` in DIR: data/demo (xlsx, seed 0) made once, an endline into runs/."""
    from types import SimpleNamespace

    import evaltools.report as report
    import evaltools.synth as synth

    system("C")
    made, runs = [], []

    def fake_write(out, **kw):
        made.append((out, kw))
        out.mkdir(parents=True)
        (out / "project.yaml").write_text("name: x\n", encoding="utf-8")
        return out

    def fake_run(phase, **kw):
        runs.append((phase, kw))
        return SimpleNamespace(index_path=kw["out"] / "r" / "index.html", ok=True)

    monkeypatch.setattr(synth, "write_demo_data", fake_write)
    monkeypatch.setattr(report, "run", fake_run)
    for _ in range(2):
        assert cli.main(["demo", "--out", str(tmp_path), "--lang", "en"]) == cli.EXIT_OK
    assert made == [(tmp_path / "data" / "demo", {"seed": 0, "fmt": "xlsx", "lang": "en"})]  # reused the second time
    assert [(p, kw["data_dir"], kw["out"], kw["lang"]) for p, kw in runs] == [
        ("endline", tmp_path / "data" / "demo", tmp_path / "runs", "en")] * 2
    assert capsys.readouterr().out.splitlines()[-1] == str(tmp_path / "runs" / "r" / "index.html")


def test_messages_survive_a_console_that_cannot_encode_them():
    """Windows' cp1252 console (or a redirected file) has no "ż": the text is escaped, not a traceback."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "cp1252", "LANG": "C"}
    out = subprocess.run([sys.executable, "-m", "evaltools", "--lang", "pl", "validate", "--help"],
                         env=env, capture_output=True, timeout=120)
    assert out.returncode == 0 and b"Traceback" not in out.stderr, out.stderr
    assert out.stdout.startswith(b"u\\u017cycie:")  # "użycie:", its ż escaped
