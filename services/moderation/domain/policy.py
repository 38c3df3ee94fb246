"""The moderation policy: category x sender role -> action, Russian reasons, fines,
strike thresholds, the marketplace's own domains and brands. Loaded from a versioned file."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from prilavok_platform.identity import Party
from services.moderation.domain.model import Action, Category, Fine, Sender, SenderRole, Standing, Suspension


class PolicyError(ValueError):
    pass


# Said when a policy (built by hand, not loaded) names no reason for a category.
DEFAULT_REASON = "Сообщение нарушает правила общения на маркетплейсе."
# A reason is shown to the sender and carried by each penalty to the ledger, whose notes returns
# keeps to 1000 characters.
MAX_REASON_CHARS = 1000
# A fine larger than this (in minor units: 10 million roubles) is a typo in the file.
MAX_FINE_MINOR = 1_000_000_000
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class StrikeThresholds:
    window_days: int
    warning: int
    restricted: int
    suspended: int

    def level(self, strikes: int) -> Standing:
        """The standing a party with this many strikes inside the window is in."""
        if strikes >= self.suspended:
            return Standing.SUSPENDED
        if strikes >= self.restricted:
            return Standing.RESTRICTED
        if strikes >= self.warning:
            return Standing.WARNING
        return Standing.GOOD

    def window_start(self, now: dt.datetime) -> dt.datetime:
        """Strikes at or after this moment count towards the standing."""
        return now - dt.timedelta(days=self.window_days)

    def standing(self, strikes: int, suspension: Suspension | None, now: dt.datetime) -> Standing:
        """The standing of a party with this many strikes in the window and this suspension on
        record, at `now`: SUSPENDED while a suspension is in force. Otherwise the level of the
        strikes, but never SUSPENDED: reaching the threshold starts a suspension of its own
        length, and once it ran out (or was lifted) the party is RESTRICTED until its strikes
        leave the window. The next strike at the threshold suspends it again."""
        if suspension is not None and suspension.in_force(now):
            return Standing.SUSPENDED
        level = self.level(strikes)
        return Standing.RESTRICTED if level is Standing.SUSPENDED else level

    def suspends(self, strikes: int, suspensions: Iterable[Suspension], now: dt.datetime, written_at: dt.datetime) -> bool:
        """Whether a strike written at `written_at` that brings the party to `strikes` starts a
        suspension at `now`: it reaches the threshold, and of the suspensions on record that stop
        its writer none is in force nor answered for it (`Suspension.answers_for`: it was
        written before that one ended - a message in flight while the writer was suspended,
        recorded after a lift)."""
        return strikes >= self.suspended and not any(s.in_force(now) or s.answers_for(written_at) for s in suspensions)


@dataclass(frozen=True)
class SuspensionPolicy:
    days: int = 7
    # True: the whole offender is stopped (every seller of the shop); False: only the writer.
    whole_shop: bool = True

    def suspended_party(self, sender: Sender) -> Party:
        """Who may not send: the offender, or - for a seller, when the policy limits suspensions
        to the writer - the seller in person."""
        if sender.role is SenderRole.SELLER and sender.shop_id and not self.whole_shop:
            return Party.user(sender.user_id)
        return sender.offender

    def start(self, sender: Sender, at: dt.datetime) -> Suspension:
        return Suspension(self.suspended_party(sender), sender.offender, sender, at, at + dt.timedelta(days=self.days))


@dataclass(frozen=True)
class AppealPolicy:
    window_days: int = 30  # how long after the violation its offender may appeal it
    max_reason_chars: int = 1000

    def deadline(self, violation_at: dt.datetime) -> dt.datetime:
        return violation_at + dt.timedelta(days=self.window_days)


@dataclass(frozen=True)
class Policy:
    version: str
    max_text_chars: int
    marketplace_name: str
    marketplace_domains: tuple[str, ...]
    brands: tuple[str, ...]
    actions: dict[tuple[Category, SenderRole], Action]
    reasons: dict[Category, str]
    fines: dict[tuple[Category, SenderRole], Fine]
    strikes: StrikeThresholds
    suspension: SuspensionPolicy = SuspensionPolicy()
    appeals: AppealPolicy = AppealPolicy()
    currency_code: str = "RUB"  # the marketplace's (its ledger's): every fine is in it

    def action_for(self, category: Category, role: SenderRole) -> Action:
        return self.actions.get((category, role), Action.BLOCK)

    def fine_for(self, category: Category, role: SenderRole) -> Fine | None:
        return self.fines.get((category, role))

    def fine_for_message(self, categories: Iterable[Category], role: SenderRole) -> tuple[Category, Fine] | None:
        """One message is one attempt, fined once: the largest fine the policy sets for the sender's
        role among the categories found (on a tie, the category first in `Category`'s order, so the
        choice - and the penalty id made of it - never depends on the order they were found in).
        None when none of them is fined."""
        fined = [(c, fine) for c in Category if c in set(categories) and (fine := self.fine_for(c, role)) is not None]
        if not fined:
            return None
        return max(fined, key=lambda cf: cf[1].amount_minor)  # max keeps the first of equal ones

    def reason_for(self, category: Category) -> str:
        """The Russian reason the policy gives for a category (validated non-empty on load)."""
        return self.reasons.get(category) or DEFAULT_REASON

    @classmethod
    def from_dict(cls, data: dict) -> Policy:
        errors: list[str] = []

        def get(mapping: dict, key: str, kind: type, where: str):
            value = mapping.get(key) if isinstance(mapping, dict) else None
            if not isinstance(value, kind):
                errors.append(f"{where}.{key}: expected {kind.__name__}, got {type(value).__name__}")
                return kind()
            return value

        version = get(data, "version", str, "policy")
        limits = get(data, "limits", dict, "policy")
        marketplace = get(data, "marketplace", dict, "policy")
        actions_raw = get(data, "actions", dict, "policy")
        reasons_raw = get(data, "reasons", dict, "policy")
        fines_raw = data.get("fines") if isinstance(data, dict) else None
        strikes_raw = get(data, "strikes", dict, "policy")

        actions = _actions(actions_raw, errors)
        reasons = _reasons(reasons_raw, errors)
        currency = marketplace.get("currency_code", "RUB")
        if not isinstance(currency, str) or not _CURRENCY_CODE.fullmatch(currency):
            errors.append(f"marketplace.currency_code: a three-letter ISO 4217 code such as RUB, got {currency!r}")
            currency = "RUB"
        fines = _fines(fines_raw, currency, errors)
        max_chars = limits.get("max_text_chars", 4000)
        if not isinstance(max_chars, int) or not 1 <= max_chars <= 100_000:
            errors.append("limits.max_text_chars: an integer in 1..100000")
        strikes = StrikeThresholds(
            window_days=int(strikes_raw.get("window_days", 30)),
            warning=int(strikes_raw.get("warning", 1)),
            restricted=int(strikes_raw.get("restricted", 3)),
            suspended=int(strikes_raw.get("suspended", 5)),
        )
        suspension = _suspension(data.get("suspension", {}) if isinstance(data, dict) else {}, errors)
        appeals = _appeals(data.get("appeals", {}) if isinstance(data, dict) else {}, errors)
        if errors:
            raise PolicyError("invalid moderation policy:\n  " + "\n  ".join(errors))
        return cls(
            version=version,
            max_text_chars=max_chars,
            marketplace_name=str(marketplace.get("name", "")),
            marketplace_domains=tuple(str(d).lower() for d in marketplace.get("domains", [])),
            brands=tuple(str(b).lower() for b in marketplace.get("brands", [])),
            actions=actions,
            reasons=reasons,
            fines=fines,
            strikes=strikes,
            suspension=suspension,
            appeals=appeals,
            currency_code=currency,
        )


def _actions(raw: dict, errors: list[str]) -> dict[tuple[Category, SenderRole], Action]:
    actions: dict[tuple[Category, SenderRole], Action] = {}
    for category in Category:
        per_role = raw.get(category.value)
        if not isinstance(per_role, dict):
            errors.append(f"actions.{category.value}: missing (every category needs an action per role)")
            continue
        for role in SenderRole:
            name = per_role.get(role.value, per_role.get("default"))
            try:
                actions[(category, role)] = Action[str(name).upper()]
            except KeyError:
                errors.append(f"actions.{category.value}.{role.value}: unknown action {name!r}")
    return actions


def _reasons(raw: dict, errors: list[str]) -> dict[Category, str]:
    reasons: dict[Category, str] = {}
    for category in Category:
        text = raw.get(category.value)
        if not isinstance(text, str) or not text.strip():
            errors.append(f"reasons.{category.value}: missing Russian reason")
        elif len(text.strip()) > MAX_REASON_CHARS:
            errors.append(f"reasons.{category.value}: at most {MAX_REASON_CHARS} characters, got {len(text.strip())}")
        else:
            reasons[category] = text.strip()
    return reasons


def _fines(raw: object, currency: str, errors: list[str]) -> dict[tuple[Category, SenderRole], Fine]:
    """category -> role -> {amount_minor, currency_code}: a positive whole number of minor units
    (at most MAX_FINE_MINOR) in the marketplace's currency (`marketplace.currency_code`, which a
    fine may leave out). Anything else refuses the file: a fine that could never be posted on
    the ledger is a mistake in it, not a fine of zero."""
    fines: dict[tuple[Category, SenderRole], Fine] = {}
    if raw is None:
        return fines
    if not isinstance(raw, dict):
        errors.append("fines: expected a mapping of category -> role -> fine")
        return fines
    for category_name, per_role in raw.items():
        where = f"fines.{category_name}"
        try:
            category = Category(category_name)
        except ValueError:
            errors.append(f"{where}: unknown category")
            continue
        if not isinstance(per_role, dict) or not per_role:
            errors.append(f"{where}: expected a mapping of role -> fine")
            continue
        for role_name, fine in per_role.items():
            try:
                role = SenderRole(role_name)
            except ValueError:
                errors.append(f"{where}.{role_name}: unknown role")
                continue
            parsed = _fine(fine, currency, f"{where}.{role_name}", errors)
            if parsed is not None:
                fines[(category, role)] = parsed
    return fines


def _fine(raw: object, currency: str, where: str, errors: list[str]) -> Fine | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: expected {{amount_minor, currency_code}}")
        return None
    amount, code = raw.get("amount_minor"), raw.get("currency_code", currency)
    problems = []
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_FINE_MINOR:
        problems.append(f"amount_minor: a whole number of minor units in 1..{MAX_FINE_MINOR}, got {amount!r}")
    if code != currency:
        problems.append(f"currency_code: must be the marketplace's currency {currency}, got {code!r}")
    unknown = set(raw) - {"amount_minor", "currency_code"}
    if unknown:
        problems.append(f"unknown fields {sorted(unknown)}")
    errors.extend(f"{where}.{p}" for p in problems)
    return None if problems or not isinstance(amount, int) else Fine(amount, currency)


def _bounded_int(raw: dict, key: str, default: int, low: int, high: int, where: str, errors: list[str]) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors.append(f"{where}.{key}: an integer in {low}..{high}")
        return default
    return value


def _suspension(raw: object, errors: list[str]) -> SuspensionPolicy:
    if not isinstance(raw, dict):
        errors.append("suspension: expected a mapping")
        return SuspensionPolicy()
    whole_shop = raw.get("whole_shop", True)
    if not isinstance(whole_shop, bool):
        errors.append("suspension.whole_shop: true or false")
        whole_shop = True
    return SuspensionPolicy(days=_bounded_int(raw, "days", 7, 1, 3650, "suspension", errors), whole_shop=whole_shop)


def _appeals(raw: object, errors: list[str]) -> AppealPolicy:
    if not isinstance(raw, dict):
        errors.append("appeals: expected a mapping")
        return AppealPolicy()
    return AppealPolicy(window_days=_bounded_int(raw, "window_days", 30, 1, 3650, "appeals", errors),
                        max_reason_chars=_bounded_int(raw, "max_reason_chars", 1000, 1, 10_000, "appeals", errors))
