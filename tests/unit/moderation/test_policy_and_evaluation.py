import asyncio
import json
import pathlib
import subprocess
import sys

import pytest

from prilavok_platform.clock import FixedClock
from prilavok_platform.config import ConfigError
from prilavok_platform.identity import Identity, Role
from prilavok_platform.unit_of_work import InMemoryUnitOfWork
from services.moderation.bootstrap import DEFAULT_POLICY, load_policy, load_settings
from services.moderation.domain.commands import CheckMessage, MessageCheck
from services.moderation.domain.engine import ModerationEngine
from services.moderation.domain.model import SenderRole
from services.moderation.evaluation import DATASET, evaluate, load
from services.moderation.service_layer.handlers import ModerationHandlers
from tests.unit.moderation.fakes import fake_repositories

ROOT = pathlib.Path(__file__).resolve().parents[3]
ENV = {"MONGODB_URI": "mongodb://x", "NATS_URL": "nats://x"}


def test_the_labelled_sets_meet_the_targets():
    engine = ModerationEngine(load_policy())
    examples = load(DATASET)
    assert len(examples) >= 400
    assert sum(1 for e in examples if not e.labels) >= len(examples) // 2, "half of the set is honest (hard negatives)"
    for path in (DATASET, *sorted(DATASET.parent.glob("holdout*.jsonl"))):
        report = evaluate(engine, load(path))
        assert report.recall >= 0.97, (path.name, report.recall, [e.text for e, _ in report.misses])
        assert report.honest_blocked_rate <= 0.02, (path.name, [e.text for e, _ in report.false_alarms])


async def test_policy_reloads_the_engine_whole_and_a_broken_file_is_refused(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_POLICY.read_text())
    holder = load_settings({**ENV, "PRILAVOK_POLICY_FILE": str(path)}).policy
    builds: list[str] = []
    handlers = ModerationHandlers(InMemoryUnitOfWork(fake_repositories()), holder, FixedClock(),
                                  after_engine_build=lambda: builds.append(holder.current.version))
    first_engine = handlers.engine
    shipped = load_policy().version
    assert builds == [shipped], "the hook is called after the engine built at start (bootstrap freezes it)"
    seen = []
    holder.on_change(seen.append)
    stop = asyncio.Event()
    watcher = asyncio.create_task(holder.watch(stop, interval=0.05))
    await asyncio.sleep(0.2)
    path.write_text(DEFAULT_POLICY.read_text().replace(f'version: "{shipped}"', 'version: "2099-12-01.1"'))
    for _ in range(60):
        if seen:
            break
        await asyncio.sleep(0.05)
    assert [p.version for p in seen] == ["2099-12-01.1"]
    assert handlers.engine is not first_engine and handlers.engine.policy is seen[0]
    assert builds == [shipped, "2099-12-01.1"], "and after every engine built on reload"
    check = CheckMessage(Identity("m", Role.MODERATOR), MessageCheck("b", SenderRole.BUYER, "", "Спасибо"))
    assert (await handlers.check_message(check)).policy_version == "2099-12-01.1"
    path.write_text("actions: {PROFANITY: {default: SHRUG}}\n")
    await asyncio.sleep(0.4)
    assert len(seen) == 1, "a broken policy must not replace the one in force"
    free = DEFAULT_POLICY.read_text().replace(f'version: "{shipped}"', 'version: "2099-12-01.2"')
    path.write_text(free.replace("seller: {amount_minor: 2500000, currency_code: RUB}", "seller: {amount_minor: 0, currency_code: RUB}"))
    await asyncio.sleep(0.4)
    assert len(seen) == 1, "nor one whose fine could never be posted (zero)"
    assert holder.current.version == "2099-12-01.1" and handlers.engine.policy is seen[0] and len(builds) == 2
    stop.set()
    await watcher


def test_settings_load_the_shipped_policy_and_a_broken_file_is_a_config_error_naming_the_variable(tmp_path):
    assert load_settings(ENV).policy.current.version == load_policy().version
    broken = tmp_path / "moderation.yaml"
    broken.write_text("version: 1\n")
    with pytest.raises(ConfigError) as err:
        load_settings({**ENV, "PRILAVOK_POLICY_FILE": str(broken)})
    assert "PRILAVOK_POLICY_FILE" in str(err.value) and "moderation.yaml" in str(err.value)
    with pytest.raises(ConfigError):
        load_settings({**ENV, "PRILAVOK_POLICY_FILE": str(tmp_path / "missing.yaml")})


def test_cli_checks_json_lines_in_process_one_verdict_per_line():
    lines = [{"role": "seller", "text": "Напишите мне в WhatsApp"}, {"role": "buyer", "text": "Спасибо, всё пришло"},
             {"role": "buyer", "text": ""}, "not json"]
    payload = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    result = subprocess.run([sys.executable, "-m", "prilavok_cli.main", "moderation", "check", "--jsonl", "--engine", "local"],
                            input=payload, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("action", "error") for o in out] == ["BLOCK", "ALLOW", "error", "error"]
    assert {v["category"] for v in out[0]["violations"]} == {"CONTACT_EXCHANGE", "OFF_PLATFORM_LURE"}


def test_the_engine_hook_freezes_what_is_alive_out_of_the_collector():
    import gc

    from services.moderation.bootstrap import freeze_long_lived_objects

    try:
        engine = ModerationEngine(load_policy())  # alive while frozen, as the handlers' engine is
        freeze_long_lived_objects()
        assert gc.get_freeze_count() > 20_000 and engine.policy  # the engine's lexicons and automata among them
    finally:
        gc.unfreeze()
