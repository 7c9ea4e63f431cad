"""Requests per second and p95 of the main pages under the production server, next to a one-view app.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench \
        .venv/bin/python benchmarks/throughput.py [--requests 200] [--clients 4] [--workers 2]
    DATABASE_URL=... .venv/bin/python benchmarks/throughput.py --small   # 6 requests a page, 1 worker (the suite)

Starts two gunicorn servers on loopback in the same run, with the same workers: the portal
with DEBUG=0 (static files collected into a temporary folder; plain HTTP, so the HTTPS
redirect and secure cookies are switched off) and a Django app of one view that returns a
short page with no middleware and no database, the floor of what Django and gunicorn cost.
A load generator of a fixed number of threads, each with its own keep-alive connection,
sends a fixed number of requests to each page as a street official and a grid worker
(logged in through a session made beforehand), then to the one-view app; it prints
requests/s, median and p95 per page and the portal's requests/s as a share of the
one-view app's. An empty database gets the demo street first (small with --small).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

PAGES = [
    ("home", "/"),
    ("resident list", "/residents/"),
    ("event list", "/events/"),
    ("an event", "/events/{event}/"),
    ("to do", "/events/?mine=1"),
]
USERS = [("street official", "jiedao"), ("grid worker", "wangge1")]
# Sessions are made here and read by the server: both sign with this key.
SECRET_KEY = "throughput-benchmark-key-that-is-long-enough-for-the-deploy-check"

# The one-view app: gunicorn loads this module by name and calls one_view_app().
urlpatterns: list = []


def one_view_app():
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpResponse
    from django.urls import path

    settings.configure(
        DEBUG=False, SECRET_KEY="one-view", ALLOWED_HOSTS=["127.0.0.1"], ROOT_URLCONF=__name__, MIDDLEWARE=[]
    )
    django.setup()
    urlpatterns.append(path("", lambda request: HttpResponse("<!doctype html><title>ok</title><p>ok</p>")))
    return get_wsgi_application()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn on a free loopback port, stopped on exit."""

    def __init__(self, app: str, workers: int, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), "--worker-class", "sync", "--keep-alive", "30", "--log-level", "warning"]
        with open(log, "w") as out:
            self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        sys.exit(f"the server did not start:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def drive(port: int, url: str, cookie: str, requests: int, clients: int) -> tuple[float, list[float]]:
    """Send `requests` GETs over `clients` keep-alive connections; requests/s and each request's ms."""
    headers = {"Cookie": cookie, "Accept-Language": "zh-hans"} if cookie else {}
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    shares = [requests // clients + (1 if n < requests % clients else 0) for n in range(clients)]

    def client(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for _ in range(count):
                started = time.perf_counter()
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
                response.read()
                took = (time.perf_counter() - started) * 1000
                with lock:
                    times.append(took)
                    if response.status != 200:
                        failures.append(f"{url}: {response.status}")
        finally:
            connection.close()

    # Warm-up: each worker loads its templates and connection before the clock starts.
    threads = [threading.Thread(target=client, args=(1,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times.clear()
    threads = [threading.Thread(target=client, args=(share,)) for share in shares if share]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        sys.exit(f"requests failed: {failures[:5]}")
    return len(times) / seconds, sorted(times)


def p95(times: list[float]) -> float:
    return times[max(0, round(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, help="per page and user (default 200, 6 with --small)")
    parser.add_argument("--clients", type=int, help="concurrent connections (default 4, 2 with --small)")
    parser.add_argument("--workers", type=int, help="gunicorn workers of each server (default 2, 1 with --small)")
    parser.add_argument("--small", action="store_true", help="6 requests a page, a small street if empty (the suite)")
    args = parser.parse_args()
    requests = args.requests or (6 if args.small else 200)
    clients = args.clients or (2 if args.small else 4)
    workers = args.workers or (1 if args.small else 2)
    os.environ["SECRET_KEY"] = SECRET_KEY
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from governance.models import Event
    from grids import access
    from grids.models import Street

    call_command("migrate", verbosity=0)
    if not Street.objects.exists():
        call_command("seed_demo", *(["--scale", "small"] if args.small else []), verbosity=0)
    cookies, events = {}, {}
    for _, username in USERS:
        user = get_user_model().objects.get(username=username)
        client = Client()
        client.force_login(user)  # a session row the server reads like any other
        cookies[username] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        events[username] = access.scoped(user, Event.objects.all()).order_by("-id").values_list("pk", flat=True)[0]
    from django.db import connection

    connection.close()

    folder = Path(tempfile.mkdtemp())
    try:
        env = dict(
            os.environ,
            DEBUG="0",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_HSTS_SECONDS="0",
            STATIC_ROOT=str(folder / "static"),
            LOG_LEVEL="WARNING",
        )
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        portal = Server("governance.wsgi:application", workers, env, ROOT, folder / "portal.log")
        one_view = Server("throughput:one_view_app()", workers, env, ROOT / "benchmarks", folder / "one-view.log")
        with portal, one_view:
            print(f"gunicorn, {workers} sync workers each; {clients} clients, {requests} requests a page")
            floor, floor_times = drive(one_view.port, "/", "", requests, clients)
            print(
                f"{'one-view app':32s} {floor:7.1f} req/s  median={statistics.median(floor_times):6.1f} ms  "
                f"p95={p95(floor_times):6.1f} ms"
            )
            for role, username in USERS:
                for page, template in PAGES:
                    url = template.format(event=events[username])
                    rate, times = drive(portal.port, url, cookies[username], requests, clients)
                    print(
                        f"{role + ', ' + page:32s} {rate:7.1f} req/s  median={statistics.median(times):6.1f} ms  "
                        f"p95={p95(times):6.1f} ms  {rate / floor:6.1%} of the one-view app"
                    )
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
