"""Page weight on a phone under the production server: what a grid worker's pages cost in bytes
over the wire, on a first visit with an empty cache and on a repeat visit.

Chromium at 360 px logs in as `wangge1` on a small demo street served by gunicorn with DEBUG=0
and collected static files, and counts every byte received (headers and compressed bodies, from
the DevTools protocol's Network.loadingFinished). Budgets: 200 KB first, 30 KB repeat.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command

from tests.conftest import need_service
from tests.production_server import production_server
from tests.test_browser import CHROMIUM, CHROMIUM_FLAGS, PASSWORD, PHONE, _login

FIRST_BUDGET = 200 * 1024
REPEAT_BUDGET = 30 * 1024
# What the TLS-terminating proxy adds to every request it forwards.
PROXIED = {"X-Forwarded-Proto": "https"}


def _transferred(page, cdp, url: str) -> tuple[int, list[str]]:
    """Bytes received while loading `url` until the network is idle, and what came over the wire
    (a response taken from the cache counts 0 bytes)."""
    received: dict[str, int] = {}
    urls: dict[str, str] = {}

    def sent(event):
        urls[event["requestId"]] = event["request"]["url"]

    def finished(event):
        received[event["requestId"]] = received.get(event["requestId"], 0) + int(event["encodedDataLength"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    try:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
    finally:
        cdp.remove_listener("Network.requestWillBeSent", sent)
        cdp.remove_listener("Network.loadingFinished", finished)
    over_wire = [f"{urls.get(rid, rid)} {size}" for rid, size in received.items() if size]
    return sum(received.values()), over_wire


@pytest.mark.django_db(transaction=True)
def test_a_grid_workers_pages_are_light_on_a_phone(tmp_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    need_service("Chromium with Playwright", sync_playwright is not None and shutil.which(CHROMIUM) is not None)
    call_command("seed_demo", verbosity=0, scale=0.1)
    # The tests hash passwords with MD5 for speed; the production settings do not read MD5.
    hasher = PBKDF2PasswordHasher()
    get_user_model().objects.filter(username="wangge1").update(password=hasher.encode(PASSWORD, hasher.salt()))

    from governance.events.models import Event
    from grids.visits.models import Visit

    event = Event.objects.filter(grid__name="东风社区第1网格").order_by("pk").first()
    visit = Visit.objects.filter(grid__name="东风社区第1网格").order_by("pk").first()
    assert event is not None and visit is not None
    paths = {
        "home": "/",
        "report form": "/events/new/",
        "to-do list": "/events/?mine=1",
        "event page": f"/events/{event.pk}/",
        "visit page": f"/visits/{visit.pk}/",
        "resident list": "/residents/",
    }

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    figures = {}
    with production_server(tmp_path) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            context = browser.new_context(**PHONE, extra_http_headers=PROXIED)
            page = context.new_page()
            _login(page, server.url, "wangge1")
            signed_in = context.storage_state()
            context.close()

            for name, path in paths.items():
                # A new context each time: the session cookie, and an empty HTTP cache.
                context = browser.new_context(**PHONE, extra_http_headers=PROXIED, storage_state=signed_in)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                first = _transferred(page, cdp, server.url + path)
                assert page.url == server.url + path, f"{name}: ended on {page.url}"
                repeat = _transferred(page, cdp, server.url + path)
                figures[name] = (path, first, repeat)
                context.close()
        finally:
            browser.close()

    for name, (path, first, repeat) in figures.items():
        print(
            f"{name:14} {path:22} first {first[0] / 1024:5.1f} KB in {len(first[1]):2} responses,"
            f" repeat {repeat[0] / 1024:5.1f} KB in {len(repeat[1]):2}"
        )
    for name, (path, first, repeat) in figures.items():
        assert first[0] <= FIRST_BUDGET, f"{name} ({path}): {first[0]} bytes on a first visit: {first[1]}"
        assert repeat[0] <= REPEAT_BUDGET, f"{name} ({path}): {repeat[0]} bytes on a repeat visit: {repeat[1]}"
        # Static files come under hashed names, cached for long: a repeat visit asks for none again.
        assert not [line for line in repeat[1] if "/static/" in line], f"{name}: {repeat[1]}"
