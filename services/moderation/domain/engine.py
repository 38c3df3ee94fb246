"""The moderation engine: normalise into views, run the detectors on each, apply the policy.

Every verdict carries the categories found, their spans in the original text, a reason in
Russian and the policy version. Findings of the same category from several views are merged.
"""
from __future__ import annotations

from services.moderation.domain import detectors as d
from services.moderation.domain.model import Action, Category, Finding, MessageToCheck, Span, Verdict
from services.moderation.domain.normalize import character_view, deobfuscated_view, looks_obfuscated
from services.moderation.domain.policy import Policy
from services.moderation.domain.resources import Resources, build


def _merge(findings: list[Finding]) -> list[Finding]:
    by_category: dict[Category, tuple[list[str], set[Span]]] = {}
    for f in findings:
        rules, spans = by_category.setdefault(f.category, ([], set()))
        if f.rule not in rules:
            rules.append(f.rule)
        spans.update(f.spans)
    return [Finding(c, "+".join(rules), tuple(sorted(spans))) for c, (rules, spans) in by_category.items()]


def _mask(text: str, spans) -> str:
    chars = list(text)
    for span in spans:
        for i in range(span.start, min(span.end, len(chars))):
            if not chars[i].isspace():
                chars[i] = "*"
    return "".join(chars)


class ModerationEngine:
    def __init__(self, policy: Policy, resources: Resources | None = None):
        self.policy = policy
        self.resources = resources or build()

    def findings(self, message: MessageToCheck) -> list[Finding]:
        view = character_view(message.text)
        analyses = [d.Analysis(view, self.resources, message.role, self.policy)]
        if looks_obfuscated(view.text):
            deobfuscated = deobfuscated_view(view)
            if deobfuscated.text != view.text:
                analyses.append(d.Analysis(deobfuscated, self.resources, message.role, self.policy))
        found: list[Finding] = []
        # the de-obfuscated view is there only when it differs: zip stops at the analyses there are
        for analysis, detectors in zip(analyses, (d.DETECTORS, d.DEOBFUSCATED_DETECTORS), strict=False):
            for detector in detectors:
                found.extend(detector(analysis))
        found.extend(d.detect_low_effort(analyses[0]))
        if any(f.category is Category.CONTACT_EXCHANGE for f in found):
            # a contact handed out with "пишите", "звоните" is also an invitation off the platform
            invited = [s for analysis in analyses for s in d.invitations(analysis)]
            if invited:
                found.append(Finding(Category.OFF_PLATFORM_LURE, "lure.contact", tuple(invited)))
        return _merge(found)

    def check(self, message: MessageToCheck) -> Verdict:
        policy = self.policy
        findings = self.findings(message)
        if not findings:
            return Verdict(Action.ALLOW, (), "", "", policy.version)
        actions = {f.category: policy.action_for(f.category, message.role) for f in findings}
        action = max(actions.values())
        kept = tuple(f for f in findings if actions[f.category] is not Action.ALLOW)
        if not kept:
            return Verdict(Action.ALLOW, (), "", "", policy.version)
        reasons = [policy.reasons[f.category] for f in kept]
        masked = ""
        if action is Action.MASK:
            masked = _mask(message.text, [s for f in kept if actions[f.category] is Action.MASK for s in f.spans])
        return Verdict(action, kept, " ".join(reasons), masked, policy.version)
