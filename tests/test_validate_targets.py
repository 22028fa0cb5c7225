"""The checks of project.yaml's targets (evaltools/validate/targets.py, DESIGN.md §5)."""

from __future__ import annotations

import pytest

from evaltools.validate import check_targets


def target(id_, count, goal, **kw):
    return {"id": id_, "label": {"pl": f"PL {id_}", "en": f"EN {id_}"}, "count": count, "target": goal, **kw}


#: Valid targets: every count, list and single ``where`` values, a numeric group, min_sessions 0.
VALID = [
    target("people_enrolled", "participants", 7, min_sessions=0),
    target("self_help_2", "participants", 3, min_sessions=2, where={"activity": "self_help_meeting"}),
    target("families_visited", "families", 1, where={"activity": "family_visit"}),
    target("reach_community", "reach", 60, where={"activity": ["community_event", "neighbourhood_meeting"]}),
    target("staff_sessions", "sessions", 1, where={"activity": ["staff_training", "supervision"]}),
    target("groups", "groups", 3, where={"activity": "self_help_meeting", "group": 1}),
    target("adults", "participants", 3, where={"role": "adult", "component": ["family_support", "self_help"]}),
    target("improved_adults", "improved", 2.5, instrument="empowerment", scale="agency", where={"role": "adult"}),
    {"id": "plain_label", "label": "Reach", "count": "reach", "target": 150},
]


def test_valid_targets_have_no_problem():
    assert check_targets(VALID) == []
    assert check_targets([]) == [] and check_targets(None) == []


@pytest.mark.parametrize("spec, entry, fragment, severity", [
    (target("a", "famlies", 3), "targets.a.count", "count 'famlies' is not known", "error"),
    ({"id": "a", "label": "A", "target": 3}, "targets.a.count", "the key count is missing", "error"),
    (target("a", "participants", 3, where={"activty": "family_visit"}), "targets.a.where.activty",
     "where key 'activty' is not known", "error"),
    (target("a", "participants", 0), "targets.a.target", "target 0 must be a number greater than 0", "error"),
    (target("a", "participants", -5), "targets.a.target", "target -5 must be a number greater than 0", "error"),
    (target("a", "participants", "15"), "targets.a.target", "target '15' must be a number", "error"),
    ({"id": "a", "label": "A", "count": "reach"}, "targets.a.target", "the key target is missing", "error"),
    (target("a", "improved", 3), "targets.a.instrument", "count improved needs the key instrument", "error"),
    (target("a", "improved", 3, instrument="empowerment"), "targets.a.scale", "needs the key scale", "error"),
    (target("a", "participants", 3, where={"activity": "family_vist"}), "targets.a.where.activity",
     "'family_vist' is not an allowed code", "error"),
    (target("a", "participants", 3, where={"component": ["youth", "yuth"]}), "targets.a.where.component",
     "'yuth' is not an allowed code", "error"),
    (target("a", "participants", 3, min_sessions=-1), "targets.a.min_sessions", "min_sessions -1 must be", "error"),
    (target("a", "participants", 3, min_sessions=1.5), "targets.a.min_sessions", "min_sessions 1.5 must", "error"),
    (target("a", "sessions", 3, min_sessions=2), "targets.a.min_sessions", "no effect on count sessions", "warning"),
    (target("a", "sessions", 3, where={"role": "adult"}), "targets.a.where.role",
     "where key 'role' has no effect on count sessions", "warning"),
    (target("a", "participants", 3, scale="agency"), "targets.a.scale", "applies only to count improved", "warning"),
    (target("a", "participants", 3, traget=4), "targets.a.traget", "key 'traget' is not known", "error"),
    (target("a", "participants", 3, where=["activity"]), "targets.a.where", "is not a mapping", "error"),
    (target("a", "participants", 3, where={"activity": []}), "targets.a.where.activity",
     "is not a value or a list of values", "error"),
    ({"label": "A", "count": "sessions", "target": 3}, "targets[1]", "the key id is missing", "error"),
    ("sessions", "targets[1]", "a target is a mapping", "error"),
])
def test_each_problem_names_the_file_and_the_key(spec, entry, fragment, severity):
    problems = check_targets([spec])
    hit = [p for p in problems if fragment in p.text("en")]
    assert hit, [p.text("en") for p in problems]
    assert (hit[0].file, hit[0].entry, hit[0].severity) == ("project.yaml", entry, severity)
    assert hit[0].text("en").startswith(f"project.yaml, key {entry}: ")
    assert hit[0].text("pl").startswith(f"project.yaml, klucz {entry}: ")


def test_duplicate_ids_and_a_numeric_group():
    problems = check_targets([target("a", "sessions", 1), target("a", "groups", 1, where={"group": 1})])
    assert [p.text("en") for p in problems] == [
        "project.yaml, key targets.a.id: id 'a' is used by another target; ids must be unique."]


def test_polish_messages_carry_no_english_words():
    specs = [target("a", "famlies", 0), {"id": "b", "label": "B"}, target("c", "participants", 3, traget=1),
             target("d", "improved", 3), target("e", "sessions", 3, min_sessions=2, where={"role": "adult"})]
    for p in check_targets(specs):
        text = p.text("pl")
        for word in (" is ", " not ", " the ", " must ", " expected", " has no ", " key ", " applies "):
            assert word not in text, text
