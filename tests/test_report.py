"""evaltools.report: the run folder, papermill, the offline HTML, the manifest and the runs index.

The end-to-end tests share one baseline and one endline run of a small demo
data set with a planted participant id and free-text exit reason
(tests/conftest.py, fixture ``runs``); the rest are unit tests of the
helpers the notebooks call.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evaltools import report
from evaltools.report import runner
from evaltools.errors import DataInvalid, UsageError

#: DESIGN.md §7, copied here on purpose: the test fails when the code drifts from the contract.
CONTRACT = {
    "scores.csv": "participant_id, wave, instrument, scale, score, n_items",
    "reliability.csv": "instrument, scale, wave, n, k_items, alpha, alpha_ci_low, alpha_ci_high, omega",
    "change.csv": "instrument, scale, group, n_pairs, mean_pre, sd_pre, mean_post, sd_post, mean_diff, ci_low, "
                  "ci_high, ci_level, t, df, p_t, w_stat, p_wilcoxon, d_z, g_av, g_av_ci_low, g_av_ci_high, "
                  "p_holm, suppressed, mdes_dz",
    "reliable_change.csv": "instrument, scale, group, n_pairs, reliability, sd_baseline, s_diff, n_improved, "
                           "n_unchanged, n_deteriorated, n_recovered, suppressed",
    "ego_networks.csv": "participant_id, wave, size",
    "network.csv": "wave, n_nodes, n_edges, density, mean_degree, components, largest_component_share, isolates, "
                   "transitivity, cross_group_ties",
    "coattendance.csv": "period, n_nodes, n_edges, density, components, largest_component_share, isolates",
    "indicators.csv": "indicator_id, label, target, value, ratio, status",
    "data_quality.csv": "table, check, n_rows_affected, severity",
}
BASELINE_TABLES = {"scores.csv", "reliability.csv", "ego_networks.csv", "network.csv", "coattendance.csv",
                   "indicators.csv", "data_quality.csv"}
NETWORK_LOAD = re.compile(r"""<(script|img|link|iframe|source)\b[^>]*?\b(src|href)\s*=\s*["'](https?:)?//""", re.I)


def header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def html_pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


# =========================================================================== end to end (shared runs)

@pytest.mark.slow
def test_run_folder_holds_every_file(runs):
    run_dir = runs.endline.run_dir
    assert runs.endline.ok, runs.endline.failures
    assert re.fullmatch(r"\d{8}-\d{6}_endline", run_dir.name)
    assert runs.endline.index_path == run_dir / "index.html"
    for name in ("index.html", "manifest.json", "summary.json"):
        assert (run_dir / name).is_file(), name
    stems = list(report.PHASE_NOTEBOOKS["endline"])
    assert sorted(p.stem for p in (run_dir / "notebooks").glob("*.ipynb")) == sorted(stems)
    assert sorted(p.stem for p in (run_dir / "html").glob("*.html")) == sorted(stems)
    figures = list((run_dir / "figures").glob("*.png"))
    assert figures and all(f.stat().st_size > 1000 for f in figures)


@pytest.mark.slow
def test_tables_have_the_contract_columns(runs):
    tables = runs.endline.run_dir / "tables"
    for name, spec in CONTRACT.items():
        want = [c.strip() for c in spec.split(",")]
        got = header(tables / name)
        if name == "ego_networks.csv":  # one column per relation and support type follows size
            assert got[:3] == want and got[-2:] == ["on_estate_share", "diversity"], got
        else:  # the contract grows by adding columns at the end
            assert got[:len(want)] == want, (name, got)
    # baseline: the tables that need no endline
    base = runs.baseline.run_dir / "tables"
    assert BASELINE_TABLES <= {p.name for p in base.glob("*.csv")}
    assert not (base / "change.csv").exists()


@pytest.mark.slow
def test_tables_are_unrounded_point_decimal_utf8(runs):
    change = pd.read_csv(runs.endline.run_dir / "tables" / "change.csv", encoding="utf-8")
    assert (change["group"] == "all").any()
    text = (runs.endline.run_dir / "tables" / "change.csv").read_text(encoding="utf-8")
    assert re.search(r"\d\.\d{6,}", text), "numbers are written unrounded with a decimal point"
    shown = change[~change["suppressed"]]
    assert shown["mean_diff"].notna().all()
    hidden = change[change["suppressed"]]
    assert hidden["mean_diff"].isna().all()


@pytest.mark.slow
def test_manifest_records_inputs_parameters_and_statuses(runs):
    m = json.loads((runs.endline.run_dir / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(p for p in runs.data.rglob("*") if p.is_file())
    recorded = {f["file"]: f["sha256"] for f in m["inputs"]}
    assert set(recorded) == {p.relative_to(runs.data).as_posix() for p in files}
    for p in files:
        assert recorded[p.relative_to(runs.data).as_posix()] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert m["phase"] == "endline" and m["status"] == "ok"
    assert m["parameters"]["min_cell"] == 5 and m["parameters"]["alpha"] == 0.05 and m["parameters"]["seed"] == 0
    assert m["parameters"]["lang"] == "pl"  # the demo project's language
    assert m["toolkit"]["name"] == "evaltools" and m["toolkit"]["version"]
    assert m["packages"]["pandas"] == pd.__version__
    assert dt.datetime.fromisoformat(m["started"]) <= dt.datetime.fromisoformat(m["finished"])
    assert [s["notebook"] for s in m["notebooks"]] == list(report.PHASE_NOTEBOOKS["endline"])
    assert all(s["status"] == "ok" and s["error"] is None for s in m["notebooks"])
    assert m["fingerprint"] == report.fingerprint(m["inputs"])
    # the same data was run at baseline just before: nothing changed since
    since = m["since_baseline"]
    assert since["baseline_run"] == runs.baseline.run_dir.name
    assert since["added"] == since["removed"] == since["changed"] == [] and since["rows"] == {}


@pytest.mark.slow
def test_executed_notebooks_carry_papermill_parameters(runs):
    nb = nbformat.read(runs.endline.run_dir / "notebooks" / "20_outcomes_change.ipynb", as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert params["phase"] == "endline" and Path(params["data_dir"]) == runs.data.resolve()
    assert Path(params["out_dir"]) == runs.endline.run_dir.resolve()


@pytest.mark.slow
def test_data_are_validated_once_and_the_cache_is_removed(runs):
    # every notebook loaded the project the run validated, from a pickle outside the run and data folders ...
    for r in (runs.baseline, runs.endline):
        caches = set()
        for nb in (r.run_dir / "notebooks").glob("*.ipynb"):
            caches.add(nbformat.read(nb, as_version=4).metadata["papermill"]["parameters"]["project_cache"])
        assert len(caches) == 1 and None not in caches
        cache = Path(caches.pop())
        assert r.run_dir.resolve() not in cache.parents and runs.data.resolve() not in cache.parents
        # ... which is gone once the run ended
        assert not cache.exists() and not cache.parent.exists()
    # and nothing in the run folders is a pickle of the raw data
    assert not [p for p in runs.out.rglob("*") if p.suffix in (".pickle", ".pkl")]
    m = json.loads((runs.endline.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert "project_cache" not in m["parameters"] and m["status"] == "ok" and "pid" not in m


@pytest.mark.slow
def test_no_page_shows_an_id_or_free_text(runs, planted_values):
    # the planted id really went through the analysis (else the test below could not fail) ...
    scores = (runs.endline.run_dir / "tables" / "scores.csv").read_text(encoding="utf-8")
    assert planted_values.id in scores
    # ... and reached no rendered page, nor any text output of an executed notebook
    for page in html_pages(runs.out):
        text = page.read_text(encoding="utf-8")
        assert planted_values.id not in text, page
        assert planted_values.note not in text, page
    for nb in (runs.endline.run_dir / "notebooks").glob("*.ipynb"):
        outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(nb, as_version=4).cells])
        assert planted_values.id not in outputs and planted_values.note not in outputs, nb


@pytest.mark.slow
def test_pages_load_nothing_from_the_network(runs):
    pages = html_pages(runs.out)
    assert len(pages) >= 1 + 6 + 5 + 1
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not NETWORK_LOAD.search(text), page
        assert "cdnjs" not in text and "unpkg" not in text and "jsdelivr" not in text, page


@pytest.mark.slow
def test_notebook_pages_hide_code_and_embed_images(runs):
    page = (runs.endline.run_dir / "html" / "10_baseline_profile.html").read_text(encoding="utf-8")
    assert "load_project(" not in page and "import " not in page  # code cells are not rendered
    assert 'src="data:image/png;base64,' in page
    assert "../index.html" in page  # the way back to the summary


@pytest.mark.slow
def test_index_pages(runs):
    end = runs.endline.index_path.read_text(encoding="utf-8")
    assert "Razem zmieniamy jutro" in end and 'lang="pl"' in end.replace("'", '"')
    for stem in report.PHASE_NOTEBOOKS["endline"]:
        assert f"html/{stem}.html" in end
    assert "Od analizy początkowej" in end or "Dane wejściowe są takie same" in end  # since the baseline run
    assert "Na ile możemy być pewni?" in end  # verdicts and design statement
    base = runs.baseline.index_path.read_text(encoding="utf-8")
    assert "Zmianę zmierzymy po pomiarze końcowym" in base
    listing = (runs.out / "index.html").read_text(encoding="utf-8")
    for r in (runs.baseline, runs.endline):
        assert f"{r.run_dir.name}/index.html" in listing
    fingerprint = json.loads((runs.endline.run_dir / "manifest.json").read_text(encoding="utf-8"))["fingerprint"]
    assert fingerprint[:12] in listing


@pytest.mark.slow
def test_index_in_english(runs):
    m = json.loads((runs.endline.run_dir / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((runs.endline.run_dir / "summary.json").read_text(encoding="utf-8"))
    page = report.render_run_index(m, summary, lang="en")
    assert "Headline results" in page and "How sure can we be?" in page and "Report pages" in page


# =========================================================================== runs that fail or are refused

def failing_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("\n".join(f"{k} = None" for k in (
        "data_dir", "phase", "lang", "min_cell", "alpha", "seed", "out_dir")))
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure for the test in /home/ana/secret/x.csv')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "99_fails.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_failing_notebook_is_recorded_and_the_others_still_run(demo_data, tmp_path, monkeypatch):
    broken = failing_notebook(tmp_path)
    monkeypatch.setattr(runner, "phase_notebooks",
                        lambda phase: [broken, report.NOTEBOOK_DIR / "00_data_quality.ipynb"])
    frozen = dt.datetime(2021, 12, 15, 10, 15, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(runner, "_now", lambda: frozen)
    from evaltools.cli import main

    out = tmp_path / "runs"
    (out / "20200101-000000_baseline").mkdir(parents=True)  # a run killed before it wrote its manifest
    assert main(["run", "baseline", "--data", str(demo_data), "--out", str(out), "--quiet"]) == 3
    result = report.run("baseline", data_dir=demo_data, out=out, progress=False)
    # the same second twice: two folders, the first untouched
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["20200101-000000_baseline",
                                                                  "20211215-101500_baseline",
                                                                  "20211215-101500_baseline_2"]
    assert result.run_dir.name == "20211215-101500_baseline_2" and not result.ok
    m = json.loads((result.run_dir / "manifest.json").read_text(encoding="utf-8"))
    status = {s["notebook"]: s for s in m["notebooks"]}
    assert status["99_fails"]["status"] == "failed" and m["status"] == "failed"
    assert status["99_fails"]["error"]["type"] == "RuntimeError"
    # "In [4]" of the executed notebook: parameters, papermill's injected parameters, x = 1, raise
    assert status["99_fails"]["error"]["cell"] == 4
    assert "deliberate failure" in status["99_fails"]["error"]["message"]
    assert status["00_data_quality"]["status"] == "ok"  # ran after the failure
    assert (result.run_dir / "tables" / "data_quality.csv").is_file()
    assert (result.run_dir / "html" / "99_fails.html").is_file()
    # the page and the executed notebook say which part failed and where the log is: no traceback, no path
    assert "/home/ana" not in status["99_fails"]["error"]["message"]
    page = (result.run_dir / "html" / "99_fails.html").read_text(encoding="utf-8")
    log = (result.run_dir / "logs" / "99_fails.txt").read_text(encoding="utf-8")
    assert "logs/99_fails.txt" in page and "RuntimeError" in page and "4" in page
    executed = nbformat.read(result.run_dir / "notebooks" / "99_fails.ipynb", as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in executed.cells])
    for text in (page, outputs, result.index_path.read_text(encoding="utf-8"), log):
        assert "/home/ana" not in text and str(tmp_path) not in text and "site-packages" not in text
    for text in (page, outputs):
        assert "Traceback" not in text and "deliberate failure" not in text and "raise RuntimeError" not in text
    assert "deliberate failure" in log and "RuntimeError" in log  # the person running it can still find out
    assert [f["notebook"] for f in result.failures] == ["99_fails"]
    assert "99_fails" in result.index_path.read_text(encoding="utf-8")
    listing = (out / "index.html").read_text(encoding="utf-8")
    assert "20211215-101500_baseline_2/index.html" in listing
    assert "20200101-000000_baseline" in listing and "niedokończona" in listing  # the demo speaks Polish


def test_invalid_data_writes_nothing(demo_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    (data / "sessions.csv").unlink()
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    out = tmp_path / "runs"
    with pytest.raises(DataInvalid) as e:
        report.run("endline", data_dir=data, out=out, progress=False)
    assert any(p.key == "table_missing" for p in e.value.problems)
    assert not out.exists()
    assert before == {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}


def test_parameters_are_typed_and_checked():
    assert report.parse_params({"min_cell": "3", "alpha": "0,1", "seed": "7", "lang": "en"}) == {
        "min_cell": 3, "alpha": 0.1, "seed": 7, "lang": "en"}
    for bad in ({"min_cel": "3"}, {"alpha": "2"}, {"min_cell": "x"}, {"min_cell": "0"}, {"lang": "de"}):
        with pytest.raises(UsageError):
            report.parse_params(bad)


# =========================================================================== helpers the notebooks call

def test_save_table_neutralises_text_and_keeps_precision(tmp_path):
    df = pd.DataFrame({"label": ["=HYPERLINK(\"x\")", "plain"], "value": [1 / 3, -2.5], "flag": [True, False]})
    path = report.save_table(df, "demo_table", tmp_path)
    assert path == tmp_path / "tables" / "demo_table.csv"
    back = pd.read_csv(path, encoding="utf-8")
    assert back["label"].tolist() == ["'=HYPERLINK(\"x\")", "plain"]
    assert back["value"].tolist() == [1 / 3, -2.5]  # unrounded
    with pytest.raises(ValueError):
        report.save_table(df, "Bad Name", tmp_path)


def test_display_frame_drops_ids_and_free_text_and_formats_numbers():
    df = pd.DataFrame({"participant_id": ["P1", "P2"], "exit_reason": ["moved", "x"], "group": ["all", "G1"],
                       "n_pairs": [12, 3], "mean_diff": [0.4567, float("nan")], "p_holm": [0.0004, float("nan")],
                       "suppressed": [False, True]})
    pl = report.display_frame(df, lang="pl")
    assert list(pl.columns) == ["Grupa", "Liczba par pomiarów", "Średnia zmiana", "p (Holm)"]
    assert pl.iloc[0].tolist() == ["wszyscy", "12", "0,46", "<0,001"]
    assert pl.iloc[1].tolist() == ["G1", "3", "ukryte", "ukryte"]
    en = report.display_frame(df, lang="en", only={"group": "all"})
    assert list(en.columns) == ["Pairs", "Mean change", "p (Holm)"]  # the filtered column goes
    assert en.iloc[0].tolist() == ["12", "0.46", "<0.001"]


def test_offline_strips_network_loads():
    page = ('<html><head><script src="https://cdn.example/require.js"></script>'
            '<link rel="stylesheet" href="//fonts.example/css"><script>var x = 1;</script></head>'
            '<body><img src="http://example.org/a.png"><img src="data:image/png;base64,AAAA"></body></html>')
    clean = report.offline(page)
    assert not NETWORK_LOAD.search(clean)
    assert "var x = 1;" in clean and "data:image/png;base64,AAAA" in clean


def write_run(out: Path, name: str, phase: str, inputs: list[dict], tables: dict, **fields) -> Path:
    folder = out / name
    folder.mkdir(parents=True)
    manifest = {"run": name, "phase": phase, "inputs": inputs, "tables": tables, "started": "2021-01-01T10:00:00",
                "notebooks": [], "fingerprint": report.fingerprint(inputs), "project": {"name": "x"}, **fields}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_since_baseline_compares_with_the_latest_baseline(tmp_path):
    a, b, c = ("a" * 64, "b" * 64, "c" * 64)
    write_run(tmp_path, "20210105-100000_baseline", "baseline", [{"file": "x.csv", "sha256": c}], {"x": 1})
    write_run(tmp_path, "20210110-100000_baseline", "baseline",
              [{"file": "participants.csv", "sha256": a}, {"file": "old.csv", "sha256": a}],
              {"participants": 20, "ties": 50})
    write_run(tmp_path, "20210111-100000_endline", "endline", [{"file": "x.csv", "sha256": c}], {})
    now = {"inputs": [{"file": "participants.csv", "sha256": b}, {"file": "new.csv", "sha256": a}],
           "tables": {"participants": 23, "ties": 50}}
    since = report.since_baseline(tmp_path, now)
    assert since["baseline_run"] == "20210110-100000_baseline"
    assert since["changed"] == ["participants.csv"] and since["added"] == ["new.csv"]
    assert since["removed"] == ["old.csv"]
    assert since["rows"] == {"participants": {"before": 20, "after": 23}}
    sentence = report.since_baseline_sentence(since, "en")
    assert sentence.startswith("Since the baseline run 20210110-100000_baseline:")
    assert "participants: 20 → 23 rows" in sentence
    assert report.since_baseline(tmp_path / "nothing", now) is None


def test_runs_index_lists_runs_newest_first(tmp_path):
    write_run(tmp_path, "20210105-100000_baseline", "baseline", [], {})
    write_run(tmp_path, "20211215-101500_endline", "endline", [], {})
    write_run(tmp_path, "20211215-101500_endline_2", "endline", [], {})
    (tmp_path / "notes").mkdir()  # not a run
    page = report.write_runs_index(tmp_path, lang="en").read_text(encoding="utf-8")
    order = [page.index(n) for n in ("20211215-101500_endline_2/", "20211215-101500_endline/",
                                      "20210105-100000_baseline/")]
    assert order == sorted(order)
    assert "notes" not in page


# =========================================================================== run folders: refused, interrupted, languages

def dead_pid() -> int:
    """The id of a process that has ended (its parent waited for it)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("where", ["inside", "same", "file", "data_in_run"])
def test_out_that_would_touch_the_data_is_a_usage_error(demo_data, tmp_path, where):
    from evaltools.cli import main

    data = tmp_path / "project" / "data"
    shutil.copytree(demo_data, data)
    out = {"inside": data / "runs", "same": data, "file": data / "participants.csv",
           "data_in_run": tmp_path / "project"}[where]
    if where == "data_in_run":  # the data folder sits inside something named like a run folder of --out
        moved = out / "20210101-000000_endline" / "data"
        moved.parent.mkdir()
        data.rename(moved)
        data = moved
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert main(["run", "endline", "--data", str(data), "--out", str(out), "--quiet"]) == 2
    with pytest.raises(UsageError):
        report.run("endline", data_dir=data, out=out, progress=False)
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert before == after  # nothing written, nothing changed


def test_out_beside_the_data_is_accepted(tmp_path):
    data = (tmp_path / "project" / "data").resolve()
    assert runner.check_out(tmp_path / "project", data) == (tmp_path / "project").resolve()
    assert runner.check_out(tmp_path / "runs", data) == (tmp_path / "runs").resolve()


def test_manifest_says_running_until_the_run_ends(tmp_path):
    from evaltools.report import manifest as mf

    m = mf.start_manifest({"run": "x", "phase": "endline", "status": "ok", "finished": "2021", "seconds": 3})
    assert m["status"] == "running" and m["pid"] == os.getpid() and "finished" not in m
    assert mf.run_state(m) == "running"  # this process runs
    assert mf.run_state({**m, "pid": dead_pid()}) == "incomplete"  # its process died
    assert mf.run_state(None) == "incomplete"  # no manifest at all
    assert mf.run_state({"status": "failed"}) == "failed"
    assert mf.run_state({"notebooks": [{"status": "ok"}]}) == "ok"  # a manifest from before the status field


def test_runs_index_lists_interrupted_runs_as_incomplete(tmp_path):
    write_run(tmp_path, "20210105-100000_baseline", "baseline", [], {},
              status="running", pid=dead_pid())            # killed: its process is gone
    write_run(tmp_path, "20210106-100000_endline", "endline", [], {}, status="running", pid=os.getpid())
    (tmp_path / "20210107-100000_endline").mkdir()         # killed before the manifest was written
    write_run(tmp_path, "20210108-100000_endline", "endline", [], {}, status="ok")
    page = report.write_runs_index(tmp_path, lang="en").read_text(encoding="utf-8")
    rows = {name: row for row in re.findall(r"<tr>(.*?)</tr>", page)
            for name in re.findall(r"\d{8}-\d{6}_\w+", row)[:1]}
    assert "incomplete" in rows["20210105-100000_baseline"]
    assert "running" in rows["20210106-100000_endline"]
    assert "incomplete" in rows["20210107-100000_endline"]
    assert "20210107-100000_endline/index.html" not in page  # no page to link to
    assert "ok" in rows["20210108-100000_endline"] and "incomplete" not in rows["20210108-100000_endline"]
    # an interrupted baseline is not the baseline an endline compares with
    assert report.latest_run(tmp_path, phase="baseline") is None


def test_runs_index_keeps_each_runs_language(tmp_path):
    write_run(tmp_path, "20210105-100000_baseline", "baseline", [], {}, parameters={"lang": "pl"})
    write_run(tmp_path, "20211215-101500_endline", "endline", [], {}, parameters={"lang": "en"})
    page = report.write_runs_index(tmp_path).read_text(encoding="utf-8")  # the newest run's language
    assert 'lang="en"' in page.replace("'", '"') and "Programme runs" in page
    rows = re.findall(r"<tr>(.*?)</tr>", page)
    assert ">Language<" in rows[0]
    assert "English" in rows[1] and "Polish" in rows[2]
    pl = report.write_runs_index(tmp_path, lang="pl").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>(.*?)</tr>", pl)
    assert "Analizy programu" in pl and "angielski" in rows[1] and "polski" in rows[2]


def test_load_project_from_a_cache_skips_validation(demo_data, tmp_path, monkeypatch):
    import pickle

    from evaltools import validate
    from evaltools.project import load_project

    project = load_project(demo_data)
    path = tmp_path / "project.pickle"
    path.write_bytes(pickle.dumps(project))
    monkeypatch.setattr(validate, "validate_folder", lambda *a, **k: pytest.fail("validated again"))
    again = load_project(demo_data, min_cell=3, lang="en", cache=path)
    assert again.min_cell == 3 and again.language == "en"  # run parameters still win
    pd.testing.assert_frame_equal(again.participants, project.participants)


def test_project_cache_is_removed_also_on_failure(tmp_path):
    with pytest.raises(RuntimeError):
        with runner.project_cache({"a": 1}) as path:
            assert Path(path).is_file() and tmp_path not in Path(path).parents
            raise RuntimeError("a notebook run broke")
    assert not Path(path).exists() and not Path(path).parent.exists()


def test_summary_reads_typed_tables(tmp_path):
    from evaltools.report.summary import read_table

    report.save_table(pd.DataFrame({"group": ["all", "G1"], "n_pairs": [12, 3], "suppressed": [False, True]}),
                      "change", tmp_path)
    back = read_table(tmp_path, "change")
    assert str(back["suppressed"].dtype) == "boolean" and back["suppressed"].tolist() == [False, True]
    assert back["n_pairs"].tolist() == [12, 3]
    assert read_table(tmp_path, "missing") is None


VECTORS = ['<img src=x onerror="f()">', '<img srcset="http://x.org/a.png 1x">', '<video poster="http://x.org/p">',
           '<object data="http://x.org/o"></object>', '<embed src="http://x.org/e">',
           '<b style="background:url(http://x.org/s.png)">s</b>', '<input type=image src="http://x.org/i.png">',
           '<svg><image href="http://x.org/g.png"/></svg>', "<iframe srcdoc='<script>f()</script>'></iframe>",
           '<a href="javascript:f()">a</a>', '<a href=" jav&#x09;ascript:f()">a</a>', '<base href="http://x.org/">',
           '<meta http-equiv="refresh" content="0;url=http://x.org">', '<link rel=stylesheet href="//x.org/c.css">',
           '<style>@import "http://x.org/c.css";</style>', '<form action="http://x.org"><button>b</button></form>']


@pytest.mark.parametrize("vector", VECTORS)
def test_the_page_allowlist_leaves_no_url_script_or_handler(vector):
    from html.parser import HTMLParser

    from evaltools.report.sanitise import ATTRIBUTES, ELEMENTS, GLOBAL_ATTRIBUTES

    out = report.offline(f"<html><head></head><body><p>{vector}</p></body></html>")
    made = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            made.append(tag)
            assert tag in ELEMENTS, tag
            for name, value in attrs:
                assert name in GLOBAL_ATTRIBUTES | ATTRIBUTES.get(tag, set()), (tag, name)

    Collect().feed(out)
    assert "x.org" not in "".join(re.findall(r"<[^>]*>", out))  # any URL left is in the text, escaped
    assert "javascript" not in "".join(re.findall(r"<[^>]*>", out)).lower()
    assert not {"script", "iframe", "object", "embed", "video", "svg", "base", "form", "input"} & set(made)


def test_the_allowlist_keeps_the_reports_own_pages():
    page = ("<!DOCTYPE html><html lang='pl'><head><meta charset='utf-8'><title>T</title>"
            "<style>a{background:url(data:image/png;base64,AA)}</style></head><body class='jp-Notebook'>"
            "<p><a href='../index.html'>back</a> <a href='#x'>x</a></p><table class='t'><tr><td class='num'>1</td></tr>"
            "</table><img src='data:image/png;base64,iVBOR' alt='fig'></body></html>")
    assert report.offline(page) == page.replace("'", '"').replace('<img src="data:image/png;base64,iVBOR" alt="fig">',
                                                                  '<img src="data:image/png;base64,iVBOR" alt="fig">')


@pytest.mark.parametrize("text", ['<img src=x onerror="f()">', "[clk](javascript:alert(1))", "$x^$ *a* _b_ `c`",
                                  "<http://x.org>", "# Anna\n\n- Nowak", "a \\$ b &amp; &lt;", "![i](http://x.org/a.png)"])
def test_say_shows_text_from_the_data_as_that_text(text):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(report.say("report.nb00.intro", "en", name=text, n=3).data)
    inner = re.sub(r"<[^>]*>", "", rendered)
    assert " ".join(text.split()) in html_unescape(inner)
    assert set(re.findall(r"<(\w+)", rendered)) <= {"h1", "a", "p", "strong"}  # only the catalogue's own markup
    tags = "".join(re.findall(r"<[^>]*>", rendered))
    assert re.findall(r'href="([^"]*)"', tags) == ["#Data-quality"] and "src" not in tags


def html_unescape(s: str) -> str:
    import html

    return html.unescape(s)


def test_safe_url_drops_every_control_character_blank_and_del_before_reading_the_scheme():
    from evaltools.report.sanitise import safe_url

    for ch in [chr(c) for c in range(0x21)] + ["\x7f"]:   # what a browser drops from a URL
        assert not safe_url(f"java{ch}script:alert(1)"), repr(ch)
        assert not safe_url(f"{ch}https://x.org/{ch}"), repr(ch)
        assert safe_url(f"html/0{ch}0.html"), repr(ch)
    assert not safe_url("java\u00a0script:x")              # a no-break space is not dropped: still no scheme allowed
