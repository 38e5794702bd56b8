from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oncall_web import presenters

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def shift(start: datetime, days: float, primary: str | None, backup: str | None = None) -> dict[str, object]:
    end = start + timedelta(days=days)
    return {
        "id": start.isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "primary": primary,
        "backup": backup,
        "conflict": False,
        "pinned": False,
    }


def entry(start: datetime, hours: float, email: str) -> dict[str, str]:
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat(), "email": email}


def test_load_counts_shifts_and_the_hours_the_timelines_give() -> None:
    members = [{"email": "ana@x.io", "name": "Ana"}, {"email": "ben@x.io", "name": "Ben"}]
    shifts = [
        shift(NOW, 7, "ana@x.io", "ben@x.io"),
        shift(NOW + timedelta(days=7), 7, "ben@x.io", "ana@x.io"),
    ]
    primary = [
        entry(NOW, 12, "ana@x.io"),
        entry(NOW + timedelta(days=1), 12, "ana@x.io"),
        entry(NOW, 3, "zed@x.io"),
    ]
    loads = presenters.member_load(members, shifts, primary, [entry(NOW, 1.5, "ben@x.io")])
    assert [(x.email, x.primary_shifts, x.backup_shifts, x.primary_hours, x.backup_hours) for x in loads] == [
        ("ana@x.io", 1, 1, 24.0, 0.0),
        ("ben@x.io", 1, 1, 0.0, 1.5),
    ]


def test_the_calendar_groups_by_local_week_and_marks_now_and_mine() -> None:
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    shifts = [
        shift(monday, 3.5, "ana@x.io"),
        shift(monday + timedelta(days=3.5), 3.5, "ben@x.io"),
        shift(monday + timedelta(days=7), 7, None),
    ]
    weeks = presenters.calendar(shifts, "Europe/Berlin", NOW, "ben@x.io", {"ana@x.io": "Ana"})
    assert [w.label for w in weeks] == ["30 Nov 2026", "7 Dec 2026"]
    assert [(s.now, s.mine) for s in weeks[0].shifts] == [(True, False), (False, True)]
    assert [(s.starts, s.primary_name) for s in weeks[0].shifts] == [
        ("Mon 30 Nov 09:00", "Ana"),
        ("Thu 3 Dec 21:00", "ben@x.io"),
    ]
    assert weeks[1].shifts[0].primary_name == "unassigned"
    assert presenters.when(monday, "Europe/Berlin") == "Mon 30 Nov 09:00"


def test_who_is_on_call_now() -> None:
    timeline = [
        entry(NOW - timedelta(hours=1), 2, "ana@x.io"),
        entry(NOW + timedelta(hours=1), 2, "ben@x.io"),
    ]
    assert presenters.who_is_on_call(timeline, NOW) == "ana@x.io"
    assert presenters.who_is_on_call(timeline, NOW + timedelta(hours=5)) is None


def test_sync_state_says_whom_it_waits_for() -> None:
    waiting = presenters.sync_state({"schedules": [], "last_error": None}, ["lead@x.io"])
    assert (waiting.level, waiting.waiting_for) == ("waiting", "the sync service to create the schedule")
    broken = presenters.sync_state(
        {
            "schedules": [{"schedule_id": "P1"}],
            "last_error": {"reason": "the API key was refused", "retryable": False},
        },
        ["lead@x.io"],
    )
    assert broken.level == "error"
    assert "the API key was refused" in broken.headline
    assert broken.waiting_for == "an administrator (lead@x.io) to fix the configuration"
    ok = presenters.sync_state({"schedules": [{"schedule_id": "P1"}], "last_error": None}, [])
    assert (ok.level, ok.waiting_for) == ("ok", None)


def test_sync_state_names_the_people_without_a_pagerduty_user() -> None:
    integration = {
        "schedules": [],
        "last_error": {"reason": "User PX not found", "retryable": False},
        "waiting_for": [
            {
                "email": "ana@x.io",
                "name": "Ana",
                "provisioning": "pending",
                "reason": None,
                "retryable": None,
            },
            {
                "email": "ben@x.io",
                "name": None,
                "provisioning": "failed",
                "reason": "seat limit",
                "retryable": False,
            },
        ],
    }
    state = presenters.sync_state(integration, ["lead@x.io"])
    assert (state.level, state.waiting_for) == ("waiting", "2 people to get a PagerDuty user")
    assert presenters.awaited_people(integration) == [
        presenters.AwaitedPerson("Ana (ana@x.io)", "their PagerDuty user is being created"),
        presenters.AwaitedPerson(
            "ben@x.io",
            "PagerDuty could not create their user: seat limit (an administrator needs to fix this)",
        ),
    ]


def test_durations_and_ages_in_words() -> None:
    assert presenters.hours_text(presenters.duration("P7D")) == "7 days"
    assert presenters.hours_text(presenters.duration("PT84H")) == "3 days 12 h"
    assert presenters.hours_text(timedelta(0)) == "0 h"
    assert presenters.ago(NOW - timedelta(minutes=3), NOW) == "3 min ago"
    assert presenters.ago(None, NOW) == "never"
