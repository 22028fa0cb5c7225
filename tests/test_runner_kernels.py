"""The run's warm kernels (evaltools/report/kernels.py): reused, yet each notebook starts as in a new kernel.

Real papermill, real kernels, small throwaway notebooks. Every test that
checks for a leak also checks that the kernel was in fact reused (same
process), so that it cannot pass by starting a new kernel each time.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from evaltools.errors import DataInvalid
from evaltools.report import kernels, runner
from evaltools.report.kernels import KernelPool

KERNEL = runner.kernel_name()


def notebook(folder: Path, name: str, *cells: str) -> Path:
    """A notebook ``name`` with code ``cells``, in ``folder``."""
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def execute(src: Path, run_dir: Path, pool: KernelPool | None) -> dict:
    (run_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    return runner.execute_notebook(src, run_dir, {}, kernel=KERNEL, pool=pool)


def printed(run_dir: Path, src: Path) -> list:
    """The JSON each cell of the executed ``src`` printed, and its execution count."""
    nb = nbformat.read(run_dir / "notebooks" / src.name, as_version=4)
    return [(c.execution_count, json.loads("".join(o.get("text", "") for o in c.outputs) or "null"))
            for c in nb.cells]


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def pids(pool: KernelPool) -> list[int]:
    return [km.provisioner.pid for km in pool.managers if km.provisioner is not None]


LEAK = """\
import json, os, sys, warnings
import matplotlib, pandas as pd, numpy as np
import evaltools.labels
x = 41
evaltools.labels.LEAKED = True
matplotlib.rcParams["lines.linewidth"] = 9.0
pd.set_option("display.max_rows", 3)
np.seterr(all="raise")
warnings.simplefilter("error")
os.environ["EVALTOOLS_LEAK"] = "1"
sys.path.insert(0, "/leaked")
os.chdir("/")
print(json.dumps(os.getpid()))"""

LOOK = """\
import json, os, sys
import matplotlib, pandas as pd, numpy as np, warnings
import evaltools.labels
print(json.dumps({"pid": os.getpid(), "x": "x" in dir(), "module": hasattr(evaltools.labels, "LEAKED"),
                  "rc": matplotlib.rcParams["lines.linewidth"], "rows": pd.get_option("display.max_rows"),
                  "numpy": np.geterr()["divide"], "warnings": warnings.filters[0][0] == "error",
                  "env": "EVALTOOLS_LEAK" in os.environ, "path": "/leaked" in sys.path, "cwd": os.getcwd(),
                  "In": len(In)}))"""


def test_a_notebook_leaves_nothing_to_the_next_on_the_same_kernel(tmp_path):
    a = notebook(tmp_path, "a", "print(1)", LEAK)
    b = notebook(tmp_path, "b", LOOK)
    fresh = tmp_path / "fresh"
    assert execute(b, fresh, None)["status"] == "ok"  # a new kernel, as before the pool: the reference
    (expected,) = [v for _, v in printed(fresh, b)]
    run_dir = tmp_path / "run"
    with KernelPool(1, KERNEL, cwd=run_dir) as pool:
        assert execute(a, run_dir, pool)["status"] == "ok"
        assert execute(b, run_dir, pool)["status"] == "ok"
    (pid_a,) = [v for _, v in printed(run_dir, a)][1:]
    [(count, seen)] = printed(run_dir, b)
    assert seen["pid"] == pid_a  # the same kernel ran both notebooks
    assert count == 1 and seen["In"] == 2  # In[1]: a new kernel's history, not the one of notebook a
    assert [c for c, _ in printed(run_dir, a)] == [1, 2]
    assert seen["cwd"] == str(run_dir)
    assert {k: v for k, v in seen.items() if k not in ("pid", "cwd")} == \
           {k: v for k, v in expected.items() if k not in ("pid", "cwd")}
    assert not any(seen[k] for k in ("x", "module", "warnings", "env", "path"))
    assert (seen["rc"], seen["rows"], seen["numpy"]) == (1.5, 60, "warn")  # matplotlib's, pandas', numpy's defaults


def test_a_kernel_that_dies_fails_its_notebook_alone(tmp_path):
    first = notebook(tmp_path, "first", "import json, os; print(json.dumps(os.getpid()))")
    dies = notebook(tmp_path, "dies", "import os; os._exit(1)")
    after = notebook(tmp_path, "after", "import json, os; print(json.dumps(os.getpid()))")
    run_dir = tmp_path / "run"
    with KernelPool(1, KERNEL, cwd=run_dir) as pool:
        assert execute(first, run_dir, pool)["status"] == "ok"
        status = execute(dies, run_dir, pool)
        assert status["status"] == "failed" and status["error"]["log"] == "logs/dies.txt"
        assert execute(after, run_dir, pool)["status"] == "ok"
        assert len(pool.managers) == 2  # the dead kernel was replaced
    [(_, pid_first)] = printed(run_dir, first)
    [(count, pid_after)] = printed(run_dir, after)
    assert pid_after != pid_first and count == 1
    assert not alive(pid_first) and not alive(pid_after)


def test_ctrl_c_during_a_run_leaves_no_kernel_running(tmp_path, monkeypatch):
    quick = notebook(tmp_path, "quick", "1")
    slow = notebook(tmp_path, "slow", "import time; time.sleep(300)")
    seen: set[int] = set()
    pool = KernelPool(2, KERNEL)

    def interrupted(*args, **kwargs):  # "quick" has run, "slow" still runs: Ctrl-C now
        seen.update(pids(pool))
        os.kill(os.getpid(), signal.SIGINT)
        return "html/x.html"

    monkeypatch.setattr(runner, "export_html", interrupted)
    (tmp_path / "run" / "notebooks").mkdir(parents=True)
    with pytest.raises(KeyboardInterrupt), pool:
        runner.execute_all([slow, quick], tmp_path / "run", {}, lang="en", workers=2, pool=pool, exporter=object())
    assert len(seen) == 2 and not any(alive(p) for p in seen)


def test_invalid_data_leaves_no_kernel_running(tmp_path, monkeypatch):
    pools: list[KernelPool] = []
    seen: list[int] = []

    class Recorded(KernelPool):
        def start(self):
            pools.append(self)
            return super().start()

    def invalid(*args, **kwargs):  # validation fails once both kernels run (they start while it runs)
        (pool,) = pools
        deadline = time.monotonic() + 300
        while len(seen) < 2 and time.monotonic() < deadline:
            seen[:] = [p for p in pids(pool) if alive(p)]
            time.sleep(0.05)
        raise DataInvalid([])

    monkeypatch.setattr(runner, "KernelPool", Recorded)
    monkeypatch.setattr(runner, "_validated", invalid)
    with pytest.raises(DataInvalid):
        runner.run("endline", data_dir=tmp_path / "data", out=tmp_path / "runs", progress=False, workers=2)
    assert len(seen) == 2 and not any(alive(p) for p in seen)
    assert not (tmp_path / "runs").exists()


def test_a_run_on_one_reused_kernel_writes_the_tables_of_new_kernels(demo_data, tmp_path):
    result = runner.run("endline", data_dir=demo_data, out=tmp_path / "runs", progress=False, workers=1,
                        params={"lang": "en"})
    assert result.ok
    fresh = tmp_path / "fresh"
    for sub in ("notebooks", "tables", "figures"):
        (fresh / sub).mkdir(parents=True)
    parameters = {**result.manifest["parameters"], "out_dir": str(fresh), "project_cache": None}
    for src in runner.phase_notebooks("endline"):  # each in a new kernel of its own, as before the pool
        assert runner.execute_notebook(src, fresh, parameters, kernel=KERNEL)["status"] == "ok"
    tables = sorted(p.name for p in (fresh / "tables").iterdir())
    assert len(tables) > 10 and tables == sorted(p.name for p in (result.run_dir / "tables").iterdir())
    for name in tables:
        assert (result.run_dir / "tables" / name).read_bytes() == (fresh / "tables" / name).read_bytes(), name
    for nb in result.run_dir.glob("notebooks/*.ipynb"):
        counts = [c.execution_count for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code"]
        assert counts[:2] == [1, 2], nb.name


def test_restore_puts_back_what_snapshot_saved(tmp_path):
    import matplotlib
    import numpy as np

    saved = kernels.snapshot()
    here = os.getcwd()
    try:
        with warnings.catch_warnings(), np.errstate():
            matplotlib.rcParams["lines.linewidth"] = 7.0
            np.seterr(all="raise")
            warnings.simplefilter("error")
            os.environ["EVALTOOLS_TEST_LEAK"] = "1"
            kernels.restore(saved, str(tmp_path))
            assert matplotlib.rcParams["lines.linewidth"] == saved["rc"]["lines.linewidth"] != 7.0
            assert np.geterr() == saved["numpy"][0]
            assert warnings.filters == saved["filters"]
            assert "EVALTOOLS_TEST_LEAK" not in os.environ
            assert os.getcwd() == str(tmp_path)
            assert sys.path == [str(tmp_path) if p == here else p for p in saved["path"]]
    finally:
        os.environ.pop("EVALTOOLS_TEST_LEAK", None)
        kernels.restore(saved, here)



CYCLE = """\
import builtins, gc, weakref
class Cycle: pass
c = Cycle(); c.me = c
builtins._evaltools_test_cycle = weakref.ref(c)"""

COLLECTED = """\
import builtins, gc, json
print(json.dumps({"frozen": gc.get_freeze_count(), "collected": builtins._evaltools_test_cycle() is None}))"""


def test_the_imports_are_frozen_and_a_notebooks_garbage_is_still_collected(tmp_path):
    a = notebook(tmp_path, "a", CYCLE)
    b = notebook(tmp_path, "b", COLLECTED)
    run_dir = tmp_path / "run"
    with KernelPool(1, KERNEL, cwd=run_dir) as pool:
        assert execute(a, run_dir, pool)["status"] == "ok"
        assert execute(b, run_dir, pool)["status"] == "ok"
    [(_, seen)] = printed(run_dir, b)
    assert seen["frozen"] > 100_000  # the warm-up's imports: full collections skip them
    assert seen["collected"]  # notebook a's cycle was collected by the reset, not frozen with the rest


def test_papermill_is_imported_without_the_iri_grammar_which_stays_importable():
    import importlib.util
    import subprocess

    if importlib.util.find_spec(runner.IRI_GRAMMAR) is None:
        pytest.skip(f"{runner.IRI_GRAMMAR} is not installed here")
    code = ("import sys\n"
            "from evaltools.report.runner import import_papermill, IRI_GRAMMAR\n"
            "pm = import_papermill()\n"
            "assert 'jsonschema' in sys.modules and hasattr(pm, 'execute_notebook')\n"
            "assert IRI_GRAMMAR not in sys.modules, 'the grammar was built'\n"
            "import rfc3987_syntax\n"
            "assert rfc3987_syntax.is_valid_syntax('iri', 'https://example.org/ż')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_run_freezes_what_exists_while_it_runs_and_unfreezes_it(tmp_path, monkeypatch):
    import gc

    seen: list[int] = []

    def invalid(*args, **kwargs):
        seen.append(gc.get_freeze_count())
        raise DataInvalid([])

    monkeypatch.setattr(runner, "_validated", invalid)
    assert gc.get_freeze_count() == 0
    with pytest.raises(DataInvalid):
        runner.run("endline", data_dir=tmp_path / "data", out=tmp_path / "runs", progress=False, workers=1)
    assert seen[0] > 10_000 and gc.get_freeze_count() == 0   # frozen while validating, not after
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with runner.frozen_imports():
            assert gc.get_freeze_count() > 0.9 * frozen         # (frozen objects freed meanwhile leave the count)
        assert gc.get_freeze_count() > 0.9 * frozen             # someone else's freeze is left alone, not undone
    finally:
        gc.unfreeze()
