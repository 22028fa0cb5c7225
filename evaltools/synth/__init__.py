"""Synthetic demo data shaped like the Białystok programme (docs/data.md, docs/targets.md; ``evaltools demo-data``).

Everything here is invented and seeded (``numpy.random.default_rng(seed)``):
the same seed gives the same tables and the same file bytes.

What the default demo holds (75 people, the programme of
``program/``): 20 families at risk (adults and children), 15 of them with a
family assistant (``family_visit`` sessions, about three a month); 6 young
people of 13–20 in the independence programme (individual sessions and a
group every other week); 3 self-help groups (``G1``–``G3``, 8–12 adults
each, meeting weekly from February with a summer break) whose members come
from the families and from other residents; other residents registered at
community events; exactly 8 community actions and 5 neighbourhood meetings
per 75 people, with anonymous ``headcount`` chosen so that community
actions reach about 100 people and the programme about 150; legal advice,
children's activities, parent consultations, staff training and supervision
(the last two without attendance). About 12 % of the people leave before the
end (``exited_on``, ``exit_reason``); about 12.5 % of those who answered the
baseline questionnaires have no endline, mostly the ones who left.

Questionnaires (``q_<id>``) are answered at baseline (January–February) and
endline (November–December) by the people each instrument suits: adults
answer empowerment, social support and civic activity, family adults also
recovery, the young people empowerment, social support and independence.
Answers come from a latent trait per person and scale plus item noise;
endline adds a modest improvement (about 0.45 latent SD on average) that
grows with the number of sessions attended (a dose effect). Reversed items
are answered consistently (``min + max - x``); about 2 % of answers are
blank and 0.6 % carry a missing code (9, rarely 99). Ego networks (``ties``)
list 2–8 alters per person and wave, some of them other participants
(spouses, fellow group members, other young people); self-help members name
more of their group at endline.

``participants=N`` scales everything (families, groups, sessions, sites of
community activities, targets) to N people for benchmarks.

One module per part of the programme: :mod:`~evaltools.synth.plan` (how many
of everything, the calendar), :mod:`~evaltools.synth.people`,
:mod:`~evaltools.synth.sessions` (with attendance and headcounts),
:mod:`~evaltools.synth.questionnaires`, :mod:`~evaltools.synth.ties`,
:mod:`~evaltools.synth.writing` (the contract's tables and project.yaml) and
:mod:`~evaltools.synth.demo`, which puts them together in one seeded order.

Examples
--------
>>> config, tables = demo_tables(seed=0)
>>> config["name"], len(tables["participants"])
('Razem zmieniamy jutro – Białystok 2021', 75)
>>> int((tables["sessions"]["activity"] == "community_event").sum())
8
>>> [name for name in tables if name.startswith("q_")]
['q_empowerment', 'q_recovery', 'q_independence', 'q_social_support', 'q_civic_activity']
"""


from evaltools.synth.demo import demo_tables, until_baseline, write_demo_data
from evaltools.synth.plan import FORMATS, INSTRUMENTS, N_DEFAULT, PROJECT_NAME, WAVES_DEFAULT
from evaltools.synth.writing import PRIMARY_OUTCOMES

__all__ = ["FORMATS", "INSTRUMENTS", "N_DEFAULT", "PRIMARY_OUTCOMES", "PROJECT_NAME", "WAVES_DEFAULT", "demo_tables",
           "until_baseline", "write_demo_data"]
