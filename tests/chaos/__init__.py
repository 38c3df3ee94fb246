"""The crash test (`make chaos`, `python -m tests.chaos`): hundreds of concurrent claim, refund
and fine flows against the whole suite on a durable embedded MongoDB, with duplicated and retried
requests, while services are SIGKILLed and restarted; then the ledger is checked against every
outcome a caller was told about. See docs/contributing.md, "Crash test"."""
