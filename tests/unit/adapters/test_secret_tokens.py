"""RandomSecretTokens: unguessable tokens and recovery codes, stored as SHA-256 hex digests."""

from __future__ import annotations

import hashlib
import re
import string

from hypothesis import given
from hypothesis import strategies as st

from elearn.adapters.security.secrets import RECOVERY_ALPHABET, RandomSecretTokens

tokens = RandomSecretTokens()
RECOVERY_CODE = re.compile(
    rf"[{RECOVERY_ALPHABET}]{{4}}-[{RECOVERY_ALPHABET}]{{4}}-[{RECOVERY_ALPHABET}]{{2}}"
)


def test_a_token_is_256_bits_of_urlsafe_text() -> None:
    token = tokens.new()

    assert len(token) == 43  # 32 bytes in unpadded base64url
    assert set(token) <= set(string.ascii_letters + string.digits + "-_")


def test_tokens_do_not_repeat() -> None:
    assert len({tokens.new() for _ in range(1000)}) == 1000


def test_the_hash_is_the_hex_sha256_of_the_token() -> None:
    assert tokens.hash("abc") == hashlib.sha256(b"abc").hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", tokens.hash(tokens.new()))


def test_the_hash_is_stable_so_a_token_can_be_found_by_it() -> None:
    token = tokens.new()

    assert tokens.hash(token) == tokens.hash(token)
    assert tokens.hash(token) != tokens.hash(token + "x")


def test_a_recovery_code_is_ten_unambiguous_symbols_in_three_groups() -> None:
    for _ in range(200):
        code = tokens.new_recovery_code()
        assert RECOVERY_CODE.fullmatch(code), code
    assert not set("01ilo") & set(RECOVERY_ALPHABET)


def test_recovery_codes_use_the_whole_alphabet_and_do_not_repeat() -> None:
    codes = [tokens.new_recovery_code() for _ in range(2000)]

    assert len(set(codes)) == len(codes)
    assert set("".join(codes).replace("-", "")) == set(RECOVERY_ALPHABET)


def test_a_recovery_code_is_hashed_like_any_token() -> None:
    code = tokens.new_recovery_code()

    assert tokens.hash(code) == hashlib.sha256(code.encode()).hexdigest()


def test_a_recovery_code_typed_loosely_normalizes_to_what_was_issued() -> None:
    code = tokens.new_recovery_code()

    assert tokens.normalize_recovery_code(code) == code
    assert tokens.normalize_recovery_code(code.upper()) == code
    assert tokens.normalize_recovery_code(code.replace("-", "")) == code
    assert tokens.normalize_recovery_code(" " + code.replace("-", " ") + "\n") == code


@given(st.text(max_size=20))
def test_only_codes_from_the_alphabet_normalize(typed: str) -> None:
    normalized = tokens.normalize_recovery_code(typed)

    assert normalized is None or RECOVERY_CODE.fullmatch(normalized)


def test_codes_of_the_wrong_length_or_with_ambiguous_symbols_do_not_normalize() -> None:
    assert tokens.normalize_recovery_code("abcd-efgh-j") is None
    assert tokens.normalize_recovery_code("abcd-efgh-jkm") is None
    assert tokens.normalize_recovery_code("abcd-efgh-j0") is None
    assert tokens.normalize_recovery_code("") is None
