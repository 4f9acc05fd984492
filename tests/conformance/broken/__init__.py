"""Deliberately broken Token API servers, for testing ``token-api conformance``."""
