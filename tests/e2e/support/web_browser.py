"""Driving Debian's Chromium with Playwright for the web UI's tests: keyboard-only steps, axe-core
checks on every page, and screenshots for the docs.

Chromium and axe-core come from `deploy/local/browser.sh install` (run by `make test`); without them
the browser tests fail with the command to run, they are never skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE_CORE_JS = Path(
    os.environ.get("AXE_CORE_JS", REPO / ".cache" / "axe-core" / "4.10.2" / "package" / "axe.min.js")
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Set WEB_SCREENSHOTS=1 to refresh docs/screenshots/ from a run of the walkthrough.
SCREENSHOTS = REPO / "docs" / "screenshots" if os.environ.get("WEB_SCREENSHOTS") else None
SERIOUS = {"serious", "critical"}


def require_browser_files() -> None:
    missing = [str(path) for path in (CHROMIUM, AXE_CORE_JS) if not path.exists()]
    if missing:
        raise AssertionError(f"missing {missing}: run `deploy/local/browser.sh install` (make test does)")


def is_focused(locator: Locator) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def tab_to(page: Page, locator: Locator, max_presses: int = 400) -> None:
    """Press Tab until `locator` has the focus: proves it is reachable with the keyboard alone."""
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if is_focused(locator):
            return
    raise AssertionError(f"{locator} cannot be reached with the Tab key")


def activate(page: Page, locator: Locator) -> None:
    """Tab to a link or button and press Enter; waits for the page it leads to."""
    tab_to(page, locator)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page: Page, locator: Locator, text: str) -> None:
    """Tab to a field, select what it holds and type `text` over it."""
    tab_to(page, locator)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def choose(page: Page, select: Locator, value: str, max_presses: int = 50) -> None:
    """Pick the option with `value` in a focused drop-down with the arrow keys."""
    tab_to(page, select)
    page.keyboard.press("Home")
    for _ in range(max_presses):
        if select.evaluate("element => element.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {value!r} in {select}")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page (axe is injected by the context)."""
    results: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))"""
    )
    return [v for v in results if v["impact"] in SERIOUS]


def check_page(page: Page, screenshot: str | None = None) -> None:
    """Every page the walkthrough visits: no serious accessibility violation, and every form control
    has an accessible name; optionally a screenshot for the docs."""
    violations = serious_violations(page)
    assert violations == [], f"axe-core on {page.url}: {violations}"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
                           && !(e.tagName === "BUTTON" && e.textContent.trim()))
              .map(e => e.outerHTML.slice(0, 120))"""
    )
    assert unlabelled == [], f"controls without a label on {page.url}: {unlabelled}"
    if SCREENSHOTS is not None and screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=True)
