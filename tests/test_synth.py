"""The synthetic demo data: the programme's shape, consistency, determinism, scaling, formats."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evaltools.errors import UsageError
from evaltools.instruments import find_instrument
from evaltools.schema import CODES, STAFF_ACTIVITIES, TABLES, split_codes
from evaltools.synth import INSTRUMENTS, PROJECT_NAME, demo_tables, write_demo_data


@pytest.fixture(scope="module")
def demo():
    return demo_tables(seed=0)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_demo_data(tmp_path_factory.mktemp("synth") / "demo", seed=0)


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _dates(series) -> pd.Series:
    return pd.to_datetime(series, format="%Y-%m-%d")


# --------------------------------------------------------------------------- files and determinism


def test_folder_holds_project_yaml_and_one_csv_per_table(folder):
    expected = {"project.yaml", "participants.csv", "sessions.csv", "attendance.csv", "ties.csv"}
    expected |= {f"q_{i}.csv" for i in INSTRUMENTS}
    assert set(_files(folder)) == expected
    header = (folder / "participants.csv").read_text(encoding="utf-8").splitlines()[0]
    # every column of the contract except arm, which the demo writes only with a comparison arm
    assert header == ",".join(c for c in TABLES["participants"].column_names if c != "arm")


def test_same_seed_same_bytes_other_seed_other_data(folder, tmp_path):
    again = write_demo_data(tmp_path / "again", seed=0)
    assert _files(again) == _files(folder)
    other = write_demo_data(tmp_path / "other", seed=1)
    assert _files(other)["participants.csv"] != _files(folder)["participants.csv"]


def test_the_folder_is_valid(folder):
    from evaltools.validate import validate_folder
    report = validate_folder(folder)
    assert not report.errors, [str(p) for p in report.errors[:5]]
    assert not report.warnings, [str(p) for p in report.warnings[:5]]


def test_project_yaml(folder, demo):
    config = yaml.safe_load((folder / "project.yaml").read_text(encoding="utf-8"))
    assert config == demo[0]  # what is written is what demo_tables returns
    assert config["name"] == PROJECT_NAME
    assert config["period"] == {"start": "2021-01-01", "end": "2021-12-31"}
    assert (config["language"], config["min_cell"]) == ("pl", 5)
    assert config["instruments"] == list(INSTRUMENTS)
    assert set(config["groups"]) == {"G1", "G2", "G3"}
    from evaltools.validate import check_targets
    assert check_targets(config["targets"]) == []
    targets = {t["id"]: t for t in config["targets"]}
    assert targets["families_assisted"]["where"] == {"activity": "family_visit"}
    programme = {"families_at_risk": 20, "families_assisted": 15, "youth_independence": 6, "self_help_groups": 3,
                 "community_actions": 8, "community_reach": 100, "neighbourhood_meetings": 5, "reach_all": 150}
    assert {k: targets[k]["target"] for k in programme} == programme  # program/*.txt
    assert targets["empowerment_improved"]["count"] == "improved"


def test_refuses_a_non_empty_folder_and_names_it(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="busy"):
        write_demo_data(busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="file"):
        write_demo_data(a_file)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert write_demo_data(empty, participants=30) == empty  # an empty folder is fine


def test_bad_arguments_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="format"):
        write_demo_data(tmp_path / "x", fmt="ods")
    with pytest.raises(UsageError, match="language"):
        write_demo_data(tmp_path / "x", lang="de")
    with pytest.raises(UsageError, match="participants"):
        demo_tables(participants=0)
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------- the programme's shape


def test_tables_use_the_contract_columns_and_codes(demo):
    _, tables = demo
    for name in TABLES:
        assert list(tables[name].columns) == [c for c in TABLES[name].column_names if c != "arm"]
    p, s, t = tables["participants"], tables["sessions"], tables["ties"]
    assert {c for v in p["components"] for c in split_codes(v)} <= set(CODES["component"])
    assert set(p["role"]) <= set(CODES["role"]) and set(p["sex"]) <= set(CODES["sex"])
    assert set(s["activity"]) == set(CODES["activity"])  # every activity of the programme happens
    assert set(t["relation"]) <= set(CODES["relation"]) and set(t["contact"]) <= set(CODES["contact"])
    assert {c for v in t["support"].dropna() for c in split_codes(v)} <= set(CODES["support"])
    assert set(t["on_estate"]) <= {"yes", "no"}


def test_families_and_family_assistance(demo):
    _, tables = demo
    p, s, a = tables["participants"], tables["sessions"], tables["attendance"]
    assert p["family_id"].nunique() == 20
    assert len(p) == 75
    visits = a.merge(s, on="session_id").query("activity == 'family_visit'").merge(p, on="participant_id")
    assert visits["family_id"].nunique() == 15
    assisted = p[p["components"].str.contains("family_support")]
    assert assisted["family_id"].nunique() == 15
    assert (p.loc[p["family_id"].notna(), "role"] != "youth").all()


def test_six_young_people_aged_13_to_20(demo):
    _, tables = demo
    p = tables["participants"]
    youth = p[p["role"] == "youth"]
    assert len(youth) == 6
    assert youth["birth_year"].between(2001, 2008).all()  # 13-20 years old in 2021
    assert youth["components"].str.contains("youth").all()
    assert (p.loc[p["role"] != "youth", "components"].map(lambda v: "youth" not in split_codes(v))).all()


def test_three_self_help_groups_of_8_to_12_adults(demo):
    _, tables = demo
    p, s, a = tables["participants"], tables["sessions"], tables["attendance"]
    sizes = p["group"].value_counts()
    assert sorted(sizes.index) == ["G1", "G2", "G3"]
    assert sizes.between(8, 12).all()
    assert (p.loc[p["group"].notna(), "role"] == "adult").all()
    assert (p.loc[p["group"].notna(), "components"].str.contains("self_help")).all()
    meetings = s[s["activity"] == "self_help_meeting"]
    assert set(meetings["group"]) == {"G1", "G2", "G3"}
    assert meetings.groupby("group").size().between(25, 50).all()  # weekly-ish, February to December
    # only the group's members attend its meetings
    seen = a.merge(meetings, on="session_id").merge(p[["participant_id", "group"]], on="participant_id",
                                                     suffixes=("", "_member"))
    assert (seen["group"] == seen["group_member"]).all()
    assert s.loc[s["activity"] != "self_help_meeting", "group"].isna().all()


def test_community_actions_meetings_and_reach(demo):
    _, tables = demo
    s, a = tables["sessions"], tables["attendance"]
    assert (s["activity"] == "community_event").sum() == 8
    assert (s["activity"] == "neighbourhood_meeting").sum() == 5
    staff = s[s["activity"].isin(STAFF_ACTIVITIES)]
    assert len(staff) >= 2 and staff["headcount"].isna().all()
    assert not a["session_id"].isin(staff["session_id"]).any()

    def reach(activities=None):  # DESIGN §5: distinct registered attendees + headcount
        chosen = s[~s["activity"].isin(STAFF_ACTIVITIES)]
        if activities:
            chosen = chosen[chosen["activity"].isin(activities)]
        people = a.loc[a["session_id"].isin(chosen["session_id"]), "participant_id"].nunique()
        return people + int(chosen["headcount"].sum())
    assert 90 <= reach(["community_event"]) <= 110
    assert 135 <= reach() <= 165
    assert s.loc[s["activity"] == "community_event", "headcount"].gt(0).all()


def test_exits_and_attrition(demo):
    _, tables = demo
    p = tables["participants"]
    exited = p["exited_on"].notna()
    assert 0.10 <= exited.mean() <= 0.15
    assert p.loc[exited, "exit_reason"].notna().all()
    assert (_dates(p.loc[exited, "exited_on"]) > _dates(p.loc[exited, "enrolled_on"])).all()
    q = tables["q_empowerment"]
    base = set(q.loc[q["wave"] == "baseline", "participant_id"])
    end = set(q.loc[q["wave"] == "endline", "participant_id"])
    assert end <= base
    dropouts = base - end
    assert 0.10 <= len(dropouts) / len(base) <= 0.15
    # attrition goes with leaving: most dropouts left; nobody who left answered the endline
    left = set(p.loc[exited, "participant_id"])
    assert len(dropouts & left) >= 0.6 * len(dropouts)
    assert not (end & left)


def test_attendance_only_while_enrolled(demo):
    _, tables = demo
    p, s, a = tables["participants"], tables["sessions"], tables["attendance"]
    assert not a.duplicated().any()
    m = a.merge(s, on="session_id", validate="many_to_one").merge(p, on="participant_id", validate="many_to_one")
    day = _dates(m["date"])
    assert (day >= _dates(m["enrolled_on"])).all()
    assert (m["exited_on"].isna() | (day <= pd.to_datetime(m["exited_on"]))).all()
    assert _dates(s["date"]).between("2021-01-01", "2021-12-31").all()
    only = {"children_activity": {"child"}, "youth_individual": {"youth"}, "youth_group": {"youth"},
            "family_visit": {"adult"}, "parent_consultation": {"adult"}, "legal_advice": {"adult"}}
    for activity, roles in only.items():
        assert set(m.loc[m["activity"] == activity, "role"]) <= roles, activity
    # sessions with people (other than community-wide ones) have at least one attendee
    personal = s[~s["activity"].isin([*STAFF_ACTIVITIES, "community_event", "neighbourhood_meeting"])]
    assert personal["session_id"].isin(a["session_id"]).all()


# --------------------------------------------------------------------------- questionnaires


@pytest.mark.parametrize("inst_id", INSTRUMENTS)
def test_answers_within_the_scale_or_a_missing_code(demo, inst_id):
    _, tables = demo
    inst = find_instrument(inst_id)
    q = tables[f"q_{inst_id}"]
    assert list(q.columns) == ["participant_id", "wave", "date", *inst.item_ids]
    values = q[list(inst.item_ids)].to_numpy(dtype="float64", na_value=np.nan)
    answered = values[~np.isnan(values)]
    inside = (answered >= inst.response_min) & (answered <= inst.response_max) & (answered == np.round(answered))
    assert (inside | np.isin(answered, inst.missing_codes)).all()
    assert not q.duplicated(["participant_id", "wave"]).any()
    day = _dates(q["date"])
    assert day[q["wave"] == "baseline"].dt.month.isin([1, 2]).all()
    assert day[q["wave"] == "endline"].dt.month.isin([11, 12]).all()


def test_some_answers_missing_and_some_coded_9(demo):
    _, tables = demo
    blanks = codes = cells = 0
    for inst_id in INSTRUMENTS:
        inst = find_instrument(inst_id)
        values = tables[f"q_{inst_id}"][list(inst.item_ids)].to_numpy(dtype="float64", na_value=np.nan)
        blanks += np.isnan(values).sum()
        codes += (values == 9).sum()
        cells += values.size
    assert 0.005 < blanks / cells < 0.05
    assert codes >= 3


def test_who_answers_which_instrument(demo):
    _, tables = demo
    p = tables["participants"].set_index("participant_id")
    role = lambda inst_id: set(p.loc[tables[f"q_{inst_id}"]["participant_id"], "role"])  # noqa: E731
    assert role("independence") == {"youth"}
    assert role("recovery") == {"adult"} and p.loc[tables["q_recovery"]["participant_id"], "family_id"].notna().all()
    assert role("civic_activity") == {"adult"}
    assert role("empowerment") == role("social_support") == {"adult", "youth"}
    assert "child" not in {r for i in INSTRUMENTS for r in role(i)}


def _agency(tables) -> pd.DataFrame:
    """Agency scores by hand: reverse emp_02 (6 − x), drop missing codes, mean of 3 answered items."""
    q = tables["q_empowerment"]
    x = q[["emp_01", "emp_02", "emp_03"]].astype("float64")
    x = x.where(~x.isin([9, 99]))
    x["emp_02"] = 6 - x["emp_02"]
    score = x.mean(axis=1).where(x.notna().sum(axis=1) == 3)
    wide = pd.DataFrame({"p": q["participant_id"], "wave": q["wave"], "score": score}).pivot(
        index="p", columns="wave", values="score")
    return wide.dropna()


def test_reversed_items_are_answered_consistently(demo):
    _, tables = demo
    q = tables["q_empowerment"]
    x = q[["emp_01", "emp_02", "emp_03"]].astype("float64")
    x = x.where(~x.isin([9, 99])).dropna()
    # emp_02 ("others decide for me") runs against emp_01 and emp_03 ...
    assert x["emp_02"].corr(x["emp_01"]) < -0.2 and x["emp_02"].corr(x["emp_03"]) < -0.2
    # ... and agrees with them once reversed
    assert (6 - x["emp_02"]).corr(x["emp_01"]) > 0.2


def test_a_modest_improvement(demo):
    _, tables = demo
    wide = _agency(tables)
    diff = wide["endline"] - wide["baseline"]
    g_av = diff.mean() / ((wide["baseline"].std() + wide["endline"].std()) / 2)
    assert 0.2 < g_av < 0.8


def test_dose_effect_at_scale():
    _, tables = demo_tables(seed=3, participants=1500)
    wide = _agency(tables)
    diff = wide["endline"] - wide["baseline"]
    sessions = tables["attendance"].groupby("participant_id").size()
    assert diff.corr(sessions.reindex(diff.index).fillna(0), method="spearman") > 0.1


# --------------------------------------------------------------------------- ties


def test_ego_networks(demo):
    _, tables = demo
    t, p = tables["ties"], tables["participants"]
    assert not t.duplicated(["participant_id", "wave", "alter"]).any()
    assert t.groupby(["participant_id", "wave"]).size().between(2, 8).all()
    assert set(t["wave"]) == {"baseline", "endline"}
    named = t[t["alter_participant_id"].notna()]
    assert len(named) > 0 and (named["alter_participant_id"] != named["participant_id"]).all()
    assert named["alter_participant_id"].isin(p["participant_id"]).all()
    assert (named["on_estate"] == "yes").all()
    # egos answered the questionnaires that wave
    q = tables["q_empowerment"]
    assert set(zip(t["participant_id"], t["wave"])) <= set(zip(q["participant_id"], q["wave"]))
    # more ties among self-help members at endline than at baseline
    group = p.set_index("participant_id")["group"]
    same = t.assign(g=t["participant_id"].map(group), ag=t["alter_participant_id"].map(group))
    within = same[same["g"].notna() & (same["g"] == same["ag"])].groupby("wave").size()
    assert within.get("endline", 0) > within.get("baseline", 0)


# --------------------------------------------------------------------------- scaling and formats


def test_scales_to_2000_participants_quickly():
    start = time.perf_counter()
    config, tables = demo_tables(seed=0, participants=2000)
    elapsed = time.perf_counter() - start
    p, s = tables["participants"], tables["sessions"]
    assert len(p) == 2000 and p["participant_id"].is_unique
    sites = 27  # round(2000 / 75)
    assert (s["activity"] == "community_event").sum() == 8 * sites
    assert p["group"].nunique() == round(3 * 2000 / 75)
    assert 0.10 <= p["exited_on"].notna().mean() <= 0.15
    assert elapsed < 10  # vectorised: about a tenth of a second on a laptop
    assert {t["id"]: t["target"] for t in config["targets"]}["community_actions"] == 8 * sites


def test_xlsx_types_the_tables_into_the_template(folder, tmp_path):
    templates = pytest.importorskip("evaltools.templates")
    if not hasattr(templates, "write_filled_workbook"):
        pytest.skip("evaltools.templates.write_filled_workbook is not there yet")
    from evaltools.project import Project
    from evaltools.validate import validate_folder
    out = write_demo_data(tmp_path / "demo_xlsx", seed=0, fmt="xlsx", lang="en")
    assert sorted(p.name for p in out.iterdir()) == ["demo_xlsx.xlsx", "project.yaml"]
    assert yaml.safe_load((out / "project.yaml").read_text(encoding="utf-8"))["language"] == "en"
    from_xlsx, from_csv = validate_folder(out), validate_folder(folder)
    assert not from_xlsx.errors, [str(p) for p in from_xlsx.errors[:5]]
    a, b = Project.from_validation(from_xlsx), Project.from_validation(from_csv)
    for name in ("participants", "sessions", "attendance", "ties"):
        pd.testing.assert_frame_equal(getattr(a, name).drop(columns="_row"), getattr(b, name).drop(columns="_row"))
    for inst_id in INSTRUMENTS:
        pd.testing.assert_frame_equal(a.questionnaires[inst_id].drop(columns="_row"),
                                      b.questionnaires[inst_id].drop(columns="_row"))
    again = write_demo_data(tmp_path / "again" / "demo_xlsx", seed=0, fmt="xlsx", lang="en")
    assert _files(again) == _files(out)


# --------------------------------------------------------------------------- a comparison arm and extra waves

#: sha256 of `evaltools demo-data OUT --seed 0` (csv) made from main at f229476, before the extras existed;
#: project.yaml since it names the demo's primary outcomes (issue 14: Holm within a declared family).
MAIN_DEMO_SHA256 = {
    "attendance.csv": "31a19ee012447257a69e037315aa2e472cc5404e61f00d84216f6c6f066ad539",
    "participants.csv": "a70e3dfe624fdc18e1d911cc1fcd7eba8840244376a1dcbfc4a457c07f9ece8e",
    "project.yaml": "8730c9540483783324c2332ab74eff88b22fa23cf28d0325d467ae80e361b35f",
    "q_civic_activity.csv": "b741c8e73ff481f9a193fdce2fd05f39a6bb77a65ac9e6327924ff178c2675b4",
    "q_empowerment.csv": "e5795f0515a88a374f9d9ea55ba90da5ac8d6ef1ede585f426eea89fcc3b0591",
    "q_independence.csv": "be6e23bfe93dbba4b1c3a5205f61e6503638488ce7ad997bed49d5898508f6c0",
    "q_recovery.csv": "ec017e933dce1fec769dfb62bf7238f9b0e68e7f241ba8654fd806828ebf5093",
    "q_social_support.csv": "1ea341c8fe6576a6163391837e6b35d2ff0f987ee5707cda10b314884335ead0",
    "sessions.csv": "dd8bbac8c240e80bc511023d97b60b8bc0d29e7c05e12b7decdd39cf4751d7e6",
    "ties.csv": "899f3e75bcdf4d6dadc3373c55dddf92761e2e9b34423de42f0373601556964f",
}
ALL_WAVES = ("baseline", "midline", "endline", "followup")


def test_the_default_demo_has_the_same_bytes_as_before_the_extras(folder):
    assert _files(folder) == MAIN_DEMO_SHA256


@pytest.fixture(scope="module")
def extended():
    return demo_tables(seed=0, comparison=60, waves=ALL_WAVES)


def test_extras_leave_the_programme_as_it_was(demo, extended):
    _, base = demo
    _, ext = extended
    for name in ("sessions", "attendance", "ties"):
        pd.testing.assert_frame_equal(ext[name], base[name])
    programme = ext["participants"].iloc[:len(base["participants"])]
    assert (programme["arm"] == "programme").all()
    pd.testing.assert_frame_equal(programme.drop(columns="arm"), base["participants"], check_dtype=False)
    for name in (n for n in base if n.startswith("q_")):
        q = ext[name]
        kept = q[q["wave"].isin(["baseline", "endline"]) & q["participant_id"].str.startswith("P")]
        pd.testing.assert_frame_equal(kept.reset_index(drop=True), base[name], check_dtype=False)


def test_the_comparison_arm(extended):
    config, tables = extended
    p = tables["participants"]
    comp = p[p["arm"] == "comparison"]
    assert len(comp) == 60 and comp["participant_id"].tolist()[:2] == ["C001", "C002"]
    assert list(p.columns) == list(TABLES["participants"].column_names)
    assert (comp["components"] == "").all() and comp["group"].isna().all() and comp["family_id"].isna().all()
    assert not tables["attendance"]["participant_id"].isin(comp["participant_id"]).any()
    assert not tables["ties"]["participant_id"].isin(comp["participant_id"]).any()
    for name in (n for n in tables if n.startswith("q_")):
        q = tables[name]
        theirs = q[q["participant_id"].isin(comp["participant_id"])]
        if name in ("q_empowerment", "q_social_support", "q_civic_activity"):
            assert set(theirs["wave"]) == {"baseline", "endline"}
            assert theirs["participant_id"].nunique() == 60
            assert 0.75 < (theirs["wave"] == "endline").sum() / 60 < 0.97  # about 12 % without endline
        else:
            assert theirs.empty
    # a smaller true change than the programme's: mean item change on empowerment
    from evaltools.scoring import score
    scores = score(tables["q_empowerment"], find_instrument("empowerment"))
    wide = scores.pivot_table(index=["participant_id", "scale"], columns="wave", values="score").dropna(
        subset=["baseline", "endline"])
    change = (wide["endline"] - wide["baseline"]).groupby(wide.index.get_level_values(0).str[0]).mean()
    assert change["C"] < change["P"] - 0.15 and abs(change["C"]) < 0.2


def test_extra_waves_at_sensible_dates(extended):
    config, tables = extended
    q = tables["q_empowerment"]
    assert list(dict.fromkeys(q["wave"])) == list(ALL_WAVES)  # rows in time order
    dates = _dates(q["date"])
    mid, fu, end = (dates[q["wave"] == w] for w in ("midline", "followup", "endline"))
    assert mid.min() >= pd.Timestamp("2021-06-01") and mid.max() <= pd.Timestamp("2021-06-30")
    assert fu.min() > pd.Timestamp(config["period"]["end"])  # a follow-up after the period's end
    assert fu.max() < pd.Timestamp("2022-04-01") and end.max() < fu.min()
    ids = lambda w: set(q.loc[q["wave"] == w, "participant_id"])
    assert ids("followup") <= ids("endline") and ids("midline") <= ids("baseline")
    assert not any(i.startswith("C") for i in ids("midline") | ids("followup"))
    people = tables["participants"].set_index("participant_id")
    left = pd.to_datetime(people.loc[list(ids("midline")), "exited_on"])
    assert (left.isna() | (left > mid.min())).all()


def test_only_midline_or_only_followup(demo):
    _, mid = demo_tables(seed=0, waves=("baseline", "midline", "endline"))
    _, fu = demo_tables(seed=0, waves="baseline,endline,followup")
    assert set(mid["q_recovery"]["wave"]) == {"baseline", "midline", "endline"}
    assert set(fu["q_recovery"]["wave"]) == {"baseline", "endline", "followup"}
    assert "arm" not in mid["participants"].columns


@pytest.mark.parametrize("kwargs", [{"comparison": -1}, {"comparison": 2.5}, {"waves": ("baseline", "followup")},
                                    {"waves": ("endline", "baseline")}, {"waves": ("baseline", "endline", "later")}])
def test_bad_extras_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        demo_tables(seed=0, **kwargs)


def test_cli_demo_data_with_extras(tmp_path):
    from evaltools.cli import main
    assert main(["demo-data", str(tmp_path / "d"), "--comparison", "7", "--waves", "baseline,midline,endline"]) == 0
    p = pd.read_csv(tmp_path / "d" / "participants.csv")
    assert (p["arm"] == "comparison").sum() == 7
    assert "--comparison 7 --waves baseline,midline,endline" in (tmp_path / "d" / "project.yaml").read_text("utf-8")
    assert set(pd.read_csv(tmp_path / "d" / "q_empowerment.csv")["wave"]) == {"baseline", "midline", "endline"}
    assert main(["demo-data", str(tmp_path / "e"), "--waves", "baseline,nope"]) == 2
