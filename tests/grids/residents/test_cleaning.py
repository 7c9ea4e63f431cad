"""Cleaning of resident values from messy Excel roster cells; no database needed."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation
from stdnum.cn.ric import calc_check_digit

from grids.residents.cleaning import (
    CellError,
    clean_choice,
    clean_id_number,
    clean_name,
    clean_phone,
    id_birth_date,
    id_sex,
    normalise_text,
    parse_date,
)

EXCEL_MESSAGE = "Excel stored this ID number as a number"


def make_id(first17: str) -> str:
    """A synthetic ID with a correct check digit (calc_check_digit ignores the last character it is given)."""
    return first17 + calc_check_digit(first17 + "?")


def wrong_check_digit(first17: str) -> str:
    right = calc_check_digit(first17 + "?")
    return first17 + ("1" if right == "0" else "0")


VALID_ID = make_id("11010519800512123")  # male: sequence digit 3 is odd
FEMALE_ID = make_id("11010519800512124")
# A sequence that makes the check digit X, to exercise lower-case and full-width x.
X_ID = next(make_id(f"110105198005121{n:02d}") for n in range(100) if make_id(f"110105198005121{n:02d}")[-1] == "X")
# What 110105198005121234 looks like after Excel rounded it to 15 significant digits.
EXCEL_ROUNDED_ID = "110105198005121000"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, "", id="none"),
        pytest.param(42, "42", id="int"),
        pytest.param(13800138000.0, "13800138000", id="integral-float"),
        pytest.param(1.5, "1.5", id="fractional-float"),
        pytest.param("  张三\u3000", "张三", id="spaces-and-ideographic-space"),
        pytest.param("\ufeff\u200b张三\u200b", "张三", id="zero-width"),
        pytest.param("ＡＢＣ　１２３", "ABC 123", id="full-width"),
        pytest.param("a \t\n  b", "a b", id="collapse-internal"),
    ],
)
def test_normalise_text(raw: object, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("张 三", "张三", id="cjk-gap"),
        pytest.param(" 欧阳\u3000 娜娜 ", "欧阳娜娜", id="cjk-ideographic-space"),
        pytest.param("John  Smith", "John Smith", id="latin"),
        pytest.param("Ｊｏｈｎ Ｓｍｉｔｈ", "John Smith", id="full-width-latin"),
        pytest.param("阿卜杜·热合曼", "阿卜杜·热合曼", id="middle-dot"),
        pytest.param("阿卜杜•热合曼", "阿卜杜•热合曼", id="bullet-dot"),
        pytest.param("阿卜杜･热合曼", "阿卜杜・热合曼", id="half-width-katakana-dot"),
        pytest.param("李〇", "李〇", id="ideographic-zero"),
        pytest.param("\U00020bb7丽", "\U00020bb7丽", id="extension-b"),
        pytest.param("Jean-Luc O'Neil", "Jean-Luc O'Neil", id="hyphen-apostrophe"),
        pytest.param("John D. Smith", "John D. Smith", id="initial-with-dot"),
        pytest.param("José Müller", "José Müller", id="accented-latin"),
        pytest.param("Jose\u0301", "José", id="combining-accent"),
        pytest.param("Баир Цыбиков", "Баир Цыбиков", id="cyrillic"),
        pytest.param("ཚེ་རིང", "ཚེ་རིང", id="tibetan"),
    ],
)
def test_clean_name(raw: object, expected: str) -> None:
    assert clean_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(None, "required", id="none"),
        pytest.param(" \u3000", "required", id="blank"),
        pytest.param("张" * 65, "longer than 64", id="too-long"),
        pytest.param("张三2", "contains digits", id="digit"),
        pytest.param("张三２", "contains digits", id="full-width-digit"),
    ],
)
def test_clean_name_rejects(raw: object, message: str) -> None:
    with pytest.raises(CellError, match=message):
        clean_name(raw)


@pytest.mark.parametrize(
    ("raw", "characters"),
    [
        pytest.param("<b>加粗</b>", "“<” “>” “/”", id="bold-markup"),
        pytest.param("<img src=x onerror=alert()>", "“<” “=” “(” “)” “>”", id="img-markup"),
        pytest.param("张三&amp;", "“&” “;”", id="entity"),
        pytest.param("＜张三＞", "“<” “>”", id="full-width-angle-brackets"),
        pytest.param('张"三', '“"”', id="quote"),
        pytest.param("张三😀", "“😀”", id="emoji"),
        pytest.param("张\x07三", "U+0007", id="control-character"),
        pytest.param("\u0301张三", "U+0301", id="leading-combining-mark"),
        pytest.param("张三@163", None, id="digits-are-named-first"),
    ],
)
def test_clean_name_rejects_characters_that_are_not_part_of_a_name(raw: str, characters: str | None) -> None:
    with pytest.raises(CellError) as caught:
        clean_name(raw)
    message = str(caught.value)
    if characters is None:
        assert "contains digits" in message
    else:
        assert f"contains characters that are not part of a name: {characters}." in message
        assert "Chinese characters" in message


def test_clean_name_needs_a_letter() -> None:
    with pytest.raises(CellError, match="has no letters or Chinese characters"):
        clean_name("·")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(VALID_ID, VALID_ID, id="valid"),
        pytest.param(FEMALE_ID, FEMALE_ID, id="valid-female"),
        pytest.param(VALID_ID.translate(FULL_WIDTH), VALID_ID, id="full-width-digits"),
        pytest.param(X_ID.translate(FULL_WIDTH).replace("Ｘ", "ｘ"), X_ID, id="full-width-lower-x"),
        pytest.param(X_ID.lower(), X_ID, id="lower-x"),
        pytest.param(f"  {VALID_ID}\u3000", VALID_ID, id="surrounding-spaces"),
        pytest.param(f"\ufeff{VALID_ID}\u200b", VALID_ID, id="zero-width"),
        pytest.param(f"{VALID_ID[:6]} {VALID_ID[6:14]}-{VALID_ID[14:]}", VALID_ID, id="spaces-and-hyphens"),
        # Changping became 110114 in 1999; a 1950-born resident who moved there since has that code.
        pytest.param(make_id("11011419500101123"), make_id("11011419500101123"), id="region-newer-than-birth"),
    ],
)
def test_clean_id_number(raw: object, expected: str) -> None:
    assert clean_id_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(110105198005121234, EXCEL_MESSAGE, id="int"),
        pytest.param(1.10105198005121e17, EXCEL_MESSAGE, id="float"),
        pytest.param("1.10105E+17", EXCEL_MESSAGE, id="scientific-text"),
        pytest.param("1.10105e17", EXCEL_MESSAGE, id="scientific-text-lower"),
        pytest.param(EXCEL_ROUNDED_ID, EXCEL_MESSAGE, id="ends-000"),
        pytest.param(wrong_check_digit("11010519800512123"), "check digit", id="bad-check-digit"),
        pytest.param(VALID_ID[:-1], "must be 18 characters", id="too-short"),
        pytest.param(VALID_ID + "1", "must be 18 characters", id="too-long"),
        pytest.param("11010519800512123" + "Y", "must be 18 characters", id="bad-last-char"),
        pytest.param("1101051980X5121234", "must be 18 characters", id="letter-inside"),
        pytest.param(make_id("11010519800230123"), "does not exist", id="impossible-birth-date"),
        pytest.param(make_id("11010520991231123"), "in the future", id="future-birth-date"),
        pytest.param("", "required", id="empty"),
    ],
)
def test_clean_id_number_rejects(raw: object, message: str) -> None:
    with pytest.raises(CellError, match=message):
        clean_id_number(raw)


def test_excel_message_explains_the_fix() -> None:
    with pytest.raises(CellError) as caught:
        clean_id_number(110105198005121234)
    message = str(caught.value)
    assert "cannot be recovered" in message
    assert "Format the ID number column as Text" in message


def test_excel_rounded_id_really_fails_the_checksum() -> None:
    assert calc_check_digit(EXCEL_ROUNDED_ID) != "0"


def test_valid_id_ending_000_is_accepted() -> None:
    # A genuine ID can end in 000 when its check digit happens to be 0; only failing ones are blamed on Excel.
    genuine = next(
        candidate
        for candidate in (make_id(f"110105198005{day:02d}{n}00") for day in range(1, 29) for n in range(10))
        if candidate.endswith("000")
    )
    assert clean_id_number(genuine) == genuine


def test_future_birth_date_uses_local_date() -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(CellError, match="in the future"):
        clean_id_number(make_id(f"110105{tomorrow:%Y%m%d}123"))


@pytest.mark.parametrize(
    ("id_number", "birth", "sex"),
    [
        pytest.param(VALID_ID, datetime.date(1980, 5, 12), "M", id="male"),
        pytest.param(FEMALE_ID, datetime.date(1980, 5, 12), "F", id="female"),
        pytest.param(X_ID, datetime.date(1980, 5, 12), "M" if int(X_ID[16]) % 2 else "F", id="x-check-digit"),
    ],
)
def test_birth_date_and_sex(id_number: str, birth: datetime.date, sex: str) -> None:
    assert id_birth_date(id_number) == birth
    assert id_sex(id_number) == sex


MAY_12 = datetime.date(1980, 5, 12)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(" \u3000", None, id="blank"),
        pytest.param(datetime.datetime(1980, 5, 12, 8, 30), MAY_12, id="datetime"),
        pytest.param(MAY_12, MAY_12, id="date"),
        pytest.param("1980.5.12", MAY_12, id="dots"),
        pytest.param("1980-05-12", MAY_12, id="iso"),
        pytest.param("1980/5/12", MAY_12, id="slashes"),
        pytest.param("1980年5月12日", MAY_12, id="chinese-ri"),
        pytest.param("1980年05月12号", MAY_12, id="chinese-hao"),
        pytest.param("1980 年 5 月 12 日", MAY_12, id="chinese-spaced"),
        pytest.param("１９８０年５月１２日", MAY_12, id="chinese-full-width"),
        pytest.param("19800512", MAY_12, id="compact"),
        pytest.param("1980-5-12 00:00:00", MAY_12, id="with-time"),
        pytest.param(29353, MAY_12, id="excel-serial-int"),
        pytest.param(29353.0, MAY_12, id="excel-serial-float"),
        pytest.param(29353.75, MAY_12, id="excel-serial-with-time"),
        pytest.param(61, datetime.date(1900, 3, 1), id="excel-serial-after-fake-leap-day"),
    ],
)
def test_parse_date(raw: object, expected: datetime.date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("1980-02-30", id="impossible"),
        pytest.param("1980年2月30日", id="impossible-chinese"),
        pytest.param("19801301", id="impossible-compact"),
        pytest.param("1980-5/12", id="mixed-separators"),
        pytest.param("80.5.12", id="two-digit-year"),
        pytest.param("May 12, 1980", id="english"),
        pytest.param("0980-05-12", id="year-out-of-range"),
        pytest.param(60, id="excel-fake-leap-day"),
        pytest.param(0, id="excel-serial-zero"),
        pytest.param(-5, id="excel-serial-negative"),
        pytest.param(2958465, id="excel-serial-after-2100"),
        pytest.param(1e12, id="excel-serial-overflow"),
        pytest.param(True, id="boolean"),
    ],
)
def test_parse_date_rejects(raw: object) -> None:
    with pytest.raises(CellError, match="is not a valid date") as caught:
        parse_date(raw)
    assert "1980年5月12日" in str(caught.value)


def test_parse_date_message_quotes_the_value() -> None:
    with pytest.raises(CellError, match="“1980-02-30”"):
        parse_date("1980-02-30")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, "", id="none"),
        pytest.param("", "", id="empty"),
        pytest.param(13800138000.0, "13800138000", id="float"),
        pytest.param(13800138000, "13800138000", id="int"),
        pytest.param("138 0013 8000", "13800138000", id="spaces"),
        pytest.param("138-0013-8000", "13800138000", id="hyphens"),
        pytest.param("１３８００１３８０００", "13800138000", id="full-width"),
        pytest.param("+86 138 0013 8000", "13800138000", id="plus-86"),
        pytest.param("8613800138000", "13800138000", id="86"),
        pytest.param("(020) 8300-1234", "02083001234", id="landline-parentheses"),
        pytest.param("（020）83001234", "02083001234", id="landline-full-width-parentheses"),
        pytest.param("0755-1234567", "07551234567", id="landline-seven-digits"),
    ],
)
def test_clean_phone(raw: object, expected: str) -> None:
    assert clean_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("12800138000", id="bad-mobile-prefix"),
        pytest.param("1380013800", id="short-mobile"),
        pytest.param("138001380001", id="long-mobile"),
        pytest.param("83001234", id="landline-without-area-code"),
        pytest.param(2083001234.0, id="landline-lost-leading-zero"),
        pytest.param("13800138000/13900139000", id="two-numbers"),
        pytest.param("无", id="text"),
    ],
)
def test_clean_phone_rejects(raw: object) -> None:
    with pytest.raises(CellError, match="is not a valid phone number"):
        clean_phone(raw)


SEX_CHOICES = {"男": "M", "女": "F", "Male": "M", "Female": "F"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("男", "M", id="chinese"),
        pytest.param(" 女\u3000", "F", id="chinese-spaces"),
        pytest.param("male", "M", id="latin-lower"),
        pytest.param("FEMALE", "F", id="latin-upper"),
        pytest.param("Ｍａｌｅ", "M", id="latin-full-width"),
    ],
)
def test_clean_choice(raw: object, expected: str) -> None:
    assert clean_choice(raw, SEX_CHOICES, "sex") == expected


def test_clean_choice_unknown_lists_spellings() -> None:
    with pytest.raises(CellError) as caught:
        clean_choice("未知", SEX_CHOICES, "sex")
    assert str(caught.value) == "“未知” is not a valid sex; use one of: 男, 女, Male, Female."


@pytest.mark.parametrize("raw", [pytest.param(None, id="none"), pytest.param("  ", id="blank")])
def test_clean_choice_required(raw: object) -> None:
    with pytest.raises(CellError, match="sex is required"):
        clean_choice(raw, SEX_CHOICES, "sex")


def test_region_codes_unknown_to_the_region_table_are_accepted():
    # stdnum's region lookup raises KeyError for some codes; the importer must not crash on them.
    for region in ("110143", "990000", "441900"):
        assert clean_id_number(make_id(region + "19800512123")) == make_id(region + "19800512123")
