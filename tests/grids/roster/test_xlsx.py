"""Reading uploaded .xlsx rosters: limits, unusable files and their messages.

Every fixture file is generated here; no binary fixtures are committed.
"""

from __future__ import annotations

import io
import os
import zipfile

import openpyxl
import pytest
from django.utils import translation
from msoffcrypto.format.ooxml import OOXMLFile

from grids.roster.reader import count_rows, iter_rows
from grids.roster.xlsx import OLE2_MAGIC, Limits, UploadRejected, inspect

MB = 1024 * 1024
WORKBOOK_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")
    yield
    translation.deactivate()


def xlsx(*sheets: list[list[object]]) -> io.BytesIO:
    """A workbook with one sheet per argument; each sheet is a list of rows appended in order."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for index, rows in enumerate(sheets or ([],)):
        sheet = workbook.create_sheet(f"Sheet{index + 1}")
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def rejection(fileobj: io.BytesIO, limits: Limits | None = None) -> str:
    with pytest.raises(UploadRejected) as info:
        list(iter_rows(fileobj, limits or Limits()))
    return str(info.value)


def test_streams_rows_with_excel_numbers_skipping_blank_rows():
    book = xlsx(
        [["姓名", "身份证号", "地址", None], [], ["张三", "110101199001011234", None, None], [None], ["李四", 42]]
    )

    rows = list(iter_rows(book))

    # The sheet reader gives every number as a float, as Excel stores it; cleaning turns them back.
    assert rows == [
        (1, ["姓名", "身份证号", "地址"]),
        (3, ["张三", "110101199001011234"]),
        (5, ["李四", 42.0]),
    ]


def test_rows_past_a_wrong_stored_dimension_are_still_read():
    book = xlsx([["a"], ["b"], ["c"]])
    with zipfile.ZipFile(book) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    # Some generators write a stale <dimension>; openpyxl would stop reading at it.
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(b'ref="A1:A3"', b'ref="A1"')

    assert [number for number, _ in iter_rows(zip_of(members))] == [1, 2, 3]


def test_too_many_rows_is_rejected_before_the_sheet_is_loaded():
    # Ten rows are allowed on top of the limit for title and header rows above the data.
    book = xlsx([[f"居民{n}"] for n in range(16)])
    received = []

    with pytest.raises(UploadRejected, match="16 rows; at most 5"):
        for row in iter_rows(book, Limits(max_rows=5)):
            received.append(row)

    # The rows were counted in the compressed sheet XML: nothing was parsed or handed out.
    assert received == []


def test_max_rows_plus_title_allowance_is_accepted():
    assert len(list(iter_rows(xlsx([[n] for n in range(15)]), Limits(max_rows=5)))) == 15


def test_count_rows_reads_the_sheet_xml_without_parsing_cells():
    assert count_rows(xlsx([[n] for n in range(1234)])) == 1234


@pytest.mark.parametrize(
    ("open_tag", "close_tag"),
    [
        (b"<row r='1'>", b"</row>"),
        (b"<row>", b"</row>"),
        (b"<x:row r='1'>", b"</x:row>"),
        (b"<row\n r='1'>", b"</row>"),
    ],
    ids=["attributes", "bare", "prefixed", "line-break"],
)
def test_count_rows_across_chunk_boundaries(open_tag, close_tag):
    """A sheet part larger than the reading chunk, written as other producers write it."""
    rows = 70_000
    body = (open_tag + b"<c><v>1</v></c>" + close_tag) * rows
    part = b"<worksheet><sheetData>" + body + b"<rowBreaks count='0'/></sheetData></worksheet>"
    assert len(part) > 1024 * 1024
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", WORKBOOK_XML)
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        zf.writestr("xl/worksheets/sheet1.xml", part)
    assert count_rows(book) == rows


def test_upload_too_large():
    message = rejection(xlsx([["x" * 50]]), Limits(max_bytes=1000))
    assert "larger than 1000\xa0bytes" in message
    assert "Split the roster" in message


def test_empty_file():
    assert "The file is empty" in rejection(io.BytesIO(b""))


@pytest.mark.parametrize(
    "data",
    [
        "\ufeff姓名,身份证号,地址\n张三,110101199001011234,越秀路1号\n".encode(),
        "姓名,电话\n张三,13800000000\n李四,13900000000\n".encode("gb18030"),
        "姓名\t电话\n张三\t13800000000\n".encode("gb18030"),
    ],
    ids=["utf8-csv", "gb18030-csv", "gb18030-tsv"],
)
def test_csv_renamed_to_xlsx(data):
    message = rejection(io.BytesIO(data))
    assert "looks like a CSV text file" in message
    assert "save it as .xlsx" in message


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(4096),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00" + bytes(200),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n\x00\x01\x02\nendstream\n",
    ],
    ids=["random", "png", "pdf"],
)
def test_binary_non_workbook(data):
    message = rejection(io.BytesIO(data))
    assert message.startswith("This file is not an Excel .xlsx workbook.")
    assert "CSV" not in message


def test_legacy_xls():
    message = rejection(io.BytesIO(OLE2_MAGIC + bytes(4096)))
    assert message == (
        "This is an old-format .xls file. Open it in Excel or WPS and save it as .xlsx (Excel workbook), "
        "then upload again."
    )


def test_password_protected_workbook():
    encrypted = io.BytesIO()
    OOXMLFile(xlsx([["姓名"], ["张三"]])).encrypt("pw", encrypted)
    encrypted.seek(0)
    assert encrypted.read(8) == OLE2_MAGIC

    message = rejection(encrypted)
    assert "protected with a password" in message
    assert "remove the password" in message


def test_zip_bomb_total_uncompressed_size():
    bomb = zip_of({"xl/workbook.xml": WORKBOOK_XML, "xl/media/image1.bin": bytes(50 * MB)})
    assert len(bomb.getvalue()) < MB

    # A huge ratio limit isolates the total-size check from the ratio check.
    message = rejection(bomb, Limits(max_uncompressed=10 * MB, max_ratio=10**9))
    assert "too large when unpacked" in message


def test_zip_bomb_compression_ratio():
    bomb = zip_of({"xl/workbook.xml": WORKBOOK_XML, "xl/media/image1.bin": bytes(5 * MB)})
    assert "too large when unpacked" in rejection(bomb)


def test_small_highly_compressible_parts_are_fine():
    book = zip_of({"xl/workbook.xml": WORKBOOK_XML, "xl/styles.xml": b" " * (MB // 2)})
    inspect(book)
    assert book.tell() == 0


def test_zip_without_workbook_part():
    docx = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    assert "not an Excel workbook (it may be a Word document" in rejection(docx)


def test_too_many_sheets():
    message = rejection(xlsx([["a"]], [["b"]], [["c"]]), Limits(max_sheets=2))
    assert "has 3 sheets, more than the 2 allowed" in message


def test_workbook_without_sheets():
    no_sheets = WORKBOOK_XML.replace(b'<sheet name="Sheet1" sheetId="1" r:id="rId1"/>', b"")
    assert "has no sheets" in rejection(zip_of({"xl/workbook.xml": no_sheets}))


def test_workbook_part_with_dtd_is_refused():
    doctype = b'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY a "aaaa">]>' + WORKBOOK_XML.split(b"?>", 1)[1]
    assert "could not be read" in rejection(zip_of({"xl/workbook.xml": doctype}))


def test_empty_workbook():
    assert "The workbook is empty" in rejection(xlsx([]))


def test_truncated_zip_gets_the_generic_message():
    data = xlsx([[f"居民{n}", n] for n in range(200)]).getvalue()
    message = rejection(io.BytesIO(data[: len(data) // 2]))
    assert message.startswith("The file could not be read")
    assert "save it again as .xlsx" in message


def test_corrupt_sheet_data_gets_the_generic_message():
    data = bytearray(xlsx([[f"居民{n}", n, "越秀路"] for n in range(500)]).getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # The zip directory stays intact, so the damage only shows once openpyxl inflates the sheet.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 64] = bytes(64)

    assert rejection(io.BytesIO(bytes(data))).startswith("The file could not be read")


def test_inspect_rewinds_the_file():
    book = xlsx([["a"]])
    book.seek(7)
    inspect(book)
    assert book.tell() == 0

    text = io.BytesIO(b"a,b\n1,2\n")
    with pytest.raises(UploadRejected):
        inspect(text)
    assert text.tell() == 0


def test_file_is_rewound_when_the_consumer_stops_early():
    book = xlsx([["a"], ["b"], ["c"]])
    rows = iter_rows(book)
    for number, _values in rows:
        if number == 2:
            break
    rows.close()

    assert book.tell() == 0
