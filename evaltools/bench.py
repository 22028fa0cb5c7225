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
  (limit 60 s).

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
          "validate_junk_s": 60.0}
FLOOR_SOURCE = "import pandas, seaborn, statsmodels.api"


def analysis(data_dir: Path, *, seed: int = 0) -> dict:
    """Everything the notebooks compute, in this process, without writing: {tables: rows}."""
    from evaltools.attrition import attrition, sensitivity
    from evaltools.change import dose_from_attendance, dose_response, group_membership, paired_change
    from evaltools.clustering import clustered_change
    from evaltools.regression_to_mean import regression_to_mean
    from evaltools.indicators import dose, indicators
    from evaltools.plots.profile import participant_profile
    from evaltools.project import load_project
    from evaltools.reliability import reliability
    from evaltools.reliable_change import reliable_change, reliable_change_people
    from evaltools.scoring import score_all
    from evaltools.ties import coattendance, ego_networks, ego_scores, network_by_wave, network_change_test
    from evaltools.validate import data_quality

    p = load_project(data_dir)
    out = {"data_quality": data_quality(p), "profile": participant_profile(p.participants, min_cell=p.min_cell)}
    scores = score_all(p.questionnaires, p.instruments)
    out["scores"] = scores
    out["reliability"] = reliability(p.questionnaires, p.instruments, min_cell=p.min_cell)
    ego = ego_networks(p.ties, participants=p.participants)
    out["ego_networks"] = ego
    both = pd.concat([scores, ego_scores(ego)], ignore_index=True)
    membership = group_membership(p.participants)
    out["change"] = paired_change(both, membership=membership, min_cell=p.min_cell, instruments=p.instruments)
    out["reliable_change"] = reliable_change(both, instruments=p.instruments, membership=membership,
                                             min_cell=p.min_cell, questionnaires=p.questionnaires)
    out["attrition"] = attrition(both, p.participants, membership=membership, min_cell=p.min_cell)
    out["sensitivity"] = sensitivity(both, p.participants, membership=membership, min_cell=p.min_cell)
    out["clustered_change"] = clustered_change(both, p.participants, membership=membership, min_cell=p.min_cell,
                                               instruments=p.instruments)
    out["regression_to_mean"] = regression_to_mean(both, p.instruments, reliability=out["reliable_change"],
                                                   min_cell=p.min_cell)
    d = dose_from_attendance(p.attendance, sessions=p.sessions, participants=p.participants)
    out["dose_response"] = dose_response(both, d, min_cell=p.min_cell)
    out["network"] = network_by_wave(p.ties, p.participants)
    out["network_change"] = network_change_test(p.ties, p.participants, seed=seed)
    out["coattendance"] = coattendance(p.attendance, p.sessions)
    people = reliable_change_people(scores, instruments=p.instruments, questionnaires=p.questionnaires)
    out["indicators"] = indicators(p.targets, participants=p.participants, sessions=p.sessions,
                                   attendance=p.attendance, improved=people)
    out["dose"] = dose(p.attendance, p.sessions, participants=p.participants)
    return {name: len(df) for name, df in out.items()}


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evaltools.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 10 000-person run")
    ap.add_argument("--participants", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path(".bench"))
    a = ap.parse_args(argv)

    from evaltools.report import PHASE_NOTEBOOKS, kernel_name
    from evaltools.synth import write_demo_data

    results: dict = {"python": platform.python_version(), "cpus": os.cpu_count(), "kernel": kernel_name(),
                     "limits": LIMITS}

    def say(line: str) -> None:
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="evaltools-bench-") as tmp:
        tmp = Path(tmp)
        demo = write_demo_data(tmp / "demo", seed=0)
        n_notebooks = len(PHASE_NOTEBOOKS["endline"])

        t0 = time.perf_counter()
        analysis(demo)
        results["analysis_demo_s"] = time.perf_counter() - t0
        say(f"analysis, demo:            {results['analysis_demo_s']:6.1f} s")

        (tmp / "floor").mkdir()
        results["floor_s"] = floor(n_notebooks, tmp / "floor")
        say(f"floor ({n_notebooks} empty notebooks):  {results['floor_s']:6.1f} s")

        results["run_demo_s"], results["run_demo_ok"] = timed_run(demo, tmp / "runs")
        ratio = results["run_demo_s"] / results["floor_s"]
        results["run_vs_floor"] = ratio
        say(f"endline run, demo:         {results['run_demo_s']:6.1f} s  = {ratio:.2f} × floor "
            f"(limit {LIMITS['run_vs_floor']} ×, goal {LIMITS['run_vs_floor_goal']} ×)"
            f"{'' if results['run_demo_ok'] else '  [a notebook FAILED]'}")

        big = write_demo_data(tmp / "big", seed=0, participants=a.participants)
        t0 = time.perf_counter()
        analysis(big)
        results["analysis_10k_s"] = time.perf_counter() - t0
        say(f"analysis, {a.participants} people: {results['analysis_10k_s']:6.1f} s  "
            f"(limit {LIMITS['analysis_10k_s']:.0f} s)")

        if not a.quick:
            results["run_10k_s"], results["run_10k_ok"] = timed_run(big, tmp / "runs")
            ratio = results["run_10k_s"] / results["run_demo_s"]
            results["run_10k_vs_demo"] = ratio
            say(f"endline run, {a.participants} people: {results['run_10k_s']:6.1f} s  = {ratio:.2f} × the demo's run "
                f"(limit {LIMITS['run_10k_vs_demo']} ×){'' if results['run_10k_ok'] else '  [a notebook FAILED]'}")

        results["validate_junk_s"], results["validate_junk_named"] = validate_junk(tmp)
        say(f"validate, 50 MB junk:      {results['validate_junk_s']:6.1f} s  (limit {LIMITS['validate_junk_s']:.0f} s)"
            f"{'' if results['validate_junk_named'] else '  [the file is NOT named]'}")

    checks = [results["run_vs_floor"] <= LIMITS["run_vs_floor"], results["run_demo_ok"],
              results["analysis_10k_s"] <= LIMITS["analysis_10k_s"],
              results["validate_junk_s"] <= LIMITS["validate_junk_s"], results["validate_junk_named"]]
    if "run_10k_vs_demo" in results:
        checks += [results["run_10k_vs_demo"] <= LIMITS["run_10k_vs_demo"], results["run_10k_ok"]]
    results["within_limits"] = all(checks)
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / "results.json"
    path.write_text(json.dumps(results, indent=1), encoding="utf-8")
    say(f"{'within' if results['within_limits'] else 'OUTSIDE'} the limits; written to {path}")
    return 0 if results["within_limits"] else 1


if __name__ == "__main__":
    sys.exit(main())
