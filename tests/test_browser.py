"""Browser tests in Debian's Chromium, driven by Playwright (never a downloaded browser).

Screenshots are saved under test-results/ for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import need_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = Path(__file__).resolve().parents[1] / "test-results"
PASSWORD = "demo-pass-2026"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "locale": "zh-CN"}


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    need_service("Chromium with Playwright", sync_playwright is not None and shutil.which(CHROMIUM) is not None)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are ordinary synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    RESULTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", verbosity=0, scale=0.1)


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _no_horizontal_scroll(page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]}px wide in a {widths[1]}px viewport"


def test_grid_worker_sees_their_grid_on_a_phone(browser, live_server, demo):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server.url, "wangge1")
    assert page.get_by_text("东风社区第1网格").first.is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "wangge1-home-360.png", full_page=True)

    page.get_by_text("东风社区第1网格").first.click()
    page.wait_for_url("**/grids/*/")
    assert page.get_by_role("heading", name="东风社区第1网格").is_visible()
    assert page.locator("main").get_by_text("刘小红").first.is_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "wangge1-grid-360.png", full_page=True)

    # The other community's grid is not reachable.
    response = page.goto(f"{live_server.url}/grids/?q=农林")
    assert response.status == 200
    assert page.get_by_text("农林社区第1网格").count() == 0
    _no_horizontal_scroll(page)
    context.close()


def test_street_admin_assigns_a_post_on_desktop(browser, live_server, demo):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, live_server.url, "admin")
    page.screenshot(path=RESULTS / "admin-home-1280.png", full_page=True)
    page.get_by_role("link", name="越秀路街道").first.click()
    page.wait_for_url("**/streets/*/")
    assert page.get_by_text("白云村").first.is_visible()
    page.screenshot(path=RESULTS / "admin-street-1280.png", full_page=True)

    page.goto(f"{live_server.url}/posts/new/")
    page.fill("#id_username", "shequ1")
    page.select_option("#id_role", "grid_leader")
    page.select_option("#id_node", label="东风社区 · 东风社区第2网格")
    page.screenshot(path=RESULTS / "admin-post-form-1280.png", full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_url("**/posts/")
    assert page.get_by_text("岗位已分配").is_visible()
    context.close()


def test_phone_menu_opens_and_street_page_fits(browser, live_server, demo):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server.url, "jiedao")
    page.click(".navbar-toggler")
    page.get_by_role("link", name="网格").first.wait_for(state="visible")
    page.get_by_role("link", name="越秀路街道").first.click()
    page.wait_for_url("**/streets/*/")
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "jiedao-street-360.png", full_page=True)
    context.close()


def test_community_staff_uploads_a_roster_sees_the_preview_and_confirms(browser, live_server, demo, tmp_path):
    import openpyxl
    from stdnum.cn.ric import calc_check_digit

    from grids.models import Resident

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["东风社区人口信息表"])
    ws.append(["姓名", "身份证号", "联系电话", "所属网格", "居住类型", "小区", "楼栋", "单元", "室"])
    people = []
    for i, name in enumerate(["欧阳明", "司马兰", "诸葛亮"]):
        first17 = f"44010419{70 + i}0101{300 + i * 2}"
        number = first17 + calc_check_digit(first17 + "0")
        people.append(number)
        ws.append([name, number, f"1380013800{i}", "东风社区第2网格", "户籍人口", "东风小区", "9", "1", f"10{i}"])
    ws.append(["错误行", "110105198005121230", "13800138000", "东风社区第2网格", "户籍人口"])
    path = tmp_path / "东风社区花名册.xlsx"
    wb.save(path)

    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server.url, "shequ1")
    page.goto(f"{live_server.url}/residents/import/")
    _no_horizontal_scroll(page)
    page.set_input_files("#id_file", str(path))
    page.click("main button[type=submit]")
    page.wait_for_url("**/residents/import/*/")
    assert page.get_by_text("校验码").first.is_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "shequ1-import-preview-360.png", full_page=True)
    page.check("#mode-valid")
    page.click("text=确认导入")
    page.wait_for_selector("text=已导入")
    page.screenshot(path=RESULTS / "shequ1-import-done-360.png", full_page=True)
    assert set(Resident.objects.filter(id_number__in=people).values_list("name", flat=True)) == {
        "欧阳明",
        "司马兰",
        "诸葛亮",
    }

    page.goto(f"{live_server.url}/residents/?q=oym")
    assert page.get_by_text("欧阳明").first.is_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "shequ1-residents-360.png", full_page=True)
    context.close()


def test_grid_worker_reports_with_a_photo_and_the_community_whistles_it_to_a_department(
    browser, live_server, demo, tmp_path
):
    from PIL import Image

    from governance.models import Event, EventPhoto

    photo = tmp_path / "现场.jpg"
    Image.new("RGB", (1200, 900), (90, 140, 60)).save(photo, "JPEG")

    phone = browser.new_context(
        **PHONE, geolocation={"latitude": 23.129163, "longitude": 113.264435}, permissions=["geolocation"]
    )
    page = phone.new_page()
    _login(page, live_server.url, "wangge1")
    page.goto(f"{live_server.url}/events/new/")
    page.get_by_text("地图位置（可选）").click()
    page.get_by_role("button", name="使用当前位置").click()
    page.wait_for_selector("text=已填入当前位置")
    assert page.input_value("#id_latitude") == "23.129163"
    _no_horizontal_scroll(page)
    page.select_option("#id_category", label="违章搭建")
    page.fill("#id_description", "天台新搭铁皮房，约二十平方米")
    page.fill("#id_address", "东风小区7栋天台")
    page.set_input_files("#id_photos", str(photo))
    page.screenshot(path=RESULTS / "wangge1-report-360.png", full_page=True)
    page.click("main button[type=submit]")
    # The form's own address (/events/new/) would match a glob; wait for the event's page.
    page.wait_for_url(re.compile(r"/events/\d+/$"))
    page.get_by_text("天台新搭铁皮房").first.wait_for()
    thumb = page.locator("img.event-thumb").first
    thumb.scroll_into_view_if_needed()  # thumbnails load lazily
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "wangge1-event-360.png", full_page=True)
    event = Event.objects.get(description__startswith="天台新搭铁皮房")
    assert EventPhoto.objects.filter(event=event).count() == 1
    assert (float(event.latitude), float(event.longitude)) == (23.129163, 113.264435)
    phone.close()

    staff = browser.new_context(**PHONE)
    page = staff.new_page()
    _login(page, live_server.url, "shequ1")
    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.get_by_role("button", name="受理").click()
    page.click("button[data-action=accept]")
    page.wait_for_selector("text=已受理")
    page.get_by_role("button", name="吹哨").click()
    page.get_by_label("部门", exact=True).check()
    page.get_by_label("城管中队").check()
    page.fill("#id_whistle-reason", "违法建设，需城管中队执法")
    page.screenshot(path=RESULTS / "shequ1-whistle-360.png", full_page=True)
    page.click("button[data-action=whistle]")
    page.wait_for_selector("text=已吹哨")
    _no_horizontal_scroll(page)
    page.screenshot(path=RESULTS / "shequ1-event-whistled-360.png", full_page=True)
    staff.close()

    event.refresh_from_db()
    assert (event.status, event.level) == (Event.Status.ESCALATED, "department")
    assert list(event.assignments.values_list("department__name", "lead")) == [("城管中队", True)]
    assert list(event.steps.values_list("action", flat=True)) == ["report", "accept", "whistle"]


@pytest.mark.parametrize(
    "username,paths",
    [
        (
            "admin",
            [
                "/",
                "/grids/",
                "/posts/",
                "/posts/new/",
                "/accounts/new/",
                "/residents/",
                "/residents/new/",
                "/residents/import/",
                "/residents/access-log/",
                "/events/",
                "/events/?mine=1",
                "/notifications/",
            ],
        ),
        (
            "wangge1",
            ["/", "/grids/", "/residents/", "/residents/new/", "/residents/import/", "/events/", "/events/new/"],
        ),
        ("bumen1", ["/", "/events/", "/notifications/"]),
    ],
)
def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, demo, username, paths):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, live_server.url, username)
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} is {widths[0]}px wide"
    context.close()
