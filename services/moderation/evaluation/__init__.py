"""Evaluation of the moderation engine on the labelled set (`make eval-moderation`).

A message is "not delivered as written" when the verdict is MASK, REVIEW or BLOCK. A labelled
message is harmful when any of its categories is, by the policy, not delivered as written for
its sender's role."""
from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field

from services.moderation.domain.engine import ModerationEngine
from services.moderation.domain.model import Category, MessageToCheck, SenderRole, Verdict

DATASET = pathlib.Path(__file__).with_name("dataset.jsonl")
RECALL_TARGET = 0.97
HONEST_BLOCKED_TARGET = 0.02


@dataclass
class Example:
    role: SenderRole
    text: str
    labels: frozenset[Category]


@dataclass
class Report:
    total: int = 0
    harmful: int = 0
    honest: int = 0
    caught: int = 0
    honest_blocked: int = 0
    per_category: dict[Category, dict[str, int]] = field(default_factory=dict)
    misses: list[tuple[Example, Verdict]] = field(default_factory=list)
    false_alarms: list[tuple[Example, Verdict]] = field(default_factory=list)
    wrong_category: list[tuple[Example, Verdict]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.harmful if self.harmful else 1.0

    @property
    def precision(self) -> float:
        flagged = self.caught + self.honest_blocked
        return self.caught / flagged if flagged else 1.0

    @property
    def honest_blocked_rate(self) -> float:
        return self.honest_blocked / self.honest if self.honest else 0.0

    @property
    def meets_targets(self) -> bool:
        return self.recall >= RECALL_TARGET and self.honest_blocked_rate <= HONEST_BLOCKED_TARGET


def load(path: pathlib.Path = DATASET) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        try:
            examples.append(Example(SenderRole(row["role"]), row["text"], frozenset(Category(c) for c in row["labels"])))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
    return examples


def evaluate(engine: ModerationEngine, examples: list[Example]) -> Report:
    report = Report()
    policy = engine.policy
    for example in examples:
        verdict = engine.check(MessageToCheck(example.text, example.role))
        blocked = not verdict.action.delivered_as_written
        harmful_labels = {c for c in example.labels if not policy.action_for(c, example.role).delivered_as_written}
        report.total += 1
        found = set(verdict.categories)
        for category in example.labels | found:
            stats = report.per_category.setdefault(category, {"labelled": 0, "found": 0, "hit": 0})
            stats["labelled"] += category in example.labels
            stats["found"] += category in found
            stats["hit"] += category in example.labels and category in found
        if harmful_labels:
            report.harmful += 1
            if blocked:
                report.caught += 1
                if not harmful_labels <= found:
                    report.wrong_category.append((example, verdict))
            else:
                report.misses.append((example, verdict))
        else:
            report.honest += 1
            if blocked:
                report.honest_blocked += 1
                report.false_alarms.append((example, verdict))
    return report


def render(report: Report) -> str:
    lines = [
        f"examples: {report.total} ({report.harmful} harmful, {report.honest} honest)",
        f"not delivered as written — precision {report.precision:.3f}, recall {report.recall:.3f} "
        f"(target >= {RECALL_TARGET}), honest messages not delivered as written {report.honest_blocked_rate:.2%} "
        f"(target <= {HONEST_BLOCKED_TARGET:.0%}) -> {'MEETS TARGETS' if report.meets_targets else 'BELOW TARGETS'}",
        "",
        f"{'category':<20} {'labelled':>8} {'found':>6} {'precision':>9} {'recall':>7}",
    ]
    for category in Category:
        s = report.per_category.get(category)
        if not s:
            continue
        precision = s["hit"] / s["found"] if s["found"] else 1.0
        recall = s["hit"] / s["labelled"] if s["labelled"] else 1.0
        lines.append(f"{category.value:<20} {s['labelled']:>8} {s['found']:>6} {precision:>9.3f} {recall:>7.3f}")
    for title, rows in (("missed (harmful, delivered as written)", report.misses),
                        ("false alarms (honest, not delivered as written)", report.false_alarms),
                        ("caught under another category", report.wrong_category)):
        lines += ["", f"{title}: {len(rows)}"]
        for example, verdict in rows:
            labels = ",".join(sorted(c.value for c in example.labels)) or "-"
            found = ",".join(c.value for c in verdict.categories) or "-"
            lines.append(f"  [{example.role.value}] {example.text!r}  labelled={labels} found={found} action={verdict.action.name}")
    return "\n".join(lines)
