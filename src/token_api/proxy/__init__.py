"""``token-api proxy``: the contract between a real client and a real deployment.

Forwards every request unchanged (``forward``), judges each exchange by the contract's rules
(``judge``), prints each violation as it happens and reports them at exit (``findings``,
``report``), and records the traffic as HAR with every secret redacted (``har``).
"""
