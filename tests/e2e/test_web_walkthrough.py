"""The product's walkthrough in a browser, with the keyboard alone, against the running system.

Chromium (Debian's) drives the web UI, which talks only to the rotation service's public API. After
every step that changes a schedule, the simulator's PagerDuty must show exactly the scheduler's
timeline; every page visited must pass axe-core without a serious or critical violation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from web_browser import (
    AXE_CORE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    activate,
    check_page,
    choose,
    is_focused,
    require_browser_files,
    tab_to,
    type_into,
)

from localsystem.api import ApiError, RotationApi
from localsystem.convergence import ScheduleFeed, wait_until_converged
from localsystem.pagerduty import PagerDutyView
from localsystem.system import LocalSystem
from localsystem.timelines import parse_instant
from localsystem.walkthrough import (
    future_shift,
    split_primary_backup,
    swappable_shifts,
    wait_for_new_schedules,
)
from oncall_platform.tokens import DEVELOPMENT_JWT_SECRET, mint_token
from oncall_testing.eventually import eventually_sync

pytestmark = pytest.mark.e2e

LEAD = "lead@example.com"
EUROPE_NAME, AMERICAS_NAME = "Follow the sun: Europe", "Follow the sun: Americas"
COMPARED = timedelta(days=40)
EUROPE = [("ana@example.com", "Ana"), ("ben@example.com", "Ben"), ("cleo@example.com", "Cleo")]
AMERICAS = [("dan@example.com", "Dan"), ("eve@example.com", "Eve"), ("fay@example.com", "Fay")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_browser_files()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE_CORE_JS))
    context.set_default_timeout(30_000)
    return context


@pytest.fixture(scope="module")
def api(local_system: LocalSystem) -> Iterator[RotationApi]:
    # Minted here with the system's secret, as the UI's development sign-in does (no CLI start-up).
    client = RotationApi(
        local_system.api_url, mint_token(local_system.config.jwt_secret or DEVELOPMENT_JWT_SECRET, LEAD)
    )
    yield client
    client.close()


@pytest.fixture(scope="module")
def pagerduty(local_system: LocalSystem) -> Iterator[PagerDutyView]:
    view = PagerDutyView(local_system.simulator_url, local_system.config.account.api_key)
    yield view
    view.close()


def assert_in_step(api: RotationApi, pagerduty: PagerDutyView, feeds: list[ScheduleFeed]) -> None:
    for comparison in wait_until_converged(api, pagerduty, feeds, COMPARED, timeout_s=90):
        assert comparison.expected, f"the scheduler shows nobody on call for {comparison.feed}"
        assert comparison.matches, comparison.explain()


def sign_in(page: Page, web_url: str, email: str) -> None:
    page.goto(web_url + "/")
    expect(page).to_have_url(re.compile(r"/signin"))
    check_page(page, "sign-in")
    field = page.get_by_label("E-mail address")
    assert is_focused(field), "the sign-in page puts the focus on its only field"
    page.keyboard.type(email)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Rotations", exact=True)).to_be_visible()


def create_rotation(page: Page, name: str, coverage: tuple[str, str], first_shift: str | None = None) -> str:
    activate(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="New rotation"))
    check_page(page, "new-rotation")
    type_into(page, page.get_by_label("Name", exact=True), name)
    if first_shift is not None:
        type_into(page, page.get_by_label("First shift starts"), first_shift)
    type_into(page, page.get_by_label("Covered from"), coverage[0])
    type_into(page, page.get_by_label("Covered until"), coverage[1])
    tab_to(page, page.get_by_label("Backup: a second person on call for every shift"))
    page.keyboard.press("Space")
    type_into(page, page.get_by_label("Plan ahead (days)"), "42")
    activate(page, page.get_by_role("button", name="Create rotation"))
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def add_members(page: Page, people: list[tuple[str, str]]) -> None:
    for email, name in people:
        activate(page, page.get_by_role("link", name="Add member"))
        check_page(page, "add-member")
        type_into(page, page.get_by_label("E-mail address"), email)
        type_into(page, page.get_by_label("Name", exact=True), name)
        with page.expect_navigation():
            page.keyboard.press("Enter")  # submits the form from its last text field
        expect(page.get_by_role("rowheader", name=re.compile(f"^{name}"))).to_be_visible()


def open_settings(page: Page) -> None:
    """The gear icon to the right of "Members" opens Rotation Settings."""
    members = page.locator("#members .section-head")
    gear = members.get_by_role("link", name="Rotation Settings")
    heading_box, gear_box = members.get_by_role("heading", name="Members").bounding_box(), gear.bounding_box()
    assert heading_box is not None
    assert gear_box is not None
    assert gear_box["x"] >= heading_box["x"] + heading_box["width"], "the gear is right of the heading"
    activate(page, gear)
    expect(page.get_by_role("heading", name="Rotation Settings", level=1)).to_be_visible()


def schedule_links(page: Page) -> dict[str, str]:
    """role -> href of the PagerDuty schedule links the sync status shows (it refreshes itself)."""
    links = page.locator("#sync-status a.schedule-link")
    return {
        links.nth(i).get_attribute("data-role") or "": links.nth(i).get_attribute("href") or ""
        for i in range(links.count())
    }


def wait_for_schedule_links(page: Page, roles: set[str], timeout_s: float = 60) -> dict[str, str]:
    """Without reloading: the status fragment polls the API and shows the links once the sync reports."""

    def shown() -> dict[str, str] | None:
        found = schedule_links(page)
        return found if roles <= found.keys() else None

    return eventually_sync(shown, within=timeout_s, what=f"the {sorted(roles)} schedule links", interval=0.5)


def test_the_walkthrough_in_a_browser(
    local_system: LocalSystem, browser: Browser, api: RotationApi, pagerduty: PagerDutyView
) -> None:
    web, account = local_system.web_url, local_system.config.account
    lead = new_context(browser)
    page = lead.new_page()
    sign_in(page, web, LEAD)

    # A rotation and its members, created in the UI; the start page lists it and opens it.
    europe = create_rotation(page, EUROPE_NAME, ("08:00", "20:00"))
    add_members(page, EUROPE)
    check_page(page, "rotation")
    activate(page, page.get_by_role("link", name="Rotations", exact=True).first)
    check_page(page, "rotations")
    activate(page, page.get_by_role("link", name=EUROPE_NAME))

    # The gear opens Rotation Settings, which names the administrators.
    open_settings(page)
    expect(page.locator("#administrators")).to_contain_text(LEAD)
    check_page(page, "rotation-settings")

    # Start PagerDuty Updates -> Set up PagerDuty sync (the default), with the rotation's name.
    activate(page, page.get_by_role("link", name="Start PagerDuty Updates"))
    expect(page.get_by_label("Set up PagerDuty sync")).to_be_checked()
    expect(page.get_by_label("Schedule name")).to_have_value(EUROPE_NAME)
    expect(page.get_by_label("PagerDuty API key")).to_have_attribute("type", "password")
    check_page(page, "pagerduty-setup")
    type_into(page, page.get_by_label("PagerDuty Subdomain"), account.subdomain)
    expect(page.get_by_label("US")).to_be_checked()
    type_into(page, page.get_by_label("PagerDuty API key"), account.api_key)
    known = {s["id"] for s in pagerduty.schedules()}
    activate(page, page.get_by_role("button", name="Save and update PagerDuty"))
    expect(page.get_by_role("heading", name="Rotation Settings", level=1)).to_be_visible()
    assert account.api_key not in page.content(), "the API key is never shown again"
    primary, backup = split_primary_backup(wait_for_new_schedules(pagerduty, known, count=2), EUROPE_NAME)
    assert backup is not None
    europe_feeds = [
        ScheduleFeed(primary, ((europe, "primary"),)),
        ScheduleFeed(backup, ((europe, "backup"),)),
    ]
    assert_in_step(api, pagerduty, europe_feeds)
    links = wait_for_schedule_links(page, {"primary", "backup"})
    assert links == {
        "primary": f"https://{account.subdomain}.pagerduty.com/schedules/{primary}",
        "backup": f"https://{account.subdomain}.pagerduty.com/schedules/{backup}",
    }
    check_page(page, "rotation-settings-synced")

    # A second rotation merges into the shared schedule: "Merge together with another rotation".
    americas = create_rotation(page, AMERICAS_NAME, ("20:00", "08:00"))
    add_members(page, AMERICAS)
    open_settings(page)
    activate(page, page.get_by_role("link", name="Start PagerDuty Updates"))
    tab_to(page, page.get_by_label("Set up PagerDuty sync"))
    page.keyboard.press("ArrowDown")  # the radio group: the second option
    expect(
        page.get_by_label("Merge together with another rotation into a single PagerDuty schedule")
    ).to_be_checked()
    expect(page.get_by_label("Schedule name")).to_be_hidden()
    choose(page, page.get_by_label("Other rotation to merge into PagerDuty schedule with"), europe)
    check_page(page, "pagerduty-merge")
    known = {s["id"] for s in pagerduty.schedules()}
    activate(page, page.get_by_role("button", name="Sync into shared PagerDuty Schedule"))
    expect(page.get_by_role("heading", name="Rotation Settings", level=1)).to_be_visible()
    merged = [
        ScheduleFeed(primary, ((europe, "primary"), (americas, "primary"))),
        ScheduleFeed(backup, ((europe, "backup"), (americas, "backup"))),
    ]
    assert_in_step(api, pagerduty, merged)
    assert {s["id"] for s in pagerduty.schedules()} == known, "a merge creates no new schedule"

    # Reassign a shift on the calendar: its backup takes the primary turn and the other way round.
    page.goto(f"{web}/rotations/{europe}")
    shift = future_shift(api, europe, not_before=timedelta(days=2))
    activate(page, page.locator(f'a[data-shift="{shift["id"]}"]'))
    check_page(page, "reassign-shift")
    choose(page, page.get_by_label("Primary"), shift["backup"])
    choose(page, page.get_by_label("Backup"), shift["primary"])
    activate(page, page.get_by_role("button", name="Save shift"))
    assert_in_step(api, pagerduty, merged)

    # Someone who is not an administrator sees the settings read-only, with the administrators named.
    other = new_context(browser)
    member_page = other.new_page()
    sign_in(member_page, web, "ana@example.com")
    member_page.goto(f"{web}/rotations/{europe}/settings")
    expect(member_page.get_by_role("note")).to_contain_text(f"only the administrators ({LEAD}) can")
    expect(member_page.get_by_role("link", name="Change PagerDuty configuration")).to_have_count(0)
    expect(member_page.locator("main input:not([type=hidden]), main select")).to_have_count(0)
    check_page(member_page, "rotation-settings-read-only")
    member_page.goto(f"{web}/rotations/{europe}")
    expect(member_page.get_by_role("link", name="Reassign", exact=False)).to_have_count(0)
    other.close()

    # A member asks for a swap of their shift; it changes hands (and PagerDuty) only once the other
    # holder accepts it on their "Shift requests" page.
    mine, theirs = swappable_shifts(api, europe, not_before=timedelta(days=2))
    asking = new_context(browser)
    asker = asking.new_page()
    sign_in(asker, web, mine["primary"])
    asker.goto(f"{web}/rotations/{europe}")
    activate(
        asker, asker.locator(f'a[href="/rotations/{europe}/shifts/{quote(mine["id"], safe="")}/request"]')
    )
    check_page(asker)
    tab_to(asker, asker.get_by_label("Request hand-over: someone takes this shift"))
    asker.keyboard.press("ArrowDown")  # the radio group: the next choice
    expect(asker.get_by_label("Request swap: exchange it with another shift")).to_be_checked()
    choose(asker, asker.get_by_label("Swap with the primary of"), theirs["id"])
    activate(asker, asker.get_by_role("button", name="Send request"))
    expect(asker.get_by_role("heading", name="Shift requests")).to_be_visible()
    check_page(asker)
    asking.close()
    assert_in_step(api, pagerduty, merged)  # nothing changed hands yet
    answering = new_context(browser)
    asked = answering.new_page()
    sign_in(asked, web, theirs["primary"])
    asked.goto(f"{web}/rotations/{europe}/requests")
    check_page(asked)
    activate(asked, asked.get_by_role("button", name="Accept"))
    expect(asked.get_by_text("No open requests.")).to_be_visible()
    answering.close()
    now = datetime.now(UTC)
    swapped = {s["id"]: s["primary"] for s in api.shifts(europe, now, now + timedelta(days=60))}
    assert (swapped[mine["id"]], swapped[theirs["id"]]) == (theirs["primary"], mine["primary"])
    assert_in_step(api, pagerduty, merged)

    # Change PagerDuty configuration -> Delete and stop PagerDuty updates (confirmed): both rotations
    # stop, the schedules stay as they were and later changes write nothing to them.
    page.goto(f"{web}/rotations/{europe}/settings")
    activate(page, page.get_by_role("link", name="Change PagerDuty configuration"))
    expect(page.get_by_label("PagerDuty API key")).to_have_value("")
    expect(page.get_by_text("leave empty to keep the current key")).to_be_visible()
    check_page(page, "pagerduty-change")
    activate(page, page.get_by_role("link", name="Delete and stop PagerDuty updates"))
    check_page(page, "pagerduty-delete")
    activate(page, page.get_by_role("button", name="Yes, delete and stop PagerDuty updates"))
    expect(page.get_by_role("link", name="Start PagerDuty Updates")).to_be_visible()
    for rotation_id in (europe, americas):
        with pytest.raises(ApiError) as gone:
            api.integration(rotation_id)
        assert gone.value.status_code == 404
    pause = len(pagerduty.requests())
    later = future_shift(api, europe, not_before=timedelta(days=3), index=1)
    api.reassign_shift(europe, later["id"], primary=later["backup"], backup=later["primary"])
    quiet_for(pagerduty, seconds=3.0)
    writes = [
        r
        for r in pagerduty.requests()[pause:]
        if r["method"] in {"POST", "PUT", "DELETE"} and (primary in r["path"] or backup in r["path"])
    ]
    assert writes == [], "a stopped sync writes nothing to its schedules"
    lead.close()


PAYMENTS_NAME = "Payments on call"
PAYMENTS = [
    ("gus@example.com", "Gus"),
    ("hana@example.com", "Hana"),
    ("ivo@example.com", "Ivo"),
    ("jun@example.com", "Jun"),
]


def start_own_sync(page: Page, pagerduty: PagerDutyView, account: Any, name: str) -> tuple[str, str]:
    """Rotation Settings -> Start PagerDuty Updates -> Set up PagerDuty sync; the new schedules' ids."""
    open_settings(page)
    activate(page, page.get_by_role("link", name="Start PagerDuty Updates"))
    type_into(page, page.get_by_label("PagerDuty Subdomain"), account.subdomain)
    type_into(page, page.get_by_label("PagerDuty API key"), account.api_key)
    known = {s["id"] for s in pagerduty.schedules()}
    activate(page, page.get_by_role("button", name="Save and update PagerDuty"))
    expect(page.get_by_role("heading", name="Rotation Settings", level=1)).to_be_visible()
    primary, backup = split_primary_backup(wait_for_new_schedules(pagerduty, known, count=2), name)
    assert backup is not None
    return primary, backup


def local_text(instant: str, zone: str) -> str:
    """An API instant as the UI's forms take it: "YYYY-MM-DD HH:MM" in the rotation's zone."""
    return parse_instant(instant).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def people_on_coming_shifts(api: RotationApi, rotation_id: str) -> set[str]:
    now = datetime.now(UTC)
    shifts = api.shifts(rotation_id, now, now + timedelta(days=42))
    coming = [s for s in shifts if parse_instant(s["start"]) >= now]
    return {person for s in coming for person in (s["primary"], s["backup"]) if person}


def test_editing_a_rotation_its_members_and_administrators_in_a_browser(
    local_system: LocalSystem, browser: Browser, api: RotationApi, pagerduty: PagerDutyView
) -> None:
    """What users do around the walkthrough, with the keyboard alone: after each change PagerDuty
    shows what the scheduler does."""
    web = local_system.web_url
    lead = new_context(browser)
    page = lead.new_page()
    sign_in(page, web, LEAD)
    # The first shift began three days before the rotation existed: it is the one on call now.
    began = (datetime.now(ZoneInfo("Europe/Berlin")) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    payments = create_rotation(page, PAYMENTS_NAME, ("08:00", "20:00"), first_shift=began)
    add_members(page, PAYMENTS)
    now = datetime.now(UTC)
    current = [
        s for s in api.shifts(payments, now, now + timedelta(minutes=1)) if parse_instant(s["start"]) <= now
    ]
    assert current, "the shift in progress is planned"
    assert current[0]["primary"], "the shift in progress is assigned once members joined"
    assert current[0]["backup"], "the shift in progress has its backup too"
    primary, backup = start_own_sync(page, pagerduty, local_system.config.account, PAYMENTS_NAME)
    feeds = [ScheduleFeed(primary, ((payments, "primary"),)), ScheduleFeed(backup, ((payments, "backup"),))]
    assert_in_step(api, pagerduty, feeds)

    # Edit the rotation: a narrower daily coverage window.
    page.goto(f"{web}/rotations/{payments}")
    activate(page, page.get_by_role("link", name="Edit rotation"))
    check_page(page, "edit-rotation")
    type_into(page, page.get_by_label("Covered until"), "18:00")
    activate(page, page.get_by_role("button", name="Save changes"))
    expect(page.get_by_role("heading", name=PAYMENTS_NAME, level=1)).to_be_visible()
    assert api.rotation(payments)["coverage"] == {"start": "08:00:00", "end": "18:00:00"}
    assert_in_step(api, pagerduty, feeds)

    # Mark the primary of a coming shift unavailable for that shift: it goes to someone else.
    shift = future_shift(api, payments, not_before=timedelta(days=2))
    away = shift["primary"]
    away_name = dict(PAYMENTS)[away]
    zone = api.rotation(payments)["time_zone"]
    activate(page, page.get_by_role("link", name=f"Mark {away_name} unavailable"))
    check_page(page, "mark-unavailable")
    type_into(page, page.get_by_label("From"), local_text(shift["start"], zone))
    type_into(page, page.get_by_label("Until"), local_text(shift["end"], zone))
    activate(page, page.get_by_role("button", name="Mark unavailable"))
    expect(page.get_by_role("heading", name=PAYMENTS_NAME, level=1)).to_be_visible()
    covered = next(
        s
        for s in api.shifts(payments, parse_instant(shift["start"]), parse_instant(shift["end"]))
        if s["id"] == shift["id"]
    )
    assert away not in (covered["primary"], covered["backup"]), "the unavailable member keeps no part of it"
    assert covered["primary"], "someone else took the shift"
    assert_in_step(api, pagerduty, feeds)

    # Remove a member: their coming shifts go to the others.
    leaving, leaving_name = PAYMENTS[-1]
    assert leaving in people_on_coming_shifts(api, payments)
    activate(page, page.get_by_role("button", name=f"Remove {leaving_name}"))
    expect(page.get_by_role("rowheader", name=re.compile(f"^{leaving_name}"))).to_have_count(0)
    check_page(page, "rotation-after-removal")
    assert leaving not in people_on_coming_shifts(api, payments)
    assert_in_step(api, pagerduty, feeds)

    # The administrators form: another member becomes an administrator and may change the settings.
    new_admin = PAYMENTS[0][0]
    open_settings(page)
    type_into(
        page, page.get_by_label("Administrators (e-mail addresses, comma-separated)"), f"{LEAD}, {new_admin}"
    )
    activate(page, page.get_by_role("button", name="Save administrators"))
    expect(page.locator("#administrators")).to_contain_text(new_admin)
    check_page(page, "rotation-settings-admins")
    assert sorted(api.rotation(payments)["admins"]) == sorted([LEAD, new_admin])
    other = new_context(browser)
    admin_page = other.new_page()
    sign_in(admin_page, web, new_admin)
    admin_page.goto(f"{web}/rotations/{payments}/settings")
    expect(admin_page.get_by_role("link", name="Change PagerDuty configuration")).to_be_visible()
    expect(admin_page.get_by_role("note")).to_have_count(0)
    other.close()
    lead.close()


def quiet_for(pagerduty: PagerDutyView, seconds: float, timeout_s: float = 60) -> None:
    """Until PagerDuty saw no request for `seconds` (the sync has nothing left to do)."""
    count, since = len(pagerduty.requests()), time.monotonic()

    def quiet() -> bool:
        nonlocal count, since
        now_count = len(pagerduty.requests())
        if now_count != count:
            count, since = now_count, time.monotonic()
        return time.monotonic() - since >= seconds

    eventually_sync(
        quiet, within=timeout_s, what=f"PagerDuty to see no request for {seconds:g} s", interval=0.3
    )
