"""Speed against the limits of :data:`LIMITS`: ``make bench`` runs ``python -m evaltools.bench``.

Measures, on synthetic data made in a temporary folder:

- ``floor``: papermill executing as many empty notebooks as an endline run
  has (each imports pandas, seaborn and statsmodels.api) plus nbconvert of
  each to HTML, one after the other;
- ``run_demo``: ``evaltools run endline`` on the demo data (limit 0.5 × floor,
  goal 0.35 ×: the data are validated once per run, not once per notebook);
- ``run_10k``: the same on ``demo-data --participants 10000`` (limit 3 × the
  demo's run);
- ``analysis_demo`` and ``analysis_10k``: the analysis alone, in this process
  (load_project, scores and every table; limit 10 s at 10 000 people);
- ``validate_junk``: ``validate`` rejecting a 50 MB file of junk, naming it
  (limit 60 s);
- ``analysis_scale``: the analysis alone (validation included) of
  ``demo-data --participants 100000`` in a child process, its seconds and
  peak memory (limit 30 s, goal 15 s, and 3 GiB); ``--scale N`` measures it
  at N people instead (the limits then are only shown), ``--scale 0``
  skips it; ``--run-scale`` also times an endline run at that size.

Prints one line per measurement with its ratio to the limit and writes
everything to ``.bench/results.json``. ``--quick`` skips the 10 000-person run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

LIMITS = {"run_vs_floor": 0.5, "run_vs_floor_goal": 0.35, "run_10k_vs_demo": 3.0, "analysis_10k_s": 10.0,
          "validate_junk_s": 60.0, "analysis_100k_s": 30.0, "analysis_100k_goal_s": 15.0, "analysis_100k_gib": 3.0}
#: The size at which the analysis has the limits ``analysis_100k_*``.
SCALE = 100_000
FLOOR_SOURCE = "import pandas, seaborn, statsmodels.api"


def analysis_tables(data_dir: str | Path, *, phase: str = "endline", lang: str = "en", alpha: float = 0.05,
                    seed: int = 0, min_n_alpha: int = 30, min_cell: int | None = None) -> dict[str, pd.DataFrame]:
    """Every table the notebooks write for ``phase``, computed in this process: ``{table name: frame}``.

    The calls and arguments are those of ``evaltools/notebooks/*.ipynb`` (their parameters are this
    function's keywords); ``trajectory``, ``comparison`` and ``baseline_balance`` appear only when the data
    have extra waves or a comparison arm, as in the notebooks. Validation is included
    (:func:`~evaltools.project.load_project`). Used by :func:`analysis` and by tests/test_outputs.py, so
    that the sequence is written once beside the notebooks.
    """
    from evaltools.attrition import attrition, sensitivity
    from evaltools.change import group_membership, paired_change
    from evaltools.dose_response import dose_from_attendance, dose_response
    from evaltools.clustering import clustered_change
    from evaltools.comparison import baseline_balance, comparison
    from evaltools.indicators import dose, indicators
    from evaltools.plots.profile import participant_profile
    from evaltools.project import load_project
    from evaltools.regression_to_mean import regression_to_mean
    from evaltools.reliability import item_rest, reliability
    from evaltools.reliable_change import reliable_change, reliable_change_people
    from evaltools.report import phase_waves
    from evaltools.scoring import score_all
    from evaltools.coattendance import coattendance
    from evaltools.sociometric import network_by_wave, network_change_test
    from evaltools.ties import ego_networks, ego_scores
    from evaltools.trajectory import has_extra_waves, trajectory
    from evaltools.validate import data_quality

    p = load_project(data_dir, min_cell=min_cell, lang=lang)
    cell = p.min_cell
    out: dict[str, pd.DataFrame] = {}
    # 00_data_quality
    out["data_quality"] = data_quality(p)
    # 10_baseline_profile
    out["profile"] = participant_profile(p.participants, min_cell=cell, at=p.period[0])
    out["scores"] = scale_scores = score_all(p.questionnaires, p.instruments)
    out["reliability"] = reliability(p.questionnaires, p.instruments, alpha_level=alpha, min_cell=cell)
    out["item_rest"] = item_rest(p.questionnaires, p.instruments, min_cell=cell)
    if p.has_comparison:
        people_both, questionnaires_both = p.both_arms()
        out["baseline_balance"] = baseline_balance(score_all(questionnaires_both, p.instruments), people_both,
                                                   min_cell=cell, instruments=p.instruments)
    # 30_social_ties (the ego networks first: 20 uses them)
    out["ego_networks"] = ego = ego_networks(p.ties, participants=p.participants)
    # 20_outcomes_change
    scores = pd.concat([scale_scores, ego_scores(ego)], ignore_index=True)
    membership = group_membership(p.participants)
    out["change"] = paired_change(scores, membership=membership, min_cell=cell, alpha=alpha,
                                  instruments=p.instruments, primary_outcomes=p.config.get("primary_outcomes"))
    out["reliable_change"] = reliable = reliable_change(
        scores, instruments=p.instruments, membership=membership, min_cell=cell, questionnaires=p.questionnaires,
        min_n_alpha=min_n_alpha)
    out["attrition"] = attrition(scores, p.participants, membership=membership, min_cell=cell)
    d = dose_from_attendance(p.attendance, sessions=p.sessions, participants=p.participants)
    out["sensitivity"] = sensitivity(scores, p.participants, membership=membership, min_cell=cell, alpha=alpha,
                                     seed=seed, dose=d)
    out["clustered_change"] = clustered_change(scores, p.participants, membership=membership, min_cell=cell,
                                               alpha=alpha, instruments=p.instruments)
    out["regression_to_mean"] = regression_to_mean(scores, p.instruments, reliability=reliable, min_cell=cell)
    out["dose_response"] = dose_response(scores, d, min_cell=cell, alpha=alpha)
    if has_extra_waves(p.waves):
        out["trajectory"] = trajectory(scale_scores, membership=membership, min_cell=cell, alpha=alpha,
                                       instruments=p.instruments)
    if p.has_comparison:
        out["comparison"] = comparison(score_all(questionnaires_both, p.instruments), people_both, min_cell=cell,
                                       alpha=alpha, instruments=p.instruments)
    # 30_social_ties
    out["network"] = network_by_wave(p.ties, p.participants, waves=phase_waves(phase))
    if phase == "endline":
        out["network_change"] = network_change_test(p.ties, p.participants, seed=seed)
    out["coattendance"] = coattendance(p.attendance, p.sessions)
    # 40_outputs_targets
    improved = (reliable_change_people(scale_scores, instruments=p.instruments, questionnaires=p.questionnaires,
                                       min_n_alpha=min_n_alpha) if phase == "endline" else None)
    out["indicators"] = indicators(p.targets, participants=p.participants, sessions=p.sessions,
                                   attendance=p.attendance, improved=improved, lang=lang)
    out["dose"] = dose(p.attendance, p.sessions, participants=p.participants)
    return out


def analysis(data_dir: Path, *, seed: int = 0) -> dict:
    """Everything the notebooks compute (:func:`analysis_tables`), without writing: ``{table: rows}``."""
    return {name: len(df) for name, df in analysis_tables(data_dir, seed=seed).items()}


def peak_memory_bytes() -> int | None:
    """This process's peak resident memory so far, in bytes (``None`` where it cannot be read).

    ``resource.getrusage`` where it exists (kilobytes on Linux, bytes on
    macOS); on Windows psutil's peak working set, when psutil is installed.
    """
    try:
        import resource
    except ImportError:  # Windows
        try:
            import psutil
        except ImportError:
            return None
        return getattr(psutil.Process().memory_info(), "peak_wset", None)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def timed_analysis(data_dir: Path) -> dict:
    """Seconds and peak memory of :func:`analysis_tables` on ``data_dir``, measured in a child process.

    A fresh interpreter, so that the peak is the analysis's alone (imports
    included) and not the bench's own data: ``{"seconds", "peak_bytes",
    "tables"}``; ``{"error": text}`` when the child failed.
    """
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "evaltools.bench", "--child-analysis", str(data_dir)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child_analysis(data_dir: Path) -> int:
    t0 = time.perf_counter()
    tables = analysis_tables(data_dir)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "peak_bytes": peak_memory_bytes(),
                      "tables": {k: len(v) for k, v in tables.items()}}))
    return 0


def floor(n: int, workdir: Path, *, kernel: str | None = None) -> float:
    """Seconds for papermill to execute ``n`` empty notebooks (importing pandas, seaborn, statsmodels.api),
    each followed by nbconvert to HTML (nbconvert's default lab template), one after the other."""
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    from evaltools.report.runner import quiet_kernel_manager, kernel_name

    kernel = kernel or kernel_name()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(FLOOR_SOURCE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = workdir / "empty.ipynb"
    nbformat.write(nb, src)
    t0 = time.perf_counter()
    for i in range(n):
        dst = workdir / f"empty_{i}.ipynb"
        pm.execute_notebook(str(src), str(dst), parameters={"x": i}, kernel_name=kernel, progress_bar=False,
                            log_output=False, cwd=str(workdir), kernel_manager_class=quiet_kernel_manager())
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(dst, as_version=4))
        (workdir / f"empty_{i}.html").write_text(body, encoding="utf-8")
    return time.perf_counter() - t0


def timed_run(data_dir: Path, out: Path) -> tuple[float, bool]:
    from evaltools.report import run

    t0 = time.perf_counter()
    result = run("endline", data_dir=data_dir, out=out, progress=False)
    return time.perf_counter() - t0, result.ok


def validate_junk(workdir: Path, *, megabytes: int = 50) -> tuple[float, bool]:
    """Seconds for :func:`evaltools.validate.validate_folder` to reject a junk file; whether a problem names it."""
    from evaltools.synth import write_demo_data
    from evaltools.validate import validate_folder

    data = write_demo_data(workdir / "junk", seed=0)
    junk = data / "participants.csv"
    junk.write_bytes(os.urandom(megabytes * 1024 * 1024))
    t0 = time.perf_counter()
    report = validate_folder(data)
    seconds = time.perf_counter() - t0
    named = any("participants.csv" in p.text("en") for p in report.errors)
    return seconds, named


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m evaltools.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 10 000-person run")
    ap.add_argument("--participants", type=int, default=10_000)
    ap.add_argument("--scale", type=int, default=SCALE,
                    help=f"people of the analysis measured in a child process (default {SCALE}; 0 skips it)")
    ap.add_argument("--run-scale", action="store_true", help="also time an endline run at --scale people")
    ap.add_argument("--out", type=Path, default=Path(".bench"))
    ap.add_argument("--child-analysis", type=Path, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def _say(line: str) -> None:
    print(line, flush=True)


def _measure_demo(results: dict, demo: Path, tmp: Path) -> None:
    """``analysis_demo_s``, ``floor_s`` and the demo's endline run (``run_demo_*``, ``run_vs_floor``)."""
    from evaltools.report import PHASE_NOTEBOOKS

    n_notebooks = len(PHASE_NOTEBOOKS["endline"])
    t0 = time.perf_counter()
    analysis(demo)
    results["analysis_demo_s"] = time.perf_counter() - t0
    _say(f"analysis, demo:            {results['analysis_demo_s']:6.1f} s")

    (tmp / "floor").mkdir()
    results["floor_s"] = floor(n_notebooks, tmp / "floor")
    _say(f"floor ({n_notebooks} empty notebooks):  {results['floor_s']:6.1f} s")

    results["run_demo_s"], results["run_demo_ok"] = timed_run(demo, tmp / "runs")
    ratio = results["run_demo_s"] / results["floor_s"]
    results["run_vs_floor"] = ratio
    _say(f"endline run, demo:         {results['run_demo_s']:6.1f} s  = {ratio:.2f} × floor "
         f"(limit {LIMITS['run_vs_floor']} ×, goal {LIMITS['run_vs_floor_goal']} ×)"
         f"{'' if results['run_demo_ok'] else '  [a notebook FAILED]'}")


def _measure_big(results: dict, tmp: Path, participants: int, *, quick: bool) -> None:
    """``analysis_10k_s`` at ``participants`` people and, unless ``quick``, their endline run (``run_10k_*``)."""
    from evaltools.synth import write_demo_data

    big = write_demo_data(tmp / "big", seed=0, participants=participants)
    t0 = time.perf_counter()
    analysis(big)
    results["analysis_10k_s"] = time.perf_counter() - t0
    _say(f"analysis, {participants} people: {results['analysis_10k_s']:6.1f} s  "
         f"(limit {LIMITS['analysis_10k_s']:.0f} s)")
    if not quick:
        results["run_10k_s"], results["run_10k_ok"] = timed_run(big, tmp / "runs")
        ratio = results["run_10k_s"] / results["run_demo_s"]
        results["run_10k_vs_demo"] = ratio
        _say(f"endline run, {participants} people: {results['run_10k_s']:6.1f} s  = {ratio:.2f} × the demo's run "
             f"(limit {LIMITS['run_10k_vs_demo']} ×){'' if results['run_10k_ok'] else '  [a notebook FAILED]'}")


def _measure_junk(results: dict, tmp: Path) -> None:
    """``validate_junk_s`` and ``validate_junk_named`` (:func:`validate_junk`)."""
    results["validate_junk_s"], results["validate_junk_named"] = validate_junk(tmp)
    _say(f"validate, 50 MB junk:      {results['validate_junk_s']:6.1f} s  (limit {LIMITS['validate_junk_s']:.0f} s)"
         f"{'' if results['validate_junk_named'] else '  [the file is NOT named]'}")


def _measure_scale(results: dict, tmp: Path, scale: int, *, run_scale: bool) -> None:
    """The analysis at ``scale`` people in a child process (``analysis_scale_*``) and optionally their run."""
    from evaltools.synth import write_demo_data

    scaled = write_demo_data(tmp / "scale", seed=0, participants=scale)
    measured = timed_analysis(scaled)
    results["analysis_scale_people"] = scale
    at_limit = scale == SCALE
    if "error" in measured:
        results["analysis_scale_error"] = measured["error"]
        _say(f"analysis, {scale} people: FAILED {measured['error']}")
    else:
        results["analysis_scale_s"] = measured["seconds"]
        results["analysis_scale_peak_gib"] = peak = (measured["peak_bytes"] or float("nan")) / 2**30
        limit = (f"  (limit {LIMITS['analysis_100k_s']:.0f} s, goal {LIMITS['analysis_100k_goal_s']:.0f} s, "
                 f"{LIMITS['analysis_100k_gib']:.0f} GiB{'' if at_limit else ' at ' + str(SCALE)})")
        _say(f"analysis, {scale} people: {measured['seconds']:6.1f} s, peak {peak:.2f} GiB{limit}")
    if run_scale:
        results["run_scale_s"], results["run_scale_ok"] = timed_run(scaled, tmp / "runs")
        _say(f"endline run, {scale} people: {results['run_scale_s']:6.1f} s"
             f"{'' if results['run_scale_ok'] else '  [a notebook FAILED]'}")


def _within_limits(results: dict, *, scale: int, run_scale: bool) -> bool:
    """Whether every measurement taken is within :data:`LIMITS` (and every run and check succeeded)."""
    checks = [results["run_vs_floor"] <= LIMITS["run_vs_floor"], results["run_demo_ok"],
              results["analysis_10k_s"] <= LIMITS["analysis_10k_s"],
              results["validate_junk_s"] <= LIMITS["validate_junk_s"], results["validate_junk_named"]]
    if "run_10k_vs_demo" in results:
        checks += [results["run_10k_vs_demo"] <= LIMITS["run_10k_vs_demo"], results["run_10k_ok"]]
    if scale == SCALE:
        checks += ["analysis_scale_s" in results and results["analysis_scale_s"] <= LIMITS["analysis_100k_s"],
                   results.get("analysis_scale_peak_gib", float("inf")) <= LIMITS["analysis_100k_gib"]]
    if run_scale:
        checks.append(results.get("run_scale_ok", False))
    return all(checks)


def main(argv: list[str] | None = None) -> int:
    a = _arguments(argv)
    if a.child_analysis is not None:
        return _child_analysis(a.child_analysis)

    from evaltools.report import kernel_name
    from evaltools.synth import write_demo_data

    results: dict = {"python": platform.python_version(), "cpus": os.cpu_count(), "kernel": kernel_name(),
                     "limits": LIMITS}
    with tempfile.TemporaryDirectory(prefix="evaltools-bench-") as tmp:
        tmp = Path(tmp)
        _measure_demo(results, write_demo_data(tmp / "demo", seed=0), tmp)
        _measure_big(results, tmp, a.participants, quick=a.quick)
        _measure_junk(results, tmp)
        if a.scale:
            _measure_scale(results, tmp, a.scale, run_scale=a.run_scale)

    results["within_limits"] = _within_limits(results, scale=a.scale, run_scale=a.run_scale)
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / "results.json"
    path.write_text(json.dumps(results, indent=1), encoding="utf-8")
    _say(f"{'within' if results['within_limits'] else 'OUTSIDE'} the limits; written to {path}")
    return 0 if results["within_limits"] else 1


if __name__ == "__main__":
    sys.exit(main())
