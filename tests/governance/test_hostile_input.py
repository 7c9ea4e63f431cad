"""Every page, query parameter and form field of the portal (the admin included) takes
hostile input without a server error: NUL bytes, 100,000 characters, bytes that are not
UTF-8, numbers beyond 64 bits, negative numbers, impossible dates, emoji and the
characters SQL's LIKE and quoting care about.

The pages come from the URL resolver, so a new page is walked without being listed here.
The query parameters of a page are those its view reads (recorded while it runs) and
those its links and GET forms use; the form fields are those of every form the pages
show, posted with their CSRF token. A superuser walks every page, the admin's included
(for the admin pages of libraries' models, Django's users and groups and django-axes'
records, only the paths: their forms and filters are the libraries'); a grid worker and
an anonymous visitor walk the portal's. Each request runs in a savepoint that is rolled
back, so one request's changes do not steer the next. Values are chosen by the kind of
input (see VALUES) rather than as a full cross product, so the walk stays short.

The suite runs on PostgreSQL in CI (DATABASE_URL set); the last test then runs this
module once more on SQLite in a subprocess, the database of `make run`.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.signals import got_request_exception
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from governance.calendar.models import CalendarDay
from governance.events import actions as event_actions
from grids.residents import actions as resident_actions
from grids.residents.models import Household, PopulationTag, Resident
from grids.roster.models import RosterImport
from grids.tree.models import Post
from grids.visits import actions as visit_actions
from tests.conftest import default_category
from tests.grids.roster.test_import import xlsx

ROOT = Path(__file__).resolve().parents[2]
HUGE = "99999999999999999999999"
NUL = "a\x00b"
NOT_UTF8 = b"\xff\xfe\xfd"
NASTY_BUT_VALID = "😀🀄 % _ \\ ' 测试"
# Hostile values by the kind of input they are aimed at. Request k of a page or form gives
# each input the k-th value of its kind, so every input gets every value of its kind in as
# many requests as the longest list has values (not one request per input and value).
VALUES: dict[str, list[str]] = {
    # ids and numbers: beyond 64 bits either way, the year after which dates stop, not a number
    "id": [HUGE, "-" + HUGE, "9999", NASTY_BUT_VALID],
    "date": ["2024-02-30", "99999-12-31", HUGE, "x" * 1000],
    # LIKE's wildcards, a backslash and a quote with emoji; far too long
    "text": ["x" * 100_000, NASTY_BUT_VALID, HUGE, "-1"],
    # inputs whose kind the page does not show (a parameter only the view reads)
    "any": [HUGE, "-" + HUGE, "x" * 100_000, "2024-02-30", "9999", NASTY_BUT_VALID],
}
# NUL bytes and bytes that are not UTF-8 are refused before anything reads the request, so
# each page and form gets them once. Numbers beyond 64 bits also go to one id at a time
# while the other inputs keep working values: that is what gets past validation to a query.

# Values for the arguments in a path, by converter.
PATH_VALUES: dict[str, list[str]] = {
    "int": [HUGE, "0"],
    "slug": [HUGE, "x" * 300],
    "str": [HUGE, "-1", NASTY_BUT_VALID, "x" * 1000],
    "path": [HUGE, "-1", NASTY_BUT_VALID, "x" * 1000],
}
DIGITS = re.compile(r"^\d+$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def _kind_of(name: str, sample: str | None, input_type: str | None = None) -> str:
    if input_type == "date" or "date" in name or (sample and DATE.match(sample)):
        return "date"
    if input_type == "number" or (sample and DIGITS.match(sample)):
        return "id"
    if input_type in ("text", "textarea", "search", "email", "password", "tel"):
        return "text"
    return "any"


def _rounds(kinds: dict[str, str]) -> Iterator[list[tuple[str, str]]]:
    """Request by request, the value each input gets."""
    if not kinds:
        return
    for k in range(max(len(VALUES[kind]) for kind in kinds.values())):
        yield [(name, VALUES[kind][k % len(VALUES[kind])]) for name, kind in sorted(kinds.items())]


# --- finding parameters and forms -----------------------------------------------------

_reads: set[str] | None = None


@pytest.fixture
def recorded_reads(monkeypatch):
    """Record the names a view looks up in request.GET / request.POST."""

    def wrap(method):
        def recording(self, key, *args, **kwargs):
            if _reads is not None and isinstance(key, str):
                _reads.add(key)
            return method(self, key, *args, **kwargs)

        return recording

    for name in ("get", "getlist", "__getitem__", "__contains__"):
        monkeypatch.setattr(QueryDict, name, wrap(getattr(QueryDict, name)))


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name, value) as the browser would send
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type / select / textarea
    samples: dict[str, str] = field(default_factory=dict)  # name -> a value the page offers (an option)


class Page(HTMLParser):
    """Forms, links and their query parameters in one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "form":
            self._form = Form(method=a.get("method", "get").lower(), action=a.get("action", ""))
            self.forms.append(self._form)
        if self._form is None or not a.get("name") and tag in ("input", "select", "textarea"):
            return
        form = self._form
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                if kind == "submit" and a.get("name"):
                    form.kinds.setdefault(a["name"], kind)
                return
            form.kinds.setdefault(a["name"], kind)
            if a.get("value"):
                form.samples.setdefault(a["name"], a["value"])
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            form.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = (a["name"], "multiple" in a)
            self._options = []
            form.kinds.setdefault(a["name"], "select")
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""
            form.kinds.setdefault(a["name"], "textarea")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            name, multiple = self._select
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options if v][:1]
            offered = [v for v, _ in self._options if v]
            if offered:
                self._form.samples.setdefault(name, offered[0])
            self._form.fields += [(name, v) for v in (chosen if multiple else chosen[:1])]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, self._text.strip()))
            self._textarea = None


def _parse(body: bytes) -> Page:
    page = Page()
    page.feed(body.decode("utf-8", "replace"))
    return page


# --- the URL patterns -----------------------------------------------------------------


@dataclass
class Route:
    name: str
    parts: list[tuple[str, str | None]]  # (literal, None) or (converter, argument name)

    def path(self, values: dict[str, str | bytes]) -> str:
        out = ""
        for text, arg in self.parts:
            if arg is None:
                out += text
            else:
                value = values[arg]
                out += quote(value, safe="") if value else ""
        return "/" + out

    @property
    def args(self) -> list[tuple[str, str]]:
        return [(conv, arg) for conv, arg in self.parts if arg is not None]


_ROUTE_ARG = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")


def _route_parts(pattern: Any) -> list[tuple[str, str | None]] | None:
    if isinstance(pattern, RoutePattern):
        parts: list[tuple[str, str | None]] = []
        route, pos = str(pattern), 0
        for m in _ROUTE_ARG.finditer(route):
            parts.append((route[pos : m.start()], None))
            parts.append((m.group("conv") or "str", m.group("name")))
            pos = m.end()
        parts.append((route[pos:], None))
        return parts
    if isinstance(pattern, RegexPattern):
        # The admin's app index: ^(?P<app_label>auth|grids|...)/$
        regex = str(pattern).lstrip("^").rstrip("$")
        m = re.fullmatch(r"\(\?P<(\w+)>([\w|]+)\)/", regex)
        if m:
            return [("choice:" + m.group(2), m.group(1)), ("/", None)]
        m = re.fullmatch(r"\(\?P<(\w+)>\.\*\)", regex)
        if m:  # the admin's catch-all
            return [("path", m.group(1))]
        if re.fullmatch(r"[\w/.-]*", regex):
            return [(regex, None)]
    return None


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: list[tuple[str, str | None]], namespace: str) -> None:
        for p in patterns:
            parts = _route_parts(p.pattern)
            assert parts is not None, f"the walk does not know how to fill {p.pattern!r}: teach _route_parts"
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + parts, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern):
                found.append(Route(f"{namespace}{p.name or ''}", prefix + parts))

    walk(get_resolver().url_patterns, [], "")
    return found


# --- the data the pages show ----------------------------------------------------------


@pytest.fixture
def street(tree, personas, root, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    worker = personas["grid_worker"]
    tag = PopulationTag.objects.filter(is_active=True).first()
    resident = resident_actions.create_resident(
        by=root,
        data=resident_actions.ResidentData(
            name="张三", id_number="11010519491231002X", grid=tree.g11, phone="13800138000", tags=[tag] if tag else []
        ),
    )
    household = Household.objects.get(pk=resident.household_id)
    visit = visit_actions.log_visit(
        by=worker, household_id=household.pk, resident_id=resident.pk, visited_on=timezone.localdate(), findings="漏水"
    )
    category = default_category("市容")
    event = event_actions.report_event(
        by=worker,
        grid_id=tree.g11.pk,
        category_id=category.pk,
        description="占道经营",
        address="东风路8号",
        latitude=Decimal("23.130000"),
        longitude=Decimal("113.260000"),
        resident_ids=[resident.pk],
    )
    accepted = event_actions.report_event(
        by=worker, grid_id=tree.g11.pk, category_id=category.pk, description="垃圾", address="东风路9号"
    )
    event_actions.accept_event(by=personas["community_leader"], event_id=accepted.pk)
    jobs = {}
    for user in (root, personas["street_admin"], worker):
        job = RosterImport(
            user=user,
            original_name="roster.xlsx",
            status=RosterImport.Status.CHECKED,
            preview={"errors": [[2, "姓名", "缺少"]], "new": 1},
        )
        job.file.save("roster.xlsx", ContentFile(xlsx([["姓名"], ["张三"]])))
        jobs[user] = job
    CalendarDay.objects.create(date=datetime.date(2026, 10, 1), kind=CalendarDay.Kind.HOLIDAY, note="国庆")
    return {
        "resident": resident,
        "household": household,
        "visit": visit,
        "event": event,
        "accepted": accepted,
        "jobs": jobs,
        "post": Post.objects.filter(user=worker).first(),
        "tree": tree,
    }


def _ids(route: Route, street: dict[str, Any], user: Any) -> dict[str, str]:
    """Working values for a route's arguments (1 where the walk knows no object for it)."""
    tree = street["tree"]
    by_name = {
        "grids:street": tree.s1,
        "grids:community": tree.c1,
        "grids:grid": tree.g11,
        "grids:grid_edit": tree.g11,
        "grids:department": tree.d1,
        "grids:post_end": street["post"],
        "grids:visit_detail": street["visit"],
        "grids:visit_photo": street["visit"],
        "grids:roster_import": street["jobs"].get(user),
        "grids:roster_import_confirm": street["jobs"].get(user),
        "grids:roster_import_rejected": street["jobs"].get(user),
    }
    values: dict[str, str] = {}
    for conv, arg in route.args:
        if conv.startswith("choice:"):
            values[arg] = "grids"
        elif arg == "pk":
            obj = by_name.get(route.name)
            if obj is None and route.name.startswith("grids:resident"):
                obj = street["resident"]
            if obj is None and route.name.startswith("events:"):
                obj = street["accepted"] if route.name == "events:transition" else street["event"]
            values[arg] = str(obj.pk if obj is not None else 1)
        elif arg == "action":
            values[arg] = "cancel"
        elif arg == "size":
            values[arg] = "thumb"
        elif arg in ("object_id", "id"):
            model = _admin_model(route)
            first = model._default_manager.order_by("pk").first() if model else None
            values[arg] = str(first.pk) if first else "1"
        elif arg == "content_type_id":
            values[arg] = str(ContentType.objects.get_for_model(Resident).pk)
        else:
            values[arg] = "1"
    return values


def _admin_model(route: Route) -> Any:
    path = route.path({arg: "1" for _conv, arg in route.args})
    m = re.match(r"^/admin/(\w+)/(\w+)/", path)
    if not m:
        return None
    try:
        return apps.get_model(m.group(1), m.group(2))
    except LookupError:
        return None


# Parameters a view needs before it reads the others (the admin's autocomplete refuses
# a request that does not name a field).
SEEDS = {
    "admin:autocomplete": [("app_label", "grids"), ("model_name", "grid"), ("field_name", "community"), ("term", "东")],
    "events:resident_search": [("grid", "{g11}"), ("resident_q", "张")],
    "events:duplicates": [("grid", "{g11}"), ("category", "{category}"), ("address", "东风路8号")],
    "grids:visit_create": [("resident", "{resident}")],
    "events:create": [("visit", "{visit}")],
}


# --- the walk -------------------------------------------------------------------------


@dataclass
class Walk:
    client: Client
    persona: str
    failures: list[str]
    count: int = 0
    errors: list[str] = field(default_factory=list)

    def send(self, method: str, path: str, query: list[tuple[str, Any]], body: list[tuple[str, Any]] | None = None):
        global _reads
        url = path + ("?" + urlencode(query, doseq=False) if query else "")
        cookies = {name: morsel.value for name, morsel in self.client.cookies.items()}
        sid = transaction.savepoint()
        self.errors.clear()
        _reads = set()
        try:
            if method == "get":
                response = self.client.get(url)
            else:
                response = self.client.post(
                    url,
                    data=urlencode(body or [], doseq=False),
                    content_type="application/x-www-form-urlencoded",
                    HTTP_X_CSRFTOKEN=cookies.get("csrftoken", ""),
                )
            reads = _reads
        finally:
            _reads = None
            transaction.savepoint_rollback(sid)
            self.client.cookies.clear()
            for name, value in cookies.items():
                self.client.cookies[name] = value
        self.count += 1
        if response.status_code >= 500:
            shown = url if len(url) < 300 else url[:300] + "…"
            data = _short(body) if body else ""
            self.failures.append(
                f"{self.persona}: {method.upper()} {shown} {data} -> {response.status_code} {'; '.join(self.errors)}"
            )
        return response, reads


def _short(pairs: list[tuple[str, Any]]) -> str:
    return str([(k, (v[:20] + "…") if isinstance(v, str) and len(v) > 20 else v) for k, v in pairs])[:300]


def _fill(pairs: list[tuple[str, str]], street: dict[str, Any]) -> list[tuple[str, str]]:
    names = {
        "g11": street["tree"].g11.pk,
        "category": street["event"].category_id,
        "resident": street["resident"].pk,
        "visit": street["visit"].pk,
    }
    return [(k, v.format(**names)) for k, v in pairs]


def _same_page(href: str, path: str) -> list[tuple[str, str]]:
    """Query parameters of a link back to the same page."""
    parts = urlsplit(href)
    if parts.path not in ("", path) or not parts.query:
        return []
    return [(k, v) for k, v in QueryDict(parts.query).items()]


def _view(path: str) -> str:
    """Which code answers a path (the admin's views are one function for every model)."""
    try:
        func = resolve(urlsplit(path).path).func
    except Resolver404:
        return path
    return f"{func.__module__}.{func.__qualname__}"


def _fuzz_params(walk: Walk, path: str, kinds: dict[str, str], seeds: list[tuple[str, str]]) -> None:
    walk.send("get", path, [(name, NUL) for name in sorted(kinds)])
    for values in _rounds(kinds):
        walk.send("get", path, values)
    for name, kind in sorted(kinds.items()):
        if kind in ("id", "any"):
            walk.send("get", path, [*((k, v) for k, v in seeds if k != name), (name, HUGE)])


# A formset's management fields keep their values: Django bounds the number of forms
# (absolute_max), and building a thousand empty forms only makes the walk slow.
FIXED_FIELDS = re.compile(r"^csrfmiddlewaretoken$|-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")


def _fuzz_form(walk: Walk, form: Form, action: str) -> None:
    base = list(form.fields)
    fixed = [(k, v) for k, v in base if FIXED_FIELDS.search(k)]
    samples = {k: v for k, v in base}
    kinds = {
        name: _kind_of(name, form.samples.get(name) or samples.get(name), form.kinds[name])
        for name in form.kinds
        if not FIXED_FIELDS.search(name) and form.kinds[name] != "submit"
    }
    walk.send("post", action, [], fixed + [(name, NOT_UTF8) for name in sorted(kinds)])
    for values in _rounds(kinds):
        walk.send("post", action, [], fixed + values)
    for name, kind in sorted(kinds.items()):
        if kind == "id":
            # Added to a list of ticked boxes, in place of a single value.
            keep = [(k, v) for k, v in base if k != name or form.kinds[name] == "checkbox"]
            walk.send("post", action, [], keep + [(name, HUGE)])
    texts = sorted(name for name, kind in kinds.items() if kind == "text")
    if texts:
        walk.send(
            "post", action, [], [(k, v) for k, v in base if k not in texts] + [(k, NASTY_BUT_VALID) for k in texts]
        )


PROJECT_APPS = {"grids", "governance", "disputes", "services"}


def _ours(route: Route) -> bool:
    """Not an admin page of a library's models (Django's users and groups, django-axes'
    records): those get their paths walked, their forms and filters are the library's."""
    model = _admin_model(route)
    return model is None or model._meta.app_label in PROJECT_APPS


def _walk(walk: Walk, user: Any, street: dict[str, Any], admin: bool) -> None:
    done: set[tuple[str, ...]] = set()  # forms, parameter sets and path arguments already fuzzed
    walk_started = time.monotonic()
    for route in routes():
        if route.name.startswith("admin:") and not admin:
            continue
        if route.name in ("logout", "admin:logout"):
            continue  # logging out is tested elsewhere; here it would end the walk's session
        values = _ids(route, street, user)
        path = route.path(values)
        seeds = _fill(SEEDS.get(route.name, []), street)
        view = _view(path)
        response, reads = walk.send("get", path, seeds)
        page = _parse(response.content) if response.get("Content-Type", "").startswith("text/html") else Page()
        linked: dict[str, str] = {}
        for href in page.links:
            linked.update(_same_page(href, path))
        kinds = {name: _kind_of(name, linked.get(name)) for name in set(reads) | set(linked)}
        for form in page.forms:
            if form.method == "get" and (urlsplit(form.action).path or path) == path:
                kinds.update({n: _kind_of(n, form.samples.get(n), t) for n, t in form.kinds.items() if t != "submit"})
        if route.name.startswith("admin:"):
            # The admin's own parameters (_popup, o, p, _facets …) are Django's code, read on
            # every list: hostile values only, no id one at a time.
            kinds = {n: ("text" if k == "any" else k) for n, k in kinds.items()}
        kinds.pop("csrfmiddlewaretoken", None)
        key = ("params", view, *sorted(kinds))
        if kinds and key not in done and _ours(route):
            done.add(key)
            _fuzz_params(walk, path, kinds, seeds)
        for form in page.forms:
            action = urlsplit(form.action).path or path
            key = ("form", form.method, *sorted(form.kinds))
            if form.method != "post" or not action.startswith("/") or key in done or not _ours(route):
                continue
            done.add(key)
            _fuzz_form(walk, form, action)
        for conv, arg in route.args:
            walk.send("get", route.path({**values, arg: HUGE}), [])
            if ("path", view, conv) not in done:
                done.add(("path", view, conv))
                walk.send("post", route.path({**values, arg: HUGE}), [], [])
                for value in PATH_VALUES.get(conv, [])[1:]:
                    walk.send("get", route.path({**values, arg: value}), [])
                walk.send("get", route.path({**values, arg: NUL}), [])
                walk.send("post", route.path({**values, arg: NOT_UTF8}), [], [])
        if os.environ.get("FUZZ_TIMES"):
            print(f"{walk.count:5d} {time.monotonic() - walk_started:6.1f} {route.name}", file=sys.stderr)


@pytest.fixture
def exceptions() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        seen.append(f"{type(error).__name__}: {str(error)[:200]}")

    got_request_exception.connect(record)
    # Each refused request would otherwise print a warning, each error a traceback.
    quiet = [logging.getLogger(name) for name in ("django.request", "django.security", "axes")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    yield seen
    for logger, level in zip(quiet, levels, strict=True):
        logger.setLevel(level)
    got_request_exception.disconnect(record)


@pytest.mark.parametrize("persona", ["superuser", "grid_worker", "anonymous"])
def test_no_page_gives_a_server_error_on_hostile_input(persona, street, personas, root, recorded_reads, exceptions):
    user = {"superuser": root, "anonymous": None}.get(persona, personas.get(persona))
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    client.get("/" if user is not None else "/accounts/login/")
    assert "csrftoken" in client.cookies
    walk = Walk(client=client, persona=persona, failures=[], errors=exceptions)
    started = time.monotonic()
    _walk(walk, user, street, admin=persona == "superuser")
    print(f"{persona}: {walk.count} requests in {time.monotonic() - started:.1f} s")
    assert walk.count > len(routes())
    assert walk.failures == [], "\n".join(walk.failures[:60]) + f"\n({len(walk.failures)} in all)"


def test_the_walk_covers_every_page_and_knows_how_to_fill_it():
    names = {route.name for route in routes()}
    assert {"grids:resident_list", "events:transition", "admin:auth_user_change", "admin:app_list"} <= names


def test_on_sqlite_too():
    """CI runs the suite on PostgreSQL; `make run` uses SQLite, whose integers stop at 64 bits."""
    if not os.environ.get("DATABASE_URL"):
        pytest.skip("this run is on SQLite already")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_XDIST_WORKER")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-n", "0", "-k", "not sqlite", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
