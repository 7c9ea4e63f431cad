"""Find the header row of a hand-kept roster and map its columns to resident fields."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from grids.residents.cleaning import CellError, normalise_text

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字"),
    "id_number": ("公民身份号码", "身份证号", "身份证号码", "证件号码"),
    "phone": ("联系电话", "手机号", "手机号码", "电话"),
    "sex": ("性别",),
    "birth_date": ("出生日期",),
    "ethnicity": ("民族",),
    "grid": ("网格", "所属网格"),
    "residence_type": ("居住类型", "人口类型"),
    "estate": ("小区",),
    "building": ("楼栋", "楼号"),
    "unit": ("单元",),
    "room": ("室", "房号", "门牌号"),
    "relation": ("与户主关系",),
    "household_no": ("户号",),
    "political_status": ("政治面貌",),
    "tags": ("标签", "人员标签"),
    "moved_out_on": ("迁出日期",),
    "note": ("备注",),
}

# Templates mark mandatory columns as "姓名*" or "姓名（必填）"; NFKC has already made the brackets half-width.
_REQUIRED_MARK_RE = re.compile(r"(?:\*|\(必填\))+$")
_HEADER_INDEX = {alias: field for field, aliases in HEADER_ALIASES.items() for alias in aliases}


def _header_key(cell: object) -> str:
    return _REQUIRED_MARK_RE.sub("", normalise_text(cell).replace(" ", ""))


def match_header(cells: Sequence[object]) -> dict[int, str]:
    """Column index -> canonical field for each recognised header; for a repeated field the first column wins."""
    columns: dict[int, str] = {}
    for index, cell in enumerate(cells):
        field = _HEADER_INDEX.get(_header_key(cell))
        if field and field not in columns.values():
            columns[index] = field
    return columns


def find_header_row(
    rows: Iterable[Sequence[object]], *, scan: int = 10, required: tuple[str, ...] = ("name", "id_number")
) -> tuple[int, dict[int, str]]:
    """Return the 0-based index and column map of the first row, within `scan` rows, that has every required field."""
    for index, row in enumerate(itertools.islice(rows, scan)):
        columns = match_header(row)
        if set(required) <= set(columns.values()):
            return index, columns
    raise CellError(
        _("No header row found in the first %(scan)d rows; the sheet needs columns headed %(headers)s.")
        % {
            "scan": scan,
            "headers": pgettext("list separator", ", ").join(HEADER_ALIASES[field][0] for field in required),
        }
    )
