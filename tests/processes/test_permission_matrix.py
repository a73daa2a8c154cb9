"""Acceptance 1: the permission matrix, action x phase state x role, against a table written out here.

Roles, in column order:  G = guest (None and an AnonymousUserMixin), R = resident,
B = blocked resident, S = staff, A = admin.  "x" = allowed, "-" = denied.

Decisions this table documents:
- Staff and admins are residents too: taking part (create, support, endorse, comment, answer a survey,
  register for a meeting, report an issue) follows the phase exactly as for a resident. Managing a
  process is a separate right (process.manage), not a way round the phase switches.
- Reading the city's answers (proposals.answers_visible) needs no account, so guests and blocked residents
  read them when the phase shows them; staff and admins read them in every phase (they prepare them).
- After the last phase, nothing is open for taking part, but the last phase's "answers visible" switch
  keeps applying (a finished process keeps showing its feedback).
"""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from participation.permissions import can
from participation.processes.models import PHASE_FEATURES

from .conftest import MOMENTS

ROLES = ("guest", "resident", "blocked", "staff", "admin")

# Phase 1: proposals.create, proposals.comment, surveys.answer
# Phase 2: proposals.support, proposals.endorse, proposals.comment, meetings.register
# Phase 3: proposals.answers_visible, reports.create
EXPECTED = {
    #                              GRBSA
    "before": {
        "proposals.create":          "-----",
        "proposals.support":         "-----",
        "proposals.endorse":         "-----",
        "proposals.comment":         "-----",
        "proposals.answers_visible": "---xx",
        "surveys.answer":            "-----",
        "meetings.register":         "-----",
        "reports.create":            "-----",
    },
    "phase1": {
        "proposals.create":          "-x-xx",
        "proposals.support":         "-----",
        "proposals.endorse":         "-----",
        "proposals.comment":         "-x-xx",
        "proposals.answers_visible": "---xx",
        "surveys.answer":            "-x-xx",
        "meetings.register":         "-----",
        "reports.create":            "-----",
    },
    "phase2": {
        "proposals.create":          "-----",
        "proposals.support":         "-x-xx",
        "proposals.endorse":         "-x-xx",
        "proposals.comment":         "-x-xx",
        "proposals.answers_visible": "---xx",
        "surveys.answer":            "-----",
        "meetings.register":         "-x-xx",
        "reports.create":            "-----",
    },
    "phase3": {
        "proposals.create":          "-----",
        "proposals.support":         "-----",
        "proposals.endorse":         "-----",
        "proposals.comment":         "-----",
        "proposals.answers_visible": "xxxxx",
        "surveys.answer":            "-----",
        "meetings.register":         "-----",
        "reports.create":            "-x-xx",
    },
    "after": {
        "proposals.create":          "-----",
        "proposals.support":         "-----",
        "proposals.endorse":         "-----",
        "proposals.comment":         "-----",
        "proposals.answers_visible": "xxxxx",
        "surveys.answer":            "-----",
        "meetings.register":         "-----",
        "reports.create":            "-----",
    },
}

# An unpublished process, in phase 1 (every switch of that phase on): nobody takes part; only staff and
# admins read answers. Same for every state, so one row per action.
EXPECTED_UNPUBLISHED = {
    "proposals.create":          "-----",
    "proposals.support":         "-----",
    "proposals.endorse":         "-----",
    "proposals.comment":         "-----",
    "proposals.answers_visible": "---xx",
    "surveys.answer":            "-----",
    "meetings.register":         "-----",
    "reports.create":            "-----",
}


def _decisions(users, action, process) -> str:
    return "".join("x" if can(users[role], action, process) else "-" for role in ROLES)


@pytest.fixture
def users(make_user):
    return {"guest": None, "resident": make_user("resident"), "blocked": make_user("resident", blocked=True),
            "staff": make_user("staff"), "admin": make_user("admin")}


def test_the_table_covers_every_phase_feature():
    for state, rows in EXPECTED.items():
        assert set(rows) == set(PHASE_FEATURES), state
    assert set(EXPECTED_UNPUBLISHED) == set(PHASE_FEATURES)


@pytest.mark.parametrize("state", list(EXPECTED))
def test_permission_matrix(state, users, calendar_process, travel):
    travel(MOMENTS["phase2"])
    process = calendar_process()
    travel(MOMENTS[state])
    got = {action: _decisions(users, action, process) for action in PHASE_FEATURES}
    assert got == EXPECTED[state]
    # A Flask-Login anonymous user is a guest like None.
    anonymous = AnonymousUserMixin()
    assert all(can(anonymous, action, process) == (EXPECTED[state][action][0] == "x")
               for action in PHASE_FEATURES)


@pytest.mark.parametrize("state", list(EXPECTED))
def test_unpublished_process_allows_residents_nothing(state, users, calendar_process, travel):
    travel(MOMENTS["phase1"])
    process = calendar_process(published=False)
    # Switch everything on in every phase: publication alone must close it.
    for phase in process.phases:
        phase.features = {feature: True for feature in PHASE_FEATURES}
    travel(MOMENTS[state])
    got = {action: _decisions(users, action, process) for action in PHASE_FEATURES}
    assert got == EXPECTED_UNPUBLISHED


def test_view_and_manage_rights(users, calendar_process, travel):
    travel(MOMENTS["phase1"])
    published, unpublished = calendar_process(), calendar_process(published=False)
    assert _decisions(users, "process.view", published) == "xxxxx"
    assert _decisions(users, "process.view", unpublished) == "---xx"
    assert _decisions(users, "process.manage", None) == "---xx"


def test_actions_of_components_the_process_does_not_host_are_closed(users, make_process, travel):
    travel(MOMENTS["phase1"])
    # One phase covering today with every switch on.
    proposals_only = make_process(components=("proposals",))
    no_proposals = make_process(components=("surveys", "meetings", "reports"))
    assert {a: _decisions(users, a, proposals_only) for a in PHASE_FEATURES} == {
        "proposals.create":          "-x-xx",
        "proposals.support":         "-x-xx",
        "proposals.endorse":         "-x-xx",
        "proposals.comment":         "-x-xx",
        "proposals.answers_visible": "xxxxx",
        "surveys.answer":            "-----",
        "meetings.register":         "-----",
        "reports.create":            "-----",
    }
    assert {a: _decisions(users, a, no_proposals) for a in PHASE_FEATURES} == {
        "proposals.create":          "-----",
        "proposals.support":         "-----",
        "proposals.endorse":         "-----",
        "proposals.comment":         "-----",
        "proposals.answers_visible": "-----",
        "surveys.answer":            "-x-xx",
        "meetings.register":         "-x-xx",
        "reports.create":            "-x-xx",
    }


def test_targets_inside_a_process_use_its_phase(users, calendar_process, travel):
    """Rules take anything with a `.process` (a proposal, a meeting) as well as the process itself."""
    travel(MOMENTS["phase2"])
    process = calendar_process()

    class Proposal:  # stands in for a feature's model
        def __init__(self, process):
            self.process = process

    assert _decisions(users, "proposals.support", Proposal(process)) == "-x-xx"
    assert _decisions(users, "proposals.create", Proposal(process)) == "-----"
    assert _decisions(users, "proposals.support", None) == "-----"


def test_unknown_action_is_an_error(users):
    with pytest.raises(KeyError):
        can(users["admin"], "proposals.delete_everything")


def test_blocked_staff_and_admins_lose_every_right(make_user, calendar_process, travel):
    travel(MOMENTS["phase1"])
    process, hidden = calendar_process(), calendar_process(published=False)
    for role in ("staff", "admin"):
        user = make_user(role, blocked=True)
        assert not can(user, "process.manage")
        assert not can(user, "process.view", hidden)
        assert can(user, "process.view", process)  # as any visitor
        assert [can(user, action, process) for action in PHASE_FEATURES] == [False] * len(PHASE_FEATURES)
