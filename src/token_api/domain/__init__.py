"""The API's rules: who may mint what, and what a token looks like. No I/O here."""
