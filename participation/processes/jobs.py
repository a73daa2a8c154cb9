"""Scheduled work of processes."""
from __future__ import annotations

from participation.processes.services import refresh_active_phases


def activate_phases() -> dict:
    """Switch each process's active phase when the calendar passes a phase boundary."""
    return {"changed": refresh_active_phases()}
