"""Spreadsheets the portal hands out: the roster template, the rejected rows, and exports."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from grids.residents.cleaning import normalise_text
from grids.residents.models import PopulationTag
from grids.roster import reader, vocab
from grids.roster.headers import match_header
from grids.tree.models import Grid

# Column header, field, width. The headers are the ones the importer recognises first.
TEMPLATE_COLUMNS = [
    ("姓名", "name", 10),
    ("公民身份号码", "id_number", 22),
    ("性别", "sex", 6),
    ("联系电话", "phone", 14),
    ("民族", "ethnicity", 8),
    ("所属网格", "grid", 22),
    ("居住类型", "residence_type", 10),
    ("小区", "estate", 14),
    ("楼栋", "building", 6),
    ("单元", "unit", 6),
    ("室", "room", 6),
    ("户号", "household_no", 12),
    ("与户主关系", "relation", 10),
    ("政治面貌", "political_status", 12),
    ("标签", "tags", 16),
    ("迁出日期", "moved_out_on", 12),
    ("备注", "note", 20),
]
TEXT_FIELDS = {"id_number", "phone", "household_no", "building", "unit", "room"}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

# Cells a spreadsheet would execute as a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a quote so a cell starting with = + - @ tab or CR is shown, never executed."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def roster_template(grids: Iterable[Grid]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "人口信息"
    options = wb.create_sheet("选项")
    grids = list(grids)
    lists = {
        "sex": list(vocab.SEX.values()),
        "residence_type": list(vocab.RESIDENCE_TYPE.values()),
        "grid": [f"{g.community.name} · {g.name}" if _ambiguous(g, grids) else g.name for g in grids],
        "relation": list(vocab.RELATION.values()),
        "political_status": list(vocab.POLITICAL_STATUS.values()),
        "tags": [t.name for t in PopulationTag.objects.filter(is_active=True)],
    }
    for col, (header, field, width) in enumerate(TEMPLATE_COLUMNS, start=1):
        letter = get_column_letter(col)
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        ws.column_dimensions[letter].width = width
        if field in TEXT_FIELDS:
            # Text format keeps 18-digit ID numbers and leading zeros intact.
            for row in range(2, 1002):
                ws.cell(row=row, column=col).number_format = "@"
        if field in lists and lists[field]:
            values = lists[field]
            for i, value in enumerate(values, start=1):
                options.cell(row=i, column=col, value=value)
            validation = DataValidation(
                type="list",
                formula1=f"'选项'!${letter}$1:${letter}${len(values)}",
                allow_blank=True,
                # Several tags may be typed, separated by 、 so a free entry is allowed there.
                showErrorMessage=field != "tags",
                errorTitle="输入有误",
                error="请从下拉列表中选择。",
            )
            validation.add(f"{letter}2:{letter}5000")
            ws.add_data_validation(validation)
    example = {
        "name": "张三",
        "id_number": "110105198005121234",
        "sex": "男",
        "phone": "13800138000",
        "ethnicity": "汉族",
        "grid": lists["grid"][0] if lists["grid"] else "",
        "residence_type": "户籍人口",
        "estate": "东风小区",
        "building": "1",
        "unit": "2",
        "room": "301",
        "household_no": "",
        "relation": "户主",
        "political_status": "群众",
        "tags": "",
        "moved_out_on": "",
        "note": "示例行，导入前请删除",
    }
    for col, (_header, field, _width) in enumerate(TEMPLATE_COLUMNS, start=1):
        ws.cell(row=2, column=col, value=example[field])
    ws.freeze_panes = "A2"
    options.sheet_state = "hidden"
    return _save(wb)


def _ambiguous(grid: Grid, grids: list[Grid]) -> bool:
    return sum(1 for g in grids if g.name == grid.name) > 1


def rejected_rows(fileobj, errors: list[list[Any]], *, sheet: str | None = None) -> bytes:
    """The header and every rejected row of the upload's sheet `sheet`, with a 错误原因 column added."""
    reasons: dict[int, list[str]] = {}
    for row, column, message in errors:
        reasons.setdefault(row, []).append(f"{column}：{message}")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误行")
    width = 0
    for number, values in reader.iter_rows(fileobj, sheet=sheet):
        if not width:
            if {"name", "id_number"} <= set(match_header(values).values()):
                width = len(values)
                ws.append(["原行号", *[neutralise(normalise_text(v)) for v in values], "错误原因"])
            continue
        if number in reasons:
            cells = [neutralise(v) for v in values[:width]] + [None] * (width - len(values))
            # Each reason is a sentence with its own full stop; joined, only the last one keeps it.
            ws.append([number, *cells, "；".join(r.rstrip("。.") for r in reasons[number]) + "。"])
    return _save(wb)
