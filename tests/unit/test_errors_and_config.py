import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from prilavok_platform import pagination
from prilavok_platform.config import ConfigError, Env, load_common
from prilavok_platform.errors import FieldViolation, InvalidArgument, NotFound, Validator
from prilavok_platform.grpc_server import to_status


def test_invalid_argument_maps_to_status_with_error_info_and_field_violations():
    status = to_status(InvalidArgument([FieldViolation("text", "must not be empty"), FieldViolation("role", "unknown")]))
    assert rpc_status.to_status(status).code is grpc.StatusCode.INVALID_ARGUMENT and status.code == 3
    info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    assert status.details[0].Unpack(info) and info.domain == "prilavok" and info.reason == "INVALID_ARGUMENT"
    assert status.details[1].Unpack(bad)
    assert [(v.field, v.description) for v in bad.field_violations] == [("text", "must not be empty"), ("role", "unknown")]


def test_not_found_maps_with_reason_and_metadata():
    status = to_status(NotFound("thread t1 not found", reason="THREAD_NOT_FOUND", metadata={"thread_id": "t1"}))
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert rpc_status.to_status(status).code is grpc.StatusCode.NOT_FOUND and info.reason == "THREAD_NOT_FOUND" and info.metadata["thread_id"] == "t1"


def test_validator_collects_every_violation():
    v = Validator()
    v.identifier("", "a")
    v.identifier("has space", "b")
    v.text("x" * 11, "c", max_len=10)
    with pytest.raises(InvalidArgument) as err:
        v.raise_if_any()
    assert [x.field for x in err.value.violations] == ["a", "b", "c"]


def test_config_reports_every_bad_variable_at_once():
    env = Env({"PRILAVOK_GRPC_PORT": "eighty", "OTEL_TRACES_EXPORTER": "jaeger"})
    load_common("chat", env)
    with pytest.raises(ConfigError) as err:
        env.raise_if_errors("chat")
    text = str(err.value)
    for name in ("PRILAVOK_GRPC_PORT", "OTEL_TRACES_EXPORTER", "MONGODB_URI", "NATS_URL"):
        assert name in text


def test_production_refuses_the_development_secret():
    env = Env({"PRILAVOK_ENV": "production", "MONGODB_URI": "mongodb://x", "NATS_URL": "nats://x"})
    load_common("chat", env)
    assert any("PRILAVOK_JWT_SECRET" in e for e in env.errors)


def test_config_defaults_are_complete():
    env = Env({"MONGODB_URI": "mongodb://h", "NATS_URL": "nats://h"})
    settings = load_common("returns", env)
    env.raise_if_errors("returns")
    assert settings.grpc_port == 50053 and settings.mongodb_database == "prilavok_returns"


def test_page_sizes_are_bounded():
    assert pagination.page_size(0) == 20 and pagination.page_size(1000) == 100
    with pytest.raises(InvalidArgument):
        pagination.page_size(-1)


def test_infrastructure_failures_reach_clients_as_retryable_statuses():
    from nats import errors as nats_errors
    from pymongo import errors as pymongo_errors

    from prilavok_platform.grpc_server import infrastructure_error

    assert infrastructure_error(pymongo_errors.ServerSelectionTimeoutError("no primary")).code == "UNAVAILABLE"
    assert infrastructure_error(pymongo_errors.AutoReconnect("reset")).code == "UNAVAILABLE"
    conflict = pymongo_errors.OperationFailure("WriteConflict", code=112)
    conflict._add_error_label("TransientTransactionError")
    assert infrastructure_error(conflict).code == "ABORTED"
    assert infrastructure_error(nats_errors.NoServersError()).code == "UNAVAILABLE"
    assert infrastructure_error(ValueError("a bug")) is None, "anything else stays INTERNAL"
    assert infrastructure_error(pymongo_errors.DuplicateKeyError("dup")) is None
