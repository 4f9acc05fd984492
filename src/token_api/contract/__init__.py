"""Contract enforcement: the OpenAPI 3.1 document, Draft 2020-12 validation, and error shapes.

Connexion 3.3 routes requests and checks credentials; this package supplies what it lacks for a
3.1 contract, through its extension points (validator_map, security_map, error handlers) and
one documented patch (connexion_compat).
"""
