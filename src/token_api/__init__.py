"""token-api: the Create Token API of the Haystack Enterprise Platform, contract first."""

__version__ = "0.1.0"
