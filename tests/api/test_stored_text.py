"""Text the command line prints that someone else stored: any holder of a session names the keys
an admin later lists. Text output escapes control and other non-printable characters (a newline
and tabs that forge a row, terminal escape sequences, a carriage return, bidi overrides), so each
key is one row of nine fields and nothing reaches the terminal as a control; JSON output keeps
the names as stored (JSON escapes them itself). Keys are minted over HTTP, on both backends."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.api import Client
from tests.support.credentials import DEMO_USERS, keys
from tests.support.server import admin

FORGED_ROW = "\t".join(
    (str(uuid.uuid4()), "forged", DEMO_USERS["ADMIN"], "ADMIN", "all", "service", "-", "never")
)
HOSTILE_NAMES = [
    f"x\n{FORGED_ROW}\tno",
    "\x1b]0;owned\x07\x1b[31mred\x1b[0m",
    "over\rwritten\x08\x7f",
    "\u202etxt.exe",
    "next\x85line\u2028separator",
    "a backslash \\x1b is not an escape",
]


def unescaped(field: str) -> str:
    """The text an escaped field stands for (Python string-literal escapes)."""
    return field.encode("latin-1", "backslashreplace").decode("unicode_escape")


def only_printable(text: str) -> bool:
    return all(char.isprintable() or char in "\t\n" for char in text)


def test_keys_list_prints_one_row_per_key_whatever_its_name(
    api: Client, sessions: dict[str, str], deployment: dict[str, Any]
) -> None:
    db = deployment["database"]
    minted = {}
    for name in HOSTILE_NAMES:
        response = api.create({"name": name}, token=sessions["EXTERNAL"])
        assert response.status_code == 200, response.text
        minted[response.json()["api_token_id"]] = name

    text = admin("keys", "list", "--user", DEMO_USERS["EXTERNAL"], database=db).stdout
    assert only_printable(text), repr(text)
    header, *lines = text.removesuffix("\n").split("\n")
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == len(header.split("\t")) == 9 for row in rows), lines
    assert len({row[0] for row in rows}) == len(rows), "an id listed twice: a forged row"
    names = {row[0]: row[1] for row in rows}
    for key_id, name in minted.items():
        assert unescaped(names[key_id]) == name
    assert names[next(iter(minted))].startswith("x\\n")

    stored = {key["id"]: key["name"] for key in keys(db, DEMO_USERS["EXTERNAL"])}
    assert {key_id: stored[key_id] for key_id in minted} == minted
