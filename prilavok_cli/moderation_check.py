"""`prilavok moderation check`: one text, or JSON lines on stdin over one connection."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TextIO

import grpc

from prilavok.common.v1 import common_pb2
from prilavok.moderation.v1 import moderation_pb2 as mpb
from prilavok.moderation.v1 import moderation_pb2_grpc
from prilavok_cli.client import As, CliError, describe_error, metadata, mint
from prilavok_platform.auth import Role

ROLES = {"buyer": common_pb2.ROLE_BUYER, "seller": common_pb2.ROLE_SELLER, "support": common_pb2.ROLE_SUPPORT,
         "moderator": common_pb2.ROLE_MODERATOR}
BATCH = 200


def verdict_json(verdict: mpb.Verdict) -> dict:
    return {
        "action": mpb.Action.Name(verdict.action).removeprefix("ACTION_"),
        "violations": [
            {"category": mpb.Category.Name(v.category).removeprefix("CATEGORY_"), "rule": v.rule,
             "spans": [[s.start, s.end] for s in v.spans]}
            for v in verdict.violations
        ],
        "reason": verdict.reason,
        "masked_text": verdict.masked_text,
        "policy_version": verdict.policy_version,
    }


class RemoteChecker:
    def __init__(self, address: str):
        self._channel = grpc.insecure_channel(address)
        self._stub = moderation_pb2_grpc.ModerationServiceStub(self._channel)
        self._metadata = metadata(mint(As(Role.MODERATOR, "cli")))

    def close(self) -> None:
        self._channel.close()

    def check_many(self, items: list[tuple[str, str]]) -> list[dict]:
        requests = [mpb.CheckMessageRequest(sender_role=ROLES[role], sender_id="cli", text=text) for role, text in items]
        try:
            reply = self._stub.CheckMessages(mpb.CheckMessagesRequest(items=requests), metadata=self._metadata, timeout=30)
            return [verdict_json(r.verdict) for r in reply.results]
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.INVALID_ARGUMENT or len(items) == 1:
                if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                    return [{"error": describe_error(error)}]
                raise
        return [self.check_many([item])[0] for item in items]  # find which line was invalid


class LocalChecker:
    """The same engine in-process (no service needed)."""

    def __init__(self):
        from services.moderation.bootstrap import load_policy
        from services.moderation.domain.engine import ModerationEngine
        from services.moderation.domain.model import SenderRole

        self._engine = ModerationEngine(load_policy())
        self._roles = SenderRole
        from services.moderation.adapters.protos import verdict_to_pb

        self._to_pb = verdict_to_pb

    def close(self) -> None:
        pass

    def check_many(self, items: list[tuple[str, str]]) -> list[dict]:
        from services.moderation.domain.model import MessageToCheck

        out = []
        for role, text in items:
            if not text.strip():
                out.append({"error": "INVALID_ARGUMENT: text must not be empty"})
            elif len(text) > self._engine.policy.max_text_chars:
                out.append({"error": f"INVALID_ARGUMENT: text must be at most {self._engine.policy.max_text_chars} characters"})
            else:
                out.append(verdict_json(self._to_pb(self._engine.check(MessageToCheck(text, self._roles(role))))))
        return out


def parse_line(line: str) -> tuple[str, str] | str:
    try:
        item = json.loads(line)
    except ValueError as exc:
        return f"not JSON: {exc}"
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return 'expected {"role": ..., "text": ...}'
    role = str(item.get("role", "")).lower()
    if role not in ROLES:
        return f"role must be one of {', '.join(ROLES)}"
    return role, item["text"]


def run_jsonl(checker, lines: Iterable[str], out: TextIO) -> int:
    pending: list[tuple[int, tuple[str, str]]] = []
    results: dict[int, dict] = {}
    next_to_write = 0
    count = 0

    def flush() -> None:
        nonlocal next_to_write
        if pending:
            verdicts = checker.check_many([item for _, item in pending])
            for (index, _), verdict in zip(pending, verdicts, strict=True):
                results[index] = verdict
            pending.clear()
        while next_to_write in results:
            out.write(json.dumps(results.pop(next_to_write), ensure_ascii=False) + "\n")
            next_to_write += 1
        out.flush()

    for index, line in enumerate(lines):
        count += 1
        parsed = parse_line(line.rstrip("\n"))
        if isinstance(parsed, str):
            results[index] = {"error": parsed}
        else:
            pending.append((index, parsed))
        if len(pending) >= BATCH:
            flush()
    flush()
    return count


def make_checker(engine: str, address: str):
    if engine == "local":
        return LocalChecker()
    from devstack.processes import grpc_serving

    if engine == "remote" or grpc_serving(address):
        return RemoteChecker(address)
    print(f"note: moderation service not answering at {address}; using the in-process engine", file=sys.stderr)
    return LocalChecker()


def check(args) -> None:
    checker = make_checker(args.engine, args.address)
    try:
        if args.jsonl:
            run_jsonl(checker, sys.stdin, sys.stdout)
            return
        if not args.role or args.text is None:
            raise CliError("give --role and --text, or --jsonl")
        verdict = checker.check_many([(args.role, args.text)])[0]
        if "error" in verdict:
            raise CliError(verdict["error"])
        if args.json:
            print(json.dumps(verdict, ensure_ascii=False))
        else:
            cats = ", ".join(v["category"] for v in verdict["violations"]) or "-"
            print(f"{verdict['action']}  categories: {cats}")
            if verdict["reason"]:
                print(f"reason: {verdict['reason']}")
            if verdict["masked_text"]:
                print(f"masked: {verdict['masked_text']}")
    finally:
        checker.close()
