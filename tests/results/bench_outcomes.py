"""Time the outcome statistics on a large synthetic project (a developer's script, not a test).

    .venv/bin/python tests/results/bench_outcomes.py [participants]

Writes the demo data (evaltools.synth) for N participants into a temporary
folder, loads it as the toolkit does, then times each analysis step. The
target (DESIGN.md §8): the whole analysis under 10 s at 10 000 participants.
"""

from __future__ import annotations

import sys
import tempfile
import time

from evaltools.attrition import attrition, sensitivity
from evaltools.change import group_membership, paired_change
from evaltools.dose_response import dose_from_attendance, dose_response
from evaltools.clustering import clustered_change
from evaltools.project import load_project
from evaltools.reliability import item_rest, reliability
from evaltools.reliable_change import reliable_change, reliable_change_people
from evaltools.scoring import score_all
from evaltools.synth import write_demo_data


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_demo_data(f"{tmp}/demo", seed=0, participants=n)
        project = load_project(f"{tmp}/demo")
        print(f"data for {n} participants written and loaded in {time.perf_counter() - t0:.1f} s")
    total = 0.0

    def timed(label, f, *args, **kw):
        nonlocal total
        t = time.perf_counter()
        out = f(*args, **kw)
        dt = time.perf_counter() - t
        total += dt
        print(f"{label:<24}{dt:7.3f} s  {len(out):>7} rows")
        return out

    scores = timed("score_all", score_all, project.questionnaires, project.instruments)
    rel = timed("reliability", reliability, project.questionnaires, project.instruments)
    timed("item_rest", item_rest, project.questionnaires, project.instruments)
    members = timed("group_membership", group_membership, project.participants)
    timed("paired_change", paired_change, scores, membership=members, instruments=project.instruments)
    timed("reliable_change_people", reliable_change_people, scores, instruments=project.instruments,
          reliability_table=rel)
    timed("reliable_change", reliable_change, scores, instruments=project.instruments, membership=members,
          reliability_table=rel)
    timed("attrition", attrition, scores, project.participants, membership=members)
    timed("sensitivity", sensitivity, scores, project.participants, membership=members)
    dose = timed("dose_from_attendance", dose_from_attendance, project.attendance, sessions=project.sessions,
                 participants=project.participants)
    timed("dose_response", dose_response, scores, dose)
    timed("clustered_change", clustered_change, scores, project.participants, membership=members)
    print(f"{'total':<24}{total:7.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
