"""Runs and the report: the run folder, papermill, the offline HTML and the runs index (docs/outputs.md).

A run folder ``<out>/<YYYYmmdd-HHMMSS>_<phase>/`` holds::

    index.html          the summary a supervisor opens (offline, in the run's language)
    html/<nb>.html      each executed notebook, code hidden, images embedded, no network
    notebooks/<nb>.ipynb  the executed notebooks (papermill's parameters in their metadata)
    tables/*.csv        written by the notebooks through :func:`save_table`
    figures/*.png       written by the notebooks through :func:`save_figure`
    summary.json        the headline numbers (``90_summary``), read by index.html
    manifest.json       versions, parameters, times, inputs with sha256, each notebook's status

The package has one module per seam:

- :mod:`~evaltools.report.page`: what notebooks call (``say``, ``show``,
  ``save_table``, ``save_figure``, labels of groups, scales and columns);
- :mod:`~evaltools.report.runner`: :func:`run`, the parameters, papermill;
- :mod:`~evaltools.report.lab`: a notebook opened by hand (``open_project``);
- :mod:`~evaltools.report.html`: offline notebook pages;
- :mod:`~evaltools.report.manifest`: provenance, fingerprints, earlier runs;
- :mod:`~evaltools.report.runs_index`: ``<out>/index.html``;
- :mod:`~evaltools.report.summary`: ``summary.json``, the "How sure" words and the run's ``index.html``.

Notebooks keep writing ``from evaltools import report; report.say(...)``:
the page API is re-exported here. Nothing in this package computes a statistic.
"""

from evaltools.report.html import export_html, notebook_title, offline
from evaltools.report.lab import NotebookStop, open_project
from evaltools.report.manifest import build_manifest, fingerprint, latest_run, list_runs, since_baseline, toolkit_version
from evaltools.report.page import (PRIVATE_COLUMNS, VIEWS, by_group_frame, column_label, display_frame, group_label,
                                   inventory, markdown, phase_waves, plain_markdown, reliability_warning, save_figure, save_table,
                                   say, scale_label, show, show_by_group, text, titles)
from evaltools.report.runner import (DEFAULTS, NOTEBOOK_DIR, PARAMETERS, PHASE_NOTEBOOKS, PHASES, RunResult,
                                     default_workers, execute_all, execute_notebook, kernel_name, new_run_dir,
                                     parse_params, phase_notebooks, run)
from evaltools.report.runs_index import render_runs_index, write_runs_index
from evaltools.report.summary import (design_text, how_sure, render_run_index, show_summary, since_baseline_sentence,
                                      summarise)

__all__ = [
    "PRIVATE_COLUMNS", "VIEWS", "by_group_frame", "column_label", "display_frame", "group_label", "inventory",
    "markdown", "phase_waves", "plain_markdown", "reliability_warning", "save_figure", "save_table", "say", "scale_label", "show",
    "show_by_group", "text", "titles",
    "design_text", "how_sure", "render_run_index", "show_summary", "since_baseline_sentence", "summarise",
    "DEFAULTS", "NOTEBOOK_DIR", "PARAMETERS", "PHASE_NOTEBOOKS", "PHASES", "RunResult", "default_workers",
    "execute_all", "execute_notebook", "kernel_name", "new_run_dir", "parse_params", "phase_notebooks", "run",
    "export_html", "notebook_title", "offline",
    "NotebookStop", "open_project",
    "build_manifest", "fingerprint", "latest_run", "list_runs", "since_baseline", "toolkit_version",
    "render_runs_index", "write_runs_index",
]
