"""Server time of the event inbox and lists with 100,000 events and 1,000,000 timeline entries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench \
        .venv/bin/python benchmarks/event_lists.py [--events 100000] [--requests 30]
    DATABASE_URL=... .venv/bin/python benchmarks/event_lists.py --small   # 300 events, 2 requests (the suite runs it)

Loads the demo street if the database is empty, then (once) adds synthetic events in
every state and level, ten timeline steps each, written with COPY: a year of closed and
cancelled events, and open ones from the last two weeks (a respond limit of 24 hours and
a resolve limit of 7 days, so part of them is overdue). Each URL is then
requested through Django's test client as a street official, a community leader, a grid
worker and a department member; prints the query count, median and p95 server time.

Rows go to COPY as plain values, so each is completed from the model's own fields
(default, NULL or empty text): a column added to the model later does not break the
load unless it has none of these, and then the error names it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

BENCH_NOTE = "benchmark"
STEPS_PER_EVENT = 10
# (status, level) mix of the synthetic events, with weights.
SHAPES = [
    (("closed", "community"), 40),
    (("closed", "department"), 15),
    (("cancelled", "community"), 5),
    (("reported", "community"), 8),
    (("accepted", "community"), 10),
    (("escalated", "street"), 3),
    (("accepted", "street"), 4),
    (("escalated", "department"), 5),
    (("accepted", "department"), 6),
    (("resolved", "community"), 4),
]


def complete(model: type, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for bulk.insert_rows, each column the benchmark does not set filled as a new object's would be:
    its default, else NULL, else empty text. A column with none of these must be given."""
    filled, required = {}, []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.has_default() or field.null or field.empty_strings_allowed:
            filled[field.attname] = field.get_default()
        else:
            required.append(field.attname)
    lacking = [name for name in required if any(name not in row for row in rows)]
    if lacking:
        raise ValueError(f"{model.__name__} rows need a value for {lacking}: the model gives no default")
    return [{**filled, **row} for row in rows]


def load(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from governance.models import Event, EventAssignment, EventCategory, EventStep
    from grids.models import Department, Grid, Post
    from grids.roster import bulk

    have = Event.objects.filter(address=BENCH_NOTE).count()
    if have >= count:
        print(f"{have} benchmark events already loaded")
        return
    rng = random.Random(5)
    grids = list(Grid.objects.values_list("pk", flat=True))
    categories = list(EventCategory.objects.values_list("pk", flat=True))
    departments = list(Department.objects.values_list("pk", flat=True))
    reporters = {grid: user for grid, user in Post.objects.filter(grid__isnull=False).values_list("grid_id", "user_id")}
    fallback = get_user_model().objects.get(username="admin").pk
    shapes, weights = zip(*SHAPES, strict=True)
    now = timezone.now()
    started = time.perf_counter()
    batch = 10_000
    with transaction.atomic():
        for offset in range(have, count, batch):
            events, plans = [], []
            for _ in range(offset, min(count, offset + batch)):
                status, level = rng.choices(shapes, weights)[0]
                grid = rng.choice(grids)
                open_ = status in ("reported", "accepted", "escalated")
                # A year of history; what is still open arrived in the last two weeks (some of it overdue).
                age_days = 14 if open_ or status == "resolved" else 365
                reported = now - datetime.timedelta(minutes=rng.randint(60, 60 * 24 * age_days))
                stage = reported + datetime.timedelta(hours=rng.randint(1, 24))
                events.append(
                    {
                        "grid_id": grid,
                        "category_id": rng.choice(categories),
                        "description": "楼道堆物，需要清理",
                        "address": BENCH_NOTE,
                        "latitude": None,
                        "longitude": None,
                        "urgency": "normal",
                        "source": "grid",
                        "solved_on_spot": False,
                        "status": status,
                        "level": level,
                        "previous_level": "community" if level != "community" else "",
                        "reported_by_id": reporters.get(grid, fallback),
                        "reported_at": reported,
                        "stage_started_at": stage,
                        "respond_due": stage + datetime.timedelta(hours=24)
                        if status in ("reported", "escalated")
                        else None,
                        "resolve_due": stage + datetime.timedelta(days=7) if status == "accepted" else None,
                        "due_at": None,
                        "result": "" if open_ else "已处理",
                        "failed_verifications": 0,
                        "supervised": False,
                        "closed_at": stage + datetime.timedelta(days=3) if status in ("closed", "cancelled") else None,
                        "version": STEPS_PER_EVENT,
                        "updated_at": stage,
                    }
                )
                events[-1]["due_at"] = events[-1]["respond_due"] or events[-1]["resolve_due"]
                plans.append((reported, level, status))
            ids = bulk.insert_rows(Event, complete(Event, events))
            steps, assignments = [], []
            for event_id, (reported, level, status) in zip(ids, plans, strict=True):
                for n in range(STEPS_PER_EVENT):
                    steps.append(
                        {
                            "event_id": event_id,
                            "action": "report" if n == 0 else "accept",
                            "by_id": fallback,
                            "at": reported + datetime.timedelta(hours=n),
                            "note": "处理记录",
                            "from_status": "",
                            "to_status": status,
                            "from_level": "",
                            "level": level,
                            "departments": "",
                        }
                    )
                if level == "department":
                    active = status != "closed"
                    assignments.append(
                        {
                            "event_id": event_id,
                            "department_id": rng.choice(departments),
                            "lead": True,
                            "assigned_at": reported,
                            "acknowledged_at": reported if status == "accepted" else None,
                            "acknowledged_by_id": None,
                            "active": active,
                        }
                    )
            bulk.insert_rows(EventStep, complete(EventStep, steps))
            bulk.insert_rows(EventAssignment, complete(EventAssignment, assignments))
            print(f"  {offset + len(ids)} events", flush=True)
    # As autovacuum would have done on a database in use: statistics and the visibility map
    # that index-only scans rely on.
    with connection.cursor() as cursor:
        for model in (Event, EventStep, EventAssignment):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    print(f"loaded events and {STEPS_PER_EVENT}× steps in {time.perf_counter() - started:.0f} s")


URLS = [
    "/events/?mine=1",
    "/events/",
    "/events/?page=500",
    "/events/?overdue=1",
    "/events/?status=accepted&category={category}",
    "/events/?grid={grid}",
    "/events/{event}/",
]
USERS = ["jiedao", "shuji1", "wangge1", "bumen1"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--small", action="store_true", help="a small street, 300 events, 2 requests (the suite)")
    args = parser.parse_args()
    events = args.events or (300 if args.small else 100_000)
    requests = args.requests or (2 if args.small else 30)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the benchmark.")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from governance.models import Event, EventCategory, EventStep
    from grids import access
    from grids.models import Street

    call_command("migrate", verbosity=0)
    if not Street.objects.exists():
        call_command("seed_demo", *(["--scale", "small"] if args.small else []), verbosity=0)
    load(events)
    settings.ALLOWED_HOSTS = ["testserver"]
    print(f"events: {Event.objects.count()}, timeline entries: {EventStep.objects.count()}")
    category = EventCategory.objects.get(name="环境卫生").pk
    for username in USERS:
        user = get_user_model().objects.get(username=username)
        client = Client()
        client.force_login(user)
        visible = access.scoped(user, Event.objects.filter(address=BENCH_NOTE))
        event = visible.order_by("-id").values_list("pk", flat=True).first()
        grid = visible.order_by("-id").values_list("grid_id", flat=True).first()
        print(f"as {username}:")
        for template in URLS:
            url = template.format(category=category, grid=grid, event=event)
            client.get(url)  # warm-up: templates, the calendar, the connection
            times = []
            for _ in range(requests):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (username, url, response.status_code)
            times.sort()
            p95 = times[max(0, round(len(times) * 0.95) - 1)]
            print(
                f"  {url:48s} queries={len(ctx.captured_queries):2d}  median={statistics.median(times):6.1f} ms  "
                f"p95={p95:6.1f} ms"
            )


if __name__ == "__main__":
    main()
