"""evaltools: evaluate a social-inclusion programme from staff-filled Excel templates.

The boundary (`io`, `schema`, `validate`, `privacy`) reads a data folder and
hands the analysis one validated :class:`evaltools.project.Project`.
"""

__version__ = "0.1.0"

from evaltools.project import load_project  # noqa: E402

__all__ = ["load_project", "__version__"]
