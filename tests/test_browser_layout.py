"""What only a browser shows about page layout: gaps, hidden fields, boxes too narrow for
their text, dates broken over two lines. Phone (360 px) and desktop (1280 px)."""

from __future__ import annotations

import re

from tests import test_browser
from tests.test_browser import PHONE, RESULTS, _login, _no_horizontal_scroll

# The Chromium and demo-street fixtures of the main browser tests.
browser = test_browser.browser
demo = test_browser.demo

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}

# Lines of text an element is drawn on (a wrapped date is two).
LINES = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
}"""

# Whether an input's placeholder fits in the box (the browser cuts it off otherwise).
PLACEHOLDER_FITS = """(el) => {
  const style = getComputedStyle(el);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(el.placeholder).width <= room;
}"""


def _event_to_whistle():
    from governance.models import Event

    return (
        Event.objects.filter(status=Event.Status.ACCEPTED, level="community", grid__community__name="东风社区")
        .order_by("-reported_at")
        .first()
    )


def test_event_page_leaves_no_gap_under_the_facts_when_an_action_panel_opens(browser, live_server, demo):
    event = _event_to_whistle()
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    _login(page, live_server.url, "shequ1")
    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.get_by_role("button", name="吹哨").click()
    page.locator("#act-whistle").wait_for(state="visible")
    page.wait_for_timeout(500)  # the panel's opening transition
    info = page.locator(".event-info").bounding_box()
    timeline = page.locator(".event-timeline").bounding_box()
    actions = page.locator(".event-actions").bounding_box()
    page.screenshot(path=RESULTS / "shequ1-event-actions-open-1280.png", full_page=True)
    assert actions["height"] > info["height"] + timeline["height"], "the open panel should be the taller column"
    gap = timeline["y"] - (info["y"] + info["height"])
    assert 0 <= gap <= 24, f"{gap:.0f}px between the facts and the timeline"
    context.close()


def _department_boxes_visible(page) -> bool:
    return page.get_by_label("城管中队").is_visible()


def test_whistle_form_shows_departments_only_when_they_are_the_target(browser, live_server, demo):
    event = _event_to_whistle()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server.url, "shequ1")
    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.get_by_role("button", name="吹哨").click()
    page.locator("#act-whistle").wait_for(state="visible")
    assert not _department_boxes_visible(page), "nothing chosen yet"
    page.get_by_label("街道", exact=True).check()
    assert not _department_boxes_visible(page)
    assert not page.get_by_label("牵头部门").is_visible()
    page.get_by_label("部门", exact=True).check()
    assert _department_boxes_visible(page) and page.get_by_label("牵头部门").is_visible()
    page.screenshot(path=RESULTS / "shequ1-whistle-departments-360.png", full_page=True)
    page.get_by_label("街道", exact=True).check()
    assert not _department_boxes_visible(page)
    _no_horizontal_scroll(page)
    context.close()


def test_whistle_form_works_without_javascript(browser, live_server, demo):
    from governance.models import Event

    event = _event_to_whistle()
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    _login(page, live_server.url, "shequ1")
    page.goto(f"{live_server.url}/events/{event.pk}/")
    # Without JavaScript the action panels cannot be opened, so they are shown open.
    page.get_by_label("街道", exact=True).check()
    assert not _department_boxes_visible(page)
    page.get_by_label("部门", exact=True).check()
    assert _department_boxes_visible(page)
    page.get_by_label("城管中队").check()
    page.fill("#id_whistle-reason", "违法建设，需城管中队执法")
    page.screenshot(path=RESULTS / "shequ1-whistle-no-js-360.png", full_page=True)
    page.click("button[data-action=whistle]")
    page.wait_for_selector("text=已吹哨")
    event.refresh_from_db()
    assert (event.status, event.level) == (Event.Status.ESCALATED, "department")
    assert list(event.assignments.values_list("department__name", flat=True)) == ["城管中队"]
    context.close()


def _dates_on_one_line(page, selector: str, pattern: str) -> int:
    """Checks every visible element of `selector` whose text matches `pattern`; returns how many."""
    cells = page.locator(selector).filter(has_text=re.compile(pattern))
    checked = 0
    for i in range(cells.count()):
        cell = cells.nth(i)
        if cell.is_visible():
            assert cell.evaluate(LINES) == 1, f"{cell.inner_text()!r} is broken over lines"
            checked += 1
    return checked


def test_resident_filters_and_dates_fit_on_a_phone_and_a_tablet(browser, live_server, demo):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server.url, "shequ1")
    page.goto(f"{live_server.url}/residents/")
    age_from = page.locator("input[name=age_min]")
    assert age_from.get_attribute("placeholder") == "年龄从"
    assert age_from.evaluate(PLACEHOLDER_FITS), "the 年龄从 box cuts its placeholder off"
    assert page.locator("input[name=age_max]").evaluate(PLACEHOLDER_FITS)
    assert _dates_on_one_line(page, "#resident-rows .meta", r"· \d{4}$") > 10
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "shequ1-residents-filters-360.png", full_page=False)

    # Between phone and desktop widths the filters and the list still fit.
    for width in (800, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/residents/")
        assert age_from.evaluate(PLACEHOLDER_FITS), f"the 年龄从 box cuts its placeholder off at {width}px"
        checked = _dates_on_one_line(page, "#resident-rows td", r"^\d{4}-\d{2}-\d{2}$")
        checked += _dates_on_one_line(page, "#resident-rows .meta", r"· \d{4}$")
        assert checked > 10
        _no_horizontal_scroll(page)
        page.screenshot(path=RESULTS / f"shequ1-residents-{width}.png", full_page=False)
    context.close()


def test_grid_and_department_pages_fit_a_phone(browser, live_server, demo):
    from grids.models import Department, Grid

    grid = Grid.objects.get(name="东风社区第1网格")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server.url, "wangge1")
    page.goto(f"{live_server.url}/grids/{grid.pk}/")
    for section in ("居民", "未归档事件", "待走访", "最近动态"):
        assert page.get_by_role("heading", name=re.compile(f"^{section}")).is_visible(), section
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "wangge1-grid-sections-360.png", full_page=True)
    context.close()

    department = Department.objects.get(name="城管中队")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server.url, "chengguan1")
    page.goto(f"{live_server.url}/departments/{department.pk}/")
    assert page.get_by_role("heading", name=re.compile("^未归档的吹哨事件")).is_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "chengguan1-department-360.png", full_page=True)
    context.close()
