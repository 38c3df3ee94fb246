"""NATS credentials in the settings (NATS_USER, NATS_PASSWORD or NATS_PASSWORD_FILE) and the
accounts devstack renders: no anonymous user, each service limited to its own subjects."""
from __future__ import annotations

import asyncio

import pytest

from devstack.nats_config import CONSUMES, SERVICES, TEST_USER, NatsAccounts, kubernetes_config, permissions
from prilavok_platform.config import ConfigError, Env, load_common
from prilavok_platform.nats import DURABLES, run_pull_consumer

BASE = {"MONGODB_URI": "mongodb://h", "NATS_URL": "nats://h:4222"}


def test_the_nats_password_comes_from_a_file_without_its_trailing_newline(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3cret-from-a-secret\n")
    settings = load_common("chat", Env({**BASE, "NATS_USER": "chat", "NATS_PASSWORD_FILE": str(secret)}))
    assert (settings.nats_user, settings.nats_password) == ("chat", "s3cret-from-a-secret")
    assert "s3cret" not in repr(settings), "settings never print the password"


def test_the_nats_password_may_be_given_directly():
    settings = load_common("returns", Env({**BASE, "NATS_USER": "returns", "NATS_PASSWORD": "pw"}))
    assert (settings.nats_user, settings.nats_password) == ("returns", "pw")


@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ({"NATS_USER": "chat"}, "NATS_USER is set without NATS_PASSWORD"),
        ({"NATS_USER": "chat", "NATS_PASSWORD": "a", "NATS_PASSWORD_FILE": "/x"}, "NATS_PASSWORD and NATS_PASSWORD_FILE are both set"),
        ({"NATS_USER": "chat", "NATS_PASSWORD_FILE": "/no/such/file"}, "NATS_PASSWORD_FILE='/no/such/file' cannot be read"),
        ({"PRILAVOK_ENV": "production", "PRILAVOK_JWT_SECRET": "x" * 40}, "NATS_USER and NATS_PASSWORD_FILE must be set in production"),
    ],
)
def test_incomplete_nats_credentials_are_reported(extra, complaint):
    env = Env({**BASE, **extra})
    load_common("chat", env)
    with pytest.raises(ConfigError, match=complaint):
        env.raise_if_errors("chat")


def test_without_credentials_in_development_the_service_connects_as_the_url_says():
    settings = load_common("chat", Env(dict(BASE)))
    assert (settings.nats_user, settings.nats_password) == ("", "")


def test_each_service_publishes_only_below_its_own_name_and_notify_no_event():
    for service in SERVICES:
        allowed = permissions(service, ["p"])
        events = [s for s in allowed.publish if not s.startswith("$JS.")]
        expected = {"notify": ["p.inapp.notification"]}.get(service, [f"p.{service}.>"])
        assert events == expected, service
        js_api = [s for s in allowed.publish if s.startswith("$JS.API.STREAM.")]
        assert js_api == ([] if service == "notify" else
                          [f"$JS.API.STREAM.INFO.P_{service.upper()}", f"$JS.API.STREAM.CREATE.P_{service.upper()}",
                           f"$JS.API.STREAM.UPDATE.P_{service.upper()}"]), "a producer manages its own stream only"
        created = {s for s in allowed.publish if ".CONSUMER.CREATE." in s}
        assert created == {f"$JS.API.CONSUMER.CREATE.P_{d.producer.upper()}.{d.name}{tail}"
                           for d in DURABLES if d.producer == service for tail in ("", ".>")}, "a producer creates its readers' durables"
        read = {s for s in allowed.publish if s.startswith("$JS.ACK.") or ".CONSUMER.INFO." in s or ".CONSUMER.MSG.NEXT." in s}
        mine = [d for d in DURABLES if d.consumer == service]
        assert {s.split(".")[-2] if s.endswith(".>") else s.split(".")[-1] for s in read} == {d.name for d in mine}, (
            "a reader pulls, acknowledges and looks up its own durables and no other")
        assert {f"P_{d.producer.upper()}" for d in mine} == {f"P_{p.upper()}" for p in CONSUMES[service]}
        assert not [s for s in allowed.publish if "DELETE" in s or "PURGE" in s or "*" in s or s in (">", "$JS.API.>")]
        assert allowed.subscribe[0] == f"_INBOX.{service}.>"


def test_every_service_has_an_account_of_its_own_and_readers_import_only_their_durables():
    text = NatsAccounts.generate(["p"]).config()
    for service in SERVICES:
        assert f"  {service.upper()} {{" in text
    assert ("jetstream: enabled" in text.split("  NOTIFY {")[0]) and "jetstream" not in text.split("  NOTIFY {")[1], (
        "producers keep their streams in their own accounts; notify has none")
    exports = [line.strip() for line in text.splitlines() if line.strip().startswith("{service: \"")]
    assert len(exports) == 3 * len(DURABLES), "info, pulls and acks of each durable, to its reader's account alone"
    for d in DURABLES:
        stream = f"P_{d.producer.upper()}"
        assert (f'{{service: "$JS.API.CONSUMER.MSG.NEXT.{stream}.{d.name}", response_type: stream, accounts: [{d.consumer.upper()}]}}'
                in exports)
        assert f'{{service: "$JS.ACK.{stream}.{d.name}.>", accounts: [{d.consumer.upper()}]}}' in exports


def test_the_suite_durables_are_the_ones_the_services_run():
    assert {(d.consumer, d.producer, d.name, d.tail) for d in DURABLES} == {
        ("moderation", "chat", "moderation-chat-messages", "message.>"),
        ("chat", "moderation", "chat-review-resolved", "review.resolved"),
        ("chat", "moderation", "chat-standing-changed", "standing.changed"),
        ("chat", "moderation", "chat-appeal-resolved", "appeal.resolved"),
        ("returns", "moderation", "returns-moderation-penalties", "penalty.>"),
        ("notify", "chat", "notify-chat", ">"),
        ("notify", "returns", "notify-returns", ">"),
        ("notify", "moderation", "notify-moderation", "penalty.>"),
        ("notify", "moderation", "notify-moderation-standing", "standing.changed"),
        ("notify", "moderation", "notify-moderation-appeals", "appeal.resolved"),
    }


def test_a_suite_durable_with_another_filter_than_its_producer_creates_is_refused():
    with pytest.raises(ValueError, match="chat-standing-changed"):
        asyncio.run(run_pull_consumer(None, stream="P_MODERATION", durable="chat-standing-changed",  # type: ignore[arg-type]
                                      filter_subject="p.moderation.>", handler=None, stop=asyncio.Event()))  # type: ignore[arg-type]


def test_returns_reads_moderation_and_notify_reads_every_stream():
    assert CONSUMES == {"chat": ("moderation",), "moderation": ("chat",), "returns": ("moderation",),
                        "notify": ("chat", "moderation", "returns")}


def test_rendered_configurations_have_no_anonymous_user_and_only_tests_an_unlimited_one():
    accounts = NatsAccounts.generate(["a", "b"], test_user=True)
    development = NatsAccounts.generate(["a"]).config()
    for text in (accounts.config(), development, kubernetes_config()):
        assert "no_auth_user" not in text and "authorization" not in text
        for service in SERVICES:
            assert f"{{user: {service}, password: " in text
    assert f"user: {TEST_USER}" in accounts.config()
    assert f"user: {TEST_USER}" not in development and f"user: {TEST_USER}" not in kubernetes_config()
    assert accounts.passwords["chat"] in accounts.config() and len(accounts.passwords["chat"]) == 65
    assert all(p[0].isalpha() for p in accounts.passwords.values()), "a password nats-server never parses as a number"
    assert NatsAccounts.generate(["a"]).passwords != NatsAccounts.generate(["a"]).passwords, "generated per run"
    assert accounts.url("nats://127.0.0.1:4222", "chat") == f"nats://chat:{accounts.passwords['chat']}@127.0.0.1:4222"
    assert '"a.chat.>"' in accounts.config() and '"b.chat.>"' in accounts.config(), "one set of grants per prefix"
