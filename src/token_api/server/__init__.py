"""The reference server: Connexion binds each operationId to a handler in ``handlers``."""
