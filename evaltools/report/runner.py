"""The run: validate once, execute the phase's notebooks with papermill into a new run folder (docs/index.md).

:func:`run` validates a data folder, then executes the phase's notebooks
(``evaltools/notebooks/*.ipynb``, package data) into ``<out>/<YYYYmmdd-HHMMSS>_<phase>/``, renders
each to an offline page, writes the manifest and the run's index, and
regenerates ``<out>/index.html``. A failing notebook does not stop the
others: its status and the failing cell go to the manifest and the result
is not ``ok``.

Notebooks run two at a time where there are two CPUs (each in its own
kernel process; ``EVALTOOLS_WORKERS=1`` runs them one by one with
papermill's progress bar); ``90_summary`` runs last. The kernels are
started once per run, while the data are validated, and reused from one
notebook to the next, reset to a fresh state in between
(:mod:`evaltools.report.kernels`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import pickle
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from evaltools.errors import DataInvalid, UsageError
from evaltools.labels import LANGS, check_lang, t
from evaltools.report.html import export_html, failure_text, html_exporter, notebook_title
from evaltools.report.kernels import KernelPool, quiet_kernel_manager
from evaltools.report.manifest import (RUN_NAME, build_manifest, read_inputs, read_json_or_none, since_baseline,
                                       start_manifest)
from evaltools.report.runs_index import write_runs_index
from evaltools.report.summary import prepare_run_index, render_run_index


#: Where the notebooks live: ``evaltools/notebooks/``, package data, so an installed wheel runs as a clone does.
NOTEBOOK_DIR = Path(str(resources.files("evaltools") / "notebooks"))

PHASES = ("baseline", "endline")
#: The notebooks of each phase, in order; ``90_summary`` reads the others' tables, so it runs last.
PHASE_NOTEBOOKS = {
    "baseline": ("00_data_quality", "10_baseline_profile", "30_social_ties", "40_outputs_targets", "90_summary"),
    "endline": ("00_data_quality", "10_baseline_profile", "20_outcomes_change", "30_social_ties",
                "40_outputs_targets", "90_summary"),
}
#: Run parameters a user may set with ``--param key=value``, and their types (``--lang`` also sets ``lang``).
PARAMETERS = {"min_cell": int, "alpha": float, "seed": int, "lang": str, "min_n_alpha": int}
DEFAULTS = {"alpha": 0.05, "seed": 0, "min_n_alpha": 30}

# =========================================================================== the run

@dataclass
class RunResult:
    """What :func:`run` made: the run folder, its index page, and whether every notebook ran."""

    run_dir: Path
    index_path: Path
    ok: bool
    failures: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)


def phase_notebooks(phase: str) -> list[Path]:
    """The notebook files a ``phase`` runs, in order."""
    if phase not in PHASE_NOTEBOOKS:
        raise UsageError(f"phase {phase!r}: expected baseline or endline")
    return [NOTEBOOK_DIR / f"{name}.ipynb" for name in PHASE_NOTEBOOKS[phase]]


def parse_params(params: dict | None) -> dict:
    """Type the ``--param key=value`` pairs; an unknown key or a bad value is a usage error.

    >>> parse_params({"min_cell": "3", "alpha": "0,1"})
    {'min_cell': 3, 'alpha': 0.1}
    """
    out = {}
    for key, value in (params or {}).items():
        if key not in PARAMETERS:
            raise UsageError(f"--param {key}: unknown parameter; expected one of {', '.join(PARAMETERS)}")
        kind = PARAMETERS[key]
        try:
            typed = kind(str(value).replace(",", ".")) if kind is float else kind(value)
        except (TypeError, ValueError):
            raise UsageError(f"--param {key}={value}: expected a {'number' if kind is float else 'whole number'}")
        if key == "alpha" and not 0 < typed < 1:
            raise UsageError(f"--param alpha={value}: expected a number between 0 and 1")
        if key == "lang" and typed not in LANGS:
            raise UsageError(f"--param lang={value}: expected one of {', '.join(LANGS)}")
        if key == "min_cell" and typed < 1:
            raise UsageError(f"--param min_cell={value}: expected a whole number of at least 1")
        out[key] = typed
    return out


def run(phase: str, *, data_dir: str | Path, out: str | Path = "runs", lang: str | None = None,
        params: dict | None = None, progress: bool = True, workers: int | None = None) -> RunResult:
    """Validate ``data_dir``, execute the ``phase``'s notebooks into a new run folder under ``out``.

    Invalid data raises :class:`~evaltools.errors.DataInvalid` before anything
    is written; so does an ``out`` that :func:`check_out` refuses (a
    :class:`~evaltools.errors.UsageError`). ``params`` (strings from the
    command line, or typed) set ``min_cell``, ``alpha`` and ``seed``;
    ``lang`` defaults to the project's language. Progress goes to stderr
    when ``progress``. ``workers`` notebooks run at a time (default:
    :func:`default_workers`); the summary notebooks (:data:`LAST`) always
    run after the others.

    The data are validated once: the notebooks load the validated project
    from a pickle in a temporary folder outside the run folder (their
    ``project_cache`` parameter), removed when the run ends. While the data
    are validated, ``workers`` kernels start and warm up in the background
    (a :class:`~evaltools.report.kernels.KernelPool`, shut down when the run
    ends, also on an error) and the HTML exporter loads its templates. The
    manifest is written with status ``running`` when the run starts and
    completed at its end.
    """
    if phase not in PHASES:
        raise UsageError(f"phase {phase!r}: expected baseline or endline")
    typed = parse_params(params)
    data_dir = Path(data_dir).resolve()
    out = check_out(out, data_dir)
    started = _now()
    t0 = time.perf_counter()
    workers = max(1, workers or default_workers())
    kernel = kernel_name()
    with frozen_imports(), KernelPool(workers, kernel) as pool, \
            ThreadPoolExecutor(1, thread_name_prefix="evaltools-html") as side:
        pool.start()  # the kernels warm up while the data are validated, and papermill loads
        side.submit(import_papermill)
        report, project, parameters = _validated(data_dir, phase, typed, lang)
        exporter = side.submit(html_exporter, warm=True)  # nbconvert loads while the first notebooks run
        lang = parameters["lang"]
        out.mkdir(parents=True, exist_ok=True)
        run_dir = new_run_dir(out, phase, started)
        for sub in ("notebooks", "html", "tables", "figures"):
            (run_dir / sub).mkdir()
        parameters["out_dir"] = str(run_dir)
        inputs = read_inputs(report.inputs, tables=report.tables, instruments=report.instruments)

        def manifest(statuses: list[dict], finished: _dt.datetime) -> dict:
            return build_manifest(
                run_dir=run_dir, phase=phase, parameters=parameters, started=started, finished=finished,
                seconds=time.perf_counter() - t0, inputs=inputs,
                tables={k: v[0] for k, v in report.tables.items()}, notebooks=statuses, kernel=kernel,
                project=project, warnings=len(report.warnings))

        _write_json(run_dir / "manifest.json", start_manifest(manifest([], started)))
        write_runs_index(out, lang=lang)  # the run is listed (running) while it runs
        with project_cache(project) as cache:
            statuses = execute_all(phase_notebooks(phase), run_dir, {**parameters, "project_cache": cache},
                                   lang=lang, progress=progress, workers=workers, pool=pool, exporter=exporter)
    final = manifest(statuses, _now())
    if phase == "endline":
        final["since_baseline"] = since_baseline(out, final, exclude=run_dir)
    _write_json(run_dir / "manifest.json", final)

    index_path = run_dir / "index.html"
    index_path.write_text(render_run_index(final, read_json_or_none(run_dir / "summary.json"), lang=lang),
                          encoding="utf-8")
    write_runs_index(out, lang=lang)
    failures = [s for s in statuses if s["status"] != "ok"]
    return RunResult(run_dir=run_dir, index_path=index_path, ok=not failures, failures=failures, manifest=final)


@contextlib.contextmanager
def frozen_imports():
    """While the block runs, the garbage collector skips every object that exists when it starts (:func:`gc.freeze`).

    Those are mostly the imported modules' (pandas, numpy, ...), which a
    full collection would otherwise walk again and again while the data are
    validated. They are unfrozen when the block ends. Does nothing when
    objects are frozen already (someone else's freeze is left as it is).
    """
    import gc

    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _validated(data_dir: Path, phase: str, typed: dict, lang: str | None):
    """Validate ``data_dir`` once: its report, the :class:`~evaltools.project.Project`, the run's parameters.

    Raises :class:`~evaltools.errors.DataInvalid` when the data cannot be used.
    """
    from evaltools.project import Project
    from evaltools.validate import validate_folder

    report = validate_folder(data_dir)
    project = Project.from_validation(report)
    if project is None:
        raise DataInvalid(report.problems)
    parameters = {
        "data_dir": str(data_dir), "phase": phase,
        "lang": check_lang(lang or typed.get("lang") or report.language),
        "min_cell": int(typed.get("min_cell", project.min_cell)),
        "alpha": float(typed.get("alpha", DEFAULTS["alpha"])),
        "seed": int(typed.get("seed", DEFAULTS["seed"])),
        "min_n_alpha": int(typed.get("min_n_alpha", DEFAULTS["min_n_alpha"])),
    }
    return report, project, parameters


def check_out(out: str | Path, data_dir: Path) -> Path:
    """``out`` as an absolute folder path, or a :class:`~evaltools.errors.UsageError` (docs/index.md).

    Refused: ``out`` naming a file; ``out`` inside the data folder (runs
    would be read back as data, and raw data must stay as it was); a data
    folder inside one of ``out``'s run folders.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     data = Path(d).resolve() / "data"
    ...     check_out(Path(d) / "runs", data) == Path(d).resolve() / "runs"
    True
    """
    out = Path(out).resolve()
    data_dir = Path(data_dir).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: this is a file; expected a folder for the runs")
    if out == data_dir or data_dir in out.parents:
        raise UsageError(f"--out {out}: inside the data folder {data_dir}; choose a folder outside it")
    if out in data_dir.parents and RUN_NAME.match(data_dir.relative_to(out).parts[0]):
        raise UsageError(f"--data {data_dir}: inside a run folder of --out {out}; choose another --out")
    return out


@contextlib.contextmanager
def project_cache(project):
    """The validated ``project`` pickled in a new temporary folder (never the run or data folder); its path.

    The folder is removed when the ``with`` block ends, also on failure.
    Yields ``None`` (the notebooks then validate the data themselves) when
    the project cannot be pickled.
    """
    folder = Path(tempfile.mkdtemp(prefix="evaltools-project-"))
    try:
        path = folder / "project.pickle"
        try:
            with open(path, "wb") as fh:
                pickle.dump(project, fh, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # pragma: no cover - an unpicklable project
            path = None
        yield None if path is None else str(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


#: Notebooks that read the other notebooks' tables: they run after all the others.
LAST = ("90_summary",)
#: Notebooks that take longest start first when several run at a time.
FIRST = ("20_outcomes_change",)


def default_workers() -> int:
    """How many notebooks run at a time: 2 where there are at least 2 CPUs, else 1.

    ``EVALTOOLS_WORKERS`` (an environment variable) overrides it; 1 runs
    the notebooks one after the other with papermill's progress bar.
    """
    import os

    value = os.environ.get("EVALTOOLS_WORKERS", "").strip()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def execute_all(notebooks: list[Path], run_dir: Path, parameters: dict, *, lang: str, progress: bool = False,
                workers: int | None = None, pool: KernelPool | None = None, exporter=None) -> list[dict]:
    """Execute and render every notebook; return their statuses in the order of ``notebooks``.

    With ``workers`` > 1, notebooks run in that many kernels at once (each
    kernel is its own process; the threads here only wait for them), the
    longest first. The notebooks of :data:`LAST` run afterwards, one by
    one. Each notebook is rendered to HTML as soon as it has run, by one
    thread beside them (one exporter, its templates loaded once), which
    also prepares the run's index while the last notebooks run. The
    kernels come from ``pool`` (its working folder becomes ``run_dir``;
    without one, a pool of ``workers`` kernels is started and shut down
    here). ``exporter``: the HTML exporter, or a future of one
    (:func:`~evaltools.report.html.html_exporter` when ``None``).
    """
    workers = max(1, workers or default_workers())
    pages: dict[Path, Future] = {}
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(KernelPool(workers, kernel_name()))
        pool.cwd = str(run_dir)
        html = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="evaltools-html"))
        render = _renderer(run_dir, lang, exporter)

        def one(src: Path, bar: bool = False) -> dict:
            return execute_notebook(src, run_dir, parameters, kernel=pool.kernel_name, progress=bar, pool=pool)

        def finish(src: Path, status: dict) -> None:
            pages[src] = html.submit(render, src, status)
            if progress:
                result = (f"ok ({status['seconds']:.1f} s)" if status["status"] == "ok"
                          else f"FAILED {failure_text(status)}")
                print(f"[{len(pages)}/{len(notebooks)}] {src.stem}: {result}", file=sys.stderr, flush=True)

        early = [src for src in notebooks if src.stem not in LAST]
        late = [src for src in notebooks if src.stem in LAST]
        parallel = workers > 1 and len(early) > 1
        if parallel:
            _run_parallel(early, one, finish, pool, workers=workers, order=notebooks,
                          note=t("report.progress.parallel", lang, n=len(early), workers=workers) if progress else "")
        else:
            late = early + late
        if late:
            html.submit(prepare_run_index)  # the index's imports, beside the last notebook rather than after it
        for src in late:
            if progress:
                print(f"[{len(pages) + 1}/{len(notebooks)}] {src.stem}", file=sys.stderr, flush=True)
            # papermill's bar for every notebook or for none: parallel notebooks cannot share the console's line
            finish(src, one(src, bar=progress and not parallel))
        return [pages[src].result() for src in notebooks]


def _run_parallel(notebooks: list[Path], one, finish, pool: KernelPool, *, workers: int, order: list[Path],
                  note: str) -> None:
    """``one(src)`` for every notebook in ``workers`` threads, the longest first; ``finish`` each as it ends.

    On an error or Ctrl-C here, the pool's kernels are shut down at once, so
    the notebooks still running end (failed) instead of being waited for.
    """
    from concurrent.futures import as_completed

    rank = {src: i for i, src in enumerate(order)}
    notebooks = sorted(notebooks, key=lambda src: (src.stem not in FIRST, rank[src]))
    if note:
        print(note, file=sys.stderr, flush=True)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evaltools-notebook") as threads:
        futures = {threads.submit(one, src): src for src in notebooks}
        try:
            for future in as_completed(futures):
                finish(futures[future], future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            pool.close()
            raise


def _renderer(run_dir: Path, lang: str, exporter):
    """``render(src, status)``: the executed notebook ``src`` to its HTML page; ``status`` with the page's path.

    Called from one thread at a time (nbconvert's exporter is not made for more).
    """
    def render(src: Path, status: dict) -> dict:
        nonlocal exporter
        if exporter is None:
            exporter = html_exporter()
        elif isinstance(exporter, Future):
            exporter = exporter.result()
        status["html"] = export_html(run_dir / "notebooks" / src.name, run_dir / "html" / f"{src.stem}.html",
                                     lang=lang, title=notebook_title(src.stem, lang), exporter=exporter,
                                     error=status.get("error"))
        return status

    return render


def _now() -> _dt.datetime:
    return _dt.datetime.now().astimezone()


def new_run_dir(out: Path, phase: str, when: _dt.datetime) -> Path:
    """Create and return a fresh ``<out>/<YYYYmmdd-HHMMSS>_<phase>`` folder; never reuse one.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     when = _dt.datetime(2021, 12, 15, 10, 15)
    ...     [new_run_dir(Path(d), "endline", when).name for _ in range(3)]
    ['20211215-101500_endline', '20211215-101500_endline_2', '20211215-101500_endline_3']
    """
    base = f"{when:%Y%m%d-%H%M%S}_{phase}"
    for n in range(1, 10_000):
        path = out / (base if n == 1 else f"{base}_{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise RuntimeError(f"{out}: cannot find a free run folder name for {base}")  # pragma: no cover


def kernel_name() -> str:
    """The Jupyter kernel the notebooks run in: ``evaltools`` when installed (``make install``), else ``python3``."""
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        names = set(KernelSpecManager().find_kernel_specs())
    except Exception:  # pragma: no cover - a broken Jupyter path
        names = set()
    return "evaltools" if "evaltools" in names else "python3"


#: An optional module that :mod:`jsonschema` imports when it can: it builds a grammar parser at import (~1.5 s).
IRI_GRAMMAR = "rfc3987_syntax"


def import_papermill():
    """:mod:`papermill`, imported without :data:`IRI_GRAMMAR` when :mod:`jsonschema` is not imported yet.

    papermill imports nbformat, which imports jsonschema; jsonschema then
    imports ``rfc3987_syntax`` if installed (it comes with Jupyter's
    ``jsonschema[format-nongpl]``), which compiles an Earley parser of RFC
    3987 at import: about 1.5 s of the run's CPU, for an ``iri`` format
    check that notebook validation never uses. While jsonschema is imported
    here the module is marked missing, then unmarked (a later ``import
    rfc3987_syntax`` works as usual). Safe to call from any thread, any
    number of times.
    """
    with _IMPORT_LOCK:
        if "jsonschema" not in sys.modules and IRI_GRAMMAR not in sys.modules:
            sys.modules[IRI_GRAMMAR] = None  # an import of it raises ImportError: jsonschema goes without
            try:
                import jsonschema  # noqa: F401
            finally:
                if sys.modules.get(IRI_GRAMMAR, "") is None:
                    del sys.modules[IRI_GRAMMAR]
        import papermill

    return papermill


_IMPORT_LOCK = threading.Lock()


def execute_notebook(src: Path, run_dir: Path, parameters: dict, *, kernel: str, progress: bool = False,
                     pool: KernelPool | None = None) -> dict:
    """Execute one notebook with papermill into ``run_dir/notebooks``; return its status (never raises).

    The kernel is one of ``pool``'s (fresh, in ``run_dir``), else a new ``kernel`` started for this notebook.
    """
    pm = import_papermill()
    dst = run_dir / "notebooks" / src.name
    t0 = time.perf_counter()
    status: dict = {"notebook": src.stem, "status": "ok", "error": None}
    try:
        with pool.kernel() if pool is not None else contextlib.nullcontext() as km:
            manager = {"km": km} if km is not None else {"kernel_manager_class": quiet_kernel_manager()}
            pm.execute_notebook(
                str(src), str(dst), parameters=parameters, kernel_name=kernel, progress_bar=progress,
                log_output=False, request_save_on_cell_execute=False, **manager,
                # a new kernel starts in the run folder; papermill's own cwd= would chdir this whole process,
                # which is not safe while another notebook runs in a second thread
                resources={"metadata": {"path": str(run_dir)}})
    except Exception as e:  # a failing notebook must not stop the others
        error = {"type": type(e).__name__, "message": _one_line(str(e))}
        if getattr(e, "ename", None):  # papermill.PapermillExecutionError
            error.update(type=e.ename, message=_one_line(e.evalue), cell=e.exec_count, cell_index=e.cell_index)
        error["log"] = _keep_log(dst, run_dir, e)
        status.update(status="failed", error=error)
    status["seconds"] = round(time.perf_counter() - t0, 3)
    return status


def _keep_log(dst: Path, run_dir: Path, error: Exception) -> str:
    """Move a failed notebook's traceback to ``logs/<nb>.txt`` (paths stripped); return that file's path in the run.

    The executed notebook keeps the exception's type in its error output but
    neither the traceback nor the message (they may quote data and paths):
    supervisors open ``notebooks/`` too.
    """
    import nbformat

    lines = [f"{dst.stem}: {type(error).__name__}"]
    if dst.is_file():
        nb = nbformat.read(dst, as_version=4)
        for index, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if out.get("output_type") == "error":
                    lines += [f"cell {cell.get('execution_count')} (index {index}): {out.get('ename')}",
                              *[_strip(ln) for ln in out.get("traceback", [])]]
                    out["evalue"], out["traceback"] = "", []
        nbformat.write(nb, dst)
    else:
        lines.append(_strip(str(error)))
    log = run_dir / "logs" / f"{dst.stem}.txt"
    log.parent.mkdir(exist_ok=True)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return log.relative_to(run_dir).as_posix()


_PATH = re.compile(r"""(?:[A-Za-z]:)?[\\/](?:[^\s\\/"'<>:|]+[\\/])+""")


def _strip(text: str) -> str:
    r"""``text`` without colour codes and without the folders of any path (the file name stays).

    >>> _strip('File "/home/ana/.venv/lib/x.py", line 3 in C:\\Users\\ana\\data\\p.csv')
    'File "x.py", line 3 in p.csv'
    """
    return _PATH.sub("", re.sub(r"\x1b\[[0-9;]*m", "", str(text)))


def _one_line(message: str, limit: int = 300) -> str:
    message = _strip(message).strip()
    lines = [ln for ln in message.splitlines() if ln.strip()]
    text = lines[-1] if lines else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
