"""The co-attendance network: people linked by the sessions they attended together, per quarter (docs/outputs.md#coattendance).

Who met whom at the programme's sessions, without asking anyone: built from
``attendance`` and ``sessions`` alone, beside the ties people named
(:mod:`evaltools.ties`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from evaltools.schema import STAFF_ACTIVITIES

COATTENDANCE_COLUMNS = ("period", "n_nodes", "n_edges", "density", "components",
                        "largest_component_share", "isolates")


def coattendance(attendance: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """The co-attendance network per calendar quarter (``coattendance.csv``).

    Nodes are the people who attended at least one session in the quarter;
    two people are linked when they attended the same session (once, however
    many sessions they shared). Sessions of staff activities (staff_training,
    supervision) are left out, as are attendance rows whose session is not
    in ``sessions`` or has no date. A quarter appears when it has at least
    one non-staff session. Built with sparse matrices (people × sessions),
    so 10,000 participants take well under a second; a session of m people
    gives m(m − 1)/2 pairs, none dropped.

    Returns
    -------
    DataFrame
        Columns :data:`COATTENDANCE_COLUMNS`: ``period`` (``2021Q1``),
        ``n_nodes``, ``n_edges``, ``density`` (empty when n < 2),
        ``components`` (an isolate is a component of one),
        ``largest_component_share``, ``isolates`` (people who attended only
        sessions where no other participant was registered).

    Examples
    --------
    >>> sessions = pd.DataFrame({"session_id": ["S1", "S2", "S3"], "activity": ["self_help_meeting",
    ...     "family_visit", "supervision"], "date": pd.to_datetime(["2021-01-10", "2021-02-01", "2021-02-02"])})
    >>> attendance = pd.DataFrame({"session_id": ["S1", "S1", "S1", "S2", "S3"],
    ...                            "participant_id": ["A", "B", "C", "D", "A"]})
    >>> print(coattendance(attendance, sessions).to_string(index=False))
    period  n_nodes  n_edges  density  components  largest_component_share  isolates
    2021Q1        4        3      0.5           2                     0.75         1
    """
    s = sessions[~sessions["activity"].isin(STAFF_ACTIVITIES)].dropna(subset=["date"])
    s = s.assign(period=pd.to_datetime(s["date"]).dt.to_period("Q").astype("str"))
    a = attendance[["session_id", "participant_id"]].dropna().drop_duplicates()
    a = a.merge(s[["session_id", "period"]], on="session_id", how="inner")
    rows = []
    for period in sorted(s["period"].unique()):
        q = a[a["period"] == period]
        people, person = np.unique(q["participant_id"].to_numpy(dtype=object).astype(str), return_inverse=True)
        sess, session = np.unique(q["session_id"].to_numpy(dtype=object).astype(str), return_inverse=True)
        n = len(people)
        if n == 0:
            rows.append({"period": period, "n_nodes": 0, "n_edges": 0, "density": np.nan, "components": 0,
                         "largest_component_share": np.nan, "isolates": 0})
            continue
        b = sparse.csr_matrix((np.ones(len(q), dtype=np.int32), (person, session)), shape=(n, len(sess)))
        co = (b @ b.T).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        n_edges = co.nnz // 2
        n_comp, labels = csgraph.connected_components(co, directed=False)
        largest = np.bincount(labels).max()
        isolates = int((np.diff(co.indptr) == 0).sum())
        rows.append({"period": period, "n_nodes": n, "n_edges": int(n_edges),
                     "density": 2 * n_edges / (n * (n - 1)) if n > 1 else np.nan,
                     "components": int(n_comp), "largest_component_share": largest / n, "isolates": isolates})
    counts = {"n_nodes": "int64", "n_edges": "int64", "components": "int64", "isolates": "int64"}
    return pd.DataFrame(rows, columns=list(COATTENDANCE_COLUMNS)).astype(
        {"period": "str", "density": "float64", "largest_component_share": "float64", **counts})
