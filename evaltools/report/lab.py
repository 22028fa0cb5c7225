"""A notebook opened by hand in JupyterLab: the project it loads, or one clear sentence saying what to do first.

A run (:mod:`evaltools.report.runner`) gives every notebook its folders;
opened by hand, a notebook uses its parameters cell's defaults: the demo
(``data/demo`` of the repository, made by ``evaltools demo`` or ``make
demo``) and ``runs/_lab``. When the demo is not there, or ``90_summary`` is
opened before the notebooks whose tables it reads, :func:`open_project`
stops the notebook with :class:`NotebookStop`: one sentence in the
notebook's language, not a traceback.
"""

from __future__ import annotations

from pathlib import Path

from evaltools.errors import EvaltoolsError
from evaltools.labels import t


class NotebookStop(EvaltoolsError):
    """What to do before this notebook can run; IPython shows only the sentence (no traceback).

    >>> NotebookStop("Run `evaltools demo` first.")._render_traceback_()
    ['Run `evaltools demo` first.']
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for an exception's own rendering
        return [str(self)]


def open_project(data_dir: str | Path, *, min_cell: int | None = None, lang: str | None = None,
                 cache: str | Path | None = None, reads_tables_of: str | Path | None = None):
    """:func:`~evaltools.project.load_project`, after checking that the notebook can run at all.

    Raises :class:`NotebookStop` when ``data_dir`` is not a folder (a
    notebook opened in JupyterLab before ``evaltools demo``), or when
    ``reads_tables_of`` (a run folder, for notebooks that read the others'
    tables) holds no tables yet. A run's ``cache`` is loaded as it is.

    >>> try:
    ...     open_project("/nonexistent/demo", lang="en")
    ... except NotebookStop as e:
    ...     print(e)  # doctest: +ELLIPSIS
    There is no data folder /nonexistent/demo. Run `evaltools demo` ...
    """
    from evaltools.project import load_project

    if cache is None and not Path(data_dir).is_dir():
        raise NotebookStop(t("report.lab.no_data", lang or "en", path=Path(data_dir).resolve()))
    if cache is None and reads_tables_of is not None and not any((Path(reads_tables_of) / "tables").glob("*.csv")):
        raise NotebookStop(t("report.lab.no_tables", lang or "en", path=Path(reads_tables_of).resolve()))
    return load_project(data_dir, min_cell=min_cell, lang=lang, cache=cache)
