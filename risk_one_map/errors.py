"""Errors users see: one line that names the file, layer, feature and field.

Pure Python. The CLI prints ``str(error)`` and exits 1; Processing wraps it in QgsProcessingException; the
plugin shows it in the message bar.
"""
from __future__ import annotations


class RiskOneMapError(Exception):
    """Bad input or a failed step, described in one line for the user."""

    def __init__(self, message: str, *, file=None, layer=None, feature=None, field=None):
        self.message = " ".join(str(message).split())  # one line, always
        self.file, self.layer, self.feature, self.field = file, layer, feature, field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.layer is not None:
            where.append(f"layer {self.layer}")
        if self.feature is not None:
            where.append(f"feature {self.feature}")
        if self.field is not None:
            where.append(f"field {self.field}")
        return (", ".join(where) + ": " + self.message) if where else self.message


class Cancelled(RiskOneMapError):
    """The user cancelled; nothing was written."""

    def __init__(self, message: str = "cancelled by the user; nothing was written"):
        super().__init__(message)


class Interrupted(Cancelled):
    """Ctrl-C (SIGINT) during a run; the message says what was kept."""


class MissingDependency(RiskOneMapError):
    """An optional Python package is missing; the message says what to install and how."""
