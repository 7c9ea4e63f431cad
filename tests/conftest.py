"""Shared fixtures: one street with two communities and their grids, a second street
outside everyone's scope, and personas holding each role.

REQUIRE_SERVICES=1 (set by .ci/run) turns a missing PostgreSQL, Redis, Celery
worker or Chromium into a failure instead of a skip.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from grids.models import Community, Department, Grid, Role, Street
from grids.tree import actions

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
ROOT = Path(__file__).resolve().parents[1]


def need_service(what: str, available: bool) -> None:
    """Skip when a service is missing, unless the run requires services."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Tree:
    s1: Street
    c1: Community
    c2: Community
    g11: Grid
    g12: Grid
    g21: Grid
    d1: Department
    d2: Department
    s2: Street
    c3: Community
    g31: Grid
    d3: Department

    def nodes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _restore_migration_data() -> None:
    """Rows the data migrations add (population tags, event categories) are gone after a
    transactional test flushed the tables earlier in the same process: add them again."""
    import importlib

    from django.apps import apps

    from governance.models import EventCategory
    from grids.models import PopulationTag

    if not PopulationTag.objects.exists():
        importlib.import_module("grids.migrations.0003_default_tags").add_tags(apps, None)
    if not EventCategory.objects.exists():
        importlib.import_module("governance.migrations.0002_default_categories").add(apps, None)


@pytest.fixture
def tree(db) -> Tree:
    _restore_migration_data()
    s1 = Street.objects.create(code="S1", name="越秀路街道")
    c1 = Community.objects.create(street=s1, code="C1", name="东风社区")
    c2 = Community.objects.create(street=s1, code="C2", name="农林社区")
    s2 = Street.objects.create(code="S2", name="白云路街道")
    c3 = Community.objects.create(street=s2, code="C3", name="白云社区")
    return Tree(
        s1=s1,
        c1=c1,
        c2=c2,
        g11=Grid.objects.create(community=c1, code="G11", name="东风第一网格"),
        g12=Grid.objects.create(community=c1, code="G12", name="东风第二网格"),
        g21=Grid.objects.create(community=c2, code="G21", name="农林第一网格"),
        d1=Department.objects.create(street=s1, code="D1", name="派出所"),
        d2=Department.objects.create(street=s1, code="D2", name="司法所"),
        s2=s2,
        c3=c3,
        g31=Grid.objects.create(community=c3, code="G31", name="白云第一网格"),
        d3=Department.objects.create(street=s2, code="D3", name="白云派出所"),
    )


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "root-pass-2026")


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password="test-pass-2026", first_name=username)


def give_post(root, user, role: str, node, *, start: datetime.date | None = None, end: datetime.date | None = None):
    return actions.create_post(
        by=root, user=user, role=role, node=node, start_date=start or timezone.localdate(), end_date=end
    )


# persona name → (role, node attribute on Tree); outsider holds no post.
PERSONAS = {
    "street_admin": (Role.STREET_ADMIN, "s1"),
    "street_official": (Role.STREET_OFFICIAL, "s1"),
    "community_leader": (Role.COMMUNITY_LEADER, "c1"),
    "community_staff": (Role.COMMUNITY_STAFF, "c2"),
    "grid_leader": (Role.GRID_LEADER, "g11"),
    "grid_worker": (Role.GRID_WORKER, "g11"),
    "department_staff": (Role.DEPARTMENT_STAFF, "d1"),
    "mediator": (Role.MEDIATOR, "s1"),
    "outsider": (None, None),
}


@pytest.fixture
def personas(tree, root) -> dict[str, object]:
    users = {}
    for name, (role, node_name) in PERSONAS.items():
        user = make_user(name)
        if role is not None:
            give_post(root, user, role, getattr(tree, node_name))
        users[name] = user
    return users


def fresh(user):
    """The same user as a new object, as the next request would load it."""
    return get_user_model().objects.get(pk=user.pk)


@contextmanager
def celery_worker(env: dict[str, str], log_path: Path) -> Iterator[tuple[str, Callable[[], str]]]:
    """Run a real Celery worker process on a queue of its own.

    Yields the queue name and a function returning the worker's log so far (for
    assertion messages). The worker is stopped on exit.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log = open(log_path, "w+")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "governance",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def read_log() -> str:
        log.flush()
        log.seek(0)
        return log.read()[-3000:]

    try:
        yield queue, read_log
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def default_category(name: str):
    """An event category the migrations add; re-added if a transactional test emptied the tables."""
    import importlib

    from django.apps import apps

    from governance.models import EventCategory

    if not EventCategory.objects.filter(name=name).exists():
        importlib.import_module("governance.migrations.0002_default_categories").add(apps, None)
    return EventCategory.objects.get(name=name)
