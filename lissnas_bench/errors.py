"""One exception family.  The CLI turns every ``LissnasBenchError`` into one stderr line and exit code 2;
anything else is a bug and keeps its traceback."""

from __future__ import annotations


class LissnasBenchError(Exception):
    """Base class of every error caused by user input or user data."""


class InvalidArchitecture(LissnasBenchError, ValueError):
    """An architecture (array or string) is not a member of the space."""


class UnknownArchitecture(LissnasBenchError, LookupError):
    """A valid architecture that the benchmark has no row for."""


class UnknownName(LissnasBenchError, LookupError):
    """An unknown benchmark, space, dataset, metric, method, parameter, ..."""

    def __init__(self, kind: str, value: object, accepted):
        accepted = list(accepted)
        shown = ", ".join(map(str, accepted[:40])) + (", ..." if len(accepted) > 40 else "")
        super().__init__(f"unknown {kind} {value!r}; accepted: {shown}")
        self.kind, self.value, self.accepted = kind, value, accepted

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return self.args[0]


class UnknownSpace(UnknownName):
    def __init__(self, value, accepted):
        super().__init__("space", value, accepted)


class UnknownBenchmark(UnknownName):
    def __init__(self, value, accepted):
        super().__init__("benchmark", value, accepted)


class UnknownDataset(UnknownName):
    def __init__(self, value, accepted):
        super().__init__("dataset", value, accepted)


class UnknownMetric(UnknownName):
    def __init__(self, value, accepted):
        super().__init__("metric", value, accepted)


class DataFileError(LissnasBenchError, OSError):
    """A data file is missing, of the wrong kind, truncated or corrupt."""

    def __str__(self) -> str:  # OSError's formatting would add errno noise
        return str(self.args[0]) if self.args else ""


class ChecksumMismatch(DataFileError):
    """A file's checksum differs from the published one."""


class BudgetExhausted(LissnasBenchError, RuntimeError):
    """An oracle was asked for more distinct architectures than its budget allows."""


class InvalidConfig(LissnasBenchError, ValueError):
    """A parameter or configuration value is out of range or inconsistent."""


class MissingDependency(LissnasBenchError, ImportError):
    """An optional package is needed for this feature."""

    def __init__(self, package: str, extra: str, feature: str = "this feature"):
        super().__init__(
            f"{feature} needs the optional package {package!r}: pip install \"lissnas-bench[{extra}]\""
        )
