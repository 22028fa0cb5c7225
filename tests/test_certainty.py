"""The methodologist's layer: power, regression to the mean, multiplicity, design and verdicts.

Reference numbers come from hand calculation (shown in comments); the power
numbers behind the sentences are tested against statsmodels and numerical
integration in tests/test_power.py.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evaltools import certainty as c
from evaltools.certainty import (attrition_sentence, design_statement, effect_size_word, multiplicity,
                                 sensitivity_sentence, significance_word, verdicts)
from evaltools.labels import t


def test_power_is_the_one_implementation():
    # certainty's words and change's mdes_dz column use evaltools.power (tests/test_power.py checks its numbers)
    from evaltools import change, power
    assert c.power_of_paired_t is power.power_of_paired_t and c.pairs_needed is power.pairs_needed
    assert change.mdes_dz is power.mdes_dz
    assert power.mdes_of_paired_t(14) == float(power.mdes_dz(14)[0])

def long_scores(pre: dict, post: dict, instrument="emp", scale="total") -> pd.DataFrame:
    rows = [(pid, "baseline", v) for pid, v in pre.items()] + [(pid, "endline", v) for pid, v in post.items()]
    df = pd.DataFrame(rows, columns=["participant_id", "wave", "score"])
    return df.assign(instrument=instrument, scale=scale)


def change_table() -> pd.DataFrame:
    nan = float("nan")
    return pd.DataFrame({
        "instrument": ["emp", "emp", "emp", "emp", "ego_network", "emp"],
        "scale": ["total", "control", "community", "total", "size", "total"],
        "group": ["all", "all", "all", "youth", "all", "family_support"],
        "n_pairs": [14, 14, 3, 3, 14, 12],
        "mean_diff": [0.42, 0.2, nan, nan, 1.1, 0.3], "ci_low": [0.18, -0.05, nan, nan, 0.1, 0.02],
        "ci_high": [0.66, 0.45, nan, nan, 2.1, 0.58], "ci_level": [0.95, 0.95, nan, nan, 0.95, 0.95],
        "p_t": [0.002, 0.11, nan, nan, 0.03, 0.04], "p_holm": [0.004, 0.22, nan, nan, 0.03, 0.06],
        "d_z": [0.95, 0.45, nan, nan, 0.65, 0.66], "g_av": [0.55, 0.30, nan, nan, 0.4, 0.3],
        "suppressed": [False, False, True, True, False, False],
        "mdes_dz": [0.8101466710235102, 0.8101466710235102, nan, nan, 0.8101466710235102, 0.8873],
    })


def test_multiplicity_counts_and_survivors(tmp_path):
    ch = change_table()
    ch.loc[2, "p_t"] = 0.001                        # a suppressed row never counts, whatever it holds
    m = multiplicity(ch)
    assert m["n_tests"] == 4                          # shown rows with a p_t
    assert m["n_families"] == 3                       # (all, emp), (all, ego_network), (family_support, emp)
    assert m["n_p_below_alpha"] == 3                  # 0.002, 0.03, 0.04
    assert m["n_surviving_holm"] == 2                 # 0.004 and 0.03
    assert [(r["instrument"], r["scale"], r["group"]) for r in m["surviving"]] == [
        ("emp", "total", "all"), ("ego_network", "size", "all")]
    assert [(r["scale"], r["group"]) for r in m["lost"]] == [("total", "family_support")]
    ch.to_csv(tmp_path / "change.csv", index=False)   # as the report reads it back
    again = multiplicity(pd.read_csv(tmp_path / "change.csv"))
    assert {k: again[k] for k in ("n_tests", "n_surviving_holm")} == {"n_tests": 4, "n_surviving_holm": 2}
    empty = multiplicity(ch.iloc[0:0])
    assert empty["n_tests"] == 0 and empty["surviving"] == []
    assert multiplicity_text_has_counts(m)


def multiplicity_text_has_counts(m) -> bool:
    en = c.multiplicity_sentence(m, "en")
    pl = c.multiplicity_sentence(m, "pl")
    return ("paired t-tests): 4" in en and "after Holm correction (within each family): 2" in en
            and "p < 0,05 przed korektą: 3" in pl)


@settings(max_examples=300, deadline=None)
@given(p_t=st.one_of(st.floats(0, 1), st.just(float("nan"))), p_holm=st.one_of(st.floats(0, 1), st.just(float("nan"))),
       alpha=st.sampled_from([0.01, 0.05, 0.1]), lang=st.sampled_from(["pl", "en"]))
def test_significance_word_never_claims_significance_without_holm(p_t, p_holm, alpha, lang):
    word = significance_word(p_t, p_holm, alpha, lang)
    claims = word == t("certainty.significance.holm", lang)
    assert claims == (p_holm < alpha)


def test_significance_word_unadjusted_only():
    assert significance_word(0.03, 0.09, 0.05, "pl") == (
        "p < 0,05 tylko przed korektą na wielokrotne testowanie; po korekcie Holma zmiana nieistotna statystycznie")
    assert "not called significant" in significance_word(0.03, float("nan"), 0.05, "en")
    assert significance_word(float("nan"), float("nan"), 0.05, "en") == "not tested"


# --------------------------------------------------------------------------- sensitivity

def test_sensitivity_sentence_underpowered_both_languages():
    row = change_table().iloc[1]                     # 14 pairs, d_z 0.45, p_holm 0.22
    assert sensitivity_sentence(row, "en") == (
        "With 14 pairs, only changes of d_z ≥ 0.81 could be detected reliably (80% power at α = 0.05); "
        "the observed d_z = 0.45 is below that in size, so “no significant change” here is not evidence of no change.")
    assert sensitivity_sentence(row, "pl") == (
        "Przy 14 parach pomiarów wiarygodnie (z mocą 80% przy α = 0,05) można było wykryć tylko zmiany o d_z ≥ 0,81; "
        "zaobserwowane d_z = 0,45 jest co do wielkości mniejsze, więc „brak istotnej zmiany” nie jest tu "
        "dowodem braku zmiany.")
    # without the mdes_dz column the same threshold is solved from n_pairs
    assert sensitivity_sentence(row.drop("mdes_dz"), "en") == sensitivity_sentence(row, "en")


def test_sensitivity_sentence_other_readings():
    ch = change_table()
    assert "is at least that large" in sensitivity_sentence(ch.iloc[0], "en")        # d_z 0.95 ≥ 0.81
    assert "may be overestimated" in sensitivity_sentence(ch.iloc[4], "en")           # 0.65 < 0.81, p_holm .03
    assert sensitivity_sentence(ch.iloc[2], "pl").startswith("Nie raportowano")
    assert "Fewer than two" in sensitivity_sentence({"n_pairs": 1, "d_z": float("nan")}, "en")
    # alpha .10 and 6 pairs: statsmodels solve_power(nobs=6, alpha=.1, power=.8) = 1.1857719433832388
    six = {"n_pairs": 6, "d_z": 0.5, "p_holm": 0.3}
    assert "d_z ≥ 1.19" in sensitivity_sentence(six, "en", alpha=0.10)


# --------------------------------------------------------------------------- verdicts

RELIABLE = pd.DataFrame({"instrument": ["emp", "emp"], "scale": ["total", "control"], "group": ["all", "all"],
                         "n_pairs": [14, 14], "n_improved": [5, 2], "n_unchanged": [9, 11],
                         "n_deteriorated": [0, 1], "suppressed": [False, False]})


def test_verdicts_three_kinds_of_row_in_both_languages():
    ch = change_table()
    titles = {"emp": "Empowerment"}
    en = verdicts(ch, RELIABLE, lang="en", instrument_titles=titles, higher_is_better={"emp": True})
    assert list(en.columns) == ["instrument", "scale", "verdict"]
    assert list(zip(en["instrument"], en["scale"])) == [("emp", "total"), ("emp", "control"), ("emp", "community"),
                                                        ("ego_network", "size")]
    lines = en.set_index("scale")["verdict"]
    # 5 of 14 = 35.7 % → 36 %; g_av .55 is medium (Cohen 1988: .5 ≤ d < .8)
    assert lines["total"] == (
        "Empowerment – total: improvement – mean change +0.42 points (95% CI 0.18 to 0.66); effect size: medium "
        "(g_av = 0.55; Cohen 1988); statistically significant after Holm correction (p (Holm) = 0.004); "
        "reliably improved: 5 of 14 people (36%).")
    assert lines["control"] == (
        "Empowerment – control: no clear change – mean change +0.20 points (95% CI -0.05 to 0.45; no change is "
        "also compatible with the data); effect size: small (g_av = 0.30; Cohen 1988); not statistically "
        "significant (p (Holm) = 0.220); reliably improved: 2 of 14 people (14%), reliably worse: 1; with 14 pairs "
        "only changes of d_z ≥ 0.81 could be detected reliably, so this is not evidence of no change.")
    assert lines["community"] == (
        "Empowerment – community: hidden – only 3 people have both waves, fewer than the minimum group "
        "size for reporting (privacy protection).")
    pl = verdicts(ch, RELIABLE, lang="pl", instrument_titles=titles, higher_is_better={"emp": True})
    lines = pl.set_index("scale")["verdict"]
    assert lines["total"] == (
        "Empowerment – total: poprawa – średnia zmiana +0,42 pkt (95% przedział ufności: od 0,18 do 0,66); "
        "wielkość efektu: średnia (g_av = 0,55; Cohen 1988); zmiana istotna statystycznie po korekcie Holma "
        "(p (Holm) = 0,004); rzetelna poprawa: 5 z 14 osób (36%).")
    assert lines["control"] == (
        "Empowerment – control: brak wyraźnej zmiany – średnia zmiana +0,20 pkt (95% przedział ufności: od -0,05 "
        "do 0,45; brak zmiany również jest zgodny z danymi); wielkość efektu: mała (g_av = 0,30; Cohen 1988); "
        "zmiana nieistotna statystycznie (p (Holm) = 0,220); rzetelna poprawa: 2 z 14 osób (14%), rzetelne "
        "pogorszenie: 1; przy 14 parach wiarygodnie można było wykryć tylko zmiany o d_z ≥ 0,81, więc nie jest "
        "to dowód braku zmiany.")
    assert lines["community"] == (
        "Empowerment – community: ukryto – liczba osób z oboma pomiarami (3) jest mniejsza niż minimalna "
        "liczebność grupy w raportach (ochrona prywatności).")


def test_verdict_wording_depends_on_holm_and_direction():
    ch = change_table()
    ch.loc[0, ["mean_diff", "ci_low", "ci_high"]] = [-0.42, -0.66, -0.18]
    ch.loc[1, ["p_t", "p_holm", "ci_low"]] = [0.03, 0.09, 0.02]        # unadjusted only
    lines = verdicts(ch, None, lang="en", higher_is_better={("emp", "total"): False}).set_index("scale")["verdict"]
    assert "total: improvement – mean change -0.42" in lines["total"]  # lower is better on this scale
    assert "reliably improved" not in lines["total"]                   # no reliable-change table given
    assert lines["control"].startswith("emp – control: possible rise in scores (not confirmed after correction)")
    assert "; statistically significant after Holm" not in lines["control"]
    assert "p < 0.05 only before correction for multiple tests" in lines["control"]
    assert "ego_network – size: scores rose" in lines["size"]          # no higher_is_better: neutral words


def test_verdicts_empty_and_no_pairs():
    out = verdicts(change_table().iloc[0:0], None, lang="pl")
    assert list(out.columns) == ["instrument", "scale", "verdict"] and out.empty
    one = pd.DataFrame({"instrument": ["emp"], "scale": ["total"], "group": ["all"], "n_pairs": [1],
                        "mean_diff": [0.5], "suppressed": [False]})
    assert "change cannot be estimated – too few people with both waves (1)" in verdicts(one, None, lang="en")[
        "verdict"].iloc[0]


def test_effect_size_word_benchmarks():
    # Cohen (1988): 0.2 small, 0.5 medium, 0.8 large
    words = [effect_size_word(x, "en") for x in (0.0, 0.199, 0.2, 0.499, 0.5, 0.799, 0.8, -2.0)]
    assert words == ["negligible", "negligible", "small", "small", "medium", "medium", "large", "large"]
    assert [effect_size_word(x, "pl") for x in (0.1, 0.3, 0.6, 0.9)] == ["pomijalna", "mała", "średnia", "duża"]
    assert "Cohen" in c.benchmark_note("en") and "Cohena (1988)" in c.benchmark_note("pl")


# --------------------------------------------------------------------------- design statement

GROUPS = {"all": 26, "family_support": 20, "youth": 6}


def test_design_statement_baseline_only():
    en = design_statement(waves=["baseline"], n_per_group=GROUPS, period_start="2021-01-01",
                          period_end="2021-12-31", first_wave_date="2021-01-20", last_wave_date="2021-01-20",
                          lang="en")
    assert en.startswith("**Baseline description (one measurement, no change yet).** Waves: baseline. "
                         "Comparison group: none. People: everyone 26, family support 20, "
                         "youth independence programme 6. Programme period: 2021-01-01 – 2021-12-31 (about 12 months).")
    assert "What it cannot show:** any change" in en
    assert "maturation" not in en
    # statsmodels solve_power(nobs=26) = 0.5717, (nobs=6) = 1.4345
    assert "If all 26 people are measured again at endline" in en and "d_z ≥ 0.57" in en
    assert "(youth independence programme, n = 6) only d_z ≥ 1.43" in en
    pl = design_statement(waves=["baseline"], n_per_group=GROUPS, period_start="2021-01-01",
                          period_end="2021-12-31", lang="pl")
    assert pl.startswith("**Opis stanu wyjściowego (jeden pomiar, zmiany jeszcze nie widać).** Pomiary: pomiar "
                         "początkowy. Grupa porównawcza: brak. Liczba osób: wszyscy 26, asystentura rodzinna 20, "
                         "program usamodzielnienia młodzieży 6.")
    assert "d_z ≥ 0,57" in pl and "d_z ≥ 1,43" in pl


def test_design_statement_endline_project():
    kwargs = dict(waves=["endline", "baseline"], n_per_group=GROUPS, period_start="2021-01-01",
                  period_end="2021-12-31", first_wave_date="2021-03-15", last_wave_date="2021-12-10")
    en = design_statement(**kwargs, lang="en")
    paragraphs = en.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("**Single-group pre/post design")
    assert "Waves: baseline, endline. Comparison group: none." in paragraphs[0]
    # 2021-03-15 → 2021-12-10 is 270 days = 8.9 months of 30.44 days; baseline 73 days after 1 January
    assert "(about 9 months from the first to the last wave)" in paragraphs[0]
    assert "measured 73 days after the programme began" in paragraphs[0]
    for words in ("that the programme caused the change", "**maturation**", "**regression to the mean**",
                  "**seasonality and outside events**", "**measurement reactivity**"):
        assert words in paragraphs[1]
    assert paragraphs[2].startswith("Even had all 26 people been measured at both waves")
    pl = design_statement(**kwargs, lang="pl")
    for words in ("Schemat jednogrupowy „przed i po”", "że to program spowodował zmianę", "**dojrzewanie**",
                  "**regresja do średniej**", "**sezonowość i zdarzenia zewnętrzne**", "**reaktywność pomiaru**",
                  "około 9 mies.)", "d_z ≥ 0,57"):
        assert words in pl
    with_comparison = design_statement(**kwargs, comparison_group=True, lang="en")
    assert "non-randomised comparison group" in with_comparison and "(selection)" in with_comparison
    endline_only = design_statement(waves=["endline"], n_per_group={"all": 18}, period_start="2021-01-01",
                                    period_end="2021-12-31", lang="en")
    assert endline_only.startswith("**One-time measurement (endline).**")
    assert "d_z" not in endline_only


# --------------------------------------------------------------------------- attrition

ATTRITION = pd.DataFrame({"instrument": ["emp", "emp"], "scale": ["total", "control"], "n_completers": [16, 16],
                          "n_dropouts": [4, 4], "mean_completers": [2.9, 3.1], "mean_dropouts": [3.3, 3.0],
                          "p_value": [0.30, 0.80], "std_diff": [0.45, -0.10]})
SENSITIVITY = pd.DataFrame({"instrument": ["emp"] * 4, "scale": ["total", "total", "control", "control"],
                            "method": ["complete_case", "no_change_imputation"] * 2, "n": [16, 20, 16, 20],
                            "mean_diff": [0.4, 0.3, 0.2, 0.1], "ci_low": [0.1, 0.05, -0.1, -0.1],
                            "ci_high": [0.7, 0.6, 0.5, 0.3]})


def test_attrition_sentence_no_difference_conclusion_holds():
    en = attrition_sentence(ATTRITION, SENSITIVITY, "en")
    assert en == (
        "People measured at baseline but not at endline: 4 of 20 (20%); at baseline they did not differ "
        "significantly from completers on any scale (2 checked; largest standardised difference 0.45 – emp – total: "
        "dropouts 3.30, completers 2.90) – a difference worth noting (at least 0.2) that so few dropouts can neither "
        "confirm nor rule out; the sensitivity analysis (counting those lost as unchanged) does not change the "
        "conclusion on any scale.")
    small = attrition_sentence(ATTRITION.assign(std_diff=[0.15, -0.10]), SENSITIVITY, "en")
    assert "difference 0.15 – emp – total: dropouts 3.30, completers 2.90), although with so few dropouts" in small
    pl = attrition_sentence(ATTRITION, SENSITIVITY, "pl")
    assert pl.startswith("Osoby zbadane na początku, ale nie na końcu: 4 z 20 (20%);")
    assert "0,45" in pl and pl.endswith("nie zmienia wniosku na żadnej skali.")


def test_attrition_sentence_difference_and_moved_conclusion():
    att = ATTRITION.assign(p_value=[0.01, 0.80], n_dropouts=[4, 3])
    sens = SENSITIVITY.assign(ci_low=[0.1, -0.02, -0.1, -0.1])       # CI of total now includes 0
    en = attrition_sentence(att, sens, "en", instrument_titles={"emp": "Empowerment"})
    assert en.startswith("People measured at baseline but not at endline: 3 to 4, depending on the scale;")
    assert "differed from completers on these scales: Empowerment – total (1 of 2;" in en
    assert en.endswith("changes the conclusion on these scales: Empowerment – total (1 of 2).")


@pytest.mark.parametrize("att, sens, start", [
    (None, None, "Attrition could not be assessed"),
    (ATTRITION.iloc[0:0], SENSITIVITY, "Attrition could not be assessed"),
    (ATTRITION.drop(columns="n_dropouts"), None, "Attrition could not be assessed"),
    (ATTRITION.assign(n_dropouts=0), SENSITIVITY, "Everyone measured at baseline was also measured"),
])
def test_attrition_sentence_missing_inputs(att, sens, start):
    assert attrition_sentence(att, sens, "en").startswith(start)


def test_attrition_sentence_without_sensitivity_or_tests():
    text = attrition_sentence(ATTRITION.assign(p_value=float("nan")), None, "en")
    assert "could not be tested" in text and text.endswith("no sensitivity analysis is available.")
    only_reference = SENSITIVITY[SENSITIVITY["method"] == "complete_case"]
    assert attrition_sentence(ATTRITION, only_reference, "pl").endswith("analiza wrażliwości nie jest dostępna.")


def test_attrition_sentence_reads_the_attrition_module():
    attrition = pytest.importorskip("evaltools.attrition")
    rng = np.random.default_rng(7)
    ids = [f"P{i:02d}" for i in range(20)]
    pre = rng.normal(3.0, 0.6, 20).round(2)
    post = (pre + 0.5 + rng.normal(0, 0.3, 20)).round(2)
    scores = pd.DataFrame({"participant_id": ids + ids[:14], "wave": ["baseline"] * 20 + ["endline"] * 14,
                           "instrument": "emp", "scale": "total", "score": np.r_[pre, post[:14]]})
    participants = pd.DataFrame({"participant_id": ids, "components": "community", "group": None})
    att = attrition.attrition(scores, participants, min_cell=5)       # 14 completers, 6 dropouts
    sens = attrition.sensitivity(scores, participants, min_cell=5)
    text = attrition_sentence(att, sens, "en")
    assert text.startswith("People measured at baseline but not at endline: 6 of 20 (30%); at baseline they")
    row = att[att["group"] == "all"].iloc[0]                            # Welch p .22, smd -0.70
    assert row["p_welch"] > 0.05 and abs(row["smd"]) >= 0.2
    assert (f"did not differ significantly from completers on any scale (1 checked; largest standardised "
            f"difference {abs(row['smd']):.2f} – emp – total: dropouts {row['mean_dropouts']:.2f}, completers "
            f"{row['mean_completers']:.2f}) – a difference worth noting (at least 0.2)") in text
    assert text.endswith("the sensitivity analysis (multiple imputation of the missing scores of those lost) does "
                         "not change the conclusion on any scale.")
    # with min_cell 7 the six dropouts cannot be shown: counts stay, the comparison is withheld
    hidden = attrition_sentence(attrition.attrition(scores, participants, min_cell=7), None, "en")
    assert "too few dropouts to show that without risk to privacy" in hidden


def test_verdicts_and_sensitivity_read_the_change_module():
    from evaltools import change
    rng = np.random.default_rng(3)
    ids = [f"P{i:02d}" for i in range(14)]
    pre = rng.normal(3, 0.6, 14).round(2)
    post = (pre + rng.normal(0.3, 0.6, 14)).round(2)
    scores = pd.DataFrame({"participant_id": ids * 2, "wave": ["baseline"] * 14 + ["endline"] * 14,
                           "instrument": "emp", "scale": "total", "score": np.r_[pre, post]})
    ch = change.paired_change(scores, membership=pd.DataFrame({"participant_id": ids, "group": "all"}))
    row = ch.iloc[0]
    line = verdicts(ch, None, lang="en")["verdict"].iloc[0]
    assert line.startswith(f"emp – total: scores rose – mean change +{row['mean_diff']:.2f} points "
                           f"(95% CI {row['ci_low']:.2f} to {row['ci_high']:.2f}); effect size: "
                           f"{effect_size_word(row['g_av'], 'en')} (g_av = {row['g_av']:.2f}, 95% CI "
                           f"{row['g_av_ci_low']:.2f} to {row['g_av_ci_high']:.2f}; Cohen 1988)")
    # g_av 0.48 (small) with CI 0.14 to 0.81: the ends are negligible and large, so both are named
    assert (round(row["g_av"], 2), round(row["g_av_ci_low"], 2), round(row["g_av_ci_high"], 2)) == (0.48, 0.14, 0.81)
    assert "Cohen 1988), but the data are consistent with anything from a negligible one to a large one;" in line
    assert "With 14 pairs, changes of d_z ≥ 0.81" in sensitivity_sentence(row, "en")   # mdes_dz of 14 pairs


def test_holm_families_sentence_names_the_family_and_calls_only_primary_confirmatory():
    # DESIGN §4 Holm: "across the 4 primary outcomes", "within the 3 scales of Empowerment"
    from evaltools.certainty import holm_families_sentence, holm_family_phrase

    nan = float("nan")
    ch = pd.DataFrame({
        "instrument": ["emp", "rec", "ind", "soc", "emp", "emp", "emp", "emp", "rec"],
        "scale": ["a", "c", "t", "n", "b", "v", "a", "v", "x"],
        "group": ["all"] * 4 + ["all", "all", "G1", "G1", "all"],
        "p_t": [0.001, 0.02, 0.3, 0.01, 0.04, 0.5, 0.2, nan, 0.01],
        "p_holm": [0.004, 0.06, 0.3, 0.03, 0.08, 0.5, 0.2, nan, nan],
        "suppressed": [False] * 8 + [True],
        "holm_family": ["primary"] * 4 + ["emp/all", "emp/all", "emp/G1", "emp/G1", nan]})
    # hand count: 4 primary tests, 2 of them with p_holm < .05 (0.004, 0.03); emp/all holds 2 tests (b, v)
    titles = {"emp": "Empowerment"}
    assert holm_family_phrase(ch, "primary", "en") == "across the 4 primary outcomes"
    assert holm_family_phrase(ch, "emp/all", "en", instrument_titles=titles) == "within the 2 scales of Empowerment"
    # a row without p_t (v in G1) is no test of its family; a suppressed row is in none
    assert holm_family_phrase(ch, "emp/G1", "en", instrument_titles=titles) == \
        "within the 1 scale of Empowerment in the group G1"
    en = holm_families_sentence(ch, "en", instrument_titles=titles)
    assert "across the 4 primary outcomes" in en and "significant after the correction: 2" in en
    assert "Only these results confirm" in en and "Every other result is exploratory" in en
    assert "within the 2 scales of Empowerment" in en
    pl = holm_families_sentence(ch, "pl", instrument_titles={"emp": "Poczucie sprawczości"})
    assert "łącznie dla 4 wyników głównych" in pl and "w obrębie 2 skal narzędzia Poczucie sprawczości" in pl
    assert "eksploracyjne" in pl
    # without primary outcomes every result is exploratory
    plain = ch.assign(holm_family=["emp/all", "rec/all", "ind/all", "soc/all", "emp/all", "emp/all", "emp/G1",
                                   "emp/G1", nan])
    en = holm_families_sentence(plain, "en", instrument_titles=titles)
    assert "names no primary outcomes" in en and "No result is confirmatory" in en
    assert "within the 3 scales of Empowerment" in en                       # a, b, v of group all
    assert holm_families_sentence(ch.iloc[0:0], "en") == "This run made no test of change."


def test_holm_families_sentence_on_paired_change():
    from evaltools.certainty import holm_families_sentence
    from evaltools.change import paired_change

    rng = np.random.default_rng(3)
    rows = []
    for inst, scales in (("empowerment", ["agency", "voice"]), ("recovery", ["crisis_coping", "parenting", "x"])):
        for scale in scales:
            pre = rng.normal(3, 1, 20)
            for i, (a, b) in enumerate(zip(pre, pre + rng.normal(0.4, 0.5, 20))):
                rows += [(f"P{i}", "baseline", inst, scale, a), (f"P{i}", "endline", inst, scale, b)]
    scores = pd.DataFrame(rows, columns=["participant_id", "wave", "instrument", "scale", "score"])
    members = pd.DataFrame({"participant_id": [f"P{i}" for i in range(20)], "group": "all"})
    ch = paired_change(scores, membership=members, primary_outcomes=["empowerment/agency", "recovery/parenting"])
    text = holm_families_sentence(ch, "en", instrument_titles={"empowerment": "Empowerment"})
    assert "across the 2 primary outcomes" in text and "within the 1 scale of Empowerment" in text


# --------------------------------------------------------------------------- words (issue 14.9)

ENGLISH_WORDS = ("change", "large", "points", "significant", "people", "hidden", "measured", "consistent", " CI ")


def one_row(**values) -> pd.DataFrame:
    base = {"instrument": "ind", "scale": "self_care", "group": "all", "n_pairs": 6, "suppressed": False,
            "mean_diff": 0.56, "ci_low": -0.09, "ci_high": 1.20, "ci_level": 0.95, "p_t": 0.0798,
            "p_holm": 0.3193, "d_z": 0.93, "g_av": 0.94, "g_av_ci_low": -0.10, "g_av_ci_high": 1.92,
            "mdes_dz": 1.4345}
    return pd.DataFrame([{**base, **values}])


def both(ch: pd.DataFrame, **kwargs) -> tuple[str, str]:
    en = verdicts(ch, None, lang="en", **kwargs)["verdict"].iloc[0]
    pl = verdicts(ch, None, lang="pl", **kwargs)["verdict"].iloc[0]
    assert not [w for w in ENGLISH_WORDS if w in pl], pl      # no English in Polish
    return en, pl


def test_issue_example_large_g_av_with_six_people_is_not_called_large_alone():
    # issue 14: "Large (g_av = 0.94)" with n = 6 and CI −0.10 to 1.92 (the demo's independence – self_care)
    en, pl = both(one_row())
    assert en.startswith("ind – self_care: no clear change – mean change +0.56 points (95% CI -0.09 to 1.20; "
                         "no change is also compatible with the data)")
    # Cohen (1988): .94 and 1.92 are large, |−0.10| < .2 negligible and the CI includes 0 → "no change"
    assert ("effect size: large (g_av = 0.94, 95% CI -0.10 to 1.92; Cohen 1988), but the data are consistent "
            "with anything from no change to a large one; not statistically significant (p (Holm) = 0.319)") in en
    assert ("wielkość efektu: duża (g_av = 0,94, 95% przedział ufności: od -0,10 do 1,92; Cohen 1988), ale dane "
            "są zgodne ze wszystkim od braku zmiany do dużej zmiany; zmiana nieistotna statystycznie") in pl
    assert pl.startswith("ind – self_care: brak wyraźnej zmiany")


@pytest.mark.parametrize("es, lo, hi, en, pl", [
    (0.94, -0.10, 1.92, "from no change to a large one", "od braku zmiany do dużej zmiany"),
    (0.30, 0.05, 0.55, "from a negligible one to a medium one", "od pomijalnej zmiany do średniej zmiany"),
    (-0.60, -1.30, 0.40, "from a small one in the opposite direction to a large one",
     "od małej zmiany w przeciwną stronę do dużej zmiany"),
    (0.10, -0.30, 0.50, "from a small one in the opposite direction to a medium one",
     "od małej zmiany w przeciwną stronę do średniej zmiany"),
])
def test_effect_size_range_names_both_ends(es, lo, hi, en, pl):
    assert c.effect_size_range(es, lo, hi, "en") == f", but the data are consistent with anything {en}"
    assert c.effect_size_range(es, lo, hi, "pl") == f", ale dane są zgodne ze wszystkim {pl}"


@pytest.mark.parametrize("es, lo, hi", [(0.9, 0.85, 1.5), (-0.3, -0.45, -0.25), (0.1, -0.15, 0.19),
                                        (0.5, float("nan"), 0.9), (float("nan"), 0.1, 0.2)])
def test_effect_size_range_empty_when_the_ends_agree_or_are_missing(es, lo, hi):
    assert c.effect_size_range(es, lo, hi, "en") == "" == c.effect_size_range(es, lo, hi, "pl")


def test_direction_only_when_the_ci_excludes_zero():
    # p below alpha but a CI (here 90 %) that includes 0: no direction is claimed, in either language
    en, pl = both(one_row(p_t=0.03, p_holm=0.03, ci_low=-0.01, ci_high=1.1, ci_level=0.9))
    assert "no clear change" in en and "rose" not in en and "brak wyraźnej zmiany" in pl and "wzrost" not in pl
    # CI excluding 0 and surviving Holm: the direction is stated firmly
    en, pl = both(one_row(p_t=0.001, p_holm=0.004, ci_low=0.3, ci_high=0.8, g_av_ci_low=0.5, g_av_ci_high=1.3))
    assert en.startswith("ind – self_care: scores rose") and pl.startswith("ind – self_care: wzrost wyników")
    # CI excluding 0 whose p fails Holm: only "possible"
    en, _ = both(one_row(mean_diff=-0.5, p_t=0.02, p_holm=0.08, ci_low=-0.9, ci_high=-0.1))
    assert en.startswith("ind – self_care: possible fall in scores (not confirmed after correction)")


def test_zero_variance_is_stated_as_such_and_never_significant():
    from evaltools import change
    # everyone changed by exactly 8 points: issue 14's "95 % CI 8.00 to 8.00 … significant"
    ids = [f"P{i}" for i in range(6)]
    scores = pd.DataFrame({"participant_id": ids * 2, "wave": ["baseline"] * 6 + ["endline"] * 6,
                           "instrument": "ind", "scale": "self_care", "score": [10, 12, 9, 14, 11, 10,
                                                                              18, 20, 17, 22, 19, 18]})
    ch = change.paired_change(scores, membership=pd.DataFrame({"participant_id": ids, "group": "all"}), min_cell=5)
    assert ch[["t", "p_t", "p_holm", "d_z"]].isna().all(axis=None) and ch["ci_low"].iloc[0] == 8
    en, pl = both(ch)
    assert en == ("ind – self_care: all 6 people with both waves changed by exactly the same amount (+8.00 points), "
                  "so there is no variation to test: no t-test, p-value, confidence interval or effect size can be "
                  "computed, and the change is not called statistically significant.")
    assert pl.startswith("ind – self_care: wszystkie osoby z oboma pomiarami (6) zmieniły się dokładnie "
                         "o tyle samo (+8,00 pkt), więc nie ma zmienności")
    # a table written before the fix (t = inf, p 0) still reads as zero variance, never as a significant test
    old = ch.assign(t=np.inf, p_t=0.0, p_holm=0.0)
    assert verdicts(old, None, lang="en")["verdict"].iloc[0] == en
    nobody = ch.assign(mean_diff=0.0, ci_low=0.0, ci_high=0.0)
    en, pl = both(nobody)
    assert "none of the 6 people with both waves changed at all" in en and "wynik się nie zmienił" in pl


def test_no_pairs_is_not_measured_and_hidden_rows_say_why():
    en, pl = both(one_row(n_pairs=0, suppressed=True), min_cell=5)    # change.csv keeps 0-pair rows suppressed
    assert en == "ind – self_care: not measured – nobody has scores at both waves."
    assert pl == "ind – self_care: nie zmierzono – nikt nie ma wyników z obu pomiarów."
    assert "privacy" not in en and "prywatności" not in pl
    en, pl = both(one_row(n_pairs=3, suppressed=True), min_cell=5)
    assert en == ("ind – self_care: hidden – only 3 people have both waves, fewer than 5, the smallest group the "
                  "report shows (privacy protection).")
    assert pl.startswith("ind – self_care: ukryto – liczba osób z oboma pomiarami (3) jest mniejsza niż 5")
    en, pl = both(one_row(n_pairs=7, suppressed=True), min_cell=5)    # complementary suppression
    assert "hidden so that a smaller hidden group cannot be worked out from it by subtraction" in en
    assert "przez odejmowanie odtworzyć wyniku mniejszej, ukrytej grupy" in pl


def test_design_sensitivity_rests_on_baseline_respondents():
    # issue 14: 75 registered, 42 with a baseline score (25 children never surveyed); statsmodels
    # TTestPower().solve_power(nobs=42, alpha=.05, power=.8) = 0.44275, (nobs=75) = 0.32777
    from statsmodels.stats.power import TTestPower

    from evaltools import power
    ref42 = TTestPower().solve_power(nobs=42, alpha=0.05, power=0.8)
    ref75 = TTestPower().solve_power(nobs=75, alpha=0.05, power=0.8)
    assert float(power.mdes_dz(42)[0]) == pytest.approx(ref42, rel=1e-6) and round(ref42, 2) == 0.44
    assert float(power.mdes_dz(75)[0]) == pytest.approx(ref75, rel=1e-6) and round(ref75, 2) == 0.33
    kwargs = dict(waves=["baseline", "endline"], n_per_group={"all": 75, "youth": 6}, period_start="2021-01-01",
                  period_end="2021-12-31")
    en = design_statement(**kwargs, n_respondents={"all": 42, "youth": 6}, lang="en")
    assert "People: everyone 75, youth independence programme 6." in en       # the facts count everyone
    assert en.split("\n\n")[2].startswith("Even had all 42 people measured at baseline also been measured at "
                                          "endline") and "d_z ≥ 0.44" in en and "0.33" not in en
    pl = design_statement(**kwargs, n_respondents={"all": 42, "youth": 6}, lang="pl")
    assert "wszystkie osoby zbadane na początku (42)" in pl and "d_z ≥ 0,44" in pl
    planned = design_statement(**{**kwargs, "waves": ["baseline"]}, n_respondents={"all": 42}, lang="en")
    assert "If all 42 people measured at baseline are measured again at endline" in planned
    assert "d_z ≥ 0.33" in design_statement(**kwargs, lang="en")              # without respondents: everyone


def test_respondents_and_group_sizes_count_people_with_a_baseline_score():
    participants = pd.DataFrame({"participant_id": ["A", "B", "C", "D"], "components": ["youth", "youth", None, None],
                                 "group": [None, None, "G1", "G1"]})
    scores = pd.DataFrame({"participant_id": ["A", "B", "B", "C", "D"],
                           "wave": ["baseline", "baseline", "endline", "endline", "baseline"],
                           "score": [1.0, None, 2.0, 3.0, 2.5]})
    assert c.respondents(scores) == ["A", "D"]           # B has no baseline score, C only an endline one
    sizes = c.group_sizes(participants, respondents=c.respondents(scores))
    assert sizes.to_dict("list") == {"group": ["all", "youth", "G1"], "n": [2, 1, 1]}
    assert c.group_sizes(participants).to_dict("list") == {"group": ["all", "youth", "G1"], "n": [4, 2, 2]}
