"""Participation actions: the one list the person-based indicators are computed over.

Each feature contributes ONE select of exactly these labelled columns:

    user_id      int   the participant (anonymous actions: a distinct negative number per action,
                       e.g. -response.id, so that each counts once)
    occurred_at  UTCDateTime  when the action happened
    process_id   int | None   the process it belongs to (None outside processes)
    from_mobile  bool         made from a phone

and registers it with one line, e.g. in proposals/kpi.py:

    register_action_source("proposal", lambda: select(Proposal.author_id.label("user_id"), ...))

The engine builds a UNION ALL of every registered select; indicators over actions are only
exported while at least one source is registered ("do not export indicators whose source
does not exist").

A source whose process_id costs a join (supports: through the proposal) may accept a keyword argument
`with_process`: actions(with_process=False) asks for NULL process ids when the caller does not use them
(platform and area figures), so that the join is skipped."""
from __future__ import annotations

import inspect
from typing import Callable

from sqlalchemy import union_all
from sqlalchemy.sql import Select

ACTION_COLUMNS = ("user_id", "occurred_at", "process_id", "from_mobile")
ACTION_SOURCES: dict[str, Callable[[], Select]] = {}
_AVAILABLE: dict[str, Callable[[], bool]] = {}


def register_action_source(name: str, build: Callable[[], Select],
                           available: Callable[[], bool] = lambda: True) -> None:
    """`available` says whether the source's tables exist in this installation (default: yes)."""
    ACTION_SOURCES[name] = build
    _AVAILABLE[name] = available


def unregister_action_source(name: str) -> None:
    ACTION_SOURCES.pop(name, None)
    _AVAILABLE.pop(name, None)


def active_sources() -> dict[str, Callable[[], Select]]:
    return {name: build for name, build in ACTION_SOURCES.items() if _AVAILABLE.get(name, lambda: True)()}


def has_actions() -> bool:
    return bool(active_sources())


def _select(build: Callable[..., Select], with_process: bool) -> Select:
    if "with_process" in inspect.signature(build).parameters:
        return build(with_process=with_process)
    return build()


def actions(name: str = "actions", *, with_process: bool = True):
    """The union of every registered (and available) action source as a subquery.

    with_process=False: the caller does not use process_id (sources may then leave it NULL)."""
    selects = [_select(build, with_process) for build in active_sources().values()]
    if not selects:
        raise LookupError("no participation action source is registered")
    for stmt in selects:
        names = tuple(column.name for column in stmt.selected_columns)
        if names != ACTION_COLUMNS:
            raise ValueError(f"an action source must select {ACTION_COLUMNS}, got {names}")
    union = selects[0] if len(selects) == 1 else union_all(*selects)
    return union.subquery(name)
