"""The preferences body names every notification category and channel, and no other."""

from __future__ import annotations

import msgspec

from elearn.domain.communication.notifications import Category, Channel
from elearn.entrypoints.http.notifications.routes import CategoryChannels, ChannelChoices


def test_the_preferences_body_has_a_field_per_category_and_channel() -> None:
    assert set(CategoryChannels.__struct_fields__) == {c.value for c in Category}
    assert set(ChannelChoices.__struct_fields__) == {c.value for c in Channel}


def test_left_out_categories_and_channels_are_no_choice() -> None:
    body = msgspec.json.decode(
        b'{"booking": {"email": false}, "course": {}}', type=CategoryChannels
    )
    assert body.chosen() == {Category.BOOKING: {Channel.EMAIL: False}, Category.COURSE: {}}
