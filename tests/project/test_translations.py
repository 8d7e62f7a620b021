"""Every string of the templates, the Python code and the client is
translated into Russian: makemessages, run on a copy of the source, finds
no msgid in locale/ru that lacks a translation or is only a fuzzy guess.
A new {% translate %} or gettext() without its Russian fails here."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SOURCES = [
    "manage.py",
    "project",
    "accounts",
    "chat",
    "presence",
    "realtime",
    "protocol",
    "templates",
    "static",
    "locale",
]
FIELD = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?|msgctxt) "(.*)"$')


def entries(po: Path) -> list[dict]:
    """The entries of a .po file: {"msgid", "msgstr": [...], "fuzzy"}."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        entry = {"msgid": "", "msgstr": [], "fuzzy": False}
        field = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["fuzzy"] = entry["fuzzy"] or "fuzzy" in line
            elif match := FIELD.match(line):
                field = match.group(1)
                if field.startswith("msgstr"):
                    entry["msgstr"].append(match.group(2))
                elif field == "msgid":
                    entry["msgid"] = match.group(2)
            elif line.startswith('"') and field is not None:
                if field.startswith("msgstr"):
                    entry["msgstr"][-1] += line[1:-1]
                elif field == "msgid":
                    entry["msgid"] += line[1:-1]
        if entry["msgstr"]:
            found.append(entry)
    return found


def untranslated(po: Path) -> list[str]:
    """msgids with an empty msgstr (any plural form) or only a fuzzy guess;
    the header (the empty msgid) aside."""
    return [
        entry["msgid"]
        for entry in entries(po)
        if entry["msgid"] and (entry["fuzzy"] or not all(entry["msgstr"]))
    ]


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is missing")
def test_every_string_has_its_russian(tmp_path):
    copy = tmp_path / "src"
    copy.mkdir()
    for name in SOURCES:
        source = BASE_DIR / name
        if source.is_dir():
            shutil.copytree(
                source,
                copy / name,
                ignore=shutil.ignore_patterns("*.mo", "__pycache__"),
            )
        else:
            shutil.copy(source, copy / name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "1"}
    for domain in ("django", "djangojs"):
        command = [sys.executable, "manage.py", "makemessages", "-l", "ru"]
        command += ["-d", domain, "--no-obsolete", "--ignore=static/admin"]
        command += ["--ignore=static/vendor"]
        subprocess.run(
            command, cwd=copy, env=env, check=True, capture_output=True, timeout=120
        )
    missing = {
        domain: untranslated(copy / "locale" / "ru" / "LC_MESSAGES" / f"{domain}.po")
        for domain in ("django", "djangojs")
    }
    assert missing == {"django": [], "djangojs": []}, (
        "Strings without their Russian (locale/ru/LC_MESSAGES): run "
        "`manage.py makemessages -l ru` and `-d djangojs`, then translate them."
    )
