"""Roster import from the portal: preview, all-or-nothing and valid-rows-only, update by ID number,
messy spreadsheets, Excel-mangled IDs, limits, rejected rows, template, export and scope."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from stdnum.cn.ric import calc_check_digit

from grids.models import PersonalDataAccess, PopulationTag, Resident, RosterImport
from grids.roster import importer

HEADER = ["姓名", "公民身份号码", "联系电话", "所属网格", "居住类型", "小区", "楼栋", "单元", "室", "标签"]


def make_id(birth: str = "19800512", seq: str = "123") -> str:
    first17 = "440104" + birth + seq
    return first17 + calc_check_digit(first17 + "0")


def xlsx(rows: list[list], *, title_rows: list[list] | None = None, number_formats: dict | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (title_rows or []) + rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def person(
    name="张三", seq="101", grid="东风第一网格", *, phone="13800138000", tags="", building="1", birth="19800512"
):
    return [name, make_id(birth, seq), phone, grid, "户籍人口", "东风小区", building, "1", "101", tags]


def upload(client, content: bytes, name: str = "roster.xlsx"):
    return client.post("/residents/import/", {"file": SimpleUploadedFile(name, content)})


def job_of(response) -> RosterImport:
    assert response.status_code == 302, response.content.decode()[:2000]
    return RosterImport.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


@pytest.fixture
def admin_client(client, personas):
    client.force_login(personas["street_admin"])
    return client


def test_preview_counts_and_writes_nothing(admin_client, tree):
    job = job_of(upload(admin_client, xlsx([HEADER, person(), person("李四", "202", tags="独居老人、低保")])))
    assert job.status == RosterImport.Status.CHECKED
    assert (job.preview["new"], job.preview["updated"], job.preview["unchanged"], job.preview["rejected"]) == (
        2,
        0,
        0,
        0,
    )
    assert not Resident.objects.exists()
    page = admin_client.get(f"/residents/import/{job.pk}/").content.decode()
    assert "确认导入" in page


def test_confirm_imports_and_reimport_is_unchanged(admin_client, tree):
    content = xlsx([HEADER, person(), person("李四", "202", tags="独居老人、低保")])
    job = job_of(upload(admin_client, content))
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE
    assert Resident.objects.count() == 2
    lisi = Resident.objects.get(name="李四")
    assert set(lisi.tags.values_list("name", flat=True)) == {"独居老人", "低保"}
    assert lisi.grid == tree.g11 and lisi.household.estate == "东风小区"
    assert lisi.birth_date == datetime.date(1980, 5, 12)
    again = job_of(upload(admin_client, content))
    assert (again.preview["new"], again.preview["updated"], again.preview["unchanged"]) == (0, 0, 2)
    # Confirming twice is refused: exactly one confirmation wins.
    response = admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    assert "已经确认" in admin_client.get(response["Location"]).content.decode()
    assert Resident.objects.count() == 2


def test_update_by_id_number_and_move_between_grids_is_reported(admin_client, tree):
    job_of(upload(admin_client, xlsx([HEADER, person()])))
    admin_client.post(f"/residents/import/{RosterImport.objects.get().pk}/confirm/", {"mode": "all"})
    job = job_of(upload(admin_client, xlsx([HEADER, person(grid="农林第一网格", phone="13900001111")])))
    assert (job.preview["new"], job.preview["updated"], job.preview["moves_total"]) == (0, 1, 1)
    assert job.preview["moves"][0]["from"] == "东风第一网格"
    page = admin_client.get(f"/residents/import/{job.pk}/").content.decode()
    assert "农林第一网格" in page
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    resident = Resident.objects.get()
    assert (resident.grid, resident.phone) == (tree.g21, "13900001111")
    assert resident.changes.filter(kind="updated").exists()


def test_all_or_nothing_refuses_when_any_row_is_rejected(admin_client, tree):
    job = job_of(upload(admin_client, xlsx([HEADER, person(), person("王五", "303", grid="不存在的网格")])))
    assert (job.preview["new"], job.preview["rejected"]) == (1, 1)
    response = admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    assert "只导入有效行" in admin_client.get(response["Location"]).content.decode()
    assert not Resident.objects.exists()


def test_valid_rows_only_imports_the_rest(admin_client, tree):
    job = job_of(upload(admin_client, xlsx([HEADER, person(), person("王五", "303", grid="不存在的网格")])))
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "valid_only"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE
    assert list(Resident.objects.values_list("name", flat=True)) == ["张三"]


def test_importer_rolls_back_everything_if_a_row_fails_while_writing(tree, personas):
    content = xlsx([HEADER, person(), person("王五", "303", grid="不存在的网格")])
    report = importer.run(io.BytesIO(content), user=personas["street_admin"], write=True)
    assert report.rejected == 1
    assert not Resident.objects.exists()


def errors_of(job) -> list[list]:
    return job.preview["errors"]


@pytest.mark.parametrize(
    "rows,column,fragment",
    [
        ([person(grid="不存在的网格")], "所属网格", "没有名为"),
        ([person(grid="白云第一网格")], "所属网格", "管辖范围"),
        ([["张三", 110105198005121234, "13800138000", "东风第一网格"]], "公民身份号码", "文本"),
        ([["张三", "1.10105E+17", "13800138000", "东风第一网格"]], "公民身份号码", "文本"),
        ([["张三", 1.10105198005121e17, "13800138000", "东风第一网格"]], "公民身份号码", "文本"),
        ([["张三", "440104198005121230", "13800138000", "东风第一网格"]], "公民身份号码", "校验"),
        ([person(phone="12345")], "联系电话", "电话"),
        ([person(tags="外星人")], "标签", "外星人"),
        ([person(), person("张三丰", "101")], "公民身份号码", "第 2 行"),
    ],
)
def test_each_rejection_names_row_column_and_reason(admin_client, tree, rows, column, fragment):
    job = job_of(upload(admin_client, xlsx([HEADER[: max(len(r) for r in rows)], *rows])))
    errors = errors_of(job)
    assert any(c == column and fragment in m for _r, c, m in errors), errors
    assert all(r >= 2 for r, _c, _m in errors)


def test_markup_in_a_name_is_refused_with_its_cell(admin_client, tree):
    rows = [person("<b>加粗</b>", "101"), person("<img src=x onerror=alert()>", "102"), person("阿卜杜·热合曼", "103")]
    job = job_of(upload(admin_client, xlsx([HEADER, *rows])))
    errors = errors_of(job)
    assert [(r, c) for r, c, _m in errors] == [(2, "姓名"), (3, "姓名")], errors
    assert all("不属于姓名的字符" in m for _r, _c, m in errors)
    assert "“<”" in errors[1][2] and "“=”" in errors[1][2]
    assert (job.preview["new"], job.preview["rejected"]) == (1, 2)
    page = admin_client.get(f"/residents/import/{job.pk}/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert()&gt;" in page


def test_messy_spreadsheet_is_understood(admin_client, tree):
    header = ["序号", "名字", "身份证号码", "手机号", "网格", "人口类型", "小区", "楼号", "单元", "门牌号", "人员标签"]
    rows = [
        [
            1,
            " 张 三 ",
            make_id("19800512", "101").lower()[:-1] + make_id("19800512", "101")[-1].lower(),
            13800138000.0,
            "东风第一网格",
            "户籍",
            "东风小区",
            "１",
            "1",
            "101",
            "独居老人",
        ],
        [
            2,
            "李四",
            "\u3000" + "".join(chr(ord(c) + 0xFEE0) for c in make_id("19500101", "202")),
            "139 0000 1111",
            " 东风第一网格 ",
            "流动人口",
            "东风小区",
            "2",
            "1",
            "202",
            "",
        ],
    ]
    content = xlsx(
        rows, title_rows=[["东风社区人口信息表"], ["填表单位：东风社区居委会", None, "日期：2026年11月"], header]
    )
    job = job_of(upload(admin_client, content))
    assert job.preview["rejected"] == 0, job.preview["errors"]
    assert job.preview["new"] == 2
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    zhang = Resident.objects.get(name="张三")
    assert zhang.phone == "13800138000" and zhang.household.building == "1"
    assert Resident.objects.get(name="李四").residence_type == "migrant"


def test_dates_as_text_and_serials_in_the_move_out_column(admin_client, tree):
    header = [*HEADER, "迁出日期"]
    rows = [person("甲", "111") + ["2024.5.12"], person("乙", "112") + ["2024年5月12日"], person("丙", "113") + [45424]]
    job = job_of(upload(admin_client, xlsx([header, *rows])))
    assert job.preview["rejected"] == 0, job.preview["errors"]
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    assert set(Resident.objects.values_list("moved_out_on", flat=True)) == {datetime.date(2024, 5, 12)}


@pytest.mark.parametrize(
    "name,content,fragment",
    [
        ("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024, ".xls"),
        ("roster.xlsx", "姓名,身份证号\n张三,110105198005121234\n".encode(), "CSV"),
        ("roster.xlsx", b"", "空"),
        ("roster.xlsx", xlsx([]), "空"),
        ("roster.xlsx", xlsx([["随便"], ["什么", "都有"]]), "表头"),
        ("roster.csv", b"a,b", ".xlsx"),
    ],
)
def test_unusable_files_get_a_message_and_change_nothing(admin_client, tree, name, content, fragment):
    response = upload(admin_client, content, name)
    if response.status_code == 302:
        job = job_of(response)
        assert job.status == RosterImport.Status.FAILED
        assert fragment in job.message
    else:
        assert response.status_code == 200
        assert fragment in response.content.decode()
    assert not Resident.objects.exists()


def test_rejected_rows_download_has_the_reason_column(admin_client, tree):
    job = job_of(upload(admin_client, xlsx([HEADER, person(), person("王五", "303", grid="不存在的网格")])))
    response = admin_client.get(f"/residents/import/{job.pk}/rejected.xlsx")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.values)
    assert rows[0][0] == "原行号" and rows[0][-1] == "错误原因"
    assert len(rows) == 2 and rows[1][0] == 3 and rows[1][1] == "王五"
    assert "不存在的网格" in rows[1][-1]


def test_template_has_headers_text_columns_and_dropdowns(admin_client, tree):
    response = admin_client.get("/residents/import/template.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb["人口信息"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["姓名", "公民身份号码"]
    assert ws["B2"].number_format == "@" and ws["D2"].number_format == "@"
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert len(formulas) >= 5
    options = wb["选项"]
    assert "东风第一网格" in [c.value for c in options["F"]]
    assert "白云第一网格" not in [c.value for c in options["F"]]
    # The template imports as is: its example row is valid apart from a fictitious ID.
    assert ws["A2"].value == "张三"


def test_grid_worker_cannot_import_into_another_grid(client, personas, tree):
    client.force_login(personas["grid_worker"])
    job = job_of(upload(client, xlsx([HEADER, person(grid="东风第二网格")])))
    assert job.preview["rejected"] == 1
    assert "管辖范围" in job.preview["errors"][0][2]


def test_grid_worker_may_leave_out_the_grid_column(client, personas, tree):
    client.force_login(personas["grid_worker"])
    job = job_of(upload(client, xlsx([["姓名", "身份证号"], ["张三", make_id()]])))
    assert job.preview["new"] == 1
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    assert Resident.objects.get().grid == tree.g11


def test_resident_elsewhere_outside_scope_is_rejected_not_moved(client, personas, tree, root):
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, xlsx([HEADER, person(grid="东风第二网格")])))
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    client.force_login(personas["grid_worker"])
    job = job_of(upload(client, xlsx([HEADER, person(grid="东风第一网格")])))
    assert job.preview["rejected"] == 1
    assert Resident.objects.get().grid == tree.g12


@pytest.mark.parametrize("persona", ["department_staff", "mediator", "outsider"])
def test_people_without_grids_cannot_import(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get("/residents/import/").status_code == 403
    assert client.get("/residents/import/template.xlsx").status_code == 403


def test_another_users_import_is_not_found(client, personas, tree):
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, xlsx([HEADER, person()])))
    client.force_login(personas["community_leader"])
    assert client.get(f"/residents/import/{job.pk}/").status_code == 404
    assert client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"}).status_code == 404
    assert not Resident.objects.exists()


def test_confirm_is_post_only(admin_client, tree):
    job = job_of(upload(admin_client, xlsx([HEADER, person()])))
    assert admin_client.get(f"/residents/import/{job.pk}/confirm/").status_code == 405
    assert not Resident.objects.exists()


def test_query_count_per_batch_does_not_depend_on_file_size(tree, personas, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 50)
    user = personas["street_admin"]

    def count(n: int) -> int:
        rows = [person("人" + chr(0x4E00 + i), f"{i:03d}", building=str(i % 9)) for i in range(n)]
        content = xlsx([HEADER, *rows])
        with CaptureQueriesContext(connection) as ctx:
            report = importer.run(io.BytesIO(content), user=user, write=True)
        assert report.new == n
        Resident.objects.all().delete()
        return len(ctx.captured_queries)

    one_batch, four_batches = count(50), count(200)
    per_batch = (four_batches - one_batch) / 3
    assert per_batch <= 12, (one_batch, four_batches)
    assert four_batches <= 4 * one_batch


def test_export_is_masked_for_grid_worker_and_neutralises_formulas(client, personas, tree):
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, xlsx([HEADER + ["备注"], person() + ["@SUM(1+1)*cmd|' /C calc'!A0"]])))
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})

    client.force_login(personas["grid_worker"])
    response = client.get("/residents/export.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.values)
    header = rows[0]
    data = dict(zip(header, rows[1], strict=True))
    assert data["公民身份号码"] == "440104********" + make_id(seq="101")[-4:]
    assert data["联系电话"] == "138****8000"
    assert data["备注"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert PersonalDataAccess.objects.filter(action="export", user=personas["grid_worker"]).exists()

    client.force_login(personas["street_admin"])
    ws = openpyxl.load_workbook(io.BytesIO(client.get("/residents/export.xlsx").content)).active
    assert list(ws.values)[1][1] == make_id(seq="101")
    assert PopulationTag.objects.exists()


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


ID = make_id("19800512", "101")


@pytest.mark.parametrize(
    "case,header,row,check",
    [
        ("title rows", None, None, lambda r: r.name == "张三"),
        ("alias 名字", ["名字", "身份证号", "所属网格"], ["张三", ID, "东风第一网格"], lambda r: r.name == "张三"),
        ("alias 证件号码", ["姓名", "证件号码", "网格"], ["张三", ID, "东风第一网格"], lambda r: r.id_number == ID),
        ("alias 身份证号码", ["姓名", "身份证号码", "网格"], ["张三", ID, "东风第一网格"], lambda r: r.id_number == ID),
        (
            "alias 手机号码",
            ["姓名", "身份证号", "网格", "手机号码"],
            ["张三", ID, "东风第一网格", "13800138000"],
            lambda r: r.phone == "13800138000",
        ),
        (
            "full-width digits",
            ["姓名", "身份证号", "网格"],
            ["张三", _fullwidth(ID), "东风第一网格"],
            lambda r: r.id_number == ID,
        ),
        (
            "spaces",
            ["姓名", "身份证号", "网格"],
            ["  张三 ", f" {ID}\u3000", " 东风第一网格 "],
            lambda r: r.name == "张三" and r.id_number == ID,
        ),
        (
            "lower-case x",
            ["姓名", "身份证号", "网格"],
            ["张三", "X", "东风第一网格"],
            lambda r: r.id_number.endswith("X"),
        ),
        (
            "phone as number",
            ["姓名", "身份证号", "网格", "联系电话"],
            ["张三", ID, "东风第一网格", 13800138000],
            lambda r: r.phone == "13800138000",
        ),
        (
            "date 1980.5.12",
            ["姓名", "身份证号", "网格", "出生日期"],
            ["张三", ID, "东风第一网格", "1980.5.12"],
            lambda r: r.birth_date == datetime.date(1980, 5, 12),
        ),
        (
            "date 1980-05-12",
            ["姓名", "身份证号", "网格", "出生日期"],
            ["张三", ID, "东风第一网格", "1980-05-12"],
            lambda r: r.birth_date == datetime.date(1980, 5, 12),
        ),
        (
            "date 1980年5月12日",
            ["姓名", "身份证号", "网格", "出生日期"],
            ["张三", ID, "东风第一网格", "1980年5月12日"],
            lambda r: r.birth_date == datetime.date(1980, 5, 12),
        ),
        (
            "Excel serial date",
            ["姓名", "身份证号", "网格", "出生日期"],
            ["张三", ID, "东风第一网格", 29353],
            lambda r: r.birth_date == datetime.date(1980, 5, 12),
        ),
    ],
)
def test_messy_spreadsheet_case(admin_client, tree, case, header, row, check):
    if case == "title rows":
        content = xlsx(
            [["姓名", "身份证号", "网格"], ["张三", ID, "东风第一网格"]],
            title_rows=[["东风社区人口信息表"], ["填表人：王丽华", "", "2026年11月"]],
        )
    else:
        if case == "lower-case x":
            first17 = next(
                f"44010419800512{n:03d}" for n in range(1000) if calc_check_digit(f"44010419800512{n:03d}0") == "X"
            )
            row = [row[0], (first17 + "x"), row[2]]
        content = xlsx([header, row])
    job = job_of(upload(admin_client, content))
    assert job.preview["rejected"] == 0, job.preview["errors"]
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    assert check(Resident.objects.get()), case


def test_birth_date_or_sex_contradicting_the_id_is_rejected(admin_client, tree):
    rows = [
        ["姓名", "身份证号", "网格", "出生日期", "性别"],
        ["张三", ID, "东风第一网格", "1981-05-12", "男"],
        ["李四", make_id("19800512", "202"), "东风第一网格", "", "男"],
    ]
    job = job_of(upload(admin_client, xlsx(rows)))
    messages = {(r, c) for r, c, _m in job.preview["errors"]}
    assert messages == {(2, "出生日期"), (3, "性别")}


def test_grid_worker_export_contains_only_their_grid(client, personas, tree):
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, xlsx([HEADER, person(), person("李四", "202", grid="农林第一网格")])))
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    client.force_login(personas["grid_worker"])
    ws = openpyxl.load_workbook(io.BytesIO(client.get("/residents/export.xlsx").content)).active
    names = [row[0] for row in list(ws.values)[1:]]
    assert names == ["张三"]


def test_large_import_refreshes_planner_statistics(tree, personas, monkeypatch):
    calls = []
    monkeypatch.setattr(importer, "ANALYZE_AFTER", 2)
    monkeypatch.setattr(importer, "refresh_statistics", lambda: calls.append(True))
    importer.run(io.BytesIO(xlsx([HEADER, person(), person("李四", "202")])), user=personas["street_admin"], write=True)
    assert calls == [True]
    importer.run(io.BytesIO(xlsx([HEADER, person()])), user=personas["street_admin"], write=False)
    assert calls == [True]


def test_refreshing_statistics_runs_inside_a_transaction(db):
    importer.refresh_statistics()  # ANALYZE on PostgreSQL; nothing to do on SQLite


def test_export_is_bounded_and_says_how_to_narrow_it(admin_client, tree, monkeypatch):
    from grids.roster import views

    job = job_of(upload(admin_client, xlsx([HEADER, person(), person("李四", "202")])))
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    monkeypatch.setattr(views, "EXPORT_MAX", 1)
    response = admin_client.get("/residents/export.xlsx?q=")
    assert response.status_code == 302
    assert "最多" in admin_client.get(response["Location"]).content.decode()
    assert admin_client.get(f"/residents/export.xlsx?grid={tree.g11.pk}&q=zs").status_code == 200


def test_export_survives_control_characters(admin_client, tree):
    job = job_of(upload(admin_client, xlsx([HEADER, person()])))
    admin_client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    Resident.objects.update(note="铃声\x07测试")
    assert admin_client.get("/residents/export.xlsx").status_code == 200
