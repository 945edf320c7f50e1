"""The double-entry ledger's rules: an entry has two or more non-zero lines on distinct accounts
and sums to zero per currency; accounts holding someone's money never go below zero while the
platform's and the outside world's may; a key records once; the trial balance is always zero."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elearn.domain.billing.ledger import (
    MAX_KEY,
    Account,
    AccountKind,
    EntryKind,
    InsufficientFunds,
    JournalEntry,
    Ledger,
    Line,
    UnbalancedEntry,
    balances_after,
    entry_lines,
)
from elearn.domain.shared.errors import RuleViolation

PROPERTY = settings(max_examples=200, deadline=None)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
K = AccountKind
ALICE, BOB = UUID(int=1), UUID(int=2)

NEVER_NEGATIVE = [K.STUDENT_WALLET, K.TUTOR_PENDING, K.TUTOR_AVAILABLE, K.TUTOR_HOLD]
MAY_GO_NEGATIVE = [K.PLATFORM_REVENUE, K.PROVIDER_CLEARING, K.PAYOUTS]


def account(kind: AccountKind, currency: str = "USD", owner: UUID = ALICE) -> Account:
    return Account.of(kind, owner, currency) if kind.has_owner else Account.platform(kind, currency)


def entry(lines: tuple[Line, ...] | list[Line], key: str = "k", n: int = 1) -> JournalEntry:
    return JournalEntry(
        id=UUID(int=n), key=key, kind=EntryKind.CARD_PAYMENT, lines=tuple(lines), posted_at=NOW
    )


def transfer(source: Account, target: Account, amount: int, key: str, n: int = 1) -> JournalEntry:
    return entry([Line(source, -amount), Line(target, amount)], key=key, n=n)


CLEARING, REVENUE = account(K.PROVIDER_CLEARING), account(K.PLATFORM_REVENUE)
WALLET = account(K.STUDENT_WALLET)


# ---- accounts ------------------------------------------------------------------------------


def test_only_wallets_and_tutor_balances_belong_to_a_person_and_never_go_negative() -> None:
    for kind in AccountKind:
        assert kind.has_owner == (kind in NEVER_NEGATIVE)
        assert kind.never_negative == (kind in NEVER_NEGATIVE)
        with pytest.raises(RuleViolation):
            # A person's account without its owner, or the platform's with one.
            Account(kind, "USD", None if kind.has_owner else ALICE)
    with pytest.raises(RuleViolation):
        Account.of(K.STUDENT_WALLET, ALICE, "usd")


# ---- journal entries -----------------------------------------------------------------------


def test_a_balanced_entry_of_two_lines_is_accepted_and_answers_per_account() -> None:
    posted = transfer(CLEARING, WALLET, 5000, key="topup:1")

    assert posted.accounts == sorted([CLEARING, WALLET])
    assert posted.amount_for(WALLET) == 5000
    assert posted.amount_for(CLEARING) == -5000
    assert posted.amount_for(REVENUE) == 0
    assert posted.lines[0].money.currency == "USD"


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([], id="no lines"),
        pytest.param([Line(CLEARING, 0)], id="one line"),
        pytest.param([Line(CLEARING, 100)], id="one unbalanced line"),
        pytest.param([Line(CLEARING, 0), Line(WALLET, 0)], id="zero lines"),
        pytest.param(
            [Line(CLEARING, -100), Line(WALLET, 100), Line(REVENUE, 0)], id="one zero line"
        ),
        pytest.param([Line(CLEARING, -100), Line(CLEARING, 100)], id="one account twice"),
        pytest.param([Line(CLEARING, -100), Line(WALLET, 99)], id="unbalanced"),
        pytest.param(
            [Line(CLEARING, -100), Line(account(K.STUDENT_WALLET, "EUR"), 100)],
            id="balanced only across currencies",
        ),
        pytest.param([Line(CLEARING, -1), Line(REVENUE, True)], id="a bool amount"),
        pytest.param([Line(CLEARING, -1.5), Line(WALLET, 1.5)], id="float amounts"),
    ],
)
def test_an_entry_that_breaks_double_entry_is_refused(lines: list[Line]) -> None:
    with pytest.raises(UnbalancedEntry):
        entry(lines)


@pytest.mark.parametrize("key", ["", "k" * (MAX_KEY + 1)], ids=["empty", "too long"])
def test_an_entry_key_is_1_to_200_characters(key: str) -> None:
    with pytest.raises(UnbalancedEntry):
        transfer(CLEARING, WALLET, 1, key=key)
    assert transfer(CLEARING, WALLET, 1, key="k" * MAX_KEY).key == "k" * MAX_KEY


ACCOUNTS = [
    account(kind, currency, owner)
    for kind in AccountKind
    for currency in ("USD", "JPY")
    for owner in ((ALICE, BOB) if kind.has_owner else (ALICE,))
]


@st.composite
def random_lines(draw: st.DrawFn) -> list[Line]:
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=2, max_size=6, unique=True))
    amounts = st.integers(min_value=-50, max_value=50).filter(bool)
    lines = [Line(acc, draw(amounts)) for acc in accounts]
    if draw(st.booleans()):
        # Close every currency on its last line, so balanced sets are drawn often, not by luck.
        totals: dict[str, int] = defaultdict(int)
        last: dict[str, int] = {}
        for index, line in enumerate(lines):
            totals[line.account.currency] += line.amount
            last[line.account.currency] = index
        for currency, index in last.items():
            closing = lines[index].amount - totals[currency]
            lines[index] = Line(lines[index].account, closing)
        lines = [line for line in lines if line.amount]
    return lines


@PROPERTY
@given(lines=random_lines())
def test_any_set_of_lines_is_an_entry_iff_it_sums_to_zero_in_every_currency(
    lines: list[Line],
) -> None:
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.account.currency] += line.amount
    balanced = all(total == 0 for total in totals.values())

    if balanced and len(lines) >= 2:
        assert entry(lines).lines == tuple(lines)
    else:
        with pytest.raises(UnbalancedEntry):
            entry(lines)


@PROPERTY
@given(
    lines=random_lines(),
    held=st.lists(st.integers(min_value=0, max_value=120), min_size=len(ACCOUNTS),
                  max_size=len(ACCOUNTS)),
)  # fmt: skip
def test_a_posting_is_refused_by_the_balances_of_the_accounts_it_debits_alone(
    lines: list[Line], held: list[int]
) -> None:
    """A posting reads and holds only the accounts it takes money from (a sale does not queue
    on the tutor it pays): with balances at or above zero, those decide every refusal."""
    try:
        posting = entry(lines)
    except UnbalancedEntry:
        return
    balances = dict(zip(ACCOUNTS, held, strict=True))
    debited = {acc: balances[acc] for acc in posting.debited_accounts}
    assert set(posting.debited_accounts) == {line.account for line in lines if line.amount < 0}

    def refusal(known: dict[Account, int]) -> bool:
        try:
            balances_after(posting, known)
        except InsufficientFunds:
            return True
        return False

    assert refusal(debited) == refusal(balances)


def test_entry_lines_sum_repeated_movements_and_drop_zero_ones() -> None:
    lines = entry_lines([(CLEARING, -100), (WALLET, 60), (WALLET, 40), (REVENUE, 0)])

    assert lines == (Line(CLEARING, -100), Line(WALLET, 100))


# ---- balances ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NEVER_NEGATIVE)
def test_an_account_holding_someones_money_cannot_be_taken_below_zero(kind: AccountKind) -> None:
    held = account(kind)
    taking = transfer(held, REVENUE, 101, key="take")

    with pytest.raises(InsufficientFunds) as refused:
        balances_after(taking, {held: 100})
    assert refused.value.account == held
    assert balances_after(taking, {held: 101}) == {held: 0, REVENUE: 101}


@pytest.mark.parametrize("kind", MAY_GO_NEGATIVE)
def test_platform_revenue_clearing_and_payouts_may_go_negative(kind: AccountKind) -> None:
    external = account(kind)

    assert balances_after(transfer(external, WALLET, 500, key="k"), {}) == {
        external: -500,
        WALLET: 500,
    }


def test_a_refused_posting_leaves_the_ledger_as_it_was() -> None:
    ledger = Ledger()
    ledger.record(transfer(CLEARING, WALLET, 100, key="topup"))

    with pytest.raises(InsufficientFunds):
        ledger.record(
            entry([Line(WALLET, -150), Line(REVENUE, 50), Line(CLEARING, 100)], key="buy")
        )
    assert set(ledger.entries) == {"topup"}
    assert ledger.balance(WALLET) == 100
    assert ledger.balance(REVENUE) == 0
    assert ledger.balance(CLEARING) == -100


def test_recording_a_key_twice_changes_nothing_and_answers_the_first_entry() -> None:
    ledger = Ledger()
    first = ledger.record(transfer(CLEARING, WALLET, 100, key="topup:1", n=1))
    balances = dict(ledger.balances)

    # Same key, different entry: even a different amount and direction cannot sneak in.
    again = ledger.record(transfer(WALLET, REVENUE, 100, key="topup:1", n=2))

    assert again is first
    assert list(ledger.entries.values()) == [first]
    assert dict(ledger.balances) == balances


POOLS = {currency: [a for a in ACCOUNTS if a.currency == currency] for currency in ("USD", "JPY")}
MOVES = st.tuples(
    st.sampled_from(sorted(POOLS)),
    st.integers(min_value=0, max_value=len(POOLS["USD"]) - 1),  # source
    st.integers(min_value=1, max_value=len(POOLS["USD"]) - 1),  # target, offset from source
    st.integers(min_value=0, max_value=12),  # key: small, so keys repeat
    st.integers(min_value=1, max_value=1000),
)


def transfers(moves: list[tuple[str, int, int, int, int]]) -> list[JournalEntry]:
    """Entries that move amounts between two accounts of one currency; the ledger refuses some
    (a person's account short) and some reuse an earlier key."""
    entries = []
    for n, (currency, source, offset, key, amount) in enumerate(moves):
        pool = POOLS[currency]
        target = (source + offset) % len(pool)
        entries.append(transfer(pool[source], pool[target], amount, key=f"k{key}", n=n))
    return entries


@PROPERTY
@given(moves=st.lists(MOVES, max_size=25))
def test_the_trial_balance_is_zero_per_currency_after_any_sequence_of_postings(
    moves: list[tuple[str, int, int, int, int]],
) -> None:
    ledger = Ledger()
    for posting in transfers(moves):
        before = dict(ledger.balances)
        first = ledger.entries.get(posting.key)
        try:
            recorded = ledger.record(posting)
        except InsufficientFunds:
            assert first is None
            assert dict(ledger.balances) == before
            continue
        if first is not None:
            assert recorded is first
            assert dict(ledger.balances) == before

    assert all(total == 0 for total in ledger.trial_balance().values())
    assert all(balance >= 0 for acc, balance in ledger.balances.items() if acc.kind.never_negative)
    # Balances are derived from the lines of the recorded entries, and from nothing else.
    derived: dict[Account, int] = defaultdict(int)
    for recorded in ledger.entries.values():
        for line in recorded.lines:
            derived[line.account] += line.amount
    assert {a: b for a, b in derived.items() if b} == {
        a: b for a, b in ledger.balances.items() if b
    }


def test_ledger_balance_of_an_unknown_account_is_zero_and_adds_no_row() -> None:
    ledger = Ledger()

    assert ledger.balance(WALLET) == 0
    assert dict(ledger.balances) == {}
    assert ledger.trial_balance() == {}
