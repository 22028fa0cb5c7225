"""Shared fixtures: a small demo data folder, the same with planted private values, and one pair of runs.

The runs (a baseline, then an endline, into one ``runs`` folder) execute the
real notebooks with papermill; they are made once per session and shared by
tests/test_report.py and tests/test_browser.py, so the end-to-end tests stay
few seconds each after the first.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run: a red CI is then a real failure, reproducible here.
settings.register_profile("evaltools", derandomize=True, deadline=None)
settings.load_profile("evaltools")

#: A participant id and an exit reason that must never reach a rendered page.
PLANTED_ID = "ZZQX-PLANTED-77"
PLANTED_NOTE = "SECRET-NOTE-123"


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """The demo data folder (seed 0, 40 people), CSV. Read-only: copy it before changing anything."""
    from evaltools.synth import write_demo_data

    return write_demo_data(tmp_path_factory.mktemp("demo") / "demo", seed=0, participants=40)


def plant(folder: Path, *, old_id: str, new_id: str = PLANTED_ID, note: str = PLANTED_NOTE) -> None:
    """Rename participant ``old_id`` to ``new_id`` in every table and give them the exit reason ``note``."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(old_id)}(?![\w-])")
    for path in folder.glob("*.csv"):
        text = path.read_text(encoding="utf-8-sig")
        path.write_text(pattern.sub(new_id, text), encoding="utf-8")
    path = folder / "participants.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    pid, reason = header.index("participant_id"), header.index("exit_reason")
    for row in rows[1:]:
        if row[pid] == new_id:
            row[reason] = note
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


@pytest.fixture(scope="session")
def planted_data(demo_data, tmp_path_factory) -> Path:
    """The demo data with one person renamed to :data:`PLANTED_ID` and given the exit reason :data:`PLANTED_NOTE`.

    The person chosen answered a questionnaire at both waves and named ties, so the id travels
    through scores, change and ego networks.
    """
    import pandas as pd

    folder = tmp_path_factory.mktemp("planted") / "data"
    shutil.copytree(demo_data, folder)
    q = pd.read_csv(folder / "q_empowerment.csv", dtype=str)
    ties = pd.read_csv(folder / "ties.csv", dtype=str)
    both = q.groupby("participant_id")["wave"].nunique()
    candidates = [p for p in both[both == 2].index if p in set(ties["participant_id"])]
    plant(folder, old_id=sorted(candidates)[0])
    return folder


@pytest.fixture(scope="session")
def runs(planted_data, tmp_path_factory):
    """A baseline run, then an endline run, of the planted data into one ``runs`` folder."""
    from evaltools.report import run

    out = tmp_path_factory.mktemp("runs") / "runs"
    baseline = run("baseline", data_dir=planted_data, out=out, progress=False)
    endline = run("endline", data_dir=planted_data, out=out, progress=False)
    return SimpleNamespace(out=out, data=planted_data, baseline=baseline, endline=endline)


@pytest.fixture(scope="session")
def planted_values() -> SimpleNamespace:
    """The planted participant id and exit reason (tests import no conftest module)."""
    return SimpleNamespace(id=PLANTED_ID, note=PLANTED_NOTE)


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def _english_only_labels() -> list[str]:
    """Catalogue entries whose English differs from the Polish and is clearly English prose."""
    from evaltools.labels import catalogue

    out = []
    for key, entry in catalogue().items():
        en, pl = entry["en"], entry["pl"]
        if en == pl or key.startswith("validate.") or "{" in en:
            continue
        if len(en) >= 12 and " " in en:
            out.append(en)
    return out


@pytest.fixture(scope="session")
def page_words() -> SimpleNamespace:
    """What a page shows a reader (``visible_text``) and the English-only catalogue texts (``english_only_labels``)."""
    return SimpleNamespace(visible_text=_visible_text, english_only_labels=_english_only_labels)


@pytest.fixture(scope="session")
def chromium() -> SimpleNamespace:
    """Headless Chromium for the browser tests: playwright, the executable, its flags, and a route that refuses the
    network (``local_only(network)`` records every request that is not ``file:``/``data:`` in ``network``).

    Skips with the reason when Chromium (``make browser``) or playwright is missing.
    """
    import shutil
    from urllib.parse import urlparse

    path = Path("/usr/bin/chromium")
    executable = str(path) if path.exists() else shutil.which("chromium")
    if not executable:
        pytest.skip("no Chromium at /usr/bin/chromium (run `make browser` to install it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

    def local_only(network: list[str]):
        def route(r):  # anything that is not a local file is a network load: record it and refuse it
            if urlparse(r.request.url).scheme in ("file", "data"):
                r.continue_()
            else:
                network.append(r.request.url)
                r.abort()
        return route

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    return SimpleNamespace(sync_api=sync_api, executable=executable, args=args, local_only=local_only)
