"""Mentions by name as people type them (``@ana``, ``@ana.lima``, ``@AnaLima``, ``@[Ana
Lima]``) resolved among the people a post can reach: the one whose whole name it is, else the
one whose first name it is; a name two people answer to equally means nobody."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.community.forum import MAX_MENTIONS, mentioned_names, resolve_mentions

ANA, ANA_SOUZA, BO = UUID(int=1), UUID(int=2), UUID(int=3)
PEOPLE = {ANA: "Ana Lima", ANA_SOUZA: "Ana Souza", BO: "Bo"}


def test_names_are_read_as_people_type_them_and_ids_are_left_to_the_id_form() -> None:
    someone = uuid4()
    text = (
        f"Thanks @Ana.Lima and @[Ana  Souza], cc @bo, @bo again, not me@mail.test, @{someone}, "
        "and @[unfinished"
    )
    assert mentioned_names(text) == ["ana.lima", "ana souza", "bo"]


def test_a_whole_name_or_a_unique_first_name_finds_one_person() -> None:
    names = ["ana.lima", "analima", "ana souza", "bo", "nobody"]
    assert resolve_mentions(names, PEOPLE) == [ANA, ANA_SOUZA, BO]
    assert resolve_mentions(["ana"], PEOPLE) == []  # two Anas: nobody is told
    assert resolve_mentions(["ana"], {ANA: "Ana Lima", BO: "Bo"}) == [ANA]
    # A whole name wins over someone else's first name.
    assert resolve_mentions(["bo"], {BO: "Bo", ANA: "Bo Ek"}) == [BO]


@settings(max_examples=60)
@given(
    st.dictionaries(st.uuids(), st.text(max_size=20), max_size=8),
    st.lists(st.text(max_size=20), max_size=30),
)
def test_a_name_never_means_two_people_and_no_one_is_named_twice(
    people: dict[UUID, str], names: list[str]
) -> None:
    found = resolve_mentions(names, people)
    assert len(found) == len(set(found)) <= len(names)
    assert set(found) <= set(people)


@settings(max_examples=60)
@given(st.text(alphabet=st.sampled_from("@[] aB.-_9\n"), max_size=200))
def test_any_text_gives_at_most_the_limit_of_distinct_names(text: str) -> None:
    names = mentioned_names(text)
    assert len(names) == len(set(names)) <= MAX_MENTIONS
    assert all(name and name == name.casefold() for name in names)
