"""``token-api diff``: every change between two specs, breaking or not, with rule and reason."""

from token_api.spectools.diff.changes import Change, rule_ids
from token_api.spectools.diff.operations import diff_documents

__all__ = ["Change", "diff_documents", "rule_ids"]
