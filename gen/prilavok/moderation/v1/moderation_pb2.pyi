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

class ReviewDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_DECISION_UNSPECIFIED: _ClassVar[ReviewDecision]
    REVIEW_DECISION_APPROVE: _ClassVar[ReviewDecision]
    REVIEW_DECISION_REJECT: _ClassVar[ReviewDecision]

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
REVIEW_DECISION_UNSPECIFIED: ReviewDecision
REVIEW_DECISION_APPROVE: ReviewDecision
REVIEW_DECISION_REJECT: ReviewDecision
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
    __slots__ = ("review_id", "message_id", "thread_id", "sender", "text", "verdict", "status", "created_at", "resolved_at", "resolved_by", "resolution_comment")
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
    def __init__(self, review_id: _Optional[str] = ..., message_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., sender: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., text: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, _Mapping]] = ..., status: _Optional[_Union[ReviewStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_by: _Optional[str] = ..., resolution_comment: _Optional[str] = ...) -> None: ...

class ListReviewQueueRequest(_message.Message):
    __slots__ = ("status", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: ReviewStatus
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[ReviewStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("sender_id", "shop_id", "standing", "strikes_in_window", "strikes_total", "penalties", "updated_at")
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    STANDING_FIELD_NUMBER: _ClassVar[int]
    STRIKES_IN_WINDOW_FIELD_NUMBER: _ClassVar[int]
    STRIKES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    PENALTIES_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    sender_id: str
    shop_id: str
    standing: Standing
    strikes_in_window: int
    strikes_total: int
    penalties: _containers.RepeatedCompositeFieldContainer[Penalty]
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, sender_id: _Optional[str] = ..., shop_id: _Optional[str] = ..., standing: _Optional[_Union[Standing, str]] = ..., strikes_in_window: _Optional[int] = ..., strikes_total: _Optional[int] = ..., penalties: _Optional[_Iterable[_Union[Penalty, _Mapping]]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
