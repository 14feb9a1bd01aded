"""The cores this process may run on: its CPU affinity where the system has one, else the
machine's count. Shared by what splits work between threads or processes (deck parsing,
SQLite's sorter and table checks, deflating a package)."""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on (at least 1)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
