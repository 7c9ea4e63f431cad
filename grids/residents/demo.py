"""Synthetic demo residents: plausible names, valid ID numbers, mixed tags. Never real people."""

from __future__ import annotations

import datetime
import random

from stdnum.cn.ric import calc_check_digit

from grids.pii import name_pinyin
from grids.residents.models import Household, PopulationTag, Resident
from grids.tree.models import Grid

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰淑珍建华德明海燕晓东文婷子轩梓涵浩然欣怡"
ESTATES = ["东风小区", "农林花园", "执信南苑", "白云新村", "越秀雅苑", "锦绣家园"]
REGION = "440104"


def synthetic_id(birth: datetime.date, serial: int, sex: str) -> str:
    """A valid-looking ID: the sequence digit's parity carries the sex, as in GB 11643."""
    seq = serial % 500 * 2 + (1 if sex == "M" else 0)
    first17 = f"{REGION}{birth:%Y%m%d}{seq:03d}"
    return first17 + calc_check_digit(first17 + "0")


def _given(rng: random.Random) -> str:
    return "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def seed_residents(*, households_per_grid: int = 40, seed: int = 2026) -> int:
    rng = random.Random(seed)
    tags = list(PopulationTag.objects.all())
    by_name = {t.name: t for t in tags}
    today = datetime.date(2026, 11, 1)
    used: set[str] = set()
    serial = 0
    residents: list[Resident] = []
    resident_tags: list[tuple[int, list[PopulationTag]]] = []
    for grid in Grid.objects.select_related("community").order_by("code"):
        households = Household.objects.bulk_create(
            [
                Household(
                    grid=grid,
                    household_no=f"{grid.code[-6:]}-{n:03d}",
                    estate=ESTATES[(grid.pk + n) % len(ESTATES)],
                    building=str(n // 8 + 1),
                    unit=str(n % 2 + 1),
                    room=f"{(n % 8) // 2 + 1}0{n % 4 + 1}",
                )
                for n in range(households_per_grid)
            ]
        )
        for household in households:
            head_age = rng.randint(28, 88)
            members = [("head", head_age)]
            if head_age < 80 and rng.random() < 0.8:
                members.append(("spouse", head_age + rng.randint(-4, 4)))
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                if head_age > 24:
                    members.append(("child", rng.randint(max(0, head_age - 45), max(1, head_age - 22))))
            surname = rng.choice(SURNAMES)
            residence = rng.choices([c.value for c in Resident.ResidenceType], weights=[60, 25, 13, 2], k=1)[0]
            for relation, age in members:
                sex = rng.choice("MF")
                birth = today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
                while True:
                    serial += 1
                    number = synthetic_id(birth, serial, sex)
                    if number not in used:
                        used.add(number)
                        break
                name = (rng.choice(SURNAMES) if relation == "spouse" else surname) + _given(rng)
                pinyin, initials = name_pinyin(name)
                moved_out = today - datetime.timedelta(days=rng.randint(10, 400)) if rng.random() < 0.03 else None
                residents.append(
                    Resident(
                        name=name,
                        name_pinyin=pinyin,
                        name_initials=initials,
                        id_number=number,
                        birth_date=birth,
                        sex=sex,
                        phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}" if age >= 16 else "",
                        grid=grid,
                        household=household,
                        relation=relation,
                        residence_type=residence,
                        political_status=rng.choices(["masses", "cpc", "cyl", ""], weights=[70, 12, 8, 10], k=1)[0],
                        moved_out_on=moved_out,
                        imported=True,
                    )
                )
                chosen = []
                if age >= 70 and len(members) == 1:
                    chosen.append(by_name.get("独居老人"))
                elif age >= 65 and rng.random() < 0.3:
                    chosen.append(by_name.get("空巢老人"))
                if rng.random() < 0.04:
                    chosen.append(by_name.get("低保"))
                if rng.random() < 0.03:
                    chosen.append(by_name.get("残疾人"))
                if relation == "head" and rng.random() < 0.05:
                    chosen.append(by_name.get("退役军人"))
                resident_tags.append((len(residents) - 1, [t for t in chosen if t is not None]))
    Resident.objects.bulk_create(residents, batch_size=1000)
    through = Resident.tags.through
    through.objects.bulk_create(
        [through(resident_id=residents[i].pk, populationtag_id=t.pk) for i, ts in resident_tags for t in ts],
        batch_size=2000,
    )
    return len(residents)


