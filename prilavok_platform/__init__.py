"""Shared platform code for the Prilavok services: configuration, errors, auth,
gRPC server/client plumbing, NATS, MongoDB, the transactional outbox and telemetry.

Nothing here connects at import time.
"""
