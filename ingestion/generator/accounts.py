"""Accounts, external counterparties and loans of the synthetic bank.

Why together: these are the places money sits or comes from; normal behaviour and the planters
only pick among them (a customer's primary account, a merchant, the cash desk).
"""

from __future__ import annotations

import numpy as np

from graphrisk.domain import ACCOUNT_STATUSES, ACCOUNT_TYPES, COUNTERPARTY_KINDS, LOAN_STATUSES

from .draws import PERIOD_DAYS, lognormal, pick
from .lookups import (
    COMPANY_SUFFIX,
    COMPANY_WORDS,
    COUNTRIES,
    COUNTRY_CURRENCY,
    CURRENCIES,
    FIRST_NAMES,
    HIGH_RISK_COUNTRY_CODES,
    HOME_COUNTRIES,
    HOME_WEIGHTS,
    INDUSTRIES,
    INDUSTRY_NOUN,
    LAST_NAMES,
    MERCHANT_INDUSTRIES,
    MERCHANT_WEIGHTS,
)
from .world import Accounts, Counterparties, Customers, Loans, World

__all__ = [
    "make_accounts",
    "make_counterparties",
    "make_loans",
]


def make_accounts(rng: np.random.Generator, customers: Customers) -> Accounts:
    """One to three accounts per customer: a current account first, then savings or cards."""
    n = customers.n
    per_customer = pick(rng, 3, n, (0.5, 0.35, 0.15)) + 1
    owner = np.repeat(np.arange(n), per_customer)
    first_row = np.concatenate(([0], np.cumsum(per_customer)[:-1]))
    position = np.arange(len(owner)) - np.repeat(first_row, per_customer)
    is_first = position == 0
    m = len(owner)

    business = customers.business[owner]
    extra_kind = pick(rng, len(ACCOUNT_TYPES), m, (0, 0.45, 0.40, 0, 0, 0.15))
    kind = np.where(is_first, ACCOUNT_TYPES.index("checking"), extra_kind)
    kind = np.where(business & is_first, ACCOUNT_TYPES.index("business"), kind)
    kind = np.where(
        business & ~is_first & (kind == ACCOUNT_TYPES.index("wallet")),
        ACCOUNT_TYPES.index("business"),
        kind,
    )

    country_currency = np.array(
        [CURRENCIES.index(COUNTRY_CURRENCY.get(code, "EUR")) for code in COUNTRIES]
    )
    currency = country_currency[customers.country[owner]]
    foreign = ~is_first & (rng.random(m) < 0.06)
    currency = np.where(foreign, pick(rng, 4, m, (0.2, 0.3, 0.4, 0.1)), currency)

    onboard = customers.onboard_day[owner]
    opened = onboard + (rng.random(m) * np.where(is_first, 0, -onboard - 1)).astype(np.int64)
    status = pick(rng, len(ACCOUNT_STATUSES), m, (0.95, 0.03, 0.005, 0.015))
    status = np.where(is_first, ACCOUNT_STATUSES.index("active"), status)
    closed_day = np.where(
        status == ACCOUNT_STATUSES.index("closed"), PERIOD_DAYS + rng.integers(1, 40, m), -1
    )

    primary = first_row
    card = primary.copy()
    savings = np.full(n, -1, np.int64)
    # The last credit card / savings account of a customer wins; any one is fine.
    is_card = kind == ACCOUNT_TYPES.index("credit_card")
    card[owner[is_card]] = np.flatnonzero(is_card)
    is_savings = kind == ACCOUNT_TYPES.index("savings")
    savings[owner[is_savings]] = np.flatnonzero(is_savings)
    return Accounts(owner, kind, currency, opened, status, closed_day, primary, card, savings)


def make_counterparties(rng: np.random.Generator, n_customers: int) -> Counterparties:
    """External parties: the cash desk, the bank itself, government, utilities, employers,
    merchants, suppliers and accounts at other banks (some in high-risk countries)."""
    n_employers = max(40, n_customers // 60)
    n_merchants = max(120, n_customers // 40)
    n_utilities = max(8, n_customers // 4000)
    n_banks_home = max(60, n_customers // 50)
    n_banks_risky = max(20, n_customers // 800)
    n_suppliers = max(30, n_customers // 150)

    kinds: list[np.ndarray] = []
    countries: list[np.ndarray] = []
    industry: list[str | None] = []
    names: list[str] = []

    def add(
        kind: str, count: int, country: np.ndarray, industries: list[str | None], labels: list[str]
    ) -> np.ndarray:
        start = sum(len(k) for k in kinds)
        kinds.append(np.full(count, COUNTERPARTY_KINDS.index(kind), np.int64))
        countries.append(np.asarray(country, np.int64))
        industry.extend(industries)
        names.extend(labels)
        return np.arange(start, start + count)

    home = len(HOME_COUNTRIES)
    cash = int(add("cash", 1, np.zeros(1), [None], ["Cash"])[0])
    bank = int(add("other", 1, np.zeros(1), ["banking"], ["GraphRisk Bank"])[0])
    pension_fund, tax_office = add(
        "government",
        2,
        np.zeros(2),
        ["public_administration"] * 2,
        ["State Pension Fund", "Tax Office"],
    )
    words = COMPANY_WORDS

    def company_names(count: int, nouns: list[str], country: np.ndarray) -> list[str]:
        w = rng.integers(0, len(words), count)
        return [
            f"{words[i]} {noun} {COMPANY_SUFFIX[COUNTRIES[c]]}"
            for i, noun, c in zip(w, nouns, country, strict=True)
        ]

    country = pick(rng, home, n_utilities, HOME_WEIGHTS)
    utility_nouns = ["Energy", "Water", "Telecom", "Insurance", "Broadband", "Gas"]
    nouns = [utility_nouns[i] for i in rng.integers(0, len(utility_nouns), n_utilities)]
    utilities = add(
        "utility",
        n_utilities,
        country,
        ["utilities"] * n_utilities,
        company_names(n_utilities, nouns, country),
    )

    country = pick(rng, home, n_employers, HOME_WEIGHTS)
    ind = rng.integers(0, len(INDUSTRIES), n_employers)
    employers = add(
        "employer",
        n_employers,
        country,
        [INDUSTRIES[i] for i in ind],
        company_names(n_employers, [INDUSTRY_NOUN[INDUSTRIES[i]] for i in ind], country),
    )
    employer_weights = rng.pareto(1.2, n_employers) + 1

    country = pick(rng, home, n_merchants, HOME_WEIGHTS)
    ind = pick(rng, len(MERCHANT_INDUSTRIES), n_merchants, MERCHANT_WEIGHTS)
    merchant_ind = [MERCHANT_INDUSTRIES[i] for i in ind]
    merchants = add(
        "merchant",
        n_merchants,
        country,
        list(merchant_ind),
        company_names(n_merchants, [m.replace("_", " ").title() for m in merchant_ind], country),
    )
    merchant_weights = rng.pareto(1.1, n_merchants) + 1

    country = pick(rng, home, n_suppliers, HOME_WEIGHTS)
    ind = rng.integers(0, len(INDUSTRIES), n_suppliers)
    suppliers = add(
        "other",
        n_suppliers,
        country,
        [INDUSTRIES[i] for i in ind],
        company_names(n_suppliers, [INDUSTRY_NOUN[INDUSTRIES[i]] for i in ind], country),
    )

    def bank_names(count: int) -> list[str]:
        f = rng.integers(0, len(FIRST_NAMES), count)
        last = rng.integers(0, len(LAST_NAMES), count)
        return [
            f"{FIRST_NAMES[a][0]}. {LAST_NAMES[b]} (external account)"
            for a, b in zip(f, last, strict=True)
        ]

    country = pick(rng, home, n_banks_home, HOME_WEIGHTS)
    banks_home = add(
        "bank_account", n_banks_home, country, [None] * n_banks_home, bank_names(n_banks_home)
    )
    country = rng.choice(HIGH_RISK_COUNTRY_CODES, n_banks_risky)
    banks_risky = add(
        "bank_account", n_banks_risky, country, [None] * n_banks_risky, bank_names(n_banks_risky)
    )
    return Counterparties(
        kind=np.concatenate(kinds),
        country=np.concatenate(countries),
        industry=industry,
        name=names,
        cash=cash,
        bank=bank,
        pension_fund=int(pension_fund),
        tax_office=int(tax_office),
        utilities=utilities,
        employers=employers,
        employer_weights=employer_weights / employer_weights.sum(),
        merchants=merchants,
        merchant_weights=merchant_weights / merchant_weights.sum(),
        banks_home=banks_home,
        banks_risky=banks_risky,
        suppliers=suppliers,
    )


def make_loans(world: World) -> Loans:
    """Loans for some customers; mostly repaid, more often in arrears among the risky."""
    rng, customers, truth, accounts = world.rng, world.customers, world.truth, world.accounts
    n = customers.n
    risky = truth.is_risky()
    ring = truth.typology == truth.codes["identity_ring"]
    has_loan = rng.random(n) < np.where(ring, 0.6, np.where(risky, 0.2, 0.12))
    borrowers = np.flatnonzero(has_loan)
    k = len(borrowers)
    account = accounts.primary[borrowers]
    business = customers.business[borrowers]
    amount = np.round(
        np.where(business, lognormal(rng, 120_000, 0.9, k), lognormal(rng, 12_000, 0.8, k)), -1
    )
    months = rng.choice(np.array([12, 24, 36, 48, 60, 84, 120]), k)
    monthly_rate = rng.uniform(0.03, 0.09, k) / 12
    payment = np.round(amount * monthly_rate / (1 - (1 + monthly_rate) ** -months), 2)
    earliest = np.maximum(accounts.opened_day[account], -8 * 365)
    granted = earliest + (rng.random(k) * (300 - earliest)).astype(np.int64)
    granted = np.where(ring[borrowers], rng.integers(0, 120, k), granted)
    ends = granted + (months * 30.44).astype(np.int64)
    finished = ends < PERIOD_DAYS
    p_bad = np.where(ring[borrowers], 0.7, np.where(risky[borrowers], 0.2, 0.04))
    bad = rng.random(k) < p_bad
    status = np.where(
        finished,
        np.where(bad, LOAN_STATUSES.index("finished_unpaid"), LOAN_STATUSES.index("finished_ok")),
        np.where(bad, LOAN_STATUSES.index("running_in_debt"), LOAN_STATUSES.index("running_ok")),
    )
    return Loans(account, amount, months, payment, granted, status)
