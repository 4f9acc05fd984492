"""Schema comparison by keyword family, one module each: ``types`` (type, nullability, enum,
const, format), ``bounds`` (lengths, sizes, ranges, multipleOf, uniqueItems), ``strings``
(pattern, content encoding), ``objects`` (properties, required, readOnly/writeOnly,
additionalProperties and the other keywords about an object's members), ``arrays`` (items,
prefixItems, unevaluatedItems), ``combinations`` (anyOf, oneOf, allOf), ``subschemas``
(contains, propertyNames, contentSchema, not, if/then/else), ``discriminator``, ``defaults``,
``documentation``, and ``unranked`` for every keyword no family names.

Each family names the keywords it compares in ``KEYWORDS`` and reports through the
:class:`~token_api.spectools.diff.schemas.Pair` it is given, with the rule constants of
``rules.py``; ``schemas.Pair.run`` calls the families in order.
"""
