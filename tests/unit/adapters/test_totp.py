"""PyotpTotpService: RFC 6238 codes with one step of drift either way, and nothing looser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from elearn.adapters.security.totp import PyotpTotpService

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
totp = PyotpTotpService()
# The first second of a 30-second step.
STEP_START = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
STEP = int(STEP_START.timestamp()) // 30


def code_at(when: datetime, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(when)


def test_a_new_secret_is_160_bits_of_base32() -> None:
    secret = totp.new_secret()

    assert len(secret) == 32
    assert pyotp.TOTP(secret).now().isdigit()
    assert totp.new_secret() != secret


def test_the_provisioning_uri_names_account_issuer_and_parameters() -> None:
    uri = urlparse(totp.provisioning_uri(SECRET, "ana@example.com", "Elearn"))
    query = parse_qs(uri.query)

    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    assert "ana%40example.com" in uri.path or "ana@example.com" in uri.path
    assert query["secret"] == [SECRET]
    assert query["issuer"] == ["Elearn"]


def test_the_current_code_matches_its_step() -> None:
    now = STEP_START + timedelta(seconds=10)

    assert totp.matching_step(SECRET, code_at(now), now) == STEP


def test_at_the_first_second_of_a_step_its_code_matches_that_step() -> None:
    assert totp.matching_step(SECRET, code_at(STEP_START), STEP_START) == STEP


def test_at_the_last_second_of_a_step_its_code_matches_that_step() -> None:
    last = STEP_START + timedelta(seconds=29)

    assert totp.matching_step(SECRET, code_at(last), last) == STEP


@pytest.mark.parametrize("drift", [-1, 1])
def test_a_code_one_step_away_is_accepted_with_its_own_step(drift: int) -> None:
    code = code_at(STEP_START + timedelta(seconds=30 * drift))

    assert totp.matching_step(SECRET, code, STEP_START) == STEP + drift


def test_the_previous_steps_code_still_matches_just_after_rollover() -> None:
    just_before = STEP_START - timedelta(seconds=1)

    assert totp.matching_step(SECRET, code_at(just_before), STEP_START) == STEP - 1


@pytest.mark.parametrize("drift", [-3, -2, 2, 3])
def test_a_code_two_or_more_steps_away_is_refused(drift: int) -> None:
    code = code_at(STEP_START + timedelta(seconds=30 * drift))
    # A code that happens to equal a nearby step's code would be legitimately accepted.
    nearby = {code_at(STEP_START + timedelta(seconds=30 * d)) for d in (-1, 0, 1)}
    assert code not in nearby

    assert totp.matching_step(SECRET, code, STEP_START) is None


def test_another_secrets_code_is_refused() -> None:
    code = code_at(STEP_START, secret=pyotp.random_base32())
    assert code not in {code_at(STEP_START + timedelta(seconds=30 * d)) for d in (-1, 0, 1)}

    assert totp.matching_step(SECRET, code, STEP_START) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda code: code[:-1],
        lambda code: code + "0",
        lambda code: " " + code,
        lambda code: code[:3] + " " + code[3:],
        lambda code: code[:3] + "-" + code[3:],
        lambda code: code[:-1] + "a",
        lambda code: "".join(chr(ord(d) - ord("0") + 0x0660) for d in code),  # Arabic-Indic
        lambda code: "".join(chr(ord(d) - ord("0") + 0xFF10) for d in code),  # full width
        lambda code: "",
        lambda code: "-" + code[1:],
    ],
)
def test_codes_of_the_wrong_length_or_with_non_ascii_digits_are_refused(
    mangle: Callable[[str], str],
) -> None:
    assert totp.matching_step(SECRET, mangle(code_at(STEP_START)), STEP_START) is None


def test_eight_digit_codes_with_a_60_second_step() -> None:
    service = PyotpTotpService(digits=8, interval=60)
    reference = pyotp.TOTP(SECRET, digits=8, interval=60)
    now = datetime(2025, 1, 15, 9, 31, 59, tzinfo=UTC)
    step = int(now.timestamp()) // 60

    assert service.matching_step(SECRET, reference.at(now), now) == step
    assert service.matching_step(SECRET, reference.at(now + timedelta(seconds=60)), now) == step + 1
    assert service.matching_step(SECRET, code_at(now), now) is None  # six digits


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        totp.matching_step(SECRET, "123456", STEP_START.replace(tzinfo=None))
