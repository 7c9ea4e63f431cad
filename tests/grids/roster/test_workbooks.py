"""Workbooks from real offices that the import used to misread: a header and no rows, the roster on a later
sheet behind instructions, several roster sheets, formulas saved without their values, blank rows above the
header. Every workbook is generated here."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from grids.models import Resident, RosterImport
from grids.roster import importer, reader
from grids.roster.xlsx import Limits, UploadRejected
from tests.grids.roster.test_import import HEADER, job_of, person, upload

INSTRUCTIONS = [
    ["填表说明"],
    ["1. 姓名、公民身份号码、所属网格为必填项。"],
    ["2. 公民身份号码请设置为文本格式，18 位。"],
    ["3. 标签之间用顿号分隔，例如：独居老人、低保。"],
]


@pytest.fixture
def admin_client(client, personas):
    client.force_login(personas["street_admin"])
    return client


def workbook(*sheets: tuple[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(content: bytes, change, member: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with one sheet's XML passed through `change`, as other programs write it."""
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members[member] = change(members[member])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return buffer.getvalue()


# A header and no rows


@pytest.mark.parametrize(
    "content",
    [
        workbook(("人口信息", [HEADER])),
        workbook(("人口信息", [["东风社区人口信息表"], ["填表单位：东风社区"], HEADER])),
        workbook(("人口信息", [HEADER, [], [None, None]])),
    ],
    ids=["header", "title-rows-and-header", "header-and-empty-rows"],
)
def test_a_workbook_with_only_the_header_is_refused(admin_client, tree, content):
    job = job_of(upload(admin_client, content))
    assert job.status == RosterImport.Status.FAILED
    assert job.message.startswith("文件中只有表头，没有数据行")
    page = admin_client.get(f"/residents/import/{job.pk}/").content.decode()
    assert "文件中只有表头，没有数据行" in page
    assert "确认导入" not in page


def test_header_only_is_refused_by_the_importer(tree, personas):
    with translation.override("en"), pytest.raises(UploadRejected, match="only the header row and no data rows"):
        importer.run(io.BytesIO(workbook(("人口信息", [HEADER]))), user=personas["street_admin"], write=True)
    assert not Resident.objects.exists()


# The roster on a later sheet


def test_roster_behind_an_instructions_sheet_is_found_and_named(admin_client, tree):
    content = workbook(
        ("填表说明", INSTRUCTIONS),
        ("人口信息", [HEADER, person(), person("李四", "202"), person("王五", "303", grid="不存在的网格")]),
    )
    job = job_of(upload(admin_client, content))
    assert job.status == RosterImport.Status.CHECKED, job.message
    assert (job.preview["new"], job.preview["rejected"], job.preview["sheet"]) == (2, 1, "人口信息")
    assert job.preview["errors"][0][:2] == [4, "所属网格"]
    page = admin_client.get(f"/residents/import/{job.pk}/").content.decode()
    assert "已读取工作表“人口信息”" in page

    rejected = admin_client.get(f"/residents/import/{job.pk}/rejected.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(rejected.content)).active.values)
    assert rows[0][0] == "原行号" and rows[1][:2] == (4, "王五")

    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "valid_only"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE and job.result["sheet"] == "人口信息"
    assert set(Resident.objects.values_list("name", flat=True)) == {"张三", "李四"}


def test_a_filled_sheet_is_preferred_to_an_empty_template_sheet(admin_client, tree):
    content = workbook(("模板", [HEADER]), ("名单", [HEADER, person()]))
    job = job_of(upload(admin_client, content))
    assert (job.status, job.preview["sheet"], job.preview["new"]) == (RosterImport.Status.CHECKED, "名单", 1)


def test_hidden_sheets_are_not_candidates(admin_client, tree):
    content = workbook(
        ("人口信息", [HEADER, person()]), ("旧名单", [HEADER, person("李四", "202")]), hidden=("旧名单",)
    )
    job = job_of(upload(admin_client, content))
    assert (job.status, job.preview["sheet"], job.preview["new"]) == (RosterImport.Status.CHECKED, "人口信息", 1)


def test_a_chart_sheet_in_front_is_passed_over(tree, personas):
    from openpyxl.chart import BarChart, Reference

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人口信息"
    for row in [HEADER, person()]:
        ws.append(row)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=7, min_row=1, max_row=2))
    wb.create_chartsheet("图表", 0).add_chart(chart)
    buffer = io.BytesIO()
    wb.save(buffer)
    report = importer.run(io.BytesIO(buffer.getvalue()), user=personas["street_admin"], write=False)
    assert (report.sheet, report.new) == ("人口信息", 1)


def test_no_header_on_any_sheet_keeps_its_message(admin_client, tree):
    job = job_of(upload(admin_client, workbook(("填表说明", INSTRUCTIONS), ("统计", [["合计", 3]]))))
    assert job.status == RosterImport.Status.FAILED
    assert "未找到表头" in job.message


def test_the_row_limit_applies_to_the_roster_sheet():
    rows = [HEADER[:2]] + [[f"居民{n}", n] for n in range(15)]
    book = workbook(("填表说明", INSTRUCTIONS), ("人口信息", rows))
    with translation.override("en"), pytest.raises(UploadRejected, match="16 rows; at most 5"):
        reader.open_roster(io.BytesIO(book), Limits(max_rows=5))
    # A hidden sheet is never loaded, so its size does not matter.
    book = workbook(("人口信息", rows[:4]), ("选项", rows), hidden=("选项",))
    assert reader.open_roster(io.BytesIO(book), Limits(max_rows=5)).sheet == "人口信息"


def test_a_stored_workbook_is_scanned_once_however_many_sheets(admin_client, tree, monkeypatch):
    calls = []
    count_sheet_rows = reader.count_sheet_rows

    def counting(fileobj):
        calls.append(True)
        return count_sheet_rows(fileobj)

    monkeypatch.setattr(reader, "count_sheet_rows", counting)
    job = job_of(upload(admin_client, workbook(("填表说明", INSTRUCTIONS), ("人口信息", [HEADER, person()]))))
    assert job.estimated_rows == 4  # the largest sheet: an upper bound for the roster
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE
    assert len(calls) == 1


# Several roster sheets: the user chooses


def two_groups() -> bytes:
    return workbook(
        ("填表说明", INSTRUCTIONS),
        ("一组", [HEADER, person()]),
        ("二组", [HEADER, person("李四", "202"), person("王五", "303")]),
    )


def test_several_roster_sheets_let_the_user_choose(admin_client, tree):
    job = job_of(upload(admin_client, two_groups()))
    assert job.status == RosterImport.Status.FAILED
    assert "“一组”" in job.message and "“二组”" in job.message
    assert job.preview == {"sheet_choices": ["一组", "二组"]}
    page = admin_client.get(f"/residents/import/{job.pk}/").content.decode()
    assert f'action="/residents/import/{job.pk}/sheet/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'value="一组"' in page and 'value="二组"' in page
    assert "确认导入" not in page

    response = admin_client.post(f"/residents/import/{job.pk}/sheet/", {"sheet": "二组"})
    assert response["Location"] == f"/residents/import/{job.pk}/"
    job.refresh_from_db()
    assert job.status == RosterImport.Status.CHECKED
    assert (job.preview["sheet"], job.preview["new"]) == ("二组", 2)
    assert "已读取工作表“二组”" in admin_client.get(f"/residents/import/{job.pk}/").content.decode()

    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE
    assert set(Resident.objects.values_list("name", flat=True)) == {"李四", "王五"}


def test_choosing_a_sheet_is_post_only_with_csrf_and_for_listed_sheets(admin_client, personas, tree):
    job = job_of(upload(admin_client, two_groups()))
    assert admin_client.get(f"/residents/import/{job.pk}/sheet/").status_code == 405

    response = admin_client.post(f"/residents/import/{job.pk}/sheet/", {"sheet": "填表说明"})
    assert "请从列出的工作表中选择" in admin_client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == RosterImport.Status.FAILED

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas["street_admin"])
    assert strict.post(f"/residents/import/{job.pk}/sheet/", {"sheet": "一组"}).status_code == 403

    other = Client()
    other.force_login(personas["community_leader"])
    assert other.post(f"/residents/import/{job.pk}/sheet/", {"sheet": "一组"}).status_code == 404
    job.refresh_from_db()
    assert job.status == RosterImport.Status.FAILED

    admin_client.post(f"/residents/import/{job.pk}/sheet/", {"sheet": "一组"})
    response = admin_client.post(f"/residents/import/{job.pk}/sheet/", {"sheet": "二组"})
    assert "请从列出的工作表中选择" in admin_client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert (job.status, job.preview["sheet"]) == (RosterImport.Status.CHECKED, "一组")
    assert not Resident.objects.exists()


def test_another_sheet_can_be_chosen_when_the_chosen_one_is_refused(admin_client, tree):
    content = workbook(
        ("名单", [["姓名", "身份证号"], person("李四", "202")[:2]]),
        ("人口信息", [HEADER, person()]),
    )
    job = job_of(upload(admin_client, content))
    admin_client.post(f"/residents/import/{job.pk}/sheet/", {"sheet": "名单"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.FAILED and "网格" in job.message
    page = admin_client.get(f"/residents/import/{job.pk}/").content.decode()
    assert 'value="人口信息"' in page

    admin_client.post(f"/residents/import/{job.pk}/sheet/", {"sheet": "人口信息"})
    job.refresh_from_db()
    assert (job.status, job.preview["sheet"], job.preview["new"]) == (RosterImport.Status.CHECKED, "人口信息", 1)
    assert "sheet_choices" not in job.preview


# Formulas saved without their values


FORMULA_MESSAGE = "公式"
PASTE_VALUES = "选择性粘贴→数值"


def test_a_formula_without_its_value_is_named_as_such(admin_client, tree):
    rows = [
        HEADER,
        ['=CONCATENATE("张","三")', *person(seq="101")[1:]],
        [None, *person(seq="102")[1:]],
        [*person("李四", "103")[:3], '=IF(1,"东风第一网格","")', *person()[4:]],
        person("王五", "104"),
    ]
    job = job_of(upload(admin_client, workbook(("人口信息", rows))))
    errors = {(r, c): m for r, c, m in job.preview["errors"]}
    assert set(errors) == {(2, "姓名"), (3, "姓名"), (4, "所属网格")}
    assert FORMULA_MESSAGE in errors[2, "姓名"] and PASTE_VALUES in errors[2, "姓名"]
    assert FORMULA_MESSAGE in errors[4, "所属网格"] and PASTE_VALUES in errors[4, "所属网格"]
    assert errors[3, "姓名"] == "姓名不能为空。"
    assert job.preview["new"] == 1


@pytest.mark.parametrize(
    "cell",
    [
        b'<c r="A2" t="str"><f>B9&amp;C9</f></c>',  # Excel's form for a text formula, no value element
        b'<c r="A2" s="0"><f t="shared" ref="A2:A3" si="0">B9</f><v></v></c>',
    ],
    ids=["text-formula", "shared-formula"],
)
def test_formulas_as_other_programs_write_them(tree, personas, cell):
    content = workbook(("人口信息", [HEADER, ["占位", *person(seq="101")[1:]]]))
    content = rewrite_sheet(content, lambda xml: re.sub(rb'<c r="A2".*?</c>', cell, xml, flags=re.S))
    with translation.override("zh-hans"):
        report = importer.run(io.BytesIO(content), user=personas["street_admin"], write=False)
    assert [(e.row, e.column) for e in report.errors] == [(2, "姓名")]
    assert PASTE_VALUES in report.errors[0].message


def test_a_formula_with_its_value_is_read(tree, personas):
    content = workbook(("人口信息", [HEADER, ["占位", *person(seq="101")[1:]]]))
    content = rewrite_sheet(
        content,
        lambda xml: re.sub(
            rb'<c r="A2".*?</c>', '<c r="A2" t="str"><f>B9</f><v>张三</v></c>'.encode(), xml, flags=re.S
        ),
    )
    report = importer.run(io.BytesIO(content), user=personas["street_admin"], write=True)
    assert (report.new, report.errors) == (1, [])
    assert Resident.objects.get().name == "张三"


def test_formula_cells_are_found_across_chunks(monkeypatch):
    monkeypatch.setattr(reader, "_CHUNK", 97)
    rows = [["姓名", "身份证号"]] + [[f"=B{n}", f"居民{n}"] if n % 7 == 0 else [f"居民{n}", n] for n in range(2, 60)]
    book = io.BytesIO(workbook(("人口信息", rows)))
    wanted = {(n, 0) for n in range(2, 60)} | {(n, 1) for n in range(2, 60)}
    found = reader.formula_cells(book, "xl/worksheets/sheet1.xml", wanted)
    assert found == {(n, 0) for n in range(2, 60) if n % 7 == 0}
    assert book.tell() == 0
    # Only the cells asked about, and none past the last row asked about.
    assert reader.formula_cells(book, "xl/worksheets/sheet1.xml", {(14, 0), (21, 1), (3, 0)}) == {(14, 0)}


def test_formula_cells_in_prefixed_xml_with_values_and_without():
    part = (
        "<x:worksheet xmlns:x='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><x:sheetData>"
        "<x:row r='1'><x:c r='A1' t='inlineStr'><x:is><x:t>姓名</x:t></x:is></x:c></x:row>"
        "<x:row r='2'><x:c r='A2'><x:f>B9</x:f><x:v/></x:c><x:c r='AB2' t='str'><x:f>B9</x:f></x:c></x:row>"
        "<x:row r='3'><x:c r='A3' t='str'><x:f>B9</x:f><x:v>张三</x:v></x:c><x:c r='B3'/></x:row>"
        "</x:sheetData></x:worksheet>"
    ).encode()
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", part)
    wanted = {(2, 0), (2, 27), (3, 0), (3, 1)}
    assert reader.formula_cells(book, "xl/worksheets/sheet1.xml", wanted) == {(2, 0), (2, 27)}


# Blank rows above the header


def test_rows_are_numbered_as_excel_shows_them_below_blank_rows(admin_client, tree):
    content = workbook(("人口信息", [[], [], HEADER, person(phone="12345")]))
    job = job_of(upload(admin_client, content))
    assert [(r, c) for r, c, _m in job.preview["errors"]] == [(4, "联系电话")]


def test_columns_are_placed_when_the_sheet_starts_further_right(tree, personas):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [HEADER, ['=CONCATENATE("张","三")', *person()[1:]]]:
        ws.append([None, None, *row])
    buffer = io.BytesIO()
    wb.save(buffer)
    with translation.override("zh-hans"):
        report = importer.run(io.BytesIO(buffer.getvalue()), user=personas["street_admin"], write=False)
    assert [(e.row, e.column) for e in report.errors] == [(2, "姓名")]
    assert PASTE_VALUES in report.errors[0].message
