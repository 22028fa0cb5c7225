"""The demo as the data contract's tables and its project.yaml."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from evaltools.schema import CODES, TABLES
from evaltools.synth.plan import (INSTRUMENTS, PROJECT_NAME, RELATIONS, WAVE_ORDER, Plan, iso_dates, numbered_ids,
                                  round_half_up)


def contract_tables(plan, people, sessions, attendance, ties, questionnaires,
                     comparison: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    n = len(people["kind"])
    pid = numbered_ids("P", n)
    fam_id = numbered_ids("F", max(people["n_families"], 1), 2)
    group_label = np.array([f"G{g + 1}" for g in range(max(plan.groups, 1))], dtype=object)
    fam, group = people["fam"], people["group"]

    comp = people["comp"]
    comp_text = np.full(n, "", dtype=object)
    for c in CODES["component"]:
        comp_text = np.where(comp[c], np.where(comp_text == "", c, comp_text + ";" + c), comp_text)
    participants = pd.DataFrame({
        "participant_id": pid,
        "family_id": np.where(fam >= 0, fam_id[np.maximum(fam, 0)], None),
        "components": comp_text,
        "group": np.where(group >= 0, group_label[np.maximum(group, 0)], None),
        "role": np.array(["adult", "child", "youth", "adult"], dtype=object)[people["kind"]],
        "sex": people["sex"],
        "birth_year": pd.array(people["birth"], dtype="Int64"),
        "enrolled_on": iso_dates(people["enrolled"]),
        "exited_on": iso_dates(people["exited"]),
        "exit_reason": people["reason"],
    })

    sid = numbered_ids("S", len(sessions), 4)
    sg = sessions["group"].to_numpy()
    table_sessions = pd.DataFrame({
        "session_id": sid,
        "date": iso_dates(sessions["day"].to_numpy()),
        "activity": sessions["activity"].to_numpy(dtype=object),
        "group": np.where(sg >= 0, group_label[np.maximum(sg, 0)], None),
        "duration_min": pd.array(sessions["duration"].to_numpy(), dtype="Int64"),
        "headcount": sessions["headcount"].array,
    })
    table_attendance = pd.DataFrame({"session_id": sid[attendance["s"].to_numpy()],
                                     "participant_id": pid[attendance["p"].to_numpy()]})

    alter = ties["alter"].to_numpy()
    table_ties = pd.DataFrame({
        "participant_id": pid[ties["ego"].to_numpy()],
        "wave": ties["wave"].to_numpy(dtype=object),
        "alter": np.char.add("A", ties["num"].to_numpy().astype(str)).astype(object),
        "alter_participant_id": np.where(alter >= 0, pid[np.maximum(alter, 0)], None),
        "relation": np.array(RELATIONS, dtype=object)[ties["relation"].to_numpy()],
        "support": ties["support"].to_numpy(dtype=object),
        "contact": ties["contact"].to_numpy(dtype=object),
        "on_estate": np.where(ties["on_estate"].to_numpy(dtype=bool), "yes", "no").astype(object),
    })
    tables = {"participants": participants, "sessions": table_sessions, "attendance": table_attendance,
              "ties": table_ties}
    if comparison is not None:  # the arm column is written only when there is a comparison arm
        participants = pd.concat([participants.assign(arm="programme"), comparison], ignore_index=True)
        tables["participants"] = participants
        pid = np.concatenate([pid, comparison["participant_id"].to_numpy(dtype=object)])
    for name, df in tables.items():
        contract = [c for c in TABLES[name].column_names if c != "arm" or comparison is not None]
        assert list(df.columns) == contract, name  # the contract's columns, in order
    wave_rank = {w: i for i, w in enumerate(WAVE_ORDER)}
    for name, q in questionnaires.items():
        q = q.assign(_w=q["wave"].map(wave_rank)).sort_values(["_w", "p"], kind="stable").drop(columns="_w")
        tables[name] = pd.concat([pd.DataFrame({"participant_id": pid[q["p"].to_numpy()]}),
                                  q.drop(columns="p").reset_index(drop=True)], axis=1)
    return tables


def _groups(plan: Plan) -> dict:
    topics = [("komputer i internet", "computers and the internet"), ("pisma urzędowe", "official letters"),
              ("domowy budżet", "the household budget")]
    out = {}
    for g in range(plan.groups):
        if plan.groups <= len(topics):
            pl, en = topics[g]
            out[f"G{g + 1}"] = {"pl": f"Grupa samopomocowa {g + 1} – {pl}", "en": f"Self-help group {g + 1} – {en}"}
        else:
            out[f"G{g + 1}"] = {"pl": f"Grupa samopomocowa {g + 1}", "en": f"Self-help group {g + 1}"}
    return out


def _targets(plan: Plan) -> list[dict]:
    def scaled(x):
        return max(1, round_half_up(x * plan.scale))

    def per_site(x):
        return x * plan.sites

    def target(id_, pl, en, count, value, **extra):
        return {"id": id_, "label": {"pl": pl, "en": en}, "count": count, **extra, "target": value}

    return [
        target("families_at_risk", "Rodziny zagrożone wykluczeniem objęte wsparciem",
               "Families at risk of exclusion supported", "families", max(1, plan.families),
               where={"component": ["family_support", "legal"]}),
        target("families_assisted", "Rodziny z asystą rodzinną", "Families with a family assistant",
               "families", max(1, plan.assisted), where={"activity": "family_visit"}),
        target("youth_independence", "Młodzież (13–20 lat) w programie usamodzielnienia",
               "Young people (13–20) in the independence programme", "participants", max(1, plan.youth),
               where={"component": "youth", "activity": ["youth_individual", "youth_group"]}),
        target("self_help_groups", "Grupy samopomocowe dla dorosłych", "Self-help groups for adults",
               "groups", max(1, plan.groups), where={"activity": "self_help_meeting"}),
        target("self_help_participants", "Uczestnicy grup samopomocowych (min. 3 spotkania)",
               "Self-help group members (3 meetings or more)", "participants", max(1, 10 * plan.groups),
               where={"activity": "self_help_meeting"}, min_sessions=3),
        target("community_actions", "Akcje aktywizujące społeczność lokalną", "Community activation actions",
               "sessions", per_site(8), where={"activity": "community_event"}),
        target("community_reach", "Osoby uczestniczące w akcjach aktywizujących",
               "People taking part in community actions", "reach", scaled(100),
               where={"activity": "community_event"}),
        target("neighbourhood_meetings", "Tematyczne spotkania sąsiedzkie", "Thematic neighbourhood meetings",
               "sessions", per_site(5), where={"activity": "neighbourhood_meeting"}),
        target("reach_all", "Osoby, które skorzystały z działań", "People reached by the programme", "reach",
               scaled(150)),
        target("staff_training", "Szkolenia kadry", "Staff training days", "sessions", per_site(2),
               where={"activity": "staff_training"}),
        target("supervision", "Superwizje kadry", "Staff supervision sessions", "sessions", per_site(10),
               where={"activity": "supervision"}),
        target("empowerment_improved", "Osoby z rzetelną poprawą poczucia sprawczości",
               "People with a reliable gain in agency", "improved", scaled(5),
               instrument="empowerment", scale="agency"),
    ]


#: The demo's primary outcomes (project.yaml): self-help's agency, the family assistants' crisis coping, the
#: youth programme's independent living, community work's neighbourhood ties.
PRIMARY_OUTCOMES = ("empowerment/agency", "recovery/crisis_coping", "independence/total",
                    "social_support/neighbourhood_ties")


def project_config(plan: Plan) -> dict:
    return {
        "name": PROJECT_NAME,
        "period": {"start": "2021-01-01", "end": "2021-12-31"},
        "language": "pl",
        "instruments": list(INSTRUMENTS),
        "min_cell": 5,
        # the programme's claims, one per core component, named before the endline: the confirmatory tests
        "primary_outcomes": list(PRIMARY_OUTCOMES),
        "groups": _groups(plan),
        "targets": _targets(plan),
    }


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                          width=10_000).strip()


def project_yaml_text(config: dict, *, seed: int, n: int, options: str = "") -> str:
    """project.yaml as a person would write it: one line per group and per target."""
    lines = [f"# Synthetic demo data (evaltools demo-data --seed {seed}{options}, {n} participants).",
             "# Every person, family and answer in this folder is invented."]
    for key in ("name", "period", "language", "instruments", "min_cell", "primary_outcomes"):
        lines.append(f"{key}: {_flow(config[key]).removesuffix('...').strip()}")
    lines.append("groups:")
    lines += [f"  {g}: {_flow(label)}" for g, label in config["groups"].items()]
    lines.append("targets:")
    lines += [f"  - {_flow(t)}" for t in config["targets"]]
    return "\n".join(lines) + "\n"
