"""Fast streaming of the first worksheet's rows, after the safety checks in xlsx.inspect.

openpyxl parses about a thousand cells per millisecond in pure Python, far too slow
for a 100,000-row roster; python-calamine (Rust) reads the same sheet twenty times
faster. Before calamine loads the sheet, its rows are counted by scanning the
compressed XML in chunks, so an oversized sheet is refused before it is in memory.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from grids.roster.xlsx import (
    DEFAULT_LIMITS,
    READ_ERRORS,
    Limits,
    UploadRejected,
    empty_workbook,
    inspect,
    unreadable,
)

_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>]")
_CHUNK = 1024 * 1024


def _small_part(zf: zipfile.ZipFile, name: str) -> bytes:
    if zf.getinfo(name).file_size > 2 * 1024 * 1024:
        raise ValueError(name)
    return zf.read(name)


def _first_sheet_part(zf: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(_small_part(zf, "xl/workbook.xml"))
    sheet = next(el for el in workbook.iter() if el.tag.endswith("}sheet"))
    rel_id = sheet.get(_NS_REL)
    rels = ElementTree.fromstring(_small_part(zf, "xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise KeyError(rel_id)


def _count_row_tags(data: bytes) -> int:
    if b":row" in data or b"<row\n" in data or b"<row\t" in data or b"<row\r" in data:
        # Prefixed tags (<x:row>) and line breaks inside a tag are rare; the regex handles them.
        return len(_ROW_TAG.findall(data))
    return data.count(b"<row ") + data.count(b"<row>")


def count_rows(fileobj: BinaryIO) -> int:
    """Count <row> elements of the first sheet while decompressing it in chunks."""
    with zipfile.ZipFile(fileobj) as zf, zf.open(_first_sheet_part(zf)) as part:
        count, tail = 0, b""
        while chunk := part.read(_CHUNK):
            data = tail + chunk
            count += _count_row_tags(data)
            # Keep a short tail so a tag split across chunks is counted once.
            cut = max(0, len(data) - 8)
            last = data.rfind(b"<", cut)
            tail = data[last:] if last != -1 else b""
            if tail:
                count -= _count_row_tags(tail)
    fileobj.seek(0)
    return count


def iter_rows(
    fileobj: BinaryIO, limits: Limits = DEFAULT_LIMITS, *, counted: int | None = None
) -> Iterator[tuple[int, list[object]]]:
    """Yield (Excel row number, cell values) of non-empty rows of the first sheet.

    `counted` is the sheet's row count when it is already known (a stored upload counted
    when it arrived), so that a large file is not scanned twice.
    """
    inspect(fileobj, limits)
    try:
        rows = counted if counted else count_rows(fileobj)
    except (*READ_ERRORS, StopIteration, ParseError):
        raise unreadable() from None
    # A few title rows above the header are allowed on top of the data-row limit.
    if rows > limits.max_rows + 10:
        raise UploadRejected(
            _(
                "The sheet has %(rows)d rows; at most %(max)d can be imported at once. "
                "Split the file and upload the parts."
            )
            % {"rows": rows, "max": limits.max_rows}  # noqa: E501
        )
    try:
        workbook = CalamineWorkbook.from_filelike(fileobj)
        sheet = workbook.get_sheet_by_index(0)
        first_row = sheet.start[0] if sheet.start else 0
        seen = False
        for index, values in enumerate(sheet.iter_rows()):
            if values.count("") + values.count(None) < len(values):
                seen = True
                while values and values[-1] in ("", None):
                    values.pop()
                yield first_row + index + 1, values
    except (CalamineError, *READ_ERRORS):
        raise unreadable() from None
    finally:
        fileobj.seek(0)
    if not seen:
        raise empty_workbook()
