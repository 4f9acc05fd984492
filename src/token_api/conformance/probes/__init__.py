"""The scenario checks: each sends the requests no generator can be relied on to send (a caller's
role, a key presented back, a field at its bound) and judges their answers. They register
themselves (``registry.scenario_check``) when ``registry.checks()`` imports these modules."""
