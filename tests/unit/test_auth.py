import time

import jwt
import pytest

from prilavok_platform.auth import AuthSettings, Identity, Role, TokenIssuer, TokenVerifier
from prilavok_platform.errors import PermissionDenied, Unauthenticated

SETTINGS = AuthSettings(secret="s3cret-s3cret-s3cret-s3cret-s3cret")


def test_minted_token_verifies_to_the_same_identity():
    token = TokenIssuer(SETTINGS).mint("u1", Role.SELLER, "shop9")
    assert TokenVerifier(SETTINGS).verify_header(f"Bearer {token}") == Identity("u1", Role.SELLER, "shop9")


@pytest.mark.parametrize("header,reason", [
    (None, "TOKEN_MISSING"), ("", "TOKEN_MISSING"), ("Basic abc", "TOKEN_INVALID"), ("Bearer ", "TOKEN_INVALID"),
])
def test_missing_or_malformed_header_is_unauthenticated(header, reason):
    with pytest.raises(Unauthenticated) as err:
        TokenVerifier(SETTINGS).verify_header(header)
    assert err.value.reason == reason


def test_token_signed_with_another_secret_is_refused():
    token = TokenIssuer(AuthSettings(secret="other-other-other-other-other-other")).mint("u1", Role.BUYER)
    with pytest.raises(Unauthenticated) as err:
        TokenVerifier(SETTINGS).verify(token)
    assert err.value.reason == "TOKEN_INVALID"


def test_expired_token_is_refused():
    claims = {"sub": "u1", "role": "buyer", "iss": "prilavok", "exp": int(time.time()) - 3600}
    with pytest.raises(Unauthenticated) as err:
        TokenVerifier(SETTINGS).verify(jwt.encode(claims, "s3cret-s3cret-s3cret-s3cret-s3cret", algorithm="HS256"))
    assert err.value.reason == "TOKEN_EXPIRED"


def test_unknown_role_and_seller_without_shop_are_refused():
    issuer_claims = {"sub": "u1", "iss": "prilavok", "exp": int(time.time()) + 60}
    for extra in ({"role": "admin"}, {"role": "seller"}):
        with pytest.raises(Unauthenticated):
            TokenVerifier(SETTINGS).verify(jwt.encode({**issuer_claims, **extra}, "s3cret-s3cret-s3cret-s3cret-s3cret", algorithm="HS256"))


def test_rs256_tokens_verify_with_the_public_key_only():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    token = TokenIssuer(AuthSettings(algorithm="RS256", private_key_pem=private_pem)).mint("svc", Role.SERVICE)
    assert TokenVerifier(AuthSettings(algorithm="RS256", public_key_pem=public_pem)).verify(token).role is Role.SERVICE
    # An HS256 token made with the public key as secret must not pass (algorithm confusion).
    claims = {"sub": "x", "role": "service", "iss": "prilavok", "exp": int(time.time()) + 60}
    forged = jwt.encode(claims, "not-the-key-not-the-key-not-the-key-xx", algorithm="HS256")
    with pytest.raises(Unauthenticated):
        TokenVerifier(AuthSettings(algorithm="RS256", public_key_pem=public_pem)).verify(forged)


def test_require_role_names_what_is_allowed():
    with pytest.raises(PermissionDenied) as err:
        Identity("u1", Role.BUYER).require_role(Role.MODERATOR)
    assert "moderator" in err.value.message and err.value.reason == "ROLE_NOT_ALLOWED"


@pytest.mark.parametrize("sub, shop", [("", ""), ("has space", ""), ("x" * 129, ""), ("ok", "shop with space")])
def test_subjects_and_shops_that_cannot_be_ids_are_refused(sub, shop):
    now = int(time.time())
    claims = {"sub": sub, "role": "seller" if shop else "buyer", "iss": "prilavok", "exp": now + 60}
    if shop:
        claims["shop_id"] = shop
    token = jwt.encode(claims, SETTINGS.secret, algorithm="HS256")
    with pytest.raises(Unauthenticated) as err:
        TokenVerifier(SETTINGS).verify(token)
    assert err.value.reason == "TOKEN_INVALID"
