"""``data_quality.csv``: what validation let through, and completeness, counted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools import codes


def data_quality(project) -> pd.DataFrame:
    """``data_quality.csv``: table, check, n_rows_affected, severity.

    Warnings that validation let through, counted by table and check, plus
    the completeness checks an evaluator looks at first (missing item
    answers, baseline without endline, participants who never attended).
    """
    rows = []
    seen: dict[tuple, int] = {}
    for p in project.problems:
        # a file that is not a table is counted, never named: its name may itself be personal (docs/data.md)
        named = not p.file or p.file == "project.yaml" or str(p.file).startswith("instruments/")
        key = (p.table or (p.file if named else "other_files") or "", p.key, p.severity)
        seen[key] = seen.get(key, 0) + 1
    rows += [{"table": k[0], "check": k[1], "n_rows_affected": n, "severity": k[2]} for k, n in seen.items()]
    for inst_id, q in project.questionnaires.items():
        inst = project.instruments[inst_id]
        items = q[list(inst.item_ids)]
        missing = items.isna() | items.isin(list(inst.missing_codes))
        rows.append({"table": f"q_{inst_id}", "check": "missing_items",
                     "n_rows_affected": int(missing.any(axis=1).sum()), "severity": "info"})
        base = set(q.loc[q["wave"] == "baseline", "participant_id"].to_numpy(dtype=object))
        endl = set(q.loc[q["wave"] == "endline", "participant_id"].to_numpy(dtype=object))
        rows.append({"table": f"q_{inst_id}", "check": "no_endline", "n_rows_affected": len(base - endl),
                     "severity": "info"})
    attended = _attended(project.attendance["participant_id"])
    people = project.participants
    if "arm" in people:  # the comparison arm attends nothing by design
        people = people[~people["arm"].eq("comparison").fillna(False).to_numpy(dtype=bool)]
    rows.append({"table": "participants", "check": "never_attended",
                 "n_rows_affected": int((~people["participant_id"].isin(attended)).sum()),
                 "severity": "info"})
    return pd.DataFrame(rows, columns=["table", "check", "n_rows_affected", "severity"])


def _attended(participant_id: pd.Series) -> np.ndarray:
    """The distinct ids of attendance (a missing one as NaN), the column coded once a run
    (:func:`evaltools.codes.factorize`: the attendance analyses get its codes for free).

    >>> _attended(pd.Series(["P2", None, "P1", "P2"], dtype="str")).tolist()
    ['P2', 'P1', nan]
    """
    cells, uniques = codes.factorize(participant_id)
    found = np.asarray(uniques, dtype=object)
    return np.append(found, np.nan) if (cells < 0).any() else found
