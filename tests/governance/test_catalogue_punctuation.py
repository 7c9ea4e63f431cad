"""Chinese punctuation in the Simplified Chinese catalogue: full-width brackets around Chinese
text, no ASCII commas or colons after Chinese characters, and no mark doubled (“有误。；”)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

PO = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"
HAN = r"\u3400-\u9fff"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdi]|\{\w*\}")
PROBLEMS = {
    "ASCII bracket next to Chinese text": re.compile(rf"[{HAN}][()]|[()][{HAN}]|\([^()]*[{HAN}][^()]*\)"),
    "ASCII , ; : ! ? after Chinese text": re.compile(rf"[{HAN}][,;:!?]"),
    "doubled punctuation": re.compile(r"[。；，、：！？][。；，、：！？.;,:!?]"),
}


def _msgstrs() -> list[tuple[str, str]]:
    found = []
    for entry in polib.pofile(str(PO)):
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text:
                found.append((entry.msgid, PLACEHOLDER.sub("X", text)))
    return found


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_catalogue_uses_chinese_punctuation(problem):
    pattern = PROBLEMS[problem]
    offending = [f"{msgid!r}: {text}" for msgid, text in _msgstrs() if pattern.search(text)]
    assert offending == [], "\n".join(offending)


@pytest.mark.parametrize(
    "text,problem",
    [
        ("身份证号有误。；电话有误。", "doubled punctuation"),
        ("照片(最多 9 张)", "ASCII bracket next to Chinese text"),
        ("姓名, 身份证号", "ASCII , ; : ! ? after Chinese text"),
    ],
)
def test_the_checks_catch_what_they_are_for(text, problem):
    assert PROBLEMS[problem].search(PLACEHOLDER.sub("X", text))
