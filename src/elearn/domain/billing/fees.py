"""The fee split: what the platform keeps of a sale and what the tutor earns."""

from __future__ import annotations

from dataclasses import dataclass

from elearn.domain.shared.errors import RuleViolation
from elearn.domain.shared.money import Money

BASIS_POINTS = 10_000
DEFAULT_PLATFORM_BPS = 1_500


class InvalidFeeRate(RuleViolation):
    code = "invalid-fee-rate"


@dataclass(frozen=True, slots=True)
class Split:
    platform: Money
    tutor: Money


@dataclass(frozen=True, slots=True)
class FeeSplit:
    """The platform keeps ``platform_bps`` basis points (1500 = 15%) of a gross amount.

    Rounding: the platform's share is rounded *down* to the minor unit and the tutor gets the
    rest, so any fraction of a minor unit goes to the tutor and platform + tutor == gross
    exactly, for every gross and every rate. Negative amounts (reversals) split by their
    magnitude with the same rule, so a full reversal undoes a sale to the unit.
    """

    platform_bps: int = DEFAULT_PLATFORM_BPS

    def __post_init__(self) -> None:
        bps = self.platform_bps
        if isinstance(bps, bool) or not isinstance(bps, int) or not 0 <= bps <= BASIS_POINTS:
            raise InvalidFeeRate(
                "the platform's share is a whole number of basis points from 0 to 10000"
            )

    def platform_share(self, gross: Money) -> Money:
        magnitude = abs(gross.amount) * self.platform_bps // BASIS_POINTS
        return Money(magnitude if gross.amount >= 0 else -magnitude, gross.currency)

    def tutor_share(self, gross: Money) -> Money:
        return gross - self.platform_share(gross)

    def split(self, gross: Money) -> Split:
        platform = self.platform_share(gross)
        return Split(platform=platform, tutor=gross - platform)
