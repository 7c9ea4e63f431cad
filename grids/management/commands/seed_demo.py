"""Load the demo street: communities, grids, departments and demo accounts."""

from __future__ import annotations

import argparse
import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from grids.residents.demo import seed_residents
from grids.roster.importer import refresh_statistics
from grids.shared.seeders import SEEDERS
from grids.tree import actions
from grids.tree.models import Community, Department, Grid, Post, Role, Street
from grids.visits.demo import seed_visits

DEMO_PASSWORD = "demo-pass-2026"

COMMUNITIES = [
    ("440104001001", "东风社区", Community.Kind.COMMUNITY, 5),
    ("440104001002", "农林社区", Community.Kind.COMMUNITY, 4),
    ("440104001003", "执信社区", Community.Kind.COMMUNITY, 4),
    ("440104001201", "白云村", Community.Kind.VILLAGE, 3),
]

DEPARTMENTS = [
    ("D-PCS", "越秀路派出所"),
    ("D-SFS", "司法所"),
    ("D-CGZD", "城管中队"),
    ("D-SCJG", "市场监管所"),
    ("D-ZZB", "综治办"),
]

# username, full name, role, node code
ACCOUNTS = [
    ("admin", "陈志明", Role.STREET_ADMIN, "440104001"),
    ("jiedao", "李海燕", Role.STREET_OFFICIAL, "440104001"),
    ("shequ1", "王丽华", Role.COMMUNITY_STAFF, "440104001001"),
    ("shequ2", "赵建国", Role.COMMUNITY_STAFF, "440104001002"),
    ("wangge1", "刘小红", Role.GRID_WORKER, "440104001001-G01"),
    ("wangge2", "黄伟", Role.GRID_WORKER, "440104001002-G01"),
    ("bumen1", "周强", Role.DEPARTMENT_STAFF, "D-PCS"),
]

# Further staff so every community and grid has people on the tree pages.
EXTRA_STAFF = [
    ("shuji1", "孙秀英", Role.COMMUNITY_LEADER, "440104001001"),
    ("shuji2", "吴国强", Role.COMMUNITY_LEADER, "440104001002"),
    ("shuji3", "郑美玲", Role.COMMUNITY_LEADER, "440104001003"),
    ("shuji4", "冯德才", Role.COMMUNITY_LEADER, "440104001201"),
    ("wangge3", "何静", Role.GRID_WORKER, "440104001001-G02"),
    ("wangge4", "马军", Role.GRID_WORKER, "440104001003-G01"),
    ("wangge5", "林芳", Role.GRID_WORKER, "440104001201-G01"),
    ("wanggezhang1", "许文", Role.GRID_LEADER, "440104001001-G01"),
    ("tiaojie1", "高淑珍", Role.MEDIATOR, "440104001"),
    ("chengguan1", "罗志刚", Role.DEPARTMENT_STAFF, "D-CGZD"),
]


# Named sizes of the demo, as fractions of the usual one.
SCALES = {"small": 0.1, "full": 1.0}


def _scale(value: str) -> float:
    if value in SCALES:
        return SCALES[value]
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or one of {', '.join(SCALES)}: {value!r}") from None


class Command(BaseCommand):
    help = "Load the demo street (越秀路街道) with its communities, grids, departments and demo accounts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any street exists.")
        parser.add_argument(
            "--scale",
            type=_scale,
            default=1.0,
            help="Fraction of the usual residents and events to load, or 'small' for a tenth (as tests load).",
        )

    def handle(self, *args, if_empty: bool = False, scale: float = 1.0, **options) -> None:
        if not 0 < scale <= 1:
            raise CommandError("--scale must be above 0 and at most 1.")
        if Street.objects.exists():
            if if_empty:
                self.stdout.write("Database already has data; demo not loaded.")
                return
            raise CommandError("The database already has streets; seed_demo only loads into an empty database.")
        with transaction.atomic():
            self._load(scale)
        # Planner statistics for the new rows (autovacuum never analyzes the small tree tables).
        refresh_statistics()
        self.stdout.write(self.style.SUCCESS(f"Demo street loaded. Accounts use the password {DEMO_PASSWORD}."))

    def _load(self, scale: float) -> None:
        User = get_user_model()
        street = Street.objects.create(code="440104001", name="越秀路街道")
        for code, name, kind, grid_count in COMMUNITIES:
            community = Community.objects.create(street=street, code=code, name=name, kind=kind)
            for number in range(1, grid_count + 1):
                Grid.objects.create(
                    community=community,
                    code=f"{code}-G{number:02d}",
                    name=f"{name}第{number}网格",
                    kind=Grid.Kind.COMPREHENSIVE if number < grid_count or grid_count < 4 else Grid.Kind.DEDICATED,
                    household_target=180 + 40 * number,
                )
        for code, name in DEPARTMENTS:
            Department.objects.create(street=street, code=code, name=name)

        nodes: dict[str, object] = {street.code: street}
        for model in (Community, Grid, Department):
            nodes.update({n.code: n for n in model.objects.all()})

        start = timezone.localdate() - datetime.timedelta(days=365)
        admin = None
        # One hash for all demo accounts: hashing is deliberately slow.
        password = make_password(DEMO_PASSWORD)
        for username, full_name, role, node_code in ACCOUNTS + EXTRA_STAFF:
            user = User.objects.create(username=username, password=password, first_name=full_name)
            if username == "admin":
                # The site operator of the demo also reaches the system admin pages.
                user.is_staff = True
                user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
                admin = user
            actions.create_post(by=admin, user=user, role=role, node=nodes[node_code], start_date=start)
        assert Post.objects.count() == len(ACCOUNTS) + len(EXTRA_STAFF)
        seed_residents(households_per_grid=max(1, round(40 * scale)))
        seed_visits(scale=scale)
        for seeder in SEEDERS:
            seeder(scale=scale)
