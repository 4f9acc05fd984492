"""Reading specs: JSON through a JSON parser, YAML from libyaml's events, both giving exactly
what PyYAML's safe loader gives (keys as strings, dates as strings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.spectools.specs import EXAMPLES_AS_DATA, OUR_SPEC, VALID_30, VALID_31, generated, write
from token_api.spectools.loading import LoadError, _Loader, load, parse, string_keys


def pyyaml(text: str) -> Any:
    return string_keys(yaml.load(text, Loader=_Loader))


SCALARS = """
openapi: 3.0.3
responses: {200: ok, 4XX: client, default: other}
flags: [yes, No, on, OFF, true, False, ~, null, '', "yes"]
numbers: [1, -2, 0x1F, 0o17, 017, 1_000, 1.5, -.5e+3, .inf, -.Inf, .NaN, 1:30]
dates: [2030-01-01, 2030-01-01T10:00:00Z, '2030-01-01']
strings: [plain text, 'single', "double \\u00e9"]
blocks:
  literal: |
    literal
    block
  folded: >
    folded
    block
keys: {1: one, 2.5: two, null: four}
bools: {true: three}
anchors:
  first: &shared {type: string, maxLength: 5}
  second: *shared
  label: &word hello
  again: *word
tagged: [!!str 123, !!int '42', !!float '1', !!bool 'true', !!null '']
"""

MERGE = "base: &b {a: 1}\nchild:\n  <<: *b\n  c: 2\n"


@pytest.mark.parametrize(
    "text",
    [SCALARS, VALID_30, VALID_31, EXAMPLES_AS_DATA, OUR_SPEC.read_text(encoding="utf-8")],
    ids=["scalars", "3.0", "3.1", "examples", "our spec"],
)
def test_yaml_reads_as_pyyaml_reads_it(text: str) -> None:
    expected = pyyaml(text)
    assert parse(text, "spec") == expected
    assert json.dumps(parse(text, "spec"), sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_merge_keys_are_left_to_pyyaml_and_read_the_same() -> None:
    assert parse(MERGE, "spec") == pyyaml(MERGE) == {"base": {"a": 1}, "child": {"a": 1, "c": 2}}


def test_json_reads_as_yaml_reads_it(tmp_path: Path) -> None:
    document = generated(30)
    document["paths"]["/things0/{id}"]["put"]["responses"]["200"]["x-note"] = "é ✓"
    as_json = tmp_path / "spec.json"
    as_json.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    assert (
        load(str(as_json)).document
        == document
        == load(str(write(tmp_path / "spec.yaml", document))).document
    )


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("openapi: [unclosed", "is not YAML or JSON at line 2"),
        ("value: !custom thing\n", "could not determine a constructor for the tag '!custom'"),
        ("? [a, b]\n: value\n", "found unhashable key"),
        ("a: 1\n---\nb: 2\n", "is not YAML or JSON"),
        ("a: *nowhere\n", "is not YAML or JSON"),
        ('{"openapi": "3.1.0", ', "is not YAML or JSON"),
        ("- a list", "does not hold an OpenAPI document"),
        ("", "does not hold an OpenAPI document"),
    ],
)
def test_unreadable_text_is_one_sentence(text: str, sentence: str) -> None:
    with pytest.raises(LoadError, match=sentence):
        parse(text, "spec")
