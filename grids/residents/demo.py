"""Synthetic demo residents: plausible names, valid ID numbers, mixed tags. Never real people."""

from __future__ import annotations

import datetime
import importlib
import random

from django.apps import apps as django_apps
from django.utils import timezone
from stdnum.cn.ric import calc_check_digit

from grids.pii import mask_phone, name_pinyin
from grids.residents.models import Household, PopulationTag, Resident, ResidentChange
from grids.tree.models import Grid, Post, Role

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰淑珍建华德明海燕晓东文婷子轩梓涵浩然欣怡"
# Each community's own estates (小区); a village's are its hamlets and new village blocks.
ESTATES = {
    "东风社区": ["东风小区", "东风新苑", "锦绣家园"],
    "农林社区": ["农林花园", "农林下路小区"],
    "执信社区": ["执信南苑", "执信雅居"],
    "白云村": ["白云新村", "白云村南片"],
}
REGION = "440104"


def synthetic_id(birth: datetime.date, serial: int, sex: str) -> str:
    """A valid-looking ID: the sequence digit's parity carries the sex, as in GB 11643."""
    seq = serial % 500 * 2 + (1 if sex == "M" else 0)
    first17 = f"{REGION}{birth:%Y%m%d}{seq:03d}"
    return first17 + calc_check_digit(first17 + "0")


def _given(rng: random.Random) -> str:
    return "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def estates_of(community_name: str) -> list[str]:
    return ESTATES.get(community_name) or [f"{community_name.removesuffix('社区').removesuffix('村')}小区"]


def _political(rng: random.Random, age: int) -> str:
    """Party members are adults; the Communist Youth League takes 14 to 28."""
    if age >= 18 and rng.random() < 0.12:
        return "cpc" if age >= 20 or rng.random() < 0.5 else "cpc_probationary"
    if 14 <= age <= 28 and rng.random() < 0.35:
        return "cyl"
    return "masses" if age >= 16 else ""


def _tags(rng: random.Random, age: int, relation: str, household: list[tuple[str, int]], political: str) -> list[str]:
    """Tags that fit the person: elderly ones from 60, children's under 16, veterans adults."""
    tags = []
    alone = len(household) == 1
    no_children = all(relation in ("head", "spouse") for relation, _age in household)
    if age >= 60 and alone:
        tags.append("独居老人")
    elif age >= 60 and no_children and all(a >= 60 for _r, a in household) and rng.random() < 0.6:
        tags.append("空巢老人")
    if age < 16 and relation == "child" and rng.random() < 0.06:
        tags.append("留守儿童")
    if political in ("cpc", "cpc_probationary"):
        tags.append("党员")
    if relation == "head" and age >= 22 and rng.random() < 0.05:
        tags.append("退役军人")
    if rng.random() < 0.04:
        tags.append("低保")
    if rng.random() < 0.03:
        tags.append("残疾人")
    return tags


def seed_residents(*, households_per_grid: int = 40, seed: int = 2026) -> int:
    rng = random.Random(seed)
    if not PopulationTag.objects.exists():
        # The tags come with a migration; a test database emptied by a transactional test lacks them.
        importlib.import_module("grids.migrations.0003_default_tags").add_tags(django_apps, None)
    by_name = {t.name: t for t in PopulationTag.objects.all()}
    today = timezone.localdate()
    # The roster came in through one import half a year ago; changes since are its history.
    imported_at = timezone.now() - datetime.timedelta(days=180)
    used: set[str] = set()
    serial = 0
    residents: list[Resident] = []
    resident_tags: list[tuple[int, list[PopulationTag]]] = []
    grids = list(Grid.objects.select_related("community").order_by("code"))
    for grid in grids:
        # A community's grids share its estates, each grid its own buildings in them.
        estates = estates_of(grid.community.name)
        place = sum(1 for g in grids if g.community_id == grid.community_id and g.code < grid.code)
        estate, first_building = estates[place % len(estates)], place // len(estates) * 10 + 1
        households = Household.objects.bulk_create(
            [
                Household(
                    grid=grid,
                    household_no=f"{grid.code[-6:]}-{n:03d}",
                    estate=estate,
                    building=str(first_building + n // 8),
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
                members.append(("spouse", max(22, head_age + rng.randint(-4, 4))))
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                if head_age > 24:
                    members.append(("child", rng.randint(max(0, head_age - 45), max(1, head_age - 22))))
            surname = rng.choice(SURNAMES)
            residence = rng.choices([c.value for c in Resident.ResidenceType], weights=[60, 25, 13, 2], k=1)[0]
            births = [(r, today - datetime.timedelta(days=a * 365 + rng.randint(0, 364))) for r, a in members]
            people = [(relation, birth, _age(birth, today)) for relation, birth in births]
            ages = [(relation, age) for relation, _birth, age in people]
            for relation, birth, age in people:
                sex = rng.choice("MF")
                while True:
                    serial += 1
                    number = synthetic_id(birth, serial, sex)
                    if number not in used:
                        used.add(number)
                        break
                name = (rng.choice(SURNAMES) if relation == "spouse" else surname) + _given(rng)
                pinyin, initials = name_pinyin(name)
                moved_out = today - datetime.timedelta(days=rng.randint(10, 170)) if rng.random() < 0.03 else None
                political = _political(rng, age)
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
                        political_status=political,
                        moved_out_on=moved_out,
                        imported=True,
                    )
                )
                chosen = [by_name.get(t) for t in _tags(rng, age, relation, ages, political)]
                resident_tags.append((len(residents) - 1, [t for t in chosen if t is not None]))
    Resident.objects.bulk_create(residents, batch_size=1000)
    Resident.objects.filter(pk__in=[r.pk for r in residents]).update(created_at=imported_at)
    through = Resident.tags.through
    through.objects.bulk_create(
        [through(resident_id=residents[i].pk, populationtag_id=t.pk) for i, ts in resident_tags for t in ts],
        batch_size=2000,
    )
    _seed_changes(rng, residents, today)
    return len(residents)


def _age(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _seed_changes(rng: random.Random, residents: list[Resident], today: datetime.date) -> None:
    """The roster's history since the import: moves out, and phones the grid staff corrected."""
    staff = dict(Post.objects.filter(role=Role.GRID_WORKER).values_list("grid_id", "user_id"))
    changes = []
    for resident in residents:
        if resident.moved_out_on is not None:
            at = datetime.datetime.combine(resident.moved_out_on, datetime.time(rng.randint(9, 17), rng.randint(0, 59)))
            changes.append(
                (at, resident, ResidentChange.Kind.MOVED_OUT, {"moved_out_on": [None, f"{resident.moved_out_on}"]})
            )
        elif resident.phone and rng.random() < 0.05:
            day = today - datetime.timedelta(days=rng.randint(0, 45))
            at = datetime.datetime.combine(day, datetime.time(rng.randint(9, 17), rng.randint(0, 59)))
            old = f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"
            changes.append(
                (at, resident, ResidentChange.Kind.UPDATED, {"phone": [mask_phone(old), mask_phone(resident.phone)]})
            )
    made = ResidentChange.objects.bulk_create(
        [
            ResidentChange(resident=resident, kind=kind, by_id=staff.get(resident.grid_id), changes=detail)
            for _at, resident, kind, detail in changes
        ]
    )
    # `at` is set on saving; the history carries the day each change was made.
    for change, (at, *_rest) in zip(made, changes, strict=True):
        ResidentChange.objects.filter(pk=change.pk).update(at=timezone.make_aware(at))
