from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_BUYER: _ClassVar[Role]
    ROLE_SELLER: _ClassVar[Role]
    ROLE_SUPPORT: _ClassVar[Role]
    ROLE_MODERATOR: _ClassVar[Role]
    ROLE_SERVICE: _ClassVar[Role]

class PartyKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTY_KIND_UNSPECIFIED: _ClassVar[PartyKind]
    PARTY_KIND_USER: _ClassVar[PartyKind]
    PARTY_KIND_SHOP: _ClassVar[PartyKind]
    PARTY_KIND_SUPPORT: _ClassVar[PartyKind]
ROLE_UNSPECIFIED: Role
ROLE_BUYER: Role
ROLE_SELLER: Role
ROLE_SUPPORT: Role
ROLE_MODERATOR: Role
ROLE_SERVICE: Role
PARTY_KIND_UNSPECIFIED: PartyKind
PARTY_KIND_USER: PartyKind
PARTY_KIND_SHOP: PartyKind
PARTY_KIND_SUPPORT: PartyKind

class Money(_message.Message):
    __slots__ = ("currency_code", "amount_minor")
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    currency_code: str
    amount_minor: int
    def __init__(self, currency_code: _Optional[str] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class Actor(_message.Message):
    __slots__ = ("role", "user_id", "shop_id")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SHOP_ID_FIELD_NUMBER: _ClassVar[int]
    role: Role
    user_id: str
    shop_id: str
    def __init__(self, role: _Optional[_Union[Role, str]] = ..., user_id: _Optional[str] = ..., shop_id: _Optional[str] = ...) -> None: ...

class TextSpan(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class Party(_message.Message):
    __slots__ = ("kind", "id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    kind: PartyKind
    id: str
    def __init__(self, kind: _Optional[_Union[PartyKind, str]] = ..., id: _Optional[str] = ...) -> None: ...
