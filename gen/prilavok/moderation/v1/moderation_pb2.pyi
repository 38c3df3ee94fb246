import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from prilavok.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_ALLOW: _ClassVar[Action]
    ACTION_WARN: _ClassVar[Action]
    ACTION_MASK: _ClassVar[Action]
    ACTION_REVIEW: _ClassVar[Action]
    ACTION_BLOCK: _ClassVar[Action]

class Category(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_UNSPECIFIED: _ClassVar[Category]
    CATEGORY_CONTACT_EXCHANGE: _ClassVar[Category]
    CATEGORY_OFF_PLATFORM_LURE: _ClassVar[Category]
    CATEGORY_PERSONAL_DATA: _ClassVar[Category]
    CATEGORY_PHISHING_LINK: _ClassVar[Category]
    CATEGORY_PROFANITY: _ClassVar[Category]
    CATEGORY_INSULT: _ClassVar[Category]
    CATEGORY_THREAT: _ClassVar[Category]
    CATEGORY_DISPARAGEMENT: _ClassVar[Category]
    CATEGORY_SPAM_ADVERTISING: _ClassVar[Category]
    CATEGORY_EXTRA_PAYMENT: _ClassVar[Category]
    CATEGORY_LOW_EFFORT_REPLY: _ClassVar[Category]

class ReviewStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_STATUS_UNSPECIFIED: _ClassVar[ReviewStatus]
    REVIEW_STATUS_PENDING: _ClassVar[ReviewStatus]
    REVIEW_STATUS_APPROVED: _ClassVar[ReviewStatus]
    REVIEW_STATUS_REJECTED: _ClassVar[ReviewStatus]
    REVIEW_STATUS_UPHELD: _ClassVar[ReviewStatus]
    REVIEW_STATUS_REVERSED: _ClassVar[ReviewStatus]

class ReviewKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_KIND_UNSPECIFIED: _ClassVar[ReviewKind]
    REVIEW_KIND_HELD_MESSAGE: _ClassVar[ReviewKind]
    REVIEW_KIND_APPEAL: _ClassVar[ReviewKind]

class ReviewDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_DECISION_UNSPECIFIED: _ClassVar[ReviewDecision]
    REVIEW_DECISION_APPROVE: _ClassVar[ReviewDecision]
    REVIEW_DECISION_REJECT: _ClassVar[ReviewDecision]
    REVIEW_DECISION_UPHOLD: _ClassVar[ReviewDecision]
    REVIEW_DECISION_REVERSE: _ClassVar[ReviewDecision]

class Standing(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STANDING_UNSPECIFIED: _ClassVar[Standing]
    STANDING_GOOD: _ClassVar[Standing]
    STANDING_WARNING: _ClassVar[Standing]
    STANDING_RESTRICTED: _ClassVar[Standing]
    STANDING_SUSPENDED: _ClassVar[Standing]
ACTION_UNSPECIFIED: Action
ACTION_ALLOW: Action
ACTION_WARN: Action
ACTION_MASK: Action
ACTION_REVIEW: Action
ACTION_BLOCK: Action
CATEGORY_UNSPECIFIED: Category
CATEGORY_CONTACT_EXCHANGE: Category
CATEGORY_OFF_PLATFORM_LURE: Category
CATEGORY_PERSONAL_DATA: Category
CATEGORY_PHISHING_LINK: Category
CATEGORY_PROFANITY: Category
CATEGORY_INSULT: Category
CATEGORY_THREAT: Category
CATEGORY_DISPARAGEMENT: Category
CATEGORY_SPAM_ADVERTISING: Category
CATEGORY_EXTRA_PAYMENT: Category
CATEGORY_LOW_EFFORT_REPLY: Category
REVIEW_STATUS_UNSPECIFIED: ReviewStatus
REVIEW_STATUS_PENDING: ReviewStatus
REVIEW_STATUS_APPROVED: ReviewStatus
REVIEW_STATUS_REJECTED: ReviewStatus
REVIEW_STATUS_UPHELD: ReviewStatus
REVIEW_STATUS_REVERSED: ReviewStatus
REVIEW_KIND_UNSPECIFIED: ReviewKind
REVIEW_KIND_HELD_MESSAGE: ReviewKind
REVIEW_KIND_APPEAL: ReviewKind
REVIEW_DECISION_UNSPECIFIED: ReviewDecision
REVIEW_DECISION_APPROVE: ReviewDecision
REVIEW_DECISION_REJECT: ReviewDecision
REVIEW_DECISION_UPHOLD: ReviewDecision
REVIEW_DECISION_REVERSE: ReviewDecision
STANDING_UNSPECIFIED: Standing
STANDING_GOOD: Standing
STANDING_WARNING: Standing
STANDING_RESTRICTED: Standing
STANDING_SUSPENDED: Standing

class Violation(_message.Message):
    __slots__ = ("category", "spans", "rule")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    category: Category
    spans: _containers.RepeatedCompositeFieldContainer[_common_pb2.TextSpan]
    rule: str
    def __init__(self, category: _Optional[_Union[Category, str]] = ..., spans: _Optional[_Iterable[_Union[_common_pb2.TextSpan, _Mapping]]] = ..., rule: _Optional[str] = ...) -> None: ...

class Verdict(_message.Message):
    __slots__ = ("action", "violations", "reason", "masked_text", "policy_version")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MASKED_TEXT_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    action: Action
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    reason: str
    masked_text: str
    policy_version: str
    def __init__(self, action: _Optional[_Union[Action, str]] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., reason: _Optional[str] = ..., masked_text: _Optional[str] = ..., policy_version: _Optional[str] = ...) -> None: ...

class CheckMessageRequest(_message.Message):
    __slots__ = ("sender_role", "sender_id", "shop_id", "text")
    SENDER_ROLE_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    sender_role: _common_pb2.Role
    sender_id: str
    shop_id: str
    text: str
    def __init__(self, sender_role: _Optional[_Union[_common_pb2.Role, str]] = ..., sender_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class CheckMessageResponse(_message.Message):
    __slots__ = ("verdict",)
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    verdict: Verdict
    def __init__(self, verdict: _Optional[_Union[Verdict, _Mapping]] = ...) -> None: ...

class CheckMessagesRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[CheckMessageRequest]
    def __init__(self, items: _Optional[_Iterable[_Union[CheckMessageRequest, _Mapping]]] = ...) -> None: ...

class CheckMessagesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CheckMessageResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[CheckMessageResponse, _Mapping]]] = ...) -> None: ...

class ReviewItem(_message.Message):
    __slots__ = ("review_id", "message_id", "thread_id", "sender", "text", "verdict", "status", "created_at", "resolved_at", "resolved_by", "resolution_comment", "kind", "appeal_reason", "appealed_by", "appellant", "penalty_ids")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_COMMENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    APPEAL_REASON_FIELD_NUMBER: _ClassVar[int]
    APPEALED_BY_FIELD_NUMBER: _ClassVar[int]
    APPELLANT_FIELD_NUMBER: _ClassVar[int]
    PENALTY_IDS_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    message_id: str
    thread_id: str
    sender: _common_pb2.Actor
    text: str
    verdict: Verdict
    status: ReviewStatus
    created_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    resolved_by: str
    resolution_comment: str
    kind: ReviewKind
    appeal_reason: str
    appealed_by: str
    appellant: _common_pb2.Party
    penalty_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, review_id: _Optional[str] = ..., message_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., text: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, _Mapping]] = ..., status: _Optional[_Union[ReviewStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_by: _Optional[str] = ..., resolution_comment: _Optional[str] = ..., kind: _Optional[_Union[ReviewKind, str]] = ..., appeal_reason: _Optional[str] = ..., appealed_by: _Optional[str] = ..., appellant: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., penalty_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListReviewQueueRequest(_message.Message):
    __slots__ = ("status", "page_size", "page_token", "kind")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    status: ReviewStatus
    page_size: int
    page_token: str
    kind: ReviewKind
    def __init__(self, status: _Optional[_Union[ReviewStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[ReviewKind, str]] = ...) -> None: ...

class ListReviewQueueResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ReviewItem]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[ReviewItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ResolveReviewRequest(_message.Message):
    __slots__ = ("review_id", "decision", "comment")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    decision: ReviewDecision
    comment: str
    def __init__(self, review_id: _Optional[str] = ..., decision: _Optional[_Union[ReviewDecision, str]] = ..., comment: _Optional[str] = ...) -> None: ...

class ResolveReviewResponse(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: ReviewItem
    def __init__(self, item: _Optional[_Union[ReviewItem, _Mapping]] = ...) -> None: ...

class Penalty(_message.Message):
    __slots__ = ("penalty_id", "category", "fine", "message_id", "issued_at", "reason")
    PENALTY_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    FINE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    penalty_id: str
    category: Category
    fine: _common_pb2.Money
    message_id: str
    issued_at: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, penalty_id: _Optional[str] = ..., category: _Optional[_Union[Category, str]] = ..., fine: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., message_id: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class GetSenderStandingRequest(_message.Message):
    __slots__ = ("sender_id", "shop_id")
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    sender_id: str
    shop_id: str
    def __init__(self, sender_id: _Optional[str] = ..., shop_id: _Optional[str] = ...) -> None: ...

class GetSenderStandingResponse(_message.Message):
    __slots__ = ("sender_id", "shop_id", "standing", "strikes_in_window", "strikes_total", "penalties", "updated_at", "suspended_until", "suspended_party")
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    STANDING_FIELD_NUMBER: _ClassVar[int]
    STRIKES_IN_WINDOW_FIELD_NUMBER: _ClassVar[int]
    STRIKES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    PENALTIES_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_PARTY_FIELD_NUMBER: _ClassVar[int]
    sender_id: str
    shop_id: str
    standing: Standing
    strikes_in_window: int
    strikes_total: int
    penalties: _containers.RepeatedCompositeFieldContainer[Penalty]
    updated_at: _timestamp_pb2.Timestamp
    suspended_until: _timestamp_pb2.Timestamp
    suspended_party: _common_pb2.Party
    def __init__(self, sender_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., standing: _Optional[_Union[Standing, str]] = ..., strikes_in_window: _Optional[int] = ..., strikes_total: _Optional[int] = ..., penalties: _Optional[_Iterable[_Union[Penalty, _Mapping]]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., suspended_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., suspended_party: _Optional[_Union[_common_pb2.Party, _Mapping]] = ...) -> None: ...

class Suspension(_message.Message):
    __slots__ = ("suspended_party", "offender", "since", "until", "lifted_at", "lifted_by", "lift_reason")
    SUSPENDED_PARTY_FIELD_NUMBER: _ClassVar[int]
    OFFENDER_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    LIFTED_AT_FIELD_NUMBER: _ClassVar[int]
    LIFTED_BY_FIELD_NUMBER: _ClassVar[int]
    LIFT_REASON_FIELD_NUMBER: _ClassVar[int]
    suspended_party: _common_pb2.Party
    offender: _common_pb2.Party
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    lifted_at: _timestamp_pb2.Timestamp
    lifted_by: str
    lift_reason: str
    def __init__(self, suspended_party: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., offender: _Optional[_Union[_common_pb2.Party, _Mapping]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lifted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lifted_by: _Optional[str] = ..., lift_reason: _Optional[str] = ...) -> None: ...

class AppealDecisionRequest(_message.Message):
    __slots__ = ("request_id", "message_id", "penalty_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PENALTY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    message_id: str
    penalty_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., message_id: _Optional[str] = ..., penalty_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AppealDecisionResponse(_message.Message):
    __slots__ = ("appeal",)
    APPEAL_FIELD_NUMBER: _ClassVar[int]
    appeal: ReviewItem
    def __init__(self, appeal: _Optional[_Union[ReviewItem, _Mapping]] = ...) -> None: ...

class LiftSuspensionRequest(_message.Message):
    __slots__ = ("request_id", "sender_id", "shop_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    sender_id: str
    shop_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., sender_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class LiftSuspensionResponse(_message.Message):
    __slots__ = ("suspension", "standing")
    SUSPENSION_FIELD_NUMBER: _ClassVar[int]
    STANDING_FIELD_NUMBER: _ClassVar[int]
    suspension: Suspension
    standing: Standing
    def __init__(self, suspension: _Optional[_Union[Suspension, _Mapping]] = ..., standing: _Optional[_Union[Standing, str]] = ...) -> None: ...
