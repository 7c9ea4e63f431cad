"""A roster import names nothing outside the importer's area: people registered elsewhere
are refused without saying where (and the lookup is logged), too many of them refuse the
file, and grid names outside the area read like names that do not exist."""

from __future__ import annotations

import pytest

from grids.models import PersonalDataAccess, Resident
from grids.roster import importer
from tests.grids.residents.test_residents import add
from tests.grids.roster.test_import import HEADER, job_of, make_id, person, upload, xlsx

NAMES = ["赵一", "赵二", "赵三", "赵四", "赵五", "赵六", "赵七", "赵八"]


@pytest.mark.parametrize(
    "persona,grid,own",
    [
        ("grid_worker", "东风第一网格", "g11"),
        ("community_staff", "农林第一网格", "g21"),
        ("street_official", "东风第一网格", "g11"),
    ],
)
def test_preview_does_not_say_where_a_person_outside_scope_is_registered(client, personas, tree, persona, grid, own):
    elsewhere = add(tree.g31, "钱七", "19800512", "101")  # another street
    client.force_login(personas[persona])
    job = job_of(upload(client, xlsx([HEADER, person("钱七", "101", grid=grid)])))
    body = client.get(f"/residents/import/{job.pk}/").content.decode()
    assert job.preview["rejected"] == 1
    message = job.preview["errors"][0][2]
    assert "其他网格" in message and "迁移申请" in message
    for leak in ("白云", "G31", elsewhere.grid.name):
        assert leak not in body and leak not in str(job.preview)
    # The preview offers the move request for that row, into the importer's own grid.
    assert job.preview["elsewhere"] == [
        {"row": 2, "id_number": elsewhere.id_number, "to_grid": getattr(tree, own).pk,
         "estate": "东风小区", "building": "1", "unit": "1", "room": "101"}
    ]
    assert 'action="/moves/new/"' in body
    entry = PersonalDataAccess.objects.get()
    assert entry.action == PersonalDataAccess.Action.LOOKUP and entry.resident == elsewhere
    assert entry.user == personas[persona] and entry.street == tree.s2


def test_street_official_sees_own_street_and_is_not_refused(client, personas, tree):
    add(tree.g21, "赵六", "19800512", "101")
    client.force_login(personas["street_official"])
    job = job_of(upload(client, xlsx([HEADER, person("赵六", "101", grid="农林第一网格")])))
    assert job.preview["rejected"] == 0 and not PersonalDataAccess.objects.filter(action="lookup").exists()


def test_a_file_with_many_people_registered_elsewhere_is_refused_whole(client, personas, tree):
    for n in range(importer.MAX_ELSEWHERE + 1):
        add(tree.g21, NAMES[n], "19800512", f"2{n:02d}")
    rows = [person(NAMES[n], f"2{n:02d}") for n in range(importer.MAX_ELSEWHERE + 1)] + [person("新人", "909")]
    client.force_login(personas["grid_worker"])
    job = job_of(upload(client, xlsx([HEADER, *rows])))
    assert job.status == job.Status.FAILED
    assert "街道" in job.message and "农林" not in job.message
    assert not job.preview
    # Every hit is still logged, although the file was refused.
    assert PersonalDataAccess.objects.filter(action="lookup").count() == importer.MAX_ELSEWHERE + 1
    assert not Resident.objects.filter(name="新人").exists()


def test_a_few_people_registered_elsewhere_do_not_refuse_the_file(client, personas, tree):
    for n in range(importer.MAX_ELSEWHERE):
        add(tree.g21, NAMES[n], "19800512", f"2{n:02d}")
    rows = [person(NAMES[n], f"2{n:02d}") for n in range(importer.MAX_ELSEWHERE)] + [person("新人", "909")]
    client.force_login(personas["grid_worker"])
    job = job_of(upload(client, xlsx([HEADER, *rows])))
    assert job.preview["rejected"] == importer.MAX_ELSEWHERE and job.preview["new"] == 1


def test_a_grid_outside_scope_reads_like_a_grid_that_does_not_exist(client, personas, tree):
    client.force_login(personas["grid_worker"])
    job = job_of(upload(client, xlsx([HEADER, person(grid="白云第一网格"), person("李四", "202", grid="火星网格")])))
    (_r1, _c1, real), (_r2, _c2, unreal) = job.preview["errors"]
    assert real.replace("白云第一网格", "X") == unreal.replace("火星网格", "X")
    assert make_id() not in real
