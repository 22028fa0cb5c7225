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

from evaltools import codes
from evaltools.indicators import id_codes, text_codes
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
    activity, found = codes.factorize(sessions["activity"])  # each distinct activity looked up once
    kept = ~np.append(pd.Index(found).isin(STAFF_ACTIVITIES), False)[activity] & sessions["date"].notna().to_numpy()
    quarter, labels = _quarters(sessions["date"][kept])
    person, session, period = _attendance_codes(attendance, sessions["session_id"], kept, quarter)
    rows = []
    for code in np.argsort(labels, kind="stable"):
        here = period == code
        rows.append({"period": labels[code], **_describe_projection(person[here], session[here])})
    counts = {"n_nodes": "int64", "n_edges": "int64", "components": "int64", "isolates": "int64"}
    return pd.DataFrame(rows, columns=list(COATTENDANCE_COLUMNS)).astype(
        {"period": "str", "density": "float64", "largest_component_share": "float64", **counts})


def _quarters(dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each date's calendar quarter as a code into the quarters' labels (``2021Q1``), formatted once each."""
    dates = pd.to_datetime(dates)
    key = (dates.dt.year * 4 + (dates.dt.month - 1) // 3).to_numpy()
    code, uniq = pd.factorize(key)
    first = np.zeros(len(uniq), np.int64)
    first[code[::-1]] = np.arange(len(code))[::-1]  # a date of each quarter
    labels = dates.iloc[first].dt.to_period("Q").astype("str").to_numpy(dtype=object)
    return code.astype(np.int64), labels


def _attendance_codes(attendance: pd.DataFrame, session_ids: pd.Series, rows: np.ndarray,
                      quarter: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Attendance rows of the sessions ``session_ids[rows]`` as integer codes: (person, session, quarter).

    Both id columns are coded whole, each distinct attended id looked up once among the sessions' ids
    (:func:`evaltools.indicators.id_codes`). A session listed in several quarters (not a
    valid table) counts in each, as a join would.
    """
    own, session, n_listed = id_codes(session_ids, attendance["session_id"])
    mine = own[rows]
    listed = mine >= 0
    mine, quarter = mine[listed], quarter[listed]
    is_listed = np.zeros(n_listed + 1, dtype=bool)  # the last place: no session
    is_listed[mine] = True
    session = np.where(is_listed[session], session, -1).astype(np.int64)
    person = text_codes(attendance["participant_id"])[0].astype(np.int64)
    kept = (person >= 0) & (session >= 0)
    person, session = person[kept], session[kept]
    of_session = pd.DataFrame({"session": mine, "quarter": quarter}).drop_duplicates()
    if of_session["session"].is_unique:
        period = np.full(n_listed, -1, np.int64)
        period[of_session["session"].to_numpy()] = of_session["quarter"].to_numpy()
        return person, session, period[session]
    rows = pd.DataFrame({"person": person, "session": session}).merge(of_session, on="session")
    return rows["person"].to_numpy(), rows["session"].to_numpy(), rows["quarter"].to_numpy()


def _describe_projection(person: np.ndarray, session: np.ndarray) -> dict:
    """The measures of one quarter's co-attendance graph, from its (person, session) rows (repeats allowed).

    People × sessions B, and B·Bᵀ links two people who share a session; its diagonal (each person's
    sessions) is never 0, so edges = (nonzeros − n) / 2 and an isolate has only its diagonal.
    """
    person, n = _compact(person)
    session, n_sessions = _compact(session)
    if n == 0:
        return {"n_nodes": 0, "n_edges": 0, "density": np.nan, "components": 0,
                "largest_component_share": np.nan, "isolates": 0}
    b = sparse.csr_matrix((np.ones(len(person), dtype=np.int32), (person, session)), shape=(n, n_sessions))
    co = (b @ b.T).tocsr()
    n_edges = (co.nnz - n) // 2
    n_comp, labels = csgraph.connected_components(co, directed=False)
    return {"n_nodes": n, "n_edges": int(n_edges), "density": 2 * n_edges / (n * (n - 1)) if n > 1 else np.nan,
            "components": int(n_comp), "largest_component_share": np.bincount(labels).max() / n,
            "isolates": int((np.diff(co.indptr) == 1).sum())}


def _compact(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Non-negative codes renumbered 0..k−1 (in their order), and k."""
    present = np.zeros(int(codes.max()) + 1 if len(codes) else 0, bool)
    present[codes] = True
    renumber = np.cumsum(present) - 1
    return renumber[codes], int(present.sum())
