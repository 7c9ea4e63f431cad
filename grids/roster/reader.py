"""Fast streaming of a roster's rows, after the safety checks in xlsx.inspect.

openpyxl parses about a thousand cells per millisecond in pure Python, far too slow
for a 100,000-row roster; python-calamine (Rust) reads the same sheet twenty times
faster. Before calamine loads a sheet, its rows are counted by scanning the
compressed XML in chunks, so an oversized sheet is refused before it is in memory.

The roster is the visible sheet whose first rows hold the header: workbooks often open
with a sheet of instructions (填表说明). Each sheet is loaded once; the one that holds the
roster is then read on from where its header was found.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from grids.residents.cleaning import CellError
from grids.roster.headers import find_header_row
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
# Rows looked at for the header, as find_header_row does.
HEADER_SCAN = 10
# A few title rows above the header are allowed on top of the data-row limit.
TITLE_ROWS = 10
SCAN_ERRORS = (*READ_ERRORS, StopIteration, ParseError)


@dataclass(frozen=True)
class SheetPart:
    """A sheet as workbook.xml lists it, with the zip member that holds its XML."""

    name: str
    part: str
    worksheet: bool
    hidden: bool


@dataclass
class Roster:
    """The sheet that holds the roster: its header and an iterator over the data rows below it."""

    sheet: str
    part: str
    first_column: int
    header: dict[int, str]
    header_values: list[object]
    rows: Iterator[tuple[int, list[object]]]


class SheetChoice(UploadRejected):
    """Several sheets hold a roster header; the user says which one to read."""

    def __init__(self, sheets: list[str]) -> None:
        self.sheets = sheets
        super().__init__(
            _("Several sheets have a roster header: %(sheets)s. Choose the sheet to import.")
            % {"sheets": "、".join(f"“{name}”" for name in sheets)}
        )


def header_only() -> UploadRejected:
    return UploadRejected(
        _(
            "The file has only the header row and no data rows. Fill in the residents below the header, save the "
            "file, then upload it again."
        )
    )


def _small_part(zf: zipfile.ZipFile, name: str) -> bytes:
    if zf.getinfo(name).file_size > 2 * 1024 * 1024:
        raise ValueError(name)
    return zf.read(name)


def _sheet_parts(zf: zipfile.ZipFile) -> list[SheetPart]:
    workbook = ElementTree.fromstring(_small_part(zf, "xl/workbook.xml"))
    rels = {
        rel.get("Id"): (rel.get("Target", ""), rel.get("Type", ""))
        for rel in ElementTree.fromstring(_small_part(zf, "xl/_rels/workbook.xml.rels"))
    }
    parts = []
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        target, kind = rels[sheet.get(_NS_REL)]
        parts.append(
            SheetPart(
                name=sheet.get("name", ""),
                part=target.lstrip("/") if target.startswith("/") else "xl/" + target,
                # Chart, dialog and macro sheets hold no cells (Strict OOXML spells the type in another namespace).
                worksheet=not kind or kind.endswith("/worksheet"),
                hidden=sheet.get("state", "visible") != "visible",
            )
        )
    return parts


def sheet_parts(fileobj: BinaryIO) -> list[SheetPart]:
    try:
        with zipfile.ZipFile(fileobj) as zf:
            return _sheet_parts(zf)
    except SCAN_ERRORS:
        raise unreadable() from None
    finally:
        fileobj.seek(0)


def _count_row_tags(data: bytes) -> int:
    if b":row" in data or b"<row\n" in data or b"<row\t" in data or b"<row\r" in data:
        # Prefixed tags (<x:row>) and line breaks inside a tag are rare; the regex handles them.
        return len(_ROW_TAG.findall(data))
    return data.count(b"<row ") + data.count(b"<row>")


def _count_part(zf: zipfile.ZipFile, name: str) -> int:
    with zf.open(name) as part:
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
    return count


def count_sheet_rows(fileobj: BinaryIO) -> dict[str, int]:
    """Count the <row> elements of each sheet while decompressing its XML in chunks."""
    with zipfile.ZipFile(fileobj) as zf:
        counts = {sheet.name: _count_part(zf, sheet.part) for sheet in _sheet_parts(zf)}
    fileobj.seek(0)
    return counts


def count_rows(fileobj: BinaryIO) -> int:
    """Rows of the workbook's largest sheet: a bound for whichever sheet the roster is read from."""
    return max(count_sheet_rows(fileobj).values(), default=0)


def _check_row_limit(fileobj: BinaryIO, limits: Limits, counted: int | None, sheets: Iterable[SheetPart]) -> None:
    allowed = limits.max_rows + TITLE_ROWS
    if counted and counted <= allowed:
        return  # no sheet of the workbook is larger
    try:
        counts = count_sheet_rows(fileobj)
    except SCAN_ERRORS:
        raise unreadable() from None
    rows = max((counts.get(sheet.name, 0) for sheet in sheets), default=0)
    if rows > allowed:
        raise UploadRejected(
            _(
                "The sheet has %(rows)d rows; at most %(max)d can be imported at once. "
                "Split the file and upload the parts."
            )
            % {"rows": rows, "max": limits.max_rows}  # noqa: E501
        )


def _open(fileobj: BinaryIO) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(fileobj)
    except (CalamineError, *READ_ERRORS):
        raise unreadable() from None
    finally:
        fileobj.seek(0)


def _load(workbook: CalamineWorkbook, name: str) -> CalamineSheet:
    try:
        return workbook.get_sheet_by_name(name)
    except (CalamineError, *READ_ERRORS):
        raise unreadable() from None


def _rows(sheet: CalamineSheet, fileobj: BinaryIO) -> Iterator[tuple[int, list[object]]]:
    """(Excel row number, cell values) of the sheet's non-empty rows, trailing empty cells dropped."""
    try:
        # calamine yields every row from the first (empty ones above the data included), but the cells of each
        # row only from the first used column: see Roster.first_column.
        for index, values in enumerate(sheet.iter_rows()):
            if values.count("") + values.count(None) < len(values):
                while values and values[-1] in ("", None):
                    values.pop()
                yield index + 1, values
    except (CalamineError, *READ_ERRORS):
        raise unreadable() from None
    finally:
        fileobj.seek(0)


def _named(parts: list[SheetPart], name: str | None) -> SheetPart:
    if name is None:
        return parts[0]
    for part in parts:
        if part.name == name:
            return part
    raise UploadRejected(_("The workbook has no sheet named “%(sheet)s”. Upload the file again.") % {"sheet": name})


def iter_rows(
    fileobj: BinaryIO, limits: Limits = DEFAULT_LIMITS, *, counted: int | None = None, sheet: str | None = None
) -> Iterator[tuple[int, list[object]]]:
    """Yield (Excel row number, cell values) of non-empty rows of one sheet (the first unless named).

    `counted` is the row count of the workbook's largest sheet when it is already known (a stored upload
    counted when it arrived), so that a large file is not scanned twice.
    """
    inspect(fileobj, limits)
    part = _named(sheet_parts(fileobj), sheet)
    _check_row_limit(fileobj, limits, counted, [part])
    seen = False
    for row in _rows(_load(_open(fileobj), part.name), fileobj):
        seen = True
        yield row
    if not seen:
        raise empty_workbook()


def open_roster(
    fileobj: BinaryIO, limits: Limits = DEFAULT_LIMITS, *, counted: int | None = None, sheet: str | None = None
) -> Roster:
    """Find the sheet whose first rows hold the roster's header (or read the named sheet) and return its rows.

    Hidden sheets (such as the drop-down lists of a template) are not looked at unless named. Raises
    UploadRejected when no sheet has the header or it has no rows below it, and SheetChoice when several do.
    """
    inspect(fileobj, limits)
    parts = sheet_parts(fileobj)
    if sheet is not None:
        candidates = [_named(parts, sheet)]
    else:
        candidates = [part for part in parts if part.worksheet and not part.hidden]
    _check_row_limit(fileobj, limits, counted, candidates)
    workbook = _open(fileobj)
    roster: Roster | None = None
    matched: list[str] = []
    no_header: CellError | None = None
    saw_rows = saw_header_only = False
    for part in candidates:
        loaded = _load(workbook, part.name)
        rows = _rows(loaded, fileobj)
        first = list(itertools.islice(rows, HEADER_SCAN))
        saw_rows = saw_rows or bool(first)
        try:
            index, header = find_header_row([values for _number, values in first], scan=HEADER_SCAN)
        except CellError as error:
            no_header = no_header or error
            rows.close()
            continue
        below = first[index + 1 :] or list(itertools.islice(rows, 1))
        if not below:
            saw_header_only = True
            continue
        matched.append(part.name)
        if len(matched) == 1:
            roster = Roster(
                sheet=part.name,
                part=part.part,
                first_column=loaded.start[1] if loaded.start else 0,
                header=header,
                header_values=first[index][1],
                rows=itertools.chain(below, rows),
            )
        else:
            # The user chooses, and the chosen sheet is read again: no sheet is kept in memory meanwhile.
            roster = None
            rows.close()
    if len(matched) > 1:
        raise SheetChoice(matched)
    if roster is not None:
        return roster
    if saw_header_only:
        raise header_only()
    if not saw_rows or no_header is None:
        raise empty_workbook()
    raise UploadRejected(str(no_header))


_CELL = re.compile(
    rb"<(?:\w+:)?c\s[^>]*?\br=[\"']([A-Z]{1,3})(\d+)[\"'][^>]*?(?:/>|>(.*?)</(?:\w+:)?c>)",
    re.DOTALL,
)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|t)(?:\s[^>]*)?>[^<]")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def formula_cells(fileobj: BinaryIO, part: str, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of `cells` (Excel row, 0-based column) hold a formula whose value the file does not store.

    calamine gives such a cell as empty, like a blank one: a program wrote the formula without computing it
    (Excel and WPS store the value when they save). The sheet XML is scanned in chunks, up to the last row asked
    about; this runs only for cells that were found empty where a value was required.
    """
    if not cells:
        return set()
    last_row = max(row for row, _column in cells)
    found: set[tuple[int, int]] = set()
    try:
        with zipfile.ZipFile(fileobj) as zf, zf.open(part) as xml:
            tail = b""
            done = False
            while not done:
                chunk = xml.read(_CHUNK)
                data = tail + chunk
                if chunk:
                    # Whole rows only: the rest waits for the next chunk.
                    ends = [match.end() for match in _ROW_END.finditer(data, max(0, len(data) - len(chunk) - 16))]
                    cut = ends[-1] if ends else 0
                    data, tail = data[:cut], data[cut:]
                else:
                    done = True
                if not (b"<f" in data or b":f" in data):
                    continue
                for match in _CELL.finditer(data):
                    row = int(match[2])
                    if row > last_row:
                        done = True
                        break
                    body = match[3] or b""
                    if _FORMULA.search(body) and not _VALUE.search(body):
                        cell = (row, _column_index(match[1]))
                        if cell in cells:
                            found.add(cell)
    except SCAN_ERRORS:
        return found
    finally:
        fileobj.seek(0)
    return found
