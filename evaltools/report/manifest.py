"""The run's provenance (``manifest.json``, docs/outputs.md) and the run folders of an ``--out`` folder."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from pathlib import Path


#: A run folder's name: ``20211215-101500_endline``, or ``20211215-101500_endline_2`` within the same second.
RUN_NAME = re.compile(r"^(?P<stamp>\d{8}-\d{6})_(?P<phase>baseline|endline)(?:_(?P<n>\d+))?$")

#: Packages whose versions go into the manifest.
PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "networkx", "openpyxl", "pyyaml",
            "pandera", "papermill", "nbconvert", "nbformat", "nbclient", "ipykernel", "jupyter_client")

# --------------------------------------------------------------------------- manifest

def build_manifest(*, run_dir: Path, phase: str, parameters: dict, started, finished, seconds: float,
                   inputs: list[dict], tables: dict, notebooks: list[dict], kernel: str, project,
                   warnings: int = 0) -> dict:
    """The run's provenance (manifest.json, docs/outputs.md)."""
    from importlib import metadata

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    start, end = project.period
    return {
        "run": run_dir.name,
        "phase": phase,
        "toolkit": {"name": "evaltools", "version": toolkit_version()},
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": versions,
        "kernel": kernel,
        "project": {"name": project.name, "period": {"start": start.date().isoformat(), "end": end.date().isoformat()},
                    "language": project.language},
        "parameters": {k: v for k, v in parameters.items()},
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
        "inputs": [{"file": f["file"], "sha256": f["sha256"], "bytes": f["bytes"]} for f in inputs],
        "fingerprint": fingerprint(inputs),
        "tables": dict(sorted(tables.items())),
        "validation_warnings": warnings,
        "notebooks": notebooks,
        "status": "ok" if all(s["status"] == "ok" for s in notebooks) else "failed",
    }


def read_inputs(inputs: list[dict], *, tables: dict, instruments=()) -> list[dict]:
    """The entries of ``inputs`` (every file's sha256) for the files a run read: tables, project.yaml, instruments.

    ``tables`` maps a table to ``(rows, "file [sheet]")`` (the validation's
    ``tables``). Other files of the data folder (notes, scans, whatever lies
    there) are neither read nor named in a run's outputs: their names may be
    people's names.

    >>> files = [{"file": f} for f in ("demo.xlsx", "project.yaml", "Kowalski_Jan.csv", "instruments/x.yaml")]
    >>> [f["file"] for f in read_inputs(files, tables={"sessions": (3, "demo.xlsx [sessions]")}, instruments=["x"])]
    ['demo.xlsx', 'project.yaml', 'instruments/x.yaml']
    """
    read = {"project.yaml"} | {f"instruments/{i}.yaml" for i in instruments}
    read |= {re.sub(r" \[[^\]]*\]$", "", where) for _, where in tables.values()}
    return [f for f in inputs if f["file"] in read]


def toolkit_version() -> str:
    """evaltools' version (from the package, else its installed metadata)."""
    from importlib import metadata

    import evaltools

    version = getattr(evaltools, "__version__", None)
    if version:
        return str(version)
    try:
        return metadata.version("evaltools")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def fingerprint(inputs: list[dict]) -> str:
    """One sha256 over the input files' names and hashes: the same data gives the same fingerprint.

    >>> fingerprint([{"file": "a.csv", "sha256": "0" * 64}])[:12]
    'f8b7cecaad71'
    """
    lines = sorted(f"{f['file']}\t{f['sha256']}" for f in inputs)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def since_baseline(out: Path, manifest: dict, *, exclude: Path | None = None) -> dict | None:
    """What changed in the inputs since the latest baseline run in ``out`` (``None`` when there is none).

    Files are compared by sha256 (added, removed, changed); tables by their
    number of rows.
    """
    base = latest_run(out, phase="baseline", exclude=exclude)
    if base is None:
        return None
    before = {f["file"]: f["sha256"] for f in base.get("inputs", [])}
    after = {f["file"]: f["sha256"] for f in manifest["inputs"]}
    rows_before, rows_after = base.get("tables", {}), manifest.get("tables", {})
    rows = {name: {"before": rows_before.get(name), "after": rows_after.get(name)}
            for name in sorted(set(rows_before) | set(rows_after))
            if rows_before.get(name) != rows_after.get(name)}
    return {
        "baseline_run": base["run"],
        "baseline_started": base.get("started"),
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(f for f in set(after) & set(before) if after[f] != before[f]),
        "unchanged": len([f for f in set(after) & set(before) if after[f] == before[f]]),
        "rows": rows,
    }


def latest_run(out: Path, *, phase: str, exclude: Path | None = None) -> dict | None:
    """The manifest of the newest run of ``phase`` in ``out`` (by folder name, i.e. start time)."""
    for folder in sorted(list_runs(out), key=run_sort_key, reverse=True):
        if exclude is not None and folder.resolve() == Path(exclude).resolve():
            continue
        m = read_json_or_none(folder / "manifest.json")
        if m and m.get("phase") == phase and m.get("status") != "running":
            return m
    return None


def list_runs(out: Path) -> list[Path]:
    """Run folders in ``out``: folders named like a run (with a manifest or, if interrupted early, without)."""
    if not Path(out).is_dir():
        return []
    return [p for p in Path(out).iterdir() if p.is_dir() and RUN_NAME.match(p.name)]


def start_manifest(manifest: dict) -> dict:
    """``manifest`` as written when a run starts: status ``running``, this process's id and host, no end.

    >>> m = start_manifest({"run": "x", "finished": "later", "status": "ok"})
    >>> m["status"], m["pid"] == os.getpid(), "finished" in m
    ('running', True, False)
    """
    out = {k: v for k, v in manifest.items() if k not in ("finished", "seconds", "status")}
    out.update(status="running", pid=os.getpid(), host=platform.node())
    return out


def run_state(manifest: dict | None) -> str:
    """What became of a run: ``ok``, ``failed``, ``running`` or ``incomplete``.

    A run folder without a readable manifest, or whose manifest says
    ``running`` while its process no longer runs (killed, power cut), is
    ``incomplete`` (docs/index.md).

    >>> run_state(None), run_state({"status": "ok"}), run_state({"status": "running", "pid": os.getpid()})
    ('incomplete', 'ok', 'running')
    """
    if not manifest:
        return "incomplete"
    status = manifest.get("status")
    if status == "running":
        return "running" if process_alive(manifest.get("pid"), host=manifest.get("host")) else "incomplete"
    if status in ("ok", "failed"):
        return status
    return "ok" if all(s.get("status") == "ok" for s in manifest.get("notebooks", [])) else "failed"


def process_alive(pid, *, host: str | None = None) -> bool:
    """Whether process ``pid`` still runs on this machine (``True`` when that cannot be told: another host).

    POSIX: ``os.kill(pid, 0)``; Windows, where that call would end the
    process: :func:`windows_process_alive`.
    """
    if host and host != platform.node():
        return True
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    if os.name == "nt":
        return windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    except OSError:
        return False
    return True


def windows_process_alive(pid: int, kernel32=None, last_error=None) -> bool:
    """Whether ``pid`` runs, asked of Windows (OpenProcess, then GetExitCodeProcess; no extra dependency).

    ``kernel32`` and ``last_error`` stand in for ``ctypes.WinDLL("kernel32")``
    and ``ctypes.get_last_error`` (tests on other systems). A process of
    another user (access denied) runs; one that cannot be opened otherwise
    (no such process) does not.
    """
    import ctypes

    if kernel32 is None:  # pragma: no cover - Windows only
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
        kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
        last_error = ctypes.get_last_error
    query_limited_information, still_active, access_denied = 0x1000, 259, 5
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return last_error() == access_denied
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # it exists; what it is doing cannot be told
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


def run_sort_key(p: Path):
    """Sorts run folders by their time stamp, then by the number of a second run in the same second."""
    m = RUN_NAME.match(p.name)
    return (m["stamp"], int(m["n"] or 1)) if m else ("", 0)


def read_json_or_none(path: Path) -> dict | None:
    """A JSON file's content; None when it cannot be read or parsed (a run still being written)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
