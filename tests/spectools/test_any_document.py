"""``lint`` and ``diff`` on documents unlike ours: every valid OpenAPI 3.0 and 3.1 construction
they may meet, example values that look like references, and a large generated spec."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.spectools.specs import EXAMPLES_AS_DATA, VALID_30, VALID_31, generated, write
from token_api.spectools.diff import diff_documents
from token_api.spectools.lint import lint
from token_api.spectools.loading import Spec, load

Doc = dict[str, Any]


def test_refs_in_example_values_are_data_not_references() -> None:
    document = yaml.safe_load(EXAMPLES_AS_DATA)
    found = [f for f in lint(Spec(document, "spec", None)) if f.rule == "valid-openapi"]
    # The one real reference that leads nowhere, a property that happens to be named "default".
    assert [(f.location, f.message) for f in found] == [
        (
            "/components/schemas/S/properties/default",
            "$ref '#/components/schemas/Missing' points to nothing.",
        )
    ]


def _variant(document: Doc) -> Doc:
    """A changed copy touching many keywords, so diff walks every part of the document."""
    changed = copy.deepcopy(document)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if key == "maxLength" or key == "maxItems":
                    node[key] = value + 1
                elif key == "type" and value == "string":
                    node[key] = ["string", "null"]
                elif key == "required" and isinstance(value, list) and value:
                    node[key] = value[:-1]
                elif key == "description" and isinstance(value, str):
                    node[key] = value + "!"
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(changed)
    return changed


@pytest.mark.parametrize("text", [VALID_30, VALID_31], ids=["3.0", "3.1"])
def test_lint_and_diff_read_every_valid_construction(text: str) -> None:
    document = yaml.safe_load(text)
    found = lint(Spec(document, "spec", None))
    assert [f for f in found if f.rule == "valid-openapi"] == []
    assert diff_documents(document, document) == []
    for old, new in ((document, _variant(document)), (_variant(document), document)):
        assert diff_documents(old, new)  # changes found, and no exception


def test_a_large_spec_lints_and_diffs(tmp_path: Path) -> None:
    old, new = generated(400), generated(400, version=1)
    found = lint(load(str(write(tmp_path / "large.yaml", old))))
    assert [f for f in found if f.rule == "valid-openapi"] == []
    changes = diff_documents(old, new)
    # One change in a component every operation reaches: listed once, with all 400 operations.
    relaxed = [c for c in changes if c.rule == "response-constraint-relaxed"]
    assert len(relaxed) == 1 and len(relaxed[0].operations) == 400


ECMA_PATTERN = """
openapi: 3.0.3
info: {title: Patterns, version: '1'}
paths: {}
components:
  schemas:
    Name:
      type: string
      pattern: '^[\\w-.]+$'
      example: a.b-c
    Other:
      type: string
      pattern: '^[\\w-.]+$'
      example: not a name
"""


def test_an_ecma_pattern_python_cannot_compile_is_read_as_ecma() -> None:
    """``[\\w-.]``: in ECMA-262 the hyphen is literal; Python's re refuses the range."""
    document = yaml.safe_load(ECMA_PATTERN)
    assert document["components"]["schemas"]["Name"]["pattern"] == "^[\\w-.]+$"
    found = [f for f in lint(Spec(document, "spec", None)) if f.rule == "example-valid"]
    assert [f.location for f in found] == ["/components/schemas/Other/example"]
