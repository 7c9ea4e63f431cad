"""A Celery worker whose roster steps go slowly (small batches, a pause before each), so
a test can kill it in the middle of one: `python -m tests.grids.roster.slow_worker worker …`.

SLOW_BATCH rows per batch (default 20), SLOW_PAUSE seconds before each (default 0.1).
"""

from __future__ import annotations

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
django.setup()

from celery.__main__ import main  # noqa: E402 - after Django is set up

from grids.roster import importer  # noqa: E402

importer.BATCH = int(os.environ.get("SLOW_BATCH", "20"))
_pause = float(os.environ.get("SLOW_PAUSE", "0.1"))
_process_batch = importer._process_batch


def _slow_batch(rows, ctx, report, *, write):
    time.sleep(_pause)
    _process_batch(rows, ctx, report, write=write)


importer._process_batch = _slow_batch

if __name__ == "__main__":
    sys.argv = ["celery", "-A", "governance", *sys.argv[1:]]
    sys.exit(main())
