"""The evaluator's own laptop (issue 16): the wheel, a fresh install outside the repository, notebooks opened by hand.

The slow tests build the wheel as ``pip install .`` would, install it with
the locked dependencies into a new virtual environment in a temporary folder
(from uv's cache when it has them: offline-friendly), and run
``evaltools demo`` from an unrelated folder: the installed package must find
its notebooks, labels and page template without the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from evaltools.report import manifest as mf

REPO = Path(__file__).resolve().parent.parent
UV = REPO / ".uv" / "bin" / "uv"
NOTEBOOKS = REPO / "evaltools" / "notebooks"


def _uv(*args: str, cwd: Path = REPO, offline_first: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run uv; with ``offline_first`` try from the cache alone, then once more with the network (PyPI)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    attempts = (["--offline"], []) if offline_first else ([],)
    for extra in attempts:
        out = subprocess.run([str(UV), *args, *extra], cwd=cwd, env=env, capture_output=True, text=True,
                             timeout=timeout)
        if out.returncode == 0:
            return out
    raise AssertionError(f"uv {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built through its sdist as ``pip install .`` / ``uv build`` do."""
    if not UV.exists():
        pytest.skip("uv is installed by `make install` (.uv/bin/uv)")
    dist = tmp_path_factory.mktemp("dist")
    _uv("build", "--quiet", "--out-dir", str(dist), str(REPO))
    wheels = list(dist.glob("evaltools-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.slow
def test_wheel_carries_what_a_run_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in NOTEBOOKS.glob("*.ipynb"):
        assert f"evaltools/notebooks/{nb.name}" in names
    for folder, pattern in (("labels/locales", "*.yaml"), ("labels", "*.yaml"), ("instruments", "*.yaml"),
                            ("templates_html", "*")):
        shipped = sorted((REPO / "evaltools" / folder).glob(pattern))
        assert shipped, folder
        for path in shipped:
            if path.is_file():
                assert f"evaltools/{folder}/{path.name}" in names
    licences = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert licences and zipfile.ZipFile(wheel).read(licences[0]) == (REPO / "LICENSE").read_bytes()


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_from_an_unrelated_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    _uv("venv", "--quiet", "--python", sys.executable, str(venv), offline_first=False)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    requirements = tmp_path / "requirements.txt"
    _uv("export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet", "-o", str(requirements))
    _uv("pip", "install", "--quiet", "--python", str(python), "-r", str(requirements), str(wheel))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "home"  # no user-wide Jupyter kernel of the repository's .venv can be picked up
    home.mkdir()
    env = {"PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(home),
           "USERPROFILE": str(home), "LANG": "C.UTF-8", "EVALTOOLS_DEBUG": "1"}
    where = subprocess.run([str(python), "-c", "import evaltools; print(evaltools.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, timeout=120)
    assert Path(where.stdout.strip()).is_relative_to(venv), where  # the installed copy, not the repository's

    out = tmp_path / "demo"
    done = subprocess.run([str(python.parent / "evaltools"), "demo", "--out", str(out), "--lang", "en"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    index = Path(done.stdout.strip().splitlines()[-1])
    assert index.is_file() and index.parent.parent == out / "runs"
    manifest = json.loads((index.parent / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    assert [s["status"] for s in manifest["notebooks"]] == ["ok"] * 6
    assert (out / "runs" / "index.html").is_file() and (out / "data" / "demo" / "project.yaml").is_file()
    assert list(elsewhere.iterdir()) == []  # everything went to --out


# =========================================================================== notebooks opened by hand


def _execute(notebook: Path) -> str:
    """Run ``notebook`` as JupyterLab does (its folder as the working folder); the error's text, or ''."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(notebook, as_version=4)
    try:
        NotebookClient(nb, kernel_name="python3", timeout=300,
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
    except CellExecutionError as e:
        return str(e)
    return ""


@pytest.fixture
def clone(tmp_path) -> Path:
    """The notebooks where a clone has them (``evaltools/notebooks``), nothing else: no demo data yet."""
    shutil.copytree(NOTEBOOKS, tmp_path / "evaltools" / "notebooks")
    return tmp_path


@pytest.mark.slow
def test_notebook_without_the_demo_says_what_to_do(clone):
    error = _execute(clone / "evaltools" / "notebooks" / "00_data_quality.ipynb")
    assert "evaltools demo" in error and str(clone / "data" / "demo") in error
    assert "Traceback" not in error and "DataInvalid" not in error


@pytest.mark.slow
def test_summary_opened_first_says_what_to_do_then_runs_after_one_other(clone):
    from evaltools.synth import write_demo_data

    write_demo_data(clone / "data" / "demo", seed=0, participants=40)  # the parameters cell's default data_dir
    nbs = clone / "evaltools" / "notebooks"
    error = _execute(nbs / "90_summary.ipynb")
    assert "00–40" in error and "Traceback" not in error and "summary.json" not in error
    assert _execute(nbs / "40_outputs_targets.ipynb") == ""
    assert _execute(nbs / "90_summary.ipynb") == ""
    assert (clone / "runs" / "_lab" / "summary.json").is_file()  # the default out_dir, beside data/


def test_repository_notebooks_are_stripped():
    for nb in NOTEBOOKS.glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        assert not any(c.get("outputs") or c.get("execution_count") for c in cells), nb.name


def test_runner_reads_the_packaged_notebooks():
    from evaltools.report import NOTEBOOK_DIR, PHASE_NOTEBOOKS, phase_notebooks

    assert NOTEBOOK_DIR == NOTEBOOKS
    assert [p.stem for p in phase_notebooks("endline")] == list(PHASE_NOTEBOOKS["endline"])
    assert all(p.is_file() for p in phase_notebooks("endline"))


# =========================================================================== is a run's process alive (Windows)


class _Kernel32:
    """Stands in for kernel32: ``processes`` maps pid -> exit code (259: still active); ``denied``: another user's."""

    def __init__(self, processes: dict, denied=()):
        self.processes, self.denied, self.error, self.closed = processes, set(denied), 0, []

    def OpenProcess(self, access, inherit, pid):
        assert access == 0x1000  # PROCESS_QUERY_LIMITED_INFORMATION: enough to ask, allowed for most processes
        if pid in self.denied:
            self.error = 5
            return 0
        if pid not in self.processes:
            self.error = 87  # ERROR_INVALID_PARAMETER: no such process
            return 0
        return 1000 + pid

    def GetExitCodeProcess(self, handle, ref):
        ref._obj.value = self.processes[handle - 1000]  # ref is ctypes.byref(a c_ulong)
        return 1

    def CloseHandle(self, handle):
        self.closed.append(handle)
        return 1


def test_windows_process_alive():
    k = _Kernel32({10: 259, 11: 0}, denied={12})
    alive = [mf.windows_process_alive(pid, kernel32=k, last_error=lambda: k.error) for pid in (10, 11, 12, 13)]
    assert alive == [True, False, True, False]  # running, exited (handle kept open by someone), another user's, gone
    assert k.closed == [1010, 1011]  # every handle opened is closed


def test_process_alive_takes_the_windows_branch_there(monkeypatch):
    seen = []
    monkeypatch.setattr(mf.os, "name", "nt")
    monkeypatch.setattr(mf, "windows_process_alive", lambda pid: seen.append(pid) or False)
    assert mf.process_alive(4242) is False and seen == [4242]
    assert mf.run_state({"status": "running", "pid": 4242}) == "incomplete"  # killed on Windows: not "running" forever
