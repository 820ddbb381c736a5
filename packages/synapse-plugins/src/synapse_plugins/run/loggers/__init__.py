"""Where a run's events go: one protocol, and the console, memory, null and tee loggers.

The backend logger (the platform's job record and ``logs/``) is
[`BackendLogger`][synapse_plugins.run.loggers.backend.BackendLogger], imported on first use.

Example:
    >>> from synapse_plugins.run.loggers import MemoryLogger, RunLogger
    >>> isinstance(MemoryLogger(), RunLogger)
    True
"""

from __future__ import annotations

from .base import NullLogger, RunLogger, TeeLogger
from .console import ConsoleLogger
from .memory import MemoryLogger, StatusChange

__all__ = ["ConsoleLogger", "MemoryLogger", "NullLogger", "RunLogger", "StatusChange", "TeeLogger"]
