"""Bearer-token authentication: JWTs with subject, role and (for sellers) shop id.

HS256 with a shared secret for development; RS256 with a public key for production.
The gRPC layer verifies the token and binds the Identity for the handler.
"""
from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

import jwt

from prilavok_platform.errors import Unauthenticated
from prilavok_platform.identity import Identity, Party, Role

__all__ = ["Identity", "Party", "Role", "TokenVerifier", "TokenIssuer", "CachedServiceToken", "current_identity"]

DEV_SECRET = "prilavok-dev-secret-not-for-production"


_current: contextvars.ContextVar[Identity | None] = contextvars.ContextVar("prilavok_identity", default=None)


def current_identity() -> Identity:
    identity = _current.get()
    if identity is None:
        raise Unauthenticated("no authenticated caller", reason="UNAUTHENTICATED")
    return identity


def bind_identity(identity: Identity | None) -> contextvars.Token:
    return _current.set(identity)


def reset_identity(token: contextvars.Token) -> None:
    _current.reset(token)


@dataclass(frozen=True)
class AuthSettings:
    algorithm: str = "HS256"
    secret: str = DEV_SECRET
    public_key_pem: str = ""
    private_key_pem: str = ""  # only for services minting their own RS256 tokens
    issuer: str = "prilavok"
    leeway_seconds: int = 30


class TokenVerifier:
    def __init__(self, settings: AuthSettings):
        if settings.algorithm not in ("HS256", "RS256"):
            raise ValueError(f"unsupported JWT algorithm {settings.algorithm!r}; use HS256 or RS256")
        if settings.algorithm == "RS256" and not settings.public_key_pem:
            raise ValueError("RS256 needs a public key (PRILAVOK_JWT_PUBLIC_KEY_FILE)")
        self._settings = settings
        self._key = settings.public_key_pem if settings.algorithm == "RS256" else settings.secret

    def verify(self, token: str) -> Identity:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._settings.algorithm],
                options={"require": ["sub", "exp", "role"]},
                issuer=self._settings.issuer or None,
                leeway=self._settings.leeway_seconds,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired", reason="TOKEN_EXPIRED") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}", reason="TOKEN_INVALID") from None
        try:
            role = Role(claims["role"])
        except ValueError:
            raise Unauthenticated(f"unknown role {claims['role']!r} in token", reason="TOKEN_INVALID") from None
        shop_id = str(claims.get("shop_id") or "")
        if role is Role.SELLER and not shop_id:
            raise Unauthenticated("seller token without shop_id", reason="TOKEN_INVALID")
        subject = str(claims["sub"])
        # Ids become party keys and document ids: the same rule as every id in a request.
        for name, value in (("sub", subject), ("shop_id", shop_id)):
            if value and not _is_identifier(value):
                raise Unauthenticated(f"token {name} must be 1-128 printable ASCII characters without spaces", reason="TOKEN_INVALID")
        if not subject:
            raise Unauthenticated("token without a subject (sub)", reason="TOKEN_INVALID")
        return Identity(user_id=subject, role=role, shop_id=shop_id)

    def verify_header(self, value: str | None) -> Identity:
        if not value:
            raise Unauthenticated("missing 'authorization: Bearer <token>' metadata", reason="TOKEN_MISSING")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("authorization metadata must be 'Bearer <token>'", reason="TOKEN_INVALID")
        return self.verify(token.strip())


def _is_identifier(value: str) -> bool:
    return len(value) <= 128 and value.isascii() and value.isprintable() and " " not in value


class TokenIssuer:
    """Mints tokens: development users (CLI) and service-to-service calls."""

    def __init__(self, settings: AuthSettings):
        self._settings = settings
        if settings.algorithm == "RS256":
            if not settings.private_key_pem:
                raise ValueError("minting RS256 tokens needs a private key")
            self._key = settings.private_key_pem
        else:
            self._key = settings.secret

    def mint(self, user_id: str, role: Role, shop_id: str = "", ttl_seconds: int = 3600) -> str:
        now = int(time.time())
        claims = {"sub": user_id, "role": role.value, "iat": now, "exp": now + ttl_seconds}
        if self._settings.issuer:
            claims["iss"] = self._settings.issuer
        if shop_id:
            claims["shop_id"] = shop_id
        return jwt.encode(claims, self._key, algorithm=self._settings.algorithm)


class CachedServiceToken:
    """A service identity's token, re-minted shortly before it expires."""

    def __init__(self, issuer: TokenIssuer | None, service_name: str, static_token: str = "", ttl_seconds: int = 900):
        self._issuer = issuer
        self._service = service_name
        self._static = static_token
        self._ttl = ttl_seconds
        self._token = ""
        self._expires = 0.0

    def get(self) -> str:
        if self._static:
            return self._static
        if self._issuer is None:
            raise RuntimeError("no service token configured and no key to mint one")
        now = time.time()
        if now > self._expires - 60:
            self._token = self._issuer.mint(self._service, Role.SERVICE, ttl_seconds=self._ttl)
            self._expires = now + self._ttl
        return self._token
