"""``token-api diff``: every change between two specs, with rule, level and reason."""

from token_api.spectools.diff.changes import Change
from token_api.spectools.diff.operations import diff_documents
from token_api.spectools.diff.rules import RULES, Level, rule_ids

__all__ = ["RULES", "Change", "Level", "diff_documents", "rule_ids"]
