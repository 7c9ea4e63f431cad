"""Server time of the resident list with a large roster.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench \
        .venv/bin/python benchmarks/resident_list.py [--requests 30]
    DATABASE_URL=... .venv/bin/python benchmarks/resident_list.py --small   # 2 requests a URL (the suite runs it)

Run benchmarks/roster_import.py first so the database holds ~100,000 residents (an empty
database gets the demo street, small with --small). Each
URL is requested through Django's test client as the street official `jiedao` (the whole
street through the access gate); prints the query count, median and
p95 server time per URL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

URLS = [
    "/residents/",
    "/residents/?page=500",
    "/residents/?q=zs",
    "/residents/?q=张",
    "/residents/?age_min=60&residence_type=registered",
    "/residents/?tag={tag}",
    "/residents/?grid={grid}&building=3",
    "/residents/?moved_out=all&page=1000",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int)
    parser.add_argument("--small", action="store_true", help="2 requests a URL, a small street if empty (the suite)")
    args = parser.parse_args()
    requests = args.requests or (2 if args.small else 30)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from grids.models import Grid, PopulationTag, Resident, Street

    call_command("migrate", verbosity=0)
    if not Street.objects.exists():
        call_command("seed_demo", *(["--scale", "small"] if args.small else []), verbosity=0)
    settings.ALLOWED_HOSTS = ["testserver"]
    print(f"residents in the database: {Resident.objects.count()}")
    client = Client()
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="jiedao"))
    tag = PopulationTag.objects.get(name="独居老人").pk
    grid = Grid.objects.order_by("code").first().pk
    for template in URLS:
        url = template.format(tag=tag, grid=grid)
        times = []
        for _ in range(requests):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
        times.sort()
        p95 = times[max(0, round(len(times) * 0.95) - 1)]
        print(
            f"{url:55s} queries={len(ctx.captured_queries):2d}  median={statistics.median(times):6.1f} ms  "
            f"p95={p95:6.1f} ms"
        )


if __name__ == "__main__":
    main()
