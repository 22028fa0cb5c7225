"""Validation of a data folder against the contract (docs/data.md, docs/instruments.md, docs/targets.md).

The boundary's checking half: :mod:`~evaltools.validate.folder` reads and
checks a whole folder in one round, :mod:`~evaltools.validate.tables` one
table, :mod:`~evaltools.validate.across` the tables against each other,
:mod:`~evaltools.validate.project_yaml` project.yaml and
:mod:`~evaltools.validate.targets` its targets. Every problem is a
:class:`~evaltools.errors.Problem` worded from the label catalogue.
"""

from evaltools.validate.folder import ValidationResult, fingerprint_files, format_problems, summary, validate_folder
from evaltools.validate.quality import data_quality
from evaltools.validate.tables import MAX_PER_COLUMN
from evaltools.validate.targets import check_targets

__all__ = ["MAX_PER_COLUMN", "ValidationResult", "check_targets", "data_quality", "fingerprint_files",
           "format_problems", "summary", "validate_folder"]
