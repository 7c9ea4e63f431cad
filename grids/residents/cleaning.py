"""Turn a resident's values, as typed in a form or found in a cell of a hand-kept Excel
roster (人口信息表), into clean values.

Every cleaner takes the raw cell value as openpyxl returns it (str, int, float, datetime or None) and either
returns a clean value or raises CellError whose text can be shown to the person who uploaded the file.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl.utils.datetime import from_excel
from stdnum.cn import ric


class CellError(ValueError):
    """A cell that cannot be used; str(error) is the message for the user."""


# Invisible characters pasted in from web pages and WeChat; NFKC keeps them and they never carry meaning in a roster.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Includes the extension planes because rare characters in names (生僻字) live there.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_SCIENTIFIC_RE = re.compile(r"^\d+(?:\.\d+)?E[+-]?\d+$", re.IGNORECASE)
_ID_SHAPE_RE = re.compile(r"^\d{17}[\dX]$")
_NAME_MAX_LENGTH = 64


def normalise_text(value: object) -> str:
    """Return the cell as a single-line string with Chinese input-method quirks (full-width forms) folded away."""
    if type(value) is str:
        return _normalise_str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel stores every number as a float, so a phone number comes back as 13800138000.0.
        return str(int(value)) if value.is_integer() else str(value)
    return _normalise_str(str(value))


@lru_cache(maxsize=16_384)
def _normalise_str(text: str) -> str:
    # Cached: a roster repeats the same grid, estate, type and relation values on every row.
    if text.isascii():
        return " ".join(text.split())
    return " ".join(unicodedata.normalize("NFKC", text).translate(_INVISIBLE).split())


def clean_name(value: object) -> str:
    name = _CJK_GAP_RE.sub("", normalise_text(value))
    if not name:
        raise CellError(_("The name is required."))
    if len(name) > _NAME_MAX_LENGTH:
        raise CellError(_("The name is longer than %(max)d characters.") % {"max": _NAME_MAX_LENGTH})
    if any(ch.isdigit() for ch in name):
        raise CellError(_("The name “%(value)s” contains digits.") % {"value": name})
    if not _HAN_NAME_RE.match(name):
        _check_name_characters(name)
    return name


# Names are written in Han characters (〇 included), with a middle dot between the parts of a transliterated name
# (阿卜杜·热合曼; people type it as ·, • or ・), or in letters of any script with spaces, hyphens, dots and
# apostrophes (Jean-Luc O'Neil, Müller); the tsheg separates Tibetan syllables. Nothing else belongs in a name:
# markup such as <b> or <img …> would otherwise be stored and shown wherever the person is named.
_NAME_SEPARATORS = "·•・‧∙⋅ -‐.'’\u0f0b"
# Most names are Han characters only; they skip the character-by-character check.
_HAN_NAME_RE = re.compile(rf"^[{_CJK}〇]+(?:[·•・‧][{_CJK}〇]+)*$")


def _check_name_characters(name: str) -> None:
    wrong: list[str] = []
    letters = 0
    for ch in name:
        category = unicodedata.category(ch)
        if category[0] == "L" or ch == "〇":
            letters += 1
        elif category[0] == "M" and letters:
            continue  # a combining accent or vowel sign on the letter before it
        elif ch not in _NAME_SEPARATORS and ch not in wrong:
            wrong.append(ch)
    if wrong:
        # Invisible characters and lone accents are named by code point, as they cannot be seen in quotes.
        shown = " ".join(
            f"“{ch}”" if ch.isprintable() and unicodedata.category(ch)[0] != "M" else f"U+{ord(ch):04X}" for ch in wrong
        )
        raise CellError(
            _(
                "The name “%(value)s” contains characters that are not part of a name: %(characters)s. Write the name "
                "in Chinese characters (with · between the parts of a transliterated name) or in letters, with "
                "spaces, hyphens or dots."
            )
            % {"value": name, "characters": shown}
        )
    if not letters:
        raise CellError(_("The name “%(value)s” has no letters or Chinese characters.") % {"value": name})


def _excel_mangled_id() -> CellError:
    return CellError(
        _(
            "Excel stored this ID number as a number, so its last digits were lost and cannot be recovered. "
            "Format the ID number column as Text and enter the ID numbers again."
        )
    )


def _bad_id_shape(number: str) -> CellError:
    return CellError(
        _("“%(value)s” is not a valid ID number: it must be 18 characters, 17 digits followed by a digit or X.")
        % {"value": number}
    )


def clean_id_number(value: object, today: datetime.date | None = None) -> str:
    """Return the 18-character 公民身份号码 with an upper-case X, or raise CellError.

    `today` bounds the birth date; an import passes it once instead of asking the clock on every row.
    """
    # Excel keeps 15 significant digits, so an 18-digit number typed into a numeric cell is already damaged.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _excel_mangled_id()
    text = normalise_text(value)
    if _SCIENTIFIC_RE.match(text):
        raise _excel_mangled_id()
    number = text.replace(" ", "").replace("-", "").upper()
    if not number:
        raise CellError(_("The ID number is required."))
    # stdnum only checks that the first 17 characters are digits, so a stray last letter would read as a checksum error.
    if not _ID_SHAPE_RE.match(number):
        raise _bad_id_shape(number)
    # The region code is not judged: stdnum's region table rejects codes created after the birth year (people who
    # move their household registration get the current code) and has entries it cannot even look up.
    if ric.calc_check_digit(number) != number[-1]:
        # Rounding to 15 significant digits turns the last three digits into zeros.
        if number.isdigit() and number.endswith("000"):
            raise _excel_mangled_id()
        raise CellError(
            _("The check digit (last character) of ID number “%(value)s” is wrong; the number was probably mistyped.")
            % {"value": number}
        )
    if _id_birth_date_or_error(number) > (today or timezone.localdate()):
        raise CellError(
            _("The birth date in ID number “%(value)s” (%(date)s) is in the future.")
            % {"value": number, "date": number[6:14]}
        )
    return number


def _id_birth_date_or_error(number: str) -> datetime.date:
    try:
        return id_birth_date(number)
    except ValueError:
        raise CellError(
            _("The birth date in ID number “%(value)s” (%(date)s) does not exist.")
            % {"value": number, "date": number[6:14]}
        ) from None


def id_birth_date(id_number: str) -> datetime.date:
    """Birth date encoded in an ID number (digits 7–14); ValueError if there is no such day."""
    # Parsed directly: stdnum's get_birth_date re-cleans the number on every call, which shows in a large import.
    return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def id_sex(id_number: str) -> str:
    """ "M" or "F" from the sequence digit (odd for men) of an ID number that clean_id_number accepted."""
    return "M" if int(id_number[16]) % 2 else "F"


_DATE_MIN = datetime.date(1900, 1, 1)
_DATE_MAX = datetime.date(2100, 12, 31)
_TIME = r"(?: \d{1,2}:\d{2}(?::\d{2})?)?"
_DATE_PATTERNS = (
    re.compile(rf"^(?P<y>\d{{4}})(?P<sep>[./-])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}}){_TIME}$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
)
# Lotus 1-2-3 treated 1900 as a leap year and Excel copied it, so serial 60 is a day that never existed.
_FAKE_LEAP_DAY_SERIAL = 60


def _bad_date(value: object) -> CellError:
    return CellError(
        _(
            "“%(value)s” is not a valid date. Use a form such as 1980-05-12, 1980/5/12, 1980.5.12, "
            "1980年5月12日 or 19800512, between 1900 and 2100."
        )
        % {"value": value}
    )


def parse_date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _parse_excel_serial(value)
    text = normalise_text(value)
    if not text:
        return None
    # People type "1980 年 5 月 12 日" as often as the compact form.
    candidate = text.replace(" ", "") if "年" in text else text
    for pattern in _DATE_PATTERNS:
        match = pattern.match(candidate)
        if match:
            try:
                date = datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                raise _bad_date(text) from None
            if not _DATE_MIN <= date <= _DATE_MAX:
                raise _bad_date(text)
            return date
    raise _bad_date(text)


def _parse_excel_serial(serial: float) -> datetime.date:
    if serial < 1 or serial == _FAKE_LEAP_DAY_SERIAL:
        raise _bad_date(normalise_text(serial))
    try:
        moment = from_excel(serial)
    except (OverflowError, ValueError):
        raise _bad_date(normalise_text(serial)) from None
    date = moment.date() if isinstance(moment, datetime.datetime) else None
    if date is None or not _DATE_MIN <= date <= _DATE_MAX:
        raise _bad_date(normalise_text(serial))
    return date


_PHONE_JUNK_RE = re.compile(r"[\s\-()]")
_COUNTRY_CODE_RE = re.compile(r"^\+?86(?=\d{11}$)")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}$")


def clean_phone(value: object) -> str:
    """Return a mainland mobile or landline number as bare digits; an empty cell gives ""."""
    text = normalise_text(value)
    if not text:
        return ""
    digits = _COUNTRY_CODE_RE.sub("", _PHONE_JUNK_RE.sub("", text))
    if _MOBILE_RE.match(digits) or _LANDLINE_RE.match(digits):
        return digits
    raise CellError(
        _("“%(value)s” is not a valid phone number: use an 11-digit mobile number or a landline with area code.")
        % {"value": text}
    )


_LOOKUPS: dict[int, tuple[dict[str, str], dict[str, str]]] = {}


def _choice_lookup(choices: dict[str, str]) -> dict[str, str]:
    """Normalised spellings, computed once per choices table (a roster checks the same tables on every row)."""
    cached = _LOOKUPS.get(id(choices))
    if cached is None or cached[0] is not choices:
        cached = (choices, {normalise_text(spelling).casefold(): code for spelling, code in choices.items()})
        _LOOKUPS[id(choices)] = cached
    return cached[1]


def clean_choice(value: object, choices: dict[str, str], field_label: str, *, empty: str | None = None) -> str:
    """Map one of the accepted spellings in `choices` (case-insensitive for Latin letters) to its code.

    An empty cell gives `empty`, or is an error when `empty` is None.
    """
    text = normalise_text(value)
    if not text:
        if empty is not None:
            return empty
        raise CellError(_("%(field)s is required.") % {"field": field_label})
    lookup = _choice_lookup(choices)
    try:
        return lookup[text.casefold()]
    except KeyError:
        raise CellError(
            _("“%(value)s” is not a valid %(field)s; use one of: %(choices)s.")
            % {"value": text, "field": field_label, "choices": pgettext("list separator", ", ").join(choices)}
        ) from None


def choice_cleaner(choices: dict[str, str], field_label: str, *, empty: str | None = None) -> Callable[[object], str]:
    """clean_choice for one column of one file, remembering each distinct text cell's outcome.

    A coded column holds a handful of distinct spellings across tens of thousands of rows.
    """
    outcomes: dict[str, str | CellError] = {}

    def clean(value: object) -> str:
        if type(value) is not str:
            return clean_choice(value, choices, field_label, empty=empty)
        outcome = outcomes.get(value)
        if outcome is None:
            try:
                outcome = clean_choice(value, choices, field_label, empty=empty)
            except CellError as error:
                outcome = error
            if len(outcomes) < 1000:
                outcomes[value] = outcome
        if isinstance(outcome, CellError):
            raise CellError(str(outcome))
        return outcome

    return clean
