"""Safety checks on uploaded .xlsx resident rosters, before any sheet is parsed.

Every limit is checked without loading the workbook, and every unusable file is refused
with a message that tells the user how to fix it. grids.roster.reader streams the rows.
"""

from __future__ import annotations

import codecs
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, NoReturn
from xml.etree import ElementTree

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
WORKBOOK_PART = "xl/workbook.xml"
# Transitional and Strict OOXML use different main namespaces; both name sheets <sheet>.
SHEET_TAGS = {
    "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet",
    "{http://purl.oclc.org/ooxml/spreadsheetml/main}sheet",
}
MAX_WORKBOOK_PART = 2 * 1024 * 1024
# Small XML parts legitimately compress far beyond any sane ratio, so only big members are judged.
RATIO_MIN_SIZE = 1024 * 1024
CHUNK = 64 * 1024

# Whatever zipfile or the sheet reader raise on a damaged file, the user's remedy is the same. RuntimeError also covers
# NotImplementedError: zip-password members and unsupported compression methods.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError)
READ_ERRORS = (*ZIP_ERRORS, SyntaxError, LookupError, ValueError, TypeError)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 200_000
    max_uncompressed: int = 400 * 1024 * 1024
    max_ratio: int = 200
    max_sheets: int = 20


DEFAULT_LIMITS = Limits()


class UploadRejected(ValueError):
    """The file cannot be read; str(error) is the message for the user."""


def unreadable() -> UploadRejected:
    return UploadRejected(
        _(
            "The file could not be read; it may be damaged. Open it in Excel or WPS, save it again as "
            ".xlsx (Excel workbook), then upload again."
        )
    )


def inspect(fileobj: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse files that cannot be a usable roster, without parsing any cell data.

    Leaves ``fileobj`` positioned at 0, whether the file is accepted or not.
    """
    try:
        _inspect(fileobj, limits)
    finally:
        fileobj.seek(0)


def _inspect(fileobj: BinaryIO, limits: Limits) -> None:
    size = fileobj.seek(0, 2)
    if size > limits.max_bytes:
        raise UploadRejected(
            _("The file is larger than %(limit)s. Split the roster into smaller files and upload them one at a time.")
            % {"limit": filesizeformat(limits.max_bytes)}
        )
    if size == 0:
        raise UploadRejected(_("The file is empty. Choose the roster workbook again and upload it."))
    fileobj.seek(0)
    head = fileobj.read(CHUNK)
    if head.startswith(OLE2_MAGIC):
        _reject_ole2(fileobj)
    if not head.startswith(b"PK"):
        _reject_not_zip(head)
    try:
        archive = zipfile.ZipFile(fileobj)
    except READ_ERRORS as exc:
        raise unreadable() from exc
    with archive:
        _check_archive(archive, limits)


def _reject_ole2(fileobj: BinaryIO) -> NoReturn:
    """Both legacy .xls and password-protected .xlsx are OLE2 containers; only the latter holds EncryptionInfo."""
    fileobj.seek(0)
    tail = b""
    while chunk := fileobj.read(CHUNK):
        # Keep an overlap so a name split across two chunks is still found.
        if ENCRYPTION_INFO in tail + chunk:
            raise UploadRejected(
                _(
                    "This workbook is protected with a password. Open it in Excel or WPS, remove the password "
                    "(File > Info > Protect Workbook), save it, then upload again."
                )
            )
        tail = chunk[-len(ENCRYPTION_INFO) :]
    raise UploadRejected(
        _(
            "This is an old-format .xls file. Open it in Excel or WPS and save it as .xlsx (Excel workbook), "
            "then upload again."
        )
    )


def _looks_like_csv(head: bytes) -> bool:
    for encoding in ("utf-8-sig", "gb18030"):
        # An incremental decoder tolerates a multi-byte character cut off at the end of the sample.
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if any(ch < " " and ch not in "\t\r\n" for ch in text):
            return False
        return "," in text or "\t" in text
    return False


def _reject_not_zip(head: bytes) -> NoReturn:
    if _looks_like_csv(head):
        raise UploadRejected(
            _(
                "This file is not an Excel .xlsx workbook; it looks like a CSV text file. Open it in Excel or WPS "
                "and save it as .xlsx (Excel workbook), then upload again."
            )
        )
    raise UploadRejected(
        _(
            "This file is not an Excel .xlsx workbook. Open the roster in Excel or WPS and save it as .xlsx "
            "(Excel workbook), then upload again."
        )
    )


def _check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    members = archive.infolist()
    names = {info.filename for info in members}
    if WORKBOOK_PART not in names:
        raise UploadRejected(
            _(
                "This file is not an Excel workbook (it may be a Word document or another zip archive). "
                "Put the roster in Excel or WPS, save it as .xlsx (Excel workbook), then upload again."
            )
        )
    # zipfile stops decompressing a member at its declared size, so declared sizes are a real upper bound.
    total = sum(info.file_size for info in members)
    bomb = any(
        info.file_size > RATIO_MIN_SIZE and info.file_size > limits.max_ratio * max(info.compress_size, 1)
        for info in members
    )
    if total > limits.max_uncompressed or bomb:
        raise UploadRejected(
            _(
                "The file is too large when unpacked. Remove unused sheets, pictures and formatting, or split the "
                "roster into smaller files, then upload again."
            )
        )
    count = _count_sheets(archive)
    if count == 0:
        raise UploadRejected(
            _("The workbook has no sheets. Put the roster on the first sheet, save it as .xlsx, then upload again.")
        )
    if count > limits.max_sheets:
        raise UploadRejected(
            _(
                "The workbook has %(count)s sheets, more than the %(limit)s allowed. Delete the extra sheets, "
                "keeping the roster as the first sheet, then upload again."
            )
            % {"count": count, "limit": limits.max_sheets}
        )


def _count_sheets(archive: zipfile.ZipFile) -> int:
    if archive.getinfo(WORKBOOK_PART).file_size > MAX_WORKBOOK_PART:
        raise unreadable()
    try:
        data = archive.read(WORKBOOK_PART)
    except READ_ERRORS as exc:
        raise unreadable() from exc
    # A real workbook part never declares a DTD; refusing one rules out entity-expansion tricks.
    if b"<!DOCTYPE" in data.upper():
        raise unreadable()
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - size-capped and DTD-free, checked above
    except ElementTree.ParseError as exc:
        raise unreadable() from exc
    return sum(1 for element in root.iter() if element.tag in SHEET_TAGS)


def empty_workbook() -> UploadRejected:
    return UploadRejected(
        _(
            "The workbook is empty: its first sheet has no data. Put the roster on the first sheet, save it, "
            "then upload again."
        )
    )
