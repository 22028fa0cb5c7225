"""One exception family for everything a user can act on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as precisely as we can.

    ``message`` says what is wrong and what is expected; ``file``, ``sheet``,
    ``row`` (the row number a person sees in Excel or a text editor) and
    ``column`` say where; ``value`` is what was found.
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: str = "error"  # error | warning
    check: str = "other"  # short machine-readable name of the check

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class EvaltoolsError(Exception):
    """Base of every error evaltools raises for a user to act on."""


class InstrumentError(EvaltoolsError):
    """An instrument definition (YAML) is broken; the message names file and key."""


class ProjectError(EvaltoolsError):
    """project.yaml is missing or broken."""


class UsageError(EvaltoolsError):
    """A command was called the wrong way (exit code 2)."""


@dataclass
class DataInvalid(EvaltoolsError):
    """The data folder does not meet the contract; ``problems`` lists them all."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in the data"
        return head + ":\n" + "\n".join(f"- {p}" for p in errors[:50])
