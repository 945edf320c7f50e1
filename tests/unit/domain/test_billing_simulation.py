"""A simulation of the billing flows over the pure domain: students top up and buy courses by
card or with credits, admins refund in full or in part, earnings clear, tutors withdraw and get
paid out or not, and webhooks and workers replay what was already recorded.

The model is built only from the domain pieces (``Ledger``, ``postings``, ``Order``,
``Withdrawal``, ``FeeSplit``) and calls them as the application does. After every step the
ledger must keep its promises (DESIGN §3): every entry balances per currency, no one's money
goes below zero, the trial balance is zero, a replayed key changes nothing. And it must agree
with a second bookkeeping done from the orders and withdrawals alone: what each wallet holds,
what each tutor earned and still has, what the platform kept, what the provider collected.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from functools import cache
from uuid import UUID, uuid4

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from elearn.domain.billing import postings
from elearn.domain.billing.fees import BASIS_POINTS
from elearn.domain.billing.ledger import (
    Account,
    AccountKind,
    EntryKind,
    InsufficientFunds,
    JournalEntry,
    Ledger,
    Line,
)
from elearn.domain.billing.order import ItemKind, Order, OrderStatus, PaymentMethod, Refund
from elearn.domain.billing.withdrawal import (
    Withdrawal,
    WithdrawalApproved,
    WithdrawalFailed,
    WithdrawalStatus,
)
from elearn.domain.shared.money import Currency, Money

K = AccountKind
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
USD, JPY = Currency("USD", 2), Currency("JPY", 0)
CURRENCIES = (USD.code, JPY.code)
STUDENTS = (UUID(int=1), UUID(int=2))
TUTORS = (UUID(int=11), UUID(int=12))
ADMIN = UUID(int=99)
COURSE = UUID(int=500)

students = st.sampled_from(STUDENTS)
tutors = st.sampled_from(TUTORS)
payees = st.sampled_from((*TUTORS, None))  # None: a course nobody is paid for
currencies = st.sampled_from(CURRENCIES)
amounts = st.integers(min_value=1, max_value=50_000)
rates = st.sampled_from([0, 1, 1500, 3333, 9999, BASIS_POINTS]) | st.integers(0, BASIS_POINTS)
SALES = frozenset({EntryKind.CARD_PAYMENT, EntryKind.CREDIT_PURCHASE})


@cache  # the invariants read balances thousands of times; an Account validates when built
def account(kind: AccountKind, owner: UUID | None, currency: str) -> Account:
    return Account(kind, currency, owner)


class BillingSimulation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.orders: list[Order] = []
        self.withdrawals: list[Withdrawal] = []
        self.next_id = 1000
        # What the model knows only from refunds (the orders do not say where a tutor's part
        # came from): per (tutor, currency), given back from their balances, and borne by the
        # platform because their balances were short.
        self.tutor_gave_back: dict[tuple[UUID, str], int] = defaultdict(int)
        self.platform_covered: dict[tuple[UUID, str], int] = defaultdict(int)

    # ---- helpers -------------------------------------------------------------------------
    def new_id(self) -> UUID:
        self.next_id += 1
        return UUID(int=self.next_id)

    def post(
        self, kind: EntryKind, key: str, lines: tuple[Line, ...], reference: UUID
    ) -> JournalEntry:
        entry = JournalEntry(
            id=self.new_id(),
            key=key,
            kind=kind,
            lines=lines,
            posted_at=NOW,
            reference_id=reference,
        )
        return self.ledger.record(entry)

    def post_or_refuse(
        self, kind: EntryKind, key: str, lines: tuple[Line, ...], reference: UUID
    ) -> bool:
        """Posts, or checks that a refused posting left the ledger exactly as it was."""
        before = (dict(self.ledger.balances), dict(self.ledger.entries))
        try:
            self.post(kind, key, lines, reference)
        except InsufficientFunds:
            assert (dict(self.ledger.balances), dict(self.ledger.entries)) == before
            return False
        return True

    def balance(self, kind: AccountKind, owner: UUID | None, currency: str) -> int:
        return self.ledger.balance(account(kind, owner, currency))

    def new_order(
        self,
        buyer: UUID,
        currency: str,
        amount: int,
        *,
        method: PaymentMethod,
        payee: UUID | None = None,
        bps: int = 1500,
        topup: bool = False,
    ) -> Order:
        return Order(
            id=self.new_id(),
            buyer_id=buyer,
            kind=ItemKind.WALLET_TOPUP if topup else ItemKind.COURSE,
            method=method,
            amount=Money(amount, currency),
            created_at=NOW,
            platform_bps=bps,
            course_id=None if topup else COURSE,
            payee_id=payee,
        )

    def paid(self, *, topup: bool) -> list[Order]:
        kind = ItemKind.WALLET_TOPUP if topup else ItemKind.COURSE
        return [o for o in self.orders if o.kind is kind and o.is_paid]

    def refundable_orders(self, *, topup: bool) -> list[Order]:
        return [o for o in self.paid(topup=topup) if o.refundable.is_positive]

    def unreleased_sales(self) -> list[Order]:
        return [
            o
            for o in self.paid(topup=False)
            if o.payee_id is not None and o.earnings_released_at is None
        ]

    def owners_mostly_with_money(
        self, kind: AccountKind, owners: tuple[UUID, ...]
    ) -> st.SearchStrategy[tuple[UUID, str]]:
        """An (owner, currency) whose account holds money more often than not, so that spending
        it succeeds often enough to matter, while an empty one still comes up."""
        every = [(owner, currency) for owner in owners for currency in CURRENCIES]
        with_money = [pair for pair in every if self.balance(kind, *pair) > 0]
        if not with_money:
            return st.sampled_from(every)
        return st.sampled_from(with_money) | st.sampled_from(every)

    def withdrawals_in(self, status: WithdrawalStatus) -> list[Withdrawal]:
        return [w for w in self.withdrawals if w.status is status]

    def give_back(self, withdrawal: Withdrawal) -> None:
        """Hold → available: a rejected or failed withdrawal."""
        self.post(
            EntryKind.WITHDRAWAL_RELEASE,
            f"withdrawal:{withdrawal.id}:release",
            postings.move(withdrawal.tutor_id, withdrawal.amount, K.TUTOR_HOLD, K.TUTOR_AVAILABLE),
            withdrawal.id,
        )

    # ---- students pay ----------------------------------------------------------------------
    @rule(student=students, currency=currencies, amount=amounts)
    def top_up_by_card(self, student: UUID, currency: str, amount: int) -> None:
        order = self.new_order(student, currency, amount, method=PaymentMethod.CARD, topup=True)
        order.succeed(NOW, payment_id=f"pi_{order.id}", event_id=uuid4())
        self.post(
            EntryKind.WALLET_TOPUP,
            f"order:{order.id}:capture",
            postings.topup(student, order.amount),
            order.id,
        )
        self.orders.append(order)

    @rule(student=students, payee=payees, currency=currencies, amount=amounts, bps=rates)
    def buy_by_card(
        self, student: UUID, payee: UUID | None, currency: str, amount: int, bps: int
    ) -> None:
        order = self.new_order(
            student, currency, amount, method=PaymentMethod.CARD, payee=payee, bps=bps
        )
        order.succeed(NOW, payment_id=f"pi_{order.id}", event_id=uuid4())
        self.post(
            EntryKind.CARD_PAYMENT,
            f"order:{order.id}:capture",
            postings.sale(postings.clearing(currency), order.split, payee),
            order.id,
        )
        self.orders.append(order)

    @rule(
        data=st.data(),
        payee=payees,
        bps=rates,
        amount=amounts,
        # Often a price right at the wallet's balance, to hit the boundary of "enough".
        around_balance=st.none() | st.integers(min_value=-2, max_value=2),
    )
    def buy_with_credits(
        self,
        data: st.DataObject,
        payee: UUID | None,
        bps: int,
        amount: int,
        around_balance: int | None,
    ) -> None:
        student, currency = data.draw(self.owners_mostly_with_money(K.STUDENT_WALLET, STUDENTS))
        wallet = self.balance(K.STUDENT_WALLET, student, currency)
        if around_balance is not None and wallet + around_balance > 0:
            amount = wallet + around_balance
        order = self.new_order(
            student, currency, amount, method=PaymentMethod.CREDITS, payee=payee, bps=bps
        )
        posted = self.post_or_refuse(
            EntryKind.CREDIT_PURCHASE,
            f"order:{order.id}:credits",
            postings.sale(postings.wallet(student, currency), order.split, payee),
            order.id,
        )
        assert posted == (amount <= wallet)
        if posted:
            order.succeed(NOW, payment_id=None, event_id=uuid4())
        else:
            order.fail(NOW, "not enough credits")
        self.orders.append(order)

    # ---- refunds ---------------------------------------------------------------------------
    @precondition(lambda self: self.refundable_orders(topup=False))
    @rule(data=st.data(), in_full=st.booleans())
    def refund_a_sale(self, data: st.DataObject, in_full: bool) -> None:
        order = data.draw(st.sampled_from(self.refundable_orders(topup=False)))
        rest = order.refundable.amount
        amount = Money(rest if in_full else data.draw(st.integers(1, rest)), order.amount.currency)
        order.check_refund(amount)
        currency, tutor = amount.currency, order.payee_id
        destination = (
            postings.clearing(currency)
            if order.method is PaymentMethod.CARD
            else postings.wallet(order.buyer_id, currency)
        )
        # Exactly as the application: the split of this refund after the earlier ones, the
        # tutor's part taken from what the ledger says they have.
        split = order.refund_split(amount)
        refund = Refund(
            id=self.new_id(), order_id=order.id, amount=amount, reason="asked", created_at=NOW
        )
        pending, available = (
            (self.balance(kind, tutor, currency) for kind in (K.TUTOR_PENDING, K.TUTOR_AVAILABLE))
            if tutor
            else (0, 0)
        )
        posting = postings.refund(
            destination=destination,
            amount=amount,
            platform_back=split.platform,
            tutor_back=split.tutor,
            tutor_id=tutor,
            pending=pending,
            available=available,
        )
        self.post(EntryKind.REFUND, f"refund:{refund.id}", posting.lines, refund.id)
        order.record_refund(amount)
        refund.succeed(NOW, provider_refund_id=f"re_{refund.id}", covered=posting.platform_covered)

        # The tutor's part: pending first, then available, the shortfall borne by revenue.
        assert posting.from_pending == min(pending, split.tutor.amount)
        assert posting.from_available == min(available, split.tutor.amount - posting.from_pending)
        assert posting.platform_covered >= 0
        assert posting.from_pending + posting.from_available + posting.platform_covered == (
            split.tutor.amount
        )
        if tutor is not None:
            self.tutor_gave_back[tutor, currency] += posting.from_pending + posting.from_available
            self.platform_covered[tutor, currency] += posting.platform_covered
        else:
            assert split.tutor.amount == 0

    @precondition(lambda self: self.refundable_orders(topup=True))
    @rule(data=st.data(), in_full=st.booleans())
    def refund_a_topup(self, data: st.DataObject, in_full: bool) -> None:
        """Credits back to the card: refused when the student spent them already."""
        order = data.draw(st.sampled_from(self.refundable_orders(topup=True)))
        rest = order.refundable.amount
        amount = Money(rest if in_full else data.draw(st.integers(1, rest)), order.amount.currency)
        wallet = self.balance(K.STUDENT_WALLET, order.buyer_id, amount.currency)
        posted = self.post_or_refuse(
            EntryKind.REFUND,
            f"refund:{self.new_id()}",
            postings.topup_refund(order.buyer_id, amount),
            order.id,
        )
        assert posted == (amount.amount <= wallet)
        if posted:
            order.record_refund(amount)

    # ---- tutors' earnings ------------------------------------------------------------------
    @precondition(lambda self: self.unreleased_sales())
    @rule(data=st.data())
    def clear_earnings(self, data: st.DataObject) -> None:
        """The clearing period passed: the sale's tutor share, less what refunds took back of
        it, moves from pending to available (no more than pending holds)."""
        order = data.draw(st.sampled_from(self.unreleased_sales()))
        tutor, currency = order.payee_id, order.amount.currency
        assert tutor is not None
        still_theirs = order.split.tutor - order.fees.tutor_share(order.refunded)
        release = min(still_theirs.amount, self.balance(K.TUTOR_PENDING, tutor, currency))
        if release > 0:
            self.post(
                EntryKind.EARNINGS_RELEASE,
                f"order:{order.id}:release",
                postings.move(tutor, Money(release, currency), K.TUTOR_PENDING, K.TUTOR_AVAILABLE),
                order.id,
            )
        order.release_earnings(NOW)

    @rule(data=st.data())
    def request_withdrawal(self, data: st.DataObject) -> None:
        tutor, currency = data.draw(self.owners_mostly_with_money(K.TUTOR_AVAILABLE, TUTORS))
        available = self.balance(K.TUTOR_AVAILABLE, tutor, currency)
        # Everything, a part, or just more than there is: the boundary of "enough" matters.
        amount = data.draw(
            st.sampled_from([available, available + 1]) | st.integers(1, max(available, 1) * 2)
            if available > 0
            else st.just(1)
        )
        withdrawal = Withdrawal(
            id=self.new_id(), tutor_id=tutor, amount=Money(amount, currency), requested_at=NOW
        )
        posted = self.post_or_refuse(
            EntryKind.WITHDRAWAL_HOLD,
            f"withdrawal:{withdrawal.id}:hold",
            postings.move(tutor, withdrawal.amount, K.TUTOR_AVAILABLE, K.TUTOR_HOLD),
            withdrawal.id,
        )
        assert posted == (amount <= available)
        if posted:
            self.withdrawals.append(withdrawal)

    @precondition(lambda self: self.withdrawals_in(WithdrawalStatus.REQUESTED))
    @rule(data=st.data())
    def approve_withdrawal(self, data: st.DataObject) -> None:
        withdrawal = data.draw(st.sampled_from(self.withdrawals_in(WithdrawalStatus.REQUESTED)))
        withdrawal.approve(ADMIN, NOW, self.new_id())
        events = withdrawal.pull_events()
        assert [type(event) for event in events] == [WithdrawalApproved]

    @precondition(lambda self: self.withdrawals_in(WithdrawalStatus.REQUESTED))
    @rule(data=st.data())
    def reject_withdrawal(self, data: st.DataObject) -> None:
        withdrawal = data.draw(st.sampled_from(self.withdrawals_in(WithdrawalStatus.REQUESTED)))
        withdrawal.reject(ADMIN, NOW, "bank details missing")
        self.give_back(withdrawal)

    @precondition(lambda self: self.withdrawals_in(WithdrawalStatus.APPROVED))
    @rule(data=st.data())
    def pay_out(self, data: st.DataObject) -> None:
        withdrawal = data.draw(st.sampled_from(self.withdrawals_in(WithdrawalStatus.APPROVED)))
        withdrawal.start_attempt(NOW)
        self.post(
            EntryKind.PAYOUT,
            withdrawal.payout_key,
            postings.payout(withdrawal.tutor_id, withdrawal.amount),
            withdrawal.id,
        )
        withdrawal.mark_paid(f"tr_{withdrawal.id}", NOW, uuid4())

    @precondition(lambda self: self.withdrawals_in(WithdrawalStatus.APPROVED))
    @rule(data=st.data())
    def payout_fails(self, data: st.DataObject) -> None:
        withdrawal = data.draw(st.sampled_from(self.withdrawals_in(WithdrawalStatus.APPROVED)))
        withdrawal.start_attempt(NOW)
        withdrawal.mark_failed("account closed", NOW, self.new_id())
        assert [type(event) for event in withdrawal.pull_events()] == [WithdrawalFailed]
        self.give_back(withdrawal)

    # ---- redelivery ------------------------------------------------------------------------
    @precondition(lambda self: self.ledger.entries)
    @rule(data=st.data())
    def replay_a_recorded_key(self, data: st.DataObject) -> None:
        """A redelivered webhook or a retried worker: same key, whatever it would post now."""
        key = data.draw(st.sampled_from(sorted(self.ledger.entries)))
        self.assert_replay_changes_nothing(key)

    def assert_replay_changes_nothing(self, key: str) -> None:
        first = self.ledger.entries[key]
        # The opposite posting, which would break a never-negative account if it were applied.
        replayed = JournalEntry(
            id=UUID(int=first.id.int + 10**9),
            key=key,
            kind=first.kind,
            lines=tuple(Line(line.account, -line.amount) for line in first.lines),
            posted_at=NOW,
        )
        before = (dict(self.ledger.balances), list(self.ledger.entries.items()))

        assert self.ledger.record(replayed) is first
        assert self.ledger.record(first) is first
        assert (dict(self.ledger.balances), list(self.ledger.entries.items())) == before

    # ---- the ledger's promises -------------------------------------------------------------
    @invariant()
    def every_entry_balances_and_balances_are_the_sum_of_the_lines(self) -> None:
        derived: dict[Account, int] = defaultdict(int)
        for key, entry in self.ledger.entries.items():
            assert entry.key == key and len(entry.lines) >= 2
            totals: dict[str, int] = defaultdict(int)
            for line in entry.lines:
                assert line.amount != 0
                totals[line.account.currency] += line.amount
                derived[line.account] += line.amount
            assert set(totals.values()) == {0}
        recorded = self.ledger.balances.items()
        assert {a: b for a, b in derived.items() if b} == {a: b for a, b in recorded if b}

    @invariant()
    def no_ones_money_goes_below_zero(self) -> None:
        for held, balance in self.ledger.balances.items():
            if held.kind.never_negative:
                assert balance >= 0, (held, balance)

    @invariant()
    def trial_balance_is_zero_per_currency(self) -> None:
        assert set(self.ledger.trial_balance().values()) <= {0}

    @invariant()
    def replaying_the_latest_key_changes_nothing(self) -> None:
        if self.ledger.entries:
            self.assert_replay_changes_nothing(next(reversed(self.ledger.entries)))

    @invariant()
    def outside_world_mirrors_what_is_held_inside(self) -> None:
        for currency in CURRENCIES:
            external = self.balance(K.PROVIDER_CLEARING, None, currency) + self.balance(
                K.PAYOUTS, None, currency
            )
            wallets = sum(self.balance(K.STUDENT_WALLET, s, currency) for s in STUDENTS)
            tutors_hold = sum(
                self.balance(kind, t, currency)
                for t in TUTORS
                for kind in (K.TUTOR_PENDING, K.TUTOR_AVAILABLE, K.TUTOR_HOLD)
            )
            revenue = self.balance(K.PLATFORM_REVENUE, None, currency)
            assert external == -(wallets + tutors_hold + revenue)

    # ---- the ledger agrees with the orders and withdrawals ---------------------------------
    @invariant()
    def each_tutor_earned_their_share_and_keeps_it_less_what_went_back_or_out(self) -> None:
        earned: dict[tuple[UUID, str], int] = defaultdict(int)
        share_refunded: dict[tuple[UUID, str], int] = defaultdict(int)
        for order in self.paid(topup=False):
            if order.payee_id is not None:
                pair = (order.payee_id, order.amount.currency)
                earned[pair] += order.split.tutor.amount
                share_refunded[pair] += order.fees.tutor_share(order.refunded).amount
        credited: dict[tuple[UUID | None, str], int] = defaultdict(int)
        for entry in self.ledger.entries.values():
            if entry.kind in SALES:
                for line in entry.lines:
                    if line.account.kind is K.TUTOR_PENDING:
                        credited[line.account.owner_id, line.account.currency] += line.amount
        paid_out: dict[tuple[UUID, str], int] = defaultdict(int)
        for withdrawal in self.withdrawals_in(WithdrawalStatus.PAID):
            paid_out[withdrawal.tutor_id, withdrawal.amount.currency] += withdrawal.amount.amount

        for pair in [(tutor, currency) for tutor in TUTORS for currency in CURRENCIES]:
            # Sales credit pending with exactly the tutor shares of the orders.
            assert credited[pair] == earned[pair]
            # The tutor's share of every refund came from their balances or from revenue.
            assert share_refunded[pair] == self.tutor_gave_back[pair] + self.platform_covered[pair]
            still_theirs = sum(
                self.balance(kind, *pair)
                for kind in (K.TUTOR_PENDING, K.TUTOR_AVAILABLE, K.TUTOR_HOLD)
            )
            assert still_theirs + paid_out[pair] == earned[pair] - self.tutor_gave_back[pair]

    @invariant()
    def wallets_clearing_revenue_holds_and_payouts_agree_with_the_orders(self) -> None:
        """Every balance but a tutor's pending and available, from the orders, the refunds'
        platform cover and the withdrawals alone."""
        expected: dict[Account, int] = defaultdict(int)
        for order in self.orders:
            if not order.is_paid:
                continue
            currency, kept = order.amount.currency, order.amount.amount - order.refunded_amount
            by_card = order.method is PaymentMethod.CARD
            wallet = account(K.STUDENT_WALLET, order.buyer_id, currency)
            expected[account(K.PROVIDER_CLEARING, None, currency) if by_card else wallet] -= kept
            if order.kind is ItemKind.WALLET_TOPUP:
                expected[wallet] += kept
            else:
                expected[account(K.PLATFORM_REVENUE, None, currency)] += platform_kept(order)
        for (_, currency), covered in self.platform_covered.items():
            expected[account(K.PLATFORM_REVENUE, None, currency)] -= covered
        for withdrawal in self.withdrawals:
            tutor, currency = withdrawal.tutor_id, withdrawal.amount.currency
            if withdrawal.is_open:
                expected[account(K.TUTOR_HOLD, tutor, currency)] += withdrawal.amount.amount
            elif withdrawal.status is WithdrawalStatus.PAID:
                expected[account(K.PAYOUTS, None, currency)] += withdrawal.amount.amount

        checked = {
            K.STUDENT_WALLET,
            K.PROVIDER_CLEARING,
            K.PLATFORM_REVENUE,
            K.TUTOR_HOLD,
            K.PAYOUTS,
        }
        actual = {a: b for a, b in self.ledger.balances.items() if b and a.kind in checked}
        assert actual == {a: b for a, b in expected.items() if b}

    @invariant()
    def orders_never_refund_more_than_they_took(self) -> None:
        for order in self.orders:
            assert 0 <= order.refunded_amount <= order.amount.amount
            if order.refunded_amount == order.amount.amount:
                assert order.status is OrderStatus.REFUNDED
            elif order.refunded_amount:
                assert order.status is OrderStatus.PARTIALLY_REFUNDED


def platform_kept(order: Order) -> int:
    """The platform's fee on a sale less the platform's part of the refunds made on it."""
    tutor_refunded = order.fees.tutor_share(order.refunded).amount if order.payee_id else 0
    return order.split.platform.amount - (order.refunded_amount - tutor_refunded)


TestBillingSimulation = BillingSimulation.TestCase
TestBillingSimulation.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)


def test_a_refund_after_the_tutor_was_paid_out_is_borne_by_platform_revenue() -> None:
    """The path random runs reach least often, spelled out: the tutor's part of a refund comes
    from pending (another sale's earnings) first, then available, and revenue bears the rest."""
    ledger = Ledger()
    tutor, usd = TUTORS[0], "USD"
    keys = iter(range(1, 100))

    def post(kind: EntryKind, lines: tuple[Line, ...]) -> None:
        n = next(keys)
        ledger.record(
            JournalEntry(id=UUID(int=n), key=f"k{n}", kind=kind, lines=lines, posted_at=NOW)
        )

    def sale(amount: int) -> Order:
        order = Order(
            id=UUID(int=600 + amount),
            buyer_id=STUDENTS[0],
            kind=ItemKind.COURSE,
            method=PaymentMethod.CARD,
            amount=Money(amount, usd),
            created_at=NOW,
            platform_bps=1500,
            course_id=COURSE,
            payee_id=tutor,
        )
        order.succeed(NOW, payment_id=None, event_id=uuid4())
        post(EntryKind.CARD_PAYMENT, postings.sale(postings.clearing(usd), order.split, tutor))
        return order

    first = sale(10_000)  # 1 500 fee, 8 500 to the tutor
    post(
        EntryKind.EARNINGS_RELEASE,
        postings.move(tutor, Money(8_500, usd), K.TUTOR_PENDING, K.TUTOR_AVAILABLE),
    )
    sale(2_000)  # 300 fee, 1 700 pending
    post(
        EntryKind.WITHDRAWAL_HOLD,
        postings.move(tutor, Money(8_000, usd), K.TUTOR_AVAILABLE, K.TUTOR_HOLD),
    )
    post(EntryKind.PAYOUT, postings.payout(tutor, Money(8_000, usd)))

    split = first.refund_split(first.amount)
    refund = postings.refund(
        destination=postings.clearing(usd),
        amount=first.amount,
        platform_back=split.platform,
        tutor_back=split.tutor,
        tutor_id=tutor,
        pending=ledger.balance(account(K.TUTOR_PENDING, tutor, usd)),
        available=ledger.balance(account(K.TUTOR_AVAILABLE, tutor, usd)),
    )
    post(EntryKind.REFUND, refund.lines)
    first.record_refund(first.amount)

    assert (refund.from_pending, refund.from_available, refund.platform_covered) == (
        1_700,
        500,
        6_300,
    )
    assert {
        kind: ledger.balance(account(kind, tutor if kind.has_owner else None, usd))
        for kind in K
        if kind is not K.STUDENT_WALLET
    } == {
        K.PROVIDER_CLEARING: -2_000,  # 12 000 collected, 10 000 given back
        K.PLATFORM_REVENUE: 1_800 - 1_500 - 6_300,
        K.TUTOR_PENDING: 0,
        K.TUTOR_AVAILABLE: 0,
        K.TUTOR_HOLD: 0,
        K.PAYOUTS: 8_000,
    }
    assert ledger.trial_balance() == {usd: 0}


def test_a_refund_with_no_tutor_takes_nothing_from_the_balances_it_is_given() -> None:
    """A sale nobody was paid for: even if a caller passes some tutor's balances, the whole
    tutor part is the platform's to give back, and the lines still balance."""
    posting = postings.refund(
        destination=postings.clearing("USD"),
        amount=Money(1000, "USD"),
        platform_back=Money(150, "USD"),
        tutor_back=Money(850, "USD"),
        tutor_id=None,
        pending=850,
        available=400,
    )

    assert (posting.from_pending, posting.from_available, posting.platform_covered) == (0, 0, 850)
    entry = JournalEntry(
        id=UUID(int=1), key="refund:1", kind=EntryKind.REFUND, lines=posting.lines, posted_at=NOW
    )
    assert entry.amount_for(postings.revenue("USD")) == -1000
    assert entry.amount_for(postings.clearing("USD")) == 1000
