"""Demo visits for seed_demo."""

from __future__ import annotations

import datetime
import random

from grids.residents.models import Household, Resident
from grids.tree.models import Post, Role
from grids.visits.models import Visit

FINDINGS = [
    "",
    "",
    "老人身体状况良好，已提醒按时服药",
    "家中燃气软管老化，已建议更换",
    "楼道灯不亮，需报修",
    "反映邻居噪音扰民",
    "独居老人希望有人定期上门陪伴",
    "家中无异常",
]


def seed_visits(*, scale: float = 1.0, count: int = 300, seed: int = 7) -> int:
    """Visits by each grid's staff over the last two months, so visit rules are partly met."""
    rng = random.Random(seed)
    today = datetime.date.today()
    staff = dict(Post.objects.filter(role=Role.GRID_WORKER).values_list("grid_id", "user_id"))
    households = list(Household.objects.filter(grid_id__in=staff).values_list("pk", "grid_id"))
    if not households:
        return 0
    members: dict[int, list[int]] = {}
    for pk, household_id in Resident.objects.filter(household_id__in=[h for h, _g in households]).values_list(
        "pk", "household_id"
    ):
        members.setdefault(household_id, []).append(pk)
    visits = []
    for _ in range(max(1, round(count * scale))):
        household_id, grid_id = rng.choice(households)
        people = members.get(household_id, [])
        visits.append(
            Visit(
                grid_id=grid_id,
                household_id=household_id,
                resident_id=rng.choice(people) if people and rng.random() < 0.6 else None,
                visited_on=today - datetime.timedelta(days=rng.randint(0, 60)),
                kind=rng.choice(Visit.Kind.values),
                findings=rng.choice(FINDINGS),
                by_id=staff[grid_id],
            )
        )
    Visit.objects.bulk_create(visits)
    return len(visits)
