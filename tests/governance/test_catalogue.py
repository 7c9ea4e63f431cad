"""The Simplified Chinese catalogue is complete, compiled, and covers every string in the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")


def _translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def test_every_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po if not _translated(e)] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert "nplurals=1" in po.metadata["Plural-Forms"]


def test_compiled_catalogue_matches_the_source():
    po = {(e.msgid, e.msgstr or e.msgstr_plural.get(0, "")) for e in polib.pofile(str(PO)) if not e.obsolete}
    mo = {(e.msgid, e.msgstr or e.msgstr_plural.get(0, "")) for e in polib.mofile(str(MO))}
    assert po - mo == set(), "run `make messages` to recompile django.mo"


def test_every_string_in_code_and_templates_is_in_the_catalogue(tmp_path):
    need_service("gettext (xgettext)", shutil.which("xgettext") is not None)
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", "var", ".git", "test-results", "staticfiles", "__pycache__"),
    )
    env = dict(os.environ, VAR_DIR=str(tmp_path / "var"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    fresh = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))
    assert sorted(e.msgid for e in fresh if not _translated(e) or "fuzzy" in e.flags) == []
