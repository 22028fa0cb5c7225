"""The run's index.html as a supervisor reads it: the claims of the programme, the forest figure, the glossary.

evaltools/report/claims.py (``claims``, ``head_html``, ``render_run_index``) and
evaltools/plots/forest.py. The end-to-end tests read the shared runs of tests/conftest.py.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from types import SimpleNamespace

import pandas as pd
import pytest

from evaltools import certainty, report
from evaltools.labels import raw_catalogue, t
from evaltools.plots.forest import claims_forest, drawable
from evaltools.report import claims as claims_mod, runner, summary as summary_mod

#: Catalogue entries whose words may appear on the index.
INDEX_KEYS = ("report.claims.", "report.glossary.", "report.forest.", "report.index.", "certainty.verdict.",
              "certainty.size", "report.status.", "report.phase.", "report.notebook.")


def english_words() -> list[str]:
    """The English text (up to its first field) of every index entry that the Polish text does not hold too."""
    words = []
    for key, entry in raw_catalogue().items():
        if not key.startswith(INDEX_KEYS) or not isinstance(entry.get("en"), str):
            continue
        fragment = re.split(r"[{%]", entry["en"])[0].strip(" ,;:(–-*")
        if len(fragment) > 4 and fragment not in str(entry.get("pl", "")):
            words.append(fragment)
    return words


def page_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", page, flags=re.S)))


def change_row(**kw) -> dict:
    row = {"instrument": "x", "scale": "a", "group": "all", "n_pairs": 30, "mean_diff": 0.4, "ci_low": 0.1,
           "ci_high": 0.7, "ci_level": 0.95, "p_t": 0.01, "p_holm": 0.03, "g_av": 0.5, "g_av_ci_low": 0.1,
           "g_av_ci_high": 0.9, "d_z": 0.5, "mdes_dz": 0.5, "suppressed": False}
    return {**row, **kw}


def fake_project(**config):
    scales = [SimpleNamespace(id="a", higher_is_better=True, title={"en": "Scale A", "pl": "Skala A"}),
              SimpleNamespace(id="b", higher_is_better=True, title={"en": "Scale B", "pl": "Skala B"})]
    inst = SimpleNamespace(scales=scales, title_in=lambda lang: {"en": "Instrument X", "pl": "Narzędzie X"}[lang])
    return SimpleNamespace(config=config, instruments={"x": inst}, targets=config.get("targets", []))


# =========================================================================== verdict codes

@pytest.mark.parametrize("row, hib", [
    (change_row(), True), (change_row(p_holm=0.2), True), (change_row(mean_diff=-0.4, ci_low=-0.7, ci_high=-0.1), True),
    (change_row(ci_low=-0.1), True), (change_row(), None), (change_row(p_t=0.2, p_holm=0.4), False)])
def test_the_claims_verdict_is_the_direction_of_certaintys_verdict(row, hib):
    """change_direction repeats certainty.verdicts' rule: its word must be the one certainty's sentence opens with."""
    code = claims_mod.change_direction(row, higher_is_better=hib)
    line = certainty.verdicts(pd.DataFrame([row]), None, lang="en", higher_is_better={("x", "a"): hib}
                              if hib is not None else None)["verdict"].iloc[0]
    assert line.startswith(f"x – a: {t(f'certainty.verdict.{code}', 'en')} –")


def test_hidden_and_unmeasured_outcomes_say_so():
    assert claims_mod.change_direction(change_row(n_pairs=3, suppressed=True, mean_diff=None)) == "hidden"
    assert claims_mod.change_direction(change_row(n_pairs=0, mean_diff=None)) == "not_measured"
    assert claims_mod.change_direction(change_row(ci_low=0.4, ci_high=0.4)) == "same"


# =========================================================================== claims from project.yaml

def test_claims_are_the_primary_outcomes_else_the_first_scale_of_each_instrument():
    change = pd.DataFrame([change_row(), change_row(scale="b", mean_diff=0.1, ci_low=-0.2, ci_high=0.4, p_t=0.5)])
    with_primary = claims_mod.claims(fake_project(primary_outcomes=["x/b"]), change=change, indicators=None,
                                      lang="en")
    assert [(c["scale"], c["verdict"], c["primary"]) for c in with_primary] == [("b", "unclear", True)]
    assert with_primary[0]["link"] == "20_outcomes_change.html#outcome-x-b"
    without = claims_mod.claims(fake_project(), change=change, indicators=None, lang="en")
    assert [(c["scale"], c["verdict"], c["primary"]) for c in without] == [("a", "improved", False)]


def test_outcomes_of_a_page_that_did_not_run_are_no_result_not_unmeasured():
    claims = claims_mod.claims(fake_project(primary_outcomes=["x/a"]), change=None, indicators=None,
                                network_change=pd.DataFrame({"measure": ["density"], "baseline": [0.1],
                                                             "endline": [0.2], "p_value": [0.01]}), lang="en")
    assert [c["verdict"] for c in claims] == ["no_result", "no_result"]
    cells = claims_mod.claim_cells(claims[0], "en", "html/")
    assert cells[1] == "no result: this part of the report did not run" and cells[2] == ""


def test_with_a_comparison_arm_outcomes_speak_of_change_compared_with_the_comparison_group():
    change = pd.DataFrame([change_row()])
    versus = pd.DataFrame({"instrument": ["x"], "scale": ["a"], "n_programme": [30], "n_comparison": [25],
                           "did": [0.25], "did_ci_low": [-0.05], "did_ci_high": [0.55], "did_p": [0.1],
                           "suppressed": [False]})
    claims = claims_mod.claims(fake_project(), change=change, indicators=None, comparison=versus, lang="en")
    assert claims[0]["verdict"] == "unclear_vs_comparison" and claims[0]["estimate"] == 0.25
    page = "".join(summary_mod.head_html({"claims": claims}, "en"))
    assert "change compared with the comparison group: +0.25 points (-0.05 to 0.55)" in page.replace("−", "-")
    assert "no clear difference from the comparison group" in page
    assert "effect of the programme" not in page.lower()
    assert "difference in differences" in "".join(claims_mod.glossary_html("en", comparison=True))


def test_targets_are_counted_by_kind_and_reach_is_the_whole_programmes():
    targets = [{"id": "s", "count": "sessions", "label": {"en": "Sessions"}},
               {"id": "r1", "count": "reach", "where": {"activity": "community_event"}, "label": {"en": "Event reach"}},
               {"id": "r0", "count": "reach", "label": {"en": "People reached", "pl": "Zasięg"}},
               {"id": "f", "count": "families", "label": {"en": "Families"}},
               {"id": "i", "count": "improved", "label": {"en": "Improved"}}]
    ind = pd.DataFrame({"indicator_id": ["s", "r1", "r0", "f", "i"], "label": ["S", "R1", "R0", "F", "I"],
                        "target": [8, 100, 150, 20, 5], "value": [8, 101, 120, None, 3],
                        "status": ["met", "met", "partly", "not measured", "partly"]})
    claims = claims_mod.claims(fake_project(targets=targets), change=None, indicators=ind, lang="pl")
    by_kind = {c["kind"]: c for c in claims}
    assert (by_kind["activities"]["n"], by_kind["activities"]["met"]) == (1, 1)
    assert (by_kind["people"]["n"], by_kind["people"]["not_measured"], by_kind["people"]["partly"]) == (2, 1, 1)
    assert by_kind["reach"]["value"] == 120 and by_kind["reach"]["target"] == 150
    assert by_kind["reach"]["label"] == "Zasięg: Zasięg"  # the project's own label, in the page's language
    cells = claims_mod.claim_cells(by_kind["reach"], "en", "html/")
    assert cells[2] == "120 against a target of 150 (80%)"  # 120 / 150, by hand


# =========================================================================== the forest figure

def test_the_forest_draws_no_row_of_fewer_than_min_cell_people_and_puts_primary_outcomes_first():
    rows = pd.DataFrame({"label": ["A", "B", "C", "D"], "g_av": [0.5, -0.1, 0.3, 0.9],
                         "g_av_ci_low": [0.2, -0.4, 0.0, 0.1], "g_av_ci_high": [0.8, 0.2, 0.6, 1.7],
                         "n_pairs": [40, 40, 3, 4], "primary": [False, True, True, False],
                         "suppressed": [False, False, True, False]})  # D: 4 < min_cell, not flagged: still not drawn
    assert drawable(rows, min_cell=5).tolist() == [True, True, False, False]
    fig = claims_forest(rows, lang="en", min_cell=5)
    ax = fig.axes[0]
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["B", "A"]
    assert len(ax.lines) == 2 * 2 + 5 + 1  # a CI line and a dot per drawn row, 5 reference lines, the separator
    assert any("2 results are not drawn" in x.get_text() for x in fig.texts)


def test_a_forest_of_nothing_says_so():
    rows = pd.DataFrame({"label": ["A"], "g_av": [None], "g_av_ci_low": [None], "g_av_ci_high": [None],
                         "n_pairs": [3], "primary": [True], "suppressed": [True]})
    fig = claims_forest(rows, lang="pl", min_cell=5)
    assert any(x.get_text() == t("report.forest.nothing", "pl") for x in fig.axes[0].texts)


# =========================================================================== the run's pages

def test_the_sanitiser_keeps_details_summary_and_a_data_png():
    page = ("<details><summary>All</summary><p><img class='forest' src='data:image/png;base64,iVBORw0KGgo=' "
            "alt='x'></p></details>")
    assert report.offline(page) == page.replace("'", '"')


def english_index(runs, tmp_path):
    """The endline run's index rendered from a summary made in English (a copy of its tables)."""
    from evaltools.project import load_project

    run = tmp_path / "run"
    shutil.copytree(runs.endline.run_dir / "tables", run / "tables")
    project = load_project(runs.data)
    summary = report.summarise(run, project=project, phase="endline", lang="en")
    manifest = json.loads((runs.endline.run_dir / "manifest.json").read_text(encoding="utf-8"))
    return report.render_run_index(manifest, summary, lang="en"), summary


@pytest.mark.slow
def test_the_index_opens_with_the_claims_and_the_forest(runs, tmp_path):
    page = runs.endline.index_path.read_text(encoding="utf-8")
    summary = json.loads((runs.endline.run_dir / "summary.json").read_text(encoding="utf-8"))
    primary = json.loads(json.dumps(summary))["claims"]
    n_primary = len([c for c in primary if c["kind"] == "outcome"])
    assert n_primary == 4  # synth.PRIMARY_OUTCOMES
    head = page[page.index("<h2>"):]
    assert head.startswith(f"<h2>{t('report.claims.title', 'pl')}</h2>")  # the first section of the page
    table = re.search(r"<table class=\"evaltools-table claims\">(.*?)</table>", head, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    kinds = [c["kind"] for c in primary]
    assert kinds[:4] == ["outcome"] * 4 and "ties" in kinds and {"activities", "people", "reach"} <= set(kinds)
    assert len(rows) == len(kinds)
    for row, claim in zip(rows, primary):
        target = claim["link"].split("#")
        assert f'href="html/{claim["link"]}"' in row
        if len(target) == 2:  # the anchor exists on the outcomes page
            assert f'id="{target[1]}"' in (runs.endline.run_dir / "html" / target[0]).read_text(encoding="utf-8")
    # the forest follows the table, as an embedded PNG (offline)
    assert re.search(r"</table>\s*<p><img class=\"forest\" src=\"data:image/png;base64,", head)
    assert head.index("data:image/png") < head.index(t("report.index.pages", "pl"))
    # the glossary, plain headers
    assert f"<h2 id=\"glossary\">{t('report.glossary.title', 'pl')}</h2>" in page
    headers = " ".join(re.findall(r"<th[^>]*>(.*?)</th>", page))
    assert "[PU]" not in headers and "g_av" not in headers and "Holm" not in headers and "d_z" not in headers


@pytest.mark.slow
def test_the_long_verdicts_are_on_the_outcomes_page_not_on_the_index(runs):
    page = runs.endline.index_path.read_text(encoding="utf-8")
    outcomes = (runs.endline.run_dir / "html" / "20_outcomes_change.html").read_text(encoding="utf-8")
    summary = json.loads((runs.endline.run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdicts"]
    for verdict in summary["verdicts"]:
        body = verdict.split(": ", 1)[1][:60]  # the sentence after the outcome's title
        assert body in page_text(outcomes) and body not in page_text(page)
    assert "wielkość efektu:" in page_text(outcomes) and "Na ile możemy być pewni?" in page_text(outcomes)
    assert 'href="html/20_outcomes_change.html"' in page


@pytest.mark.slow
def test_the_polish_index_has_no_english_words_and_the_english_one_no_polish(runs, tmp_path):
    run_names = re.compile(r"\d{8}-\d{6}_\w+")  # a run folder's name (…_baseline) is a name, not a word
    pl = run_names.sub("", page_text(runs.endline.index_path.read_text(encoding="utf-8")))
    assert [w for w in english_words() if w in pl] == []
    en_page, _ = english_index(runs, tmp_path)
    en = page_text(en_page)
    assert len([w for w in english_words() if w in en]) >= 10  # the check has teeth
    for word in ("Co program miał", "Słowniczek", "średnio", "zobacz", "Wielkość efektu"):
        assert word not in en
    assert "What the programme set out to change" in en and "Glossary" in en and "Effect size g" in en


@pytest.mark.slow
def test_summary_page_tables_are_left_aligned_text(runs):
    page = (runs.endline.run_dir / "html" / "90_summary.html").read_text(encoding="utf-8")
    tables = re.findall(r"<table[^>]*>", page)
    assert tables and all('class="evaltools-table' in tag for tag in tables)
    # the page's CSS aligns the cells of evaltools-table left and only its .num cells right
    css = "".join(re.findall(r"<style[^>]*>(.*?)</style>", page, re.S))
    assert re.search(r"table\.evaltools-table td\s*\{[^}]*text-align:\s*left", css)
    assert re.search(r"table\.evaltools-table \.num\s*\{[^}]*text-align:\s*right", css)
    label_cells = re.findall(r"<td>([^<]*)</td>", page)
    assert any(t("report.claims.activities", "pl") in c for c in label_cells)  # text cells carry no num class


# =========================================================================== progress bars

@pytest.mark.parametrize("workers, expected", [(2, {False}), (1, {True})])
def test_papermills_bar_is_shown_for_every_notebook_or_for_none(tmp_path, monkeypatch, workers, expected):
    seen = {}

    def fake_execute(src, run_dir, parameters, *, kernel, progress=False, pool=None):
        seen[src.stem] = progress
        return {"notebook": src.stem, "status": "ok", "error": None, "seconds": 0.0}

    monkeypatch.setattr(runner, "execute_notebook", fake_execute)
    monkeypatch.setattr(runner, "export_html", lambda *a, **k: "html/x.html")
    monkeypatch.setattr(runner, "html_exporter", lambda: None)
    (tmp_path / "html").mkdir()
    runner.execute_all(runner.phase_notebooks("endline"), tmp_path, {}, lang="en", progress=True, workers=workers)
    assert len(seen) == 6 and set(seen.values()) == expected
