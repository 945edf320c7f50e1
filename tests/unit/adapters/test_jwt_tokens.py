"""JwtAccessTokens: a token it issued verifies; anything else, however crafted, is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.adapters.security.jwt_tokens import JwtAccessTokens, key_id
from elearn.application.identity.ports import InvalidAccessToken
from elearn.domain.identity.roles import Role

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    HAVE_CRYPTOGRAPHY = True
except ImportError:
    HAVE_CRYPTOGRAPHY = False

needs_cryptography = pytest.mark.skipif(
    not HAVE_CRYPTOGRAPHY,
    reason="the `cryptography` package is not installed, so pyjwt has no RS256 to configure",
)

SECRET = "test-only-hmac-secret-0123456789abcdef"
OTHER_SECRET = "another-hmac-secret-0123456789abcdefgh"
ISSUER = "https://elearn.test"
AUDIENCE = "elearn-api"
TTL = 900
NOW = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
EPOCH_NOW = int(NOW.timestamp())
USER = uuid.UUID("8d1c4f0e-3b7a-4c55-9d8e-2f6a1b0c9e77")
SESSION = uuid.UUID("0b5e7a8c-1d2f-4e3a-9b8c-7d6e5f4a3b2c")
KID = key_id(SECRET)


def make_tokens(**overrides: Any) -> JwtAccessTokens:
    options: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "ttl_seconds": TTL}
    options.update(overrides)
    return JwtAccessTokens(options.pop("secret", SECRET), **options)


TOKENS = make_tokens()
VALID = TOKENS.issue(USER, Role.TUTOR, NOW, session_id=SESSION).token


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid access-token payload; an override of None removes the claim."""
    payload: dict[str, Any] = {
        "sub": str(USER),
        "sid": str(SESSION),
        "role": "student",
        "iat": EPOCH_NOW,
        "exp": EPOCH_NOW + TTL,
        "jti": "a-token-id",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": "access",
    }
    for name, value in overrides.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return payload


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def hs256(header: dict[str, Any], payload: dict[str, Any], key: bytes = SECRET.encode()) -> str:
    """Sign by hand, so no library safety net stands between the test and the verifier."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def signed(payload: dict[str, Any], **headers: Any) -> str:
    return jwt.encode(payload, SECRET, algorithm="HS256", headers={"kid": KID, **headers})


def refused(token: str, now: datetime = NOW, tokens: JwtAccessTokens = TOKENS) -> bool:
    with pytest.raises(InvalidAccessToken) as caught:
        tokens.verify(token, now)
    assert str(caught.value) == ""  # says nothing about why
    return True


# ---- issuing and verifying ------------------------------------------------------------------
def test_an_issued_token_verifies_to_its_claims() -> None:
    issued = TOKENS.issue(USER, Role.TUTOR, NOW, session_id=SESSION)

    verified = TOKENS.verify(issued.token, NOW)

    assert verified.user_id == USER
    assert verified.session_id == SESSION
    assert verified.role is Role.TUTOR
    assert verified.token_id == issued.token_id
    assert verified.issued_at == NOW
    assert verified.expires_at == NOW + timedelta(seconds=TTL) == issued.expires_at
    assert issued.expires_in_seconds == TTL


def test_an_issued_token_carries_the_registered_claims() -> None:
    issued = TOKENS.issue(USER, Role.ADMIN, NOW, session_id=SESSION)

    header = jwt.get_unverified_header(issued.token)
    payload = jwt.decode(issued.token, options={"verify_signature": False})

    assert header == {"alg": "HS256", "typ": "JWT", "kid": KID}
    assert payload == {
        "sub": str(USER),
        "sid": str(SESSION),
        "role": "admin",
        "iat": EPOCH_NOW,
        "exp": EPOCH_NOW + TTL,
        "jti": issued.token_id,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": "access",
    }


def test_token_ids_are_random_and_at_least_128_bits() -> None:
    ids = {TOKENS.issue(USER, Role.STUDENT, NOW, session_id=SESSION).token_id for _ in range(200)}

    assert len(ids) == 200
    for token_id in ids:
        assert set(token_id) <= set(string.ascii_letters + string.digits + "-_")
        assert len(token_id) * 6 >= 128


def test_token_ids_come_from_the_given_generator() -> None:
    tokens = make_tokens(ids=lambda: "jti-1")

    assert tokens.issue(USER, Role.STUDENT, NOW, session_id=SESSION).token_id == "jti-1"
    assert (
        tokens.verify(tokens.issue(USER, Role.STUDENT, NOW, session_id=SESSION).token, NOW).token_id
        == "jti-1"
    )


def test_a_token_verifies_until_the_second_before_it_expires() -> None:
    last_second = NOW + timedelta(seconds=TTL - 1)

    assert TOKENS.verify(VALID, last_second).user_id == USER


def test_a_token_is_expired_exactly_at_exp() -> None:
    assert refused(VALID, now=NOW + timedelta(seconds=TTL))


def test_a_token_is_expired_after_exp() -> None:
    assert refused(VALID, now=NOW + timedelta(days=1))


def test_verification_uses_the_given_now_not_the_real_clock() -> None:
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    old = TOKENS.issue(USER, Role.STUDENT, long_ago, session_id=SESSION)

    assert TOKENS.verify(old.token, long_ago + timedelta(minutes=1)).user_id == USER


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        TOKENS.verify(VALID, NOW.replace(tzinfo=None))
    with pytest.raises(TypeError):
        TOKENS.issue(USER, Role.STUDENT, NOW.replace(tzinfo=None), session_id=SESSION)


# ---- lifetime and keys (issue 15, finding 1) --------------------------------------------------
def test_a_token_signed_with_our_key_but_living_longer_than_we_issue_is_refused() -> None:
    ten_years = claims(exp=EPOCH_NOW + 10 * 365 * 86_400)

    assert refused(signed(ten_years))
    assert refused(signed(claims(exp=EPOCH_NOW + TTL + 1)))
    assert TOKENS.verify(signed(claims(exp=EPOCH_NOW + TTL)), NOW).user_id == USER


def test_issued_times_are_whole_seconds() -> None:
    issued = TOKENS.issue(USER, Role.STUDENT, NOW + timedelta(milliseconds=700), session_id=SESSION)
    payload = jwt.decode(issued.token, options={"verify_signature": False})

    assert payload["iat"] == EPOCH_NOW and isinstance(payload["iat"], int)
    assert payload["exp"] == EPOCH_NOW + TTL and isinstance(payload["exp"], int)


def test_a_token_without_a_known_key_id_is_refused() -> None:
    assert refused(hs256({"alg": "HS256", "typ": "JWT"}, claims()))
    assert refused(signed(claims(), kid="another-key"))
    assert refused(hs256({"alg": "HS256", "typ": "JWT", "kid": 7}, claims()))


def test_tokens_of_a_replaced_key_verify_until_they_expire_and_new_ones_use_the_new_key() -> None:
    old_tokens = make_tokens(secret=OTHER_SECRET)
    before_rotation = old_tokens.issue(USER, Role.STUDENT, NOW, session_id=SESSION).token
    rotated = make_tokens(secret=SECRET, previous_secrets=[OTHER_SECRET])

    assert rotated.verify(before_rotation, NOW).user_id == USER
    assert refused(before_rotation, now=NOW + timedelta(seconds=TTL), tokens=rotated)
    assert refused(before_rotation)  # once the old key is dropped, its tokens are gone
    after_rotation = rotated.issue(USER, Role.STUDENT, NOW, session_id=SESSION).token
    assert jwt.get_unverified_header(after_rotation)["kid"] == KID != key_id(OTHER_SECRET)
    assert TOKENS.verify(after_rotation, NOW).user_id == USER


def test_a_token_naming_the_previous_key_but_signed_with_the_current_one_is_refused() -> None:
    rotated = make_tokens(secret=SECRET, previous_secrets=[OTHER_SECRET])
    token = jwt.encode(claims(), SECRET, algorithm="HS256", headers={"kid": key_id(OTHER_SECRET)})

    assert refused(token, tokens=rotated)


def test_key_ids_differ_per_key_and_do_not_contain_it() -> None:
    assert key_id(SECRET) != key_id(OTHER_SECRET)
    assert key_id(SECRET) == key_id(SECRET)
    assert SECRET[:8] not in key_id(SECRET)


# ---- configuration --------------------------------------------------------------------------
def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        make_tokens(secret="x" * 31)


def test_a_32_byte_secret_is_enough() -> None:
    tokens = make_tokens(secret="x" * 32)

    assert (
        tokens.verify(tokens.issue(USER, Role.STUDENT, NOW, session_id=SESSION).token, NOW).user_id
        == USER
    )


@pytest.mark.parametrize("algorithm", ["none", "None", "HS1", ""])
def test_unknown_or_unsigned_algorithms_cannot_be_configured(algorithm: str) -> None:
    with pytest.raises(ValueError, match="algorithm"):
        make_tokens(algorithm=algorithm)


def test_a_non_positive_lifetime_is_refused() -> None:
    with pytest.raises(ValueError):
        make_tokens(ttl_seconds=0)


# ---- forged and foreign tokens --------------------------------------------------------------
def test_an_unsigned_alg_none_token_is_refused() -> None:
    token = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims())}."

    assert refused(token)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused_whatever_its_spelling_or_signature(alg: str) -> None:
    token = hs256({"alg": alg, "typ": "JWT"}, claims())

    assert refused(token)


def test_a_token_signed_with_another_key_is_refused() -> None:
    assert refused(jwt.encode(claims(), OTHER_SECRET, algorithm="HS256"))


def test_a_token_signed_with_the_right_key_but_another_algorithm_is_refused() -> None:
    long_secret = SECRET * 2  # long enough for HS512
    tokens = make_tokens(secret=long_secret)

    assert refused(jwt.encode(claims(), long_secret, algorithm="HS512"), tokens=tokens)


def test_a_valid_signature_over_another_header_is_refused() -> None:
    _, payload, signature = VALID.split(".")
    other_header = segment({"alg": "HS256", "typ": "JWT", "kid": "x"})

    assert refused(f"{other_header}.{payload}.{signature}")


@needs_cryptography
def test_an_hs256_token_keyed_with_the_rsa_public_key_is_refused_by_an_rs256_verifier() -> None:
    # The classic key-confusion attack: the attacker knows the public key, signs with HMAC
    # using its PEM as the secret, and hopes the verifier lets the token's `alg` choose.
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    tokens = make_tokens(secret=private_pem, algorithm="RS256")
    genuine = tokens.issue(USER, Role.STUDENT, NOW, session_id=SESSION)
    forged = hs256({"alg": "HS256", "typ": "JWT"}, claims(role="admin"), key=public_pem)

    assert tokens.verify(genuine.token, NOW).user_id == USER
    assert refused(forged, tokens=tokens)


def test_a_wrong_audience_is_refused() -> None:
    assert refused(signed(claims(aud="another-api")))


def test_an_audience_list_is_refused_even_when_it_names_us() -> None:
    assert refused(signed(claims(aud=[AUDIENCE, "another-api"])))


def test_a_wrong_issuer_is_refused() -> None:
    assert refused(signed(claims(iss="https://evil.test")))


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "aud", "iss", "jti", "typ", "role", "sid"])
def test_a_token_missing_a_required_claim_is_refused(claim: str) -> None:
    assert refused(signed(claims(**{claim: None})))


def test_a_validly_signed_token_without_sub_is_refused() -> None:
    token = hs256({"alg": "HS256", "typ": "JWT", "kid": KID}, claims(sub=None))

    assert refused(token)


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": "not-a-uuid"},
        {"sub": 42},
        {"role": "superuser"},
        {"jti": ""},
        {"jti": 7},
        {"exp": "1736934300"},
        {"exp": True},
        {"iat": float("inf")},
        {"exp": 10**30},
        {"iat": -1},
        {"sid": "not-a-uuid"},
        {"iat": EPOCH_NOW + 0.5},
        {"exp": EPOCH_NOW + TTL - 0.5},
    ],
    ids=repr,
)
def test_malformed_claims_are_refused(overrides: dict[str, Any]) -> None:
    assert refused(hs256({"alg": "HS256", "typ": "JWT", "kid": KID}, claims(**overrides)))


def test_iat_up_to_30_seconds_ahead_is_tolerated() -> None:
    token = signed(claims(iat=EPOCH_NOW + 30))

    assert TOKENS.verify(token, NOW).user_id == USER


def test_iat_more_than_30_seconds_ahead_is_refused() -> None:
    assert refused(signed(claims(iat=EPOCH_NOW + 31)))


def test_a_token_expiring_before_it_was_issued_is_refused() -> None:
    assert refused(signed(claims(iat=EPOCH_NOW, exp=EPOCH_NOW - 1)), now=NOW - timedelta(hours=1))


def test_a_future_nbf_is_refused() -> None:
    assert refused(signed(claims(nbf=EPOCH_NOW + 1)))


def test_an_nbf_already_reached_is_accepted() -> None:
    assert TOKENS.verify(signed(claims(nbf=EPOCH_NOW)), NOW).user_id == USER


def test_a_remembered_verification_still_checks_the_time_of_each_use() -> None:
    tokens = make_tokens()  # nothing verified yet
    valid = tokens.issue(USER, Role.TUTOR, NOW, session_id=SESSION).token
    later = signed(claims(nbf=EPOCH_NOW + 60))

    assert tokens.verify(valid, NOW).user_id == USER
    assert tokens.verify(valid, NOW + timedelta(seconds=TTL - 1)).user_id == USER
    assert refused(valid, now=NOW + timedelta(seconds=TTL), tokens=tokens)
    assert refused(valid, now=NOW - timedelta(minutes=1), tokens=tokens)  # issued in the future
    # Refused before its not-before instant, accepted from it, refused before it again.
    assert refused(later, now=NOW, tokens=tokens)
    assert tokens.verify(later, NOW + timedelta(seconds=60)).user_id == USER
    assert refused(later, now=NOW + timedelta(seconds=59), tokens=tokens)


def test_a_token_altered_after_a_verification_is_refused() -> None:
    tokens = make_tokens()
    valid = tokens.issue(USER, Role.TUTOR, NOW, session_id=SESSION).token
    header, _payload, signature = valid.split(".")
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps(claims(role="admin")).encode()).decode().rstrip("=")
    )

    assert tokens.verify(valid, NOW).role is Role.TUTOR
    assert refused(f"{header}.{forged_payload}.{signature}", tokens=tokens)


@pytest.mark.parametrize("typ", ["refresh", "ACCESS", "id", "email_verification"])
def test_a_token_of_another_type_is_refused(typ: str) -> None:
    assert refused(signed(claims(typ=typ)))


@pytest.mark.parametrize(
    "header",
    [
        {"jku": "https://evil.test/jwks.json"},
        {"x5u": "https://evil.test/cert.pem"},
        {"jwk": {"kty": "oct", "k": b64(OTHER_SECRET.encode())}},
        {"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]},
    ],
    ids=lambda header: next(iter(header)),
)
def test_a_token_naming_its_own_key_is_refused(header: dict[str, Any]) -> None:
    assert refused(signed(claims(), **header))


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "HS256", "crit": ["exp"], "exp": 1},
        {"alg": "HS256", "b64": False, "crit": ["b64"]},
        {"alg": "HS256", "zip": "DEF"},
    ],
    ids=["crit", "b64", "zip"],
)
def test_header_parameters_we_never_write_are_refused(header: dict[str, Any]) -> None:
    assert refused(hs256(header, claims()))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a token",
        "a.b.c",
        "..",
        "...",
        "a.b",
        "a.b.c.d",
        "Bearer " + VALID,
        VALID + ".",
        VALID + "=",
        " " + VALID,
        VALID + "\n",
        VALID.replace(".", ".=", 1),
        VALID.replace("-", "+").replace("_", "/") if ("-" in VALID or "_" in VALID) else "x+/y",
        "é.é.é",
        "\udcff.a.b",
        "eyJhbGciOiJIUzI1NiJ9.%%%.AAAA",
        segment({"alg": "HS256"}) + "." + b64(b"[1,2,3]") + ".AAAA",
        segment({"alg": "HS256"}) + "." + b64(b"\xff\xfe") + ".AAAA",
        "A" * 100_000,
    ],
    # Ids by position: VALID is signed at import time, so its text differs between xdist
    # workers, and ids made from it would have them collect different tests.
    ids=[f"garbage{index}" for index in range(20)],
)
def test_garbage_is_refused(garbage: str) -> None:
    assert refused(garbage)


def test_another_spelling_of_the_same_signature_is_refused() -> None:
    # Base64url's last character of a 32-byte signature carries 2 unused bits; a character
    # differing only in them decodes to the same bytes. Only the canonical spelling verifies.
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    last = alphabet.index(VALID[-1])
    for other in range(4):
        twin = alphabet[(last & ~0b11) | other]
        if twin != VALID[-1]:
            assert refused(VALID[:-1] + twin)


TOKEN_CHARS = string.ascii_letters + string.digits + "-_.=+/ "


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_changing_any_single_character_never_verifies(data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(VALID) - 1), label="index")
    replacement = data.draw(
        st.sampled_from(TOKEN_CHARS).filter(lambda char: char != VALID[index]), label="char"
    )
    tampered = VALID[:index] + replacement + VALID[index + 1 :]

    with pytest.raises(InvalidAccessToken):
        TOKENS.verify(tampered, NOW)
