"""Roster import benchmark: our import path against django-import-export's default ModelResource.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench \
        .venv/bin/python benchmarks/roster_import.py [--rows 100000] [--baseline-rows 5000]
    DATABASE_URL=... .venv/bin/python benchmarks/roster_import.py --small   # 300 rows, 50 (the suite runs it)

Creates (or reuses) the database, loads the demo street, generates a 20-column roster
with valid synthetic people across the demo grids, then in separate processes (so that
each peak memory figure is that step's own):

1. imports it through the portal's code path (grids.roster.importer.run, write=True);
2. imports the same file again (every row unchanged);
3. imports the same people through a plain import_export ModelResource (the default
   configuration) -- on --baseline-rows rows, because it is too slow for the whole file --
   and prints the throughput ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

HEADER = [
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "民族",
    "联系电话",
    "所属网格",
    "居住类型",
    "小区",
    "楼栋",
    "单元",
    "室",
    "户号",
    "与户主关系",
    "政治面貌",
    "标签",
    "迁出日期",
    "备注",
    "工作单位",
    "文化程度",
]


def setup_django():
    import django

    django.setup()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int) -> None:
    import datetime

    from openpyxl import Workbook
    from stdnum.cn.ric import calc_check_digit

    from grids.models import Grid
    from grids.residents.demo import GIVEN, SURNAMES, synthetic_id

    rng = random.Random(7)
    grids = [g.name for g in Grid.objects.order_by("code")]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("人口信息")
    ws.append(["越秀路街道人口信息表"])
    ws.append(HEADER)
    for i in range(rows):
        sex = "M" if i % 2 else "F"
        birth = f"{1940 + i % 80}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        number = synthetic_id(datetime.date.fromisoformat(birth), 100000 + i, sex)
        # Serial numbers wrap: make the ID unique through the region digits instead.
        number = f"{110101 + i // 500:06d}" + number[6:17]
        number += calc_check_digit(number + "0")
        ws.append(
            [
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                number,
                "男" if sex == "M" else "女",
                birth,
                "汉族",
                f"13{i % 10}{rng.randint(0, 99999999):08d}",
                grids[i % len(grids)],
                rng.choice(["户籍人口", "常住人口", "流动人口"]),
                "东风小区",
                str(i % 30 + 1),
                str(i % 3 + 1),
                f"{i % 9 + 1}0{i % 4 + 1}",
                f"H{i // 3:06d}",
                "户主" if i % 3 == 0 else "配偶",
                "群众",
                "独居老人" if i % 50 == 0 else "",
                "",
                "",
                "某单位",
                "本科",
            ]
        )
    wb.save(path)


def run_ours(path: Path) -> dict:
    from django.contrib.auth import get_user_model

    from grids.roster import importer

    user = get_user_model().objects.get(username="admin")
    started = time.perf_counter()
    with open(path, "rb") as fileobj:
        report = importer.run(fileobj, user=user, write=True)
    seconds = time.perf_counter() - started
    return {
        "rows": report.total,
        "new": report.new,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "seconds": round(seconds, 2),
        "rows_per_s": round(report.total / seconds),
        "peak_mb": round(peak_mb()),
    }


def run_baseline(path: Path, limit: int) -> dict:
    """django-import-export's default configuration: a plain ModelResource, row by row."""
    import datetime

    import tablib
    from django.db import transaction
    from import_export import resources
    from python_calamine import CalamineWorkbook

    from grids.models import Grid, Household, Resident

    class PlainResidentResource(resources.ModelResource):
        class Meta:
            model = Resident
            import_id_fields = ["id_number"]
            fields = [
                "name",
                "id_number",
                "birth_date",
                "sex",
                "phone",
                "ethnicity",
                "grid",
                "household",
                "residence_type",
                "relation",
                "political_status",
                "note",
            ]

    grids = {g.name: g.pk for g in Grid.objects.all()}
    household, _ = Household.objects.get_or_create(grid_id=next(iter(grids.values())), estate="基线小区")
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    data = tablib.Dataset(headers=PlainResidentResource.Meta.fields)
    for index, row in enumerate(sheet.iter_rows()):
        if index < 2:
            continue
        if len(data) >= limit:
            break
        number = "9" + str(row[1])[1:]  # other people than our run imported
        data.append(
            [
                row[0],
                number,
                datetime.date.fromisoformat(row[3]),
                "M" if row[2] == "男" else "F",
                row[5],
                row[4],
                grids[row[6]],
                household.pk,
                "registered",
                "head",
                "masses",
                "",
            ]
        )
    started = time.perf_counter()
    with transaction.atomic():
        result = PlainResidentResource().import_data(data, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    return {
        "rows": len(data),
        "new": result.totals["new"],
        "seconds": round(seconds, 2),
        "rows_per_s": round(len(data) / seconds),
        "peak_mb": round(peak_mb()),
    }


def child(step: str, path: str, limit: int) -> None:
    setup_django()
    result = run_ours(Path(path)) if step == "ours" else run_baseline(Path(path), limit)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int)
    parser.add_argument("--baseline-rows", type=int)
    parser.add_argument("--small", action="store_true", help="300 rows, 50 in the baseline (the suite)")
    parser.add_argument("--child", choices=["ours", "baseline"])
    parser.add_argument("--file")
    args = parser.parse_args()
    args.rows = args.rows or (300 if args.small else 100_000)
    args.baseline_rows = args.baseline_rows or (50 if args.small else 5_000)
    if args.child:
        child(args.child, args.file, args.baseline_rows)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the benchmark.")
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from grids.models import Resident, Street

    if not Street.objects.exists():
        call_command("seed_demo", *(["--scale", "small"] if args.small else []), verbosity=0)
    # People left by an earlier run (the demo's own residents start with 440104).
    Resident.objects.filter(id_number__regex=r"^(11|9)").delete()
    connection.close()
    # A small file is made afresh each time in a folder of its own; a large one is kept for the next run.
    folder = Path(tempfile.mkdtemp()) if args.small else ROOT / "var"
    path = folder / f"bench-roster-{args.rows}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {path.name}: {args.rows} rows × {len(HEADER)} columns, "
            f"{path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s"
        )

    def step(name: str) -> dict:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                name,
                "--file",
                str(path),
                "--baseline-rows",
                str(args.baseline_rows),
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            sys.exit(f"{name}: the measuring process failed\n{out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    try:
        first = step("ours")
        again = step("ours")
        base = step("baseline")
    finally:
        if args.small:
            shutil.rmtree(folder)
    print(f"portal import, new rows:       {json.dumps(first)}")
    print(f"portal import, same file again: {json.dumps(again)}")
    print(f"import-export default ModelResource ({base['rows']} rows): {json.dumps(base)}")
    print(
        f"speed-up over the default configuration: {first['rows_per_s'] / base['rows_per_s']:.1f}× (new rows), "
        f"{again['rows_per_s'] / base['rows_per_s']:.1f}× (unchanged rows)"
    )


if __name__ == "__main__":
    main()
