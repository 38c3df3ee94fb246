"""Notifications and delivery preferences. Plain Python."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, replace

from prilavok_platform.errors import FieldViolation, InvalidArgument, Validator
from prilavok_platform.identity import Party


class Kind(str, enum.Enum):
    NEW_MESSAGE = "NEW_MESSAGE"
    MESSAGE_BLOCKED = "MESSAGE_BLOCKED"
    MESSAGE_HELD = "MESSAGE_HELD"
    CLAIM_UPDATE = "CLAIM_UPDATE"
    REFUND = "REFUND"
    PENALTY = "PENALTY"
    REPLY_DEADLINE = "REPLY_DEADLINE"


@dataclass(frozen=True)
class Notification:
    notification_id: str
    recipient: Party
    kind: Kind
    title: str
    body: str
    created_at: dt.datetime
    thread_id: str = ""
    claim_id: str = ""
    read: bool = False


def notification_id(event_id: str, recipient: Party) -> str:
    """One notification per event and recipient, so a redelivered event adds nothing."""
    return f"{event_id}:{recipient.key}"


MAX_EMAIL_CHARS = 254
MAX_WEBHOOK_URL_CHARS = 2000


@dataclass(frozen=True)
class Preferences:
    # Kinds the recipient does not want on any channel: they are not even stored.
    muted_kinds: frozenset[Kind] = field(default_factory=frozenset)
    email_enabled: bool = False
    email_address: str = ""
    webhook_enabled: bool = False
    webhook_url: str = ""

    def wants(self, kind: Kind) -> bool:
        return kind not in self.muted_kinds

    def validated(self) -> Preferences:
        """The preferences as stored (addresses trimmed), or INVALID_ARGUMENT naming each bad field."""
        p = replace(self, email_address=self.email_address.strip(), webhook_url=self.webhook_url.strip())
        v = Validator()
        if p.email_enabled and "@" not in p.email_address:
            v.add("preferences.email_address", "a valid e-mail address is required when e-mail is enabled")
        v.text(p.email_address, "preferences.email_address", max_len=MAX_EMAIL_CHARS, required=False)
        if p.webhook_enabled and not p.webhook_url.startswith("https://"):
            v.add("preferences.webhook_url", "must be an https:// URL when webhooks are enabled")
        v.text(p.webhook_url, "preferences.webhook_url", max_len=MAX_WEBHOOK_URL_CHARS, required=False)
        v.raise_if_any()
        return p


def wanted(notifications: list[Notification], preferences: dict[Party, Preferences]) -> list[Notification]:
    """What is kept of `notifications`: muted kinds are dropped for the recipients muting them."""
    return [n for n in notifications if preferences.get(n.recipient, Preferences()).wants(n.kind)]


MAX_IDS_PER_MARK = 500


def check_mark_read(notification_ids: tuple[str, ...], everything: bool) -> None:
    """A MarkNotificationsRead names what it marks: some ids (bounded) or everything."""
    if not notification_ids and not everything:
        raise InvalidArgument(FieldViolation("notification_ids", "name notifications or set all=true"))
    if len(notification_ids) > MAX_IDS_PER_MARK:
        raise InvalidArgument(FieldViolation("notification_ids", f"at most {MAX_IDS_PER_MARK}, got {len(notification_ids)}"))
