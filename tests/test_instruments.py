"""The instrument library (evaltools/instruments/*.yaml) and its loader (DESIGN.md §3)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from evaltools.errors import InstrumentError
from evaltools.instruments import LIBRARY, Norms, library, load_instrument, parse_instrument

PROGRAMME_SCALES = ("empowerment", "recovery", "independence", "social_support", "civic_activity")
STRUCTURE_ONLY = ("mspss", "gse")


# --------------------------------------------------------------------------- the library


def test_library_holds_the_programme_scales_and_the_validated_structures():
    assert set(PROGRAMME_SCALES) | set(STRUCTURE_ONLY) <= set(library())


@pytest.mark.parametrize("inst_id", sorted(library()))
def test_every_library_file_loads_and_is_complete(inst_id):
    inst = load_instrument(library()[inst_id])
    assert inst.id == inst_id
    assert inst.title["pl"] and inst.title["en"]
    assert inst.source and inst.licence
    assert set(inst.missing_codes) == {9.0, 99.0}
    # every item is scored somewhere; answer labels cover the whole scale in both languages
    scored = {item for scale in inst.scales for item in scale.items}
    assert scored == set(inst.item_ids)
    n_labels = int(inst.response_max - inst.response_min) + 1
    assert len(inst.response_labels["pl"]) == len(inst.response_labels["en"]) == n_labels
    for scale in inst.scales:
        assert scale.title and scale.title["pl"] and scale.title["en"]
        # a shipped reliability or norms always cite their source (issue 14: no planning numbers)
        assert (scale.reliability is None) == (scale.reliability_source is None)
        assert scale.norms is None or scale.norms.sourced


@pytest.mark.parametrize("inst_id", PROGRAMME_SCALES)
def test_programme_scales_ship_no_reliability_or_norms(inst_id):
    # a programme scale written for the evaluation has no publisher: its former planning reliabilities
    # (.70-.88) and norms (3.9/0.6, 2.6/0.7; scale midpoints) were the demo's, not a publication's
    inst = load_instrument(library()[inst_id])
    assert all(scale.reliability is None and scale.norms is None for scale in inst.scales)


@pytest.mark.parametrize("inst_id", PROGRAMME_SCALES)
def test_programme_scales_have_wording_in_both_languages_and_reversed_items(inst_id):
    inst = load_instrument(library()[inst_id])
    assert all(item.text["pl"].strip() and item.text["en"].strip() for item in inst.items)
    assert inst.licence == "CC-BY-4.0"
    if inst_id != "civic_activity":  # a behaviour checklist has nothing to reverse
        assert any(scale.reversed for scale in inst.scales)


@pytest.mark.parametrize("inst_id", STRUCTURE_ONLY)
def test_validated_scales_ship_their_structure_but_no_wording(inst_id):
    inst = load_instrument(library()[inst_id])
    assert all(item.text.get("pl", "") == "" and item.text.get("en", "") == "" for item in inst.items)
    assert "not redistributed" in inst.licence


def test_mspss_structure_and_reliability_as_published():
    # Zimet, Dahlem, Zimet & Farley (1988), J Pers Assess 52(1): items 1, 2, 5, 10 = significant
    # other; 3, 4, 8, 11 = family; 6, 7, 9, 12 = friends; 1-7 answers; alphas .91, .87, .85, .88.
    inst = load_instrument(LIBRARY / "mspss.yaml")
    assert (inst.response_min, inst.response_max, len(inst.items)) == (1, 7, 12)
    expected = {"significant_other": ([1, 2, 5, 10], 0.91), "family": ([3, 4, 8, 11], 0.87),
                "friends": ([6, 7, 9, 12], 0.85), "total": (list(range(1, 13)), 0.88)}
    for scale_id, (numbers, alpha) in expected.items():
        scale = inst.scale(scale_id)
        assert scale.items == tuple(f"mspss_{i:02d}" for i in numbers)
        assert scale.reliability == alpha and scale.reversed == ()
        assert "Zimet" in scale.reliability_source


def test_gse_reliability_cites_the_polish_adaptation():
    # Juczyński (2001): Cronbach's alpha .85 for the Polish GSES
    scale = load_instrument(LIBRARY / "gse.yaml").scales[0]
    assert scale.reliability == 0.85 and "Juczyński 2001" in scale.reliability_source


def test_gse_structure():
    # Schwarzer & Jerusalem (1995): 10 items, 1-4 answers, summed (10-40); none reversed.
    inst = load_instrument(LIBRARY / "gse.yaml")
    assert (inst.response_min, inst.response_max, len(inst.items), inst.scoring) == (1, 4, 10, "sum")
    assert len(inst.scales) == 1 and inst.scales[0].reversed == ()


def test_civic_activity_is_a_sum_and_its_missing_codes_lie_outside_0_to_3():
    inst = load_instrument(LIBRARY / "civic_activity.yaml")
    assert inst.scoring == "sum" and (inst.response_min, inst.response_max) == (0, 3)


# --------------------------------------------------------------------------- the loader refuses


def _variant(tmp_path: Path, edit) -> Path:
    """empowerment.yaml with one change, written where the loader will read it."""
    data = yaml.safe_load((LIBRARY / "empowerment.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "empowerment.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _text_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (LIBRARY / "empowerment.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "empowerment.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _refused(path: Path, *fragments: str) -> str:
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    message = str(info.value)
    assert str(path) in message, message  # names the file
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    path = _text_variant(tmp_path, "reversed: [emp_02]", "revesed: [emp_02]")
    _refused(path, "subscales[0].revesed", "unknown key 'revesed'", "did you mean 'reversed'")


def test_unknown_top_level_key(tmp_path):
    path = _variant(tmp_path, lambda d: d.update(scorring="mean"))
    _refused(path, "scorring", "did you mean 'scoring'")


def test_reversed_item_outside_its_subscale(tmp_path):
    path = _variant(tmp_path, lambda d: d["subscales"][0].update(reversed=["emp_04"]))
    _refused(path, "subscales.agency.reversed", "'emp_04'", "not among the subscale's items")


def test_empty_subscale(tmp_path):
    path = _variant(tmp_path, lambda d: d["subscales"][1].update(items=[], reversed=[]))
    _refused(path, "subscales.voice.items", "empty")


def test_min_above_max(tmp_path):
    path = _variant(tmp_path, lambda d: d["response"].update(min=5, max=1))
    _refused(path, "response", "min 5 > max 1")


def test_min_items_larger_than_the_subscale(tmp_path):
    path = _variant(tmp_path, lambda d: d["subscales"][1].update(min_items=4))
    _refused(path, "subscales.voice.min_items", "larger than the subscale")
    path = _variant(tmp_path, lambda d: d.update(min_items=4))  # the instrument's value, applied to a 3-item scale
    _refused(path, "min_items", "larger than the subscale")


def test_unquoted_yes_no_label_is_named(tmp_path):
    labels = "en: [strongly disagree, disagree, neither agree nor disagree, agree, strongly agree]"
    path = _text_variant(tmp_path, labels, "en: [no, rather no, neither, rather yes, yes]")
    _refused(path, "response.labels.en[0]", "boolean", "quote it")
    path = _text_variant(tmp_path, 'en: "I have a say in what happens in my life."', "en: yes")
    _refused(path, "items[0].text.en", "boolean")


def test_missing_code_inside_the_scale(tmp_path):
    path = _variant(tmp_path, lambda d: d.update(missing_codes=[3, 99]))
    _refused(path, "missing_codes", "3 lies inside the response scale")


def test_unknown_item_in_a_subscale_and_id_not_the_file_name(tmp_path):
    path = _variant(tmp_path, lambda d: d["subscales"][0].update(items=["emp_01", "emp_07"]))
    _refused(path, "subscales.agency.items", "'emp_07'")
    path = _variant(tmp_path, lambda d: d.update(id="power"))
    _refused(path, "id", "must equal the file name")


# --------------------------------------------------------------------------- subscale values win


def test_subscale_values_win_over_the_instruments(tmp_path):
    def edit(d):
        d.update(reliability=0.80, reliability_source="Test 2019")
        d["subscales"][1]["reliability"] = 0.78          # voice's own number, without its own source
    inst = load_instrument(_variant(tmp_path, edit))
    agency, voice = inst.scale("agency"), inst.scale("voice")
    assert agency.reliability == 0.80 and voice.reliability == 0.78  # instrument 0.80, voice its own
    # a source belongs to its number: agency inherits the instrument's pair, voice's own number has none
    assert agency.reliability_source == "Test 2019" and voice.reliability_source is None
    assert agency.min_items == math.ceil(0.8 * 3) == 3 and voice.min_items == 2  # default vs own


def test_reliability_source_per_subscale(tmp_path):
    def edit(d):
        d["subscales"][1].update(reliability=0.78, reliability_source="Test 2020, Table 2")
    inst = load_instrument(_variant(tmp_path, edit))
    assert inst.scale("voice").reliability_source == "Test 2020, Table 2"
    assert inst.scale("agency").reliability is None and inst.scale("agency").reliability_source is None


def test_subscale_norms_and_direction_win():
    data = {
        "id": "mood", "title": {"pl": "Nastrój", "en": "Mood"},
        "response": {"min": 0, "max": 3}, "missing_codes": [9],
        "higher_is_better": False, "min_items": 2, "reliability": 0.7,
        "norms": {"cutoff": 1.5},
        "items": [{"id": f"m{i}", "text": {"pl": f"p{i}", "en": f"e{i}"}} for i in range(1, 5)],
        "subscales": [
            {"id": "a", "items": ["m1", "m2"]},
            {"id": "b", "items": ["m3", "m4"], "reversed": ["m4"], "higher_is_better": True, "min_items": 1,
             "reliability": 0.9, "norms": {"functional": {"mean": 2.0, "sd": 0.5},
                                           "dysfunctional": {"mean": 1.0, "sd": 0.5}}},
        ],
    }
    inst = parse_instrument(data, "mood.yaml", expect_id="mood")
    a, b = inst.scale("a"), inst.scale("b")
    assert (a.higher_is_better, a.min_items, a.reliability, a.norms.clinical_cutoff()) == (False, 2, 0.7, 1.5)
    assert (b.higher_is_better, b.min_items, b.reliability) == (True, 1, 0.9)
    assert b.norms.clinical_cutoff() == pytest.approx(1.5)  # (0.5·1 + 0.5·2)/(0.5 + 0.5), equal SDs: the midpoint


def test_per_subscale_cutoff(tmp_path):
    def edit(d):
        d["subscales"][1]["norms"] = {"cutoff": 2.5, "source": "Test 2019, Table 3"}
    inst = load_instrument(_variant(tmp_path, edit))
    assert inst.scale("voice").norms == Norms(cutoff=2.5, source="Test 2019, Table 3")
    assert inst.scale("agency").norms is None


def test_norms_without_source_warn_and_are_kept_unsourced(tmp_path):
    from evaltools.instruments import read_instrument

    def edit(d):
        d["norms"] = {"functional": {"mean": 3.9, "sd": 0.6}, "dysfunctional": {"mean": 2.6, "sd": 0.7}}
    path = _variant(tmp_path, edit)
    inst = load_instrument(path)                                  # a warning does not refuse the file
    assert inst.scale("agency").norms == Norms(3.9, 0.6, 2.6, 0.7) and not inst.scale("agency").norms.sourced
    data_dir = tmp_path
    (data_dir / "instruments").mkdir()
    path.rename(data_dir / "instruments" / "empowerment.yaml")
    inst, problems = read_instrument("empowerment", data_dir)
    assert inst is not None and len(inst.scales) == 2            # the subscales are not dropped for a warning
    assert [(p.key, p.severity, p.entry) for p in problems] == [("instrument.norms_unsourced", "warning", "norms")]
    assert "norms without a source" in problems[0].text("en") and "bez źródła" in problems[0].text("pl")


def test_a_source_must_be_text(tmp_path):
    path = _variant(tmp_path, lambda d: d.update(reliability=0.8, reliability_source=["Test", 2019]))
    _refused(path, "reliability_source", "expected a source")


# --------------------------------------------------------------------------- clinical cutoff


def test_clinical_cutoff_jacobson_truax():
    # c = (s_f·M_d + s_d·M_f) / (s_f + s_d)   (Jacobson & Truax 1991, criterion c)
    # functional 3.9 (SD 0.6), dysfunctional 2.6 (SD 0.7):
    # hand calculation (0.6·2.6 + 0.7·3.9) / 1.3 = (1.56 + 2.73) / 1.3 = 4.29 / 1.3 = 3.3
    norms = Norms(3.9, 0.6, 2.6, 0.7, source="Test 2019")
    assert norms.clinical_cutoff() == pytest.approx(3.3)
    # unequal SDs pull c towards the tighter population: functional 40 (SD 10), dysfunctional 20 (SD 5):
    # hand calculation (10·20 + 5·40) / 15 = 400 / 15 = 26.666…, not the midpoint 30
    assert Norms(40, 10, 20, 5).clinical_cutoff() == pytest.approx(400 / 15)
    # a given cutoff is used as is; incomplete norms give none
    assert Norms(cutoff=3.0).clinical_cutoff() == 3.0
    assert Norms(functional_mean=3.0, functional_sd=1.0).clinical_cutoff() is None


def test_norms_need_both_populations(tmp_path):
    path = _variant(tmp_path, lambda d: d.update(norms={"source": "Test 2019", "functional": {"mean": 3.9, "sd": 0.6}}))
    _refused(path, "norms", "needs both functional and dysfunctional")


# --------------------------------------------------------------------------- every problem, in one pass


def test_every_problem_of_a_file_is_named_at_once(tmp_path):
    def edit(d):
        d["subscales"][0]["revesed"] = d["subscales"][0].pop("reversed")
        d["subscales"][1]["min_items"] = 4
        d["scorring"] = "mean"
    message = _refused(_variant(tmp_path, edit), "subscales[0].revesed", "subscales.voice.min_items", "scorring")
    assert message.count("\n") == 2  # three problems, one line each


def test_read_instrument_keeps_what_parsed(tmp_path):
    from evaltools.instruments import read_instrument

    def edit(d):
        d["subscales"][0]["revesed"] = d["subscales"][0].pop("reversed")
        d["response"]["min"] = "one"
    (tmp_path / "instruments").mkdir()
    _variant(tmp_path / "instruments", edit)  # a custom instrument of the data folder tmp_path
    inst, problems = read_instrument("empowerment", tmp_path)
    assert [(p.file, p.entry, p.key) for p in problems] == [
        ("instruments/empowerment.yaml", "response.min", "instrument.not_a_number"),
        ("instruments/empowerment.yaml", "subscales[0].revesed", "instrument.unknown_key_hint")]
    # the items and the intact subscale survive, so the questionnaire can still be checked against them
    assert inst.item_ids == tuple(f"emp_{i:02d}" for i in range(1, 7))
    assert [s.id for s in inst.scales] == ["voice"]
    assert math.isnan(inst.response_min) and inst.response_max == 5
    assert "klucz response.min: oczekiwano liczby, a znaleziono 'one'" in problems[0].text("pl")


def test_an_unknown_instrument_is_a_problem_of_project_yaml(tmp_path):
    from evaltools.instruments import read_instrument
    inst, problems = read_instrument("happiness", tmp_path)
    assert inst is None and [(p.file, p.entry) for p in problems] == [("project.yaml", "instruments")]
    assert "'happiness'" in problems[0].text("pl") and "empowerment" in problems[0].text("pl")
