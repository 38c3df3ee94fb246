import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NotificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_KIND_UNSPECIFIED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_NEW_MESSAGE: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_MESSAGE_BLOCKED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_MESSAGE_HELD: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_CLAIM_UPDATE: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_REFUND: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_PENALTY: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_REPLY_DEADLINE: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_PENALTY_WITHDRAWN: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_STANDING: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_APPEAL: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_MESSAGE_UNDELIVERED: _ClassVar[NotificationKind]
NOTIFICATION_KIND_UNSPECIFIED: NotificationKind
NOTIFICATION_KIND_NEW_MESSAGE: NotificationKind
NOTIFICATION_KIND_MESSAGE_BLOCKED: NotificationKind
NOTIFICATION_KIND_MESSAGE_HELD: NotificationKind
NOTIFICATION_KIND_CLAIM_UPDATE: NotificationKind
NOTIFICATION_KIND_REFUND: NotificationKind
NOTIFICATION_KIND_PENALTY: NotificationKind
NOTIFICATION_KIND_REPLY_DEADLINE: NotificationKind
NOTIFICATION_KIND_PENALTY_WITHDRAWN: NotificationKind
NOTIFICATION_KIND_STANDING: NotificationKind
NOTIFICATION_KIND_APPEAL: NotificationKind
NOTIFICATION_KIND_MESSAGE_UNDELIVERED: NotificationKind

class Notification(_message.Message):
    __slots__ = ("notification_id", "recipient", "kind", "title", "body", "thread_id", "claim_id", "created_at", "read")
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    recipient: str
    kind: NotificationKind
    title: str
    body: str
    thread_id: str
    claim_id: str
    created_at: _timestamp_pb2.Timestamp
    read: bool
    def __init__(self, notification_id: _Optional[str] = ..., recipient: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., thread_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., read: _Optional[bool] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "unread_only", "inbox")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNREAD_ONLY_FIELD_NUMBER: _ClassVar[int]
    INBOX_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    unread_only: bool
    inbox: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., unread_only: _Optional[bool] = ..., inbox: _Optional[str] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("notifications", "next_page_token", "unread_count")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    next_page_token: str
    unread_count: int
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., unread_count: _Optional[int] = ...) -> None: ...

class MarkNotificationsReadRequest(_message.Message):
    __slots__ = ("notification_ids", "all", "inbox")
    NOTIFICATION_IDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    INBOX_FIELD_NUMBER: _ClassVar[int]
    notification_ids: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    inbox: str
    def __init__(self, notification_ids: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ..., inbox: _Optional[str] = ...) -> None: ...

class MarkNotificationsReadResponse(_message.Message):
    __slots__ = ("unread_count",)
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    unread_count: int
    def __init__(self, unread_count: _Optional[int] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("inbox",)
    INBOX_FIELD_NUMBER: _ClassVar[int]
    inbox: str
    def __init__(self, inbox: _Optional[str] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("notification",)
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    notification: Notification
    def __init__(self, notification: _Optional[_Union[Notification, _Mapping]] = ...) -> None: ...

class Preferences(_message.Message):
    __slots__ = ("muted_kinds", "unmutable_kinds")
    MUTED_KINDS_FIELD_NUMBER: _ClassVar[int]
    UNMUTABLE_KINDS_FIELD_NUMBER: _ClassVar[int]
    muted_kinds: _containers.RepeatedScalarFieldContainer[NotificationKind]
    unmutable_kinds: _containers.RepeatedScalarFieldContainer[NotificationKind]
    def __init__(self, muted_kinds: _Optional[_Iterable[_Union[NotificationKind, str]]] = ..., unmutable_kinds: _Optional[_Iterable[_Union[NotificationKind, str]]] = ...) -> None: ...

class GetPreferencesRequest(_message.Message):
    __slots__ = ("inbox",)
    INBOX_FIELD_NUMBER: _ClassVar[int]
    inbox: str
    def __init__(self, inbox: _Optional[str] = ...) -> None: ...

class GetPreferencesResponse(_message.Message):
    __slots__ = ("preferences",)
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    preferences: Preferences
    def __init__(self, preferences: _Optional[_Union[Preferences, _Mapping]] = ...) -> None: ...

class UpdatePreferencesRequest(_message.Message):
    __slots__ = ("preferences", "update_mask", "inbox")
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    INBOX_FIELD_NUMBER: _ClassVar[int]
    preferences: Preferences
    update_mask: _field_mask_pb2.FieldMask
    inbox: str
    def __init__(self, preferences: _Optional[_Union[Preferences, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., inbox: _Optional[str] = ...) -> None: ...

class UpdatePreferencesResponse(_message.Message):
    __slots__ = ("preferences",)
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    preferences: Preferences
    def __init__(self, preferences: _Optional[_Union[Preferences, _Mapping]] = ...) -> None: ...
