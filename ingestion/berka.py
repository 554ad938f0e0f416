"""Convert the Berka / PKDD'99 Czech bank data set into GraphRisk's input files.

Why: Berka is the one real bank database with GraphRisk's shape (clients, accounts, holders,
transfers to other banks' accounts, standing orders, loans with a real credit outcome). An
adapter that maps it onto the format of :mod:`graphrisk.domain` is the end-to-end test that
ingestion works on data the team did not design. The data set and its codes are described in
``shared/datasets/berka_pkdd99/README.md``; cite the PKDD'99 Discovery Challenge.

Mapping (Berka table -> GraphRisk file), with the reasons:

* ``client`` -> ``customers.csv``: ``customer_id`` is ``C<client_id>``; ``name`` is
  ``Client <client_id>`` because the data is anonymised and the format requires a name;
  ``segment`` ``retail`` (every client is a private person); ``country`` ``CZ``; ``region`` is
  the district name (``A2`` of ``district.asc``) of the client's ``district_id``;
  ``birth_year`` is ``19YY`` from ``birth_number`` (``YYMMDD``; women have 50 added to the
  month, which does not touch the year); ``kyc_status`` ``verified`` (a bank's existing
  clients); ``onboarding_date`` is the earliest opening date of the accounts the client holds,
  because Berka records no client start date; ``credit_score`` and ``annual_income`` stay
  empty (Berka has neither). ``known_risk_label`` is ``credit_default`` with
  ``known_risk_source`` ``loan_status_B`` / ``loan_status_D`` for the OWNER of an account whose
  loan has status B (finished, not paid) or D (running, in debt): the owner is the party to the
  loan contract. Everyone else stays empty, which the format reads as *unknown*, not *clean*.
* ``account`` -> ``accounts.csv``: ``A<account_id>``, owned by the disposition with type
  ``OWNER`` (exactly one per account); ``checking``, ``CZK``; ``opened_date`` from ``date``;
  ``status`` ``active`` (Berka records no closures).
* ``disp`` with type ``DISPONENT`` -> ``account_holders.csv`` with role ``authorised_user``:
  a disponent may operate the account but does not own it. Owners get no row there; the
  format takes the owner from ``accounts.csv``.
* Counterparties -> ``counterparties.csv``: one ``bank_account`` per distinct (bank, account)
  seen in ``trans`` (``bank``/``account``) or ``order`` (``bank_to``/``account_to``), id
  ``EXT-<bank>-<account>``, name ``<bank> <account>``, country ``CZ`` (the bank codes are
  anonymised Czech banks). Three fixed ones stand in for the other side of movements that have
  no counterparty: ``CASH`` (kind ``cash``) for cash deposits and withdrawals,
  ``BANK-INTEREST`` and ``BANK-FEES`` (kind ``other``) for interest credited and for fees and
  penalty interest charged. Every transaction so has exactly one source and one target.
* ``trans`` -> ``transactions.csv``: ``T<trans_id>``, the amount (always positive in Berka),
  ``CZK``, ``<date>T00:00:00`` (Berka has dates only). Credits (``PRIJEM``) go from the
  counterparty to the account; debits (``VYDAJ``, and ``VYBER`` written into the type column)
  go from the account to the counterparty. The counterparty is ``EXT-...`` where both bank
  and account are given; otherwise ``BANK-FEES`` for ``SLUZBY`` / ``SANKC. UROK``,
  ``BANK-INTEREST`` for ``UROK`` (and credits without an operation), ``CASH`` for ``VKLAD``,
  ``VYBER`` and ``VYBER KARTOU``. A counterparty account ``0`` without a bank (761 cash
  withdrawals in the slice) is a placeholder, read as *no counterparty*. ``channel``:
  ``card`` for ``VYBER KARTOU``, ``branch`` for other cash, ``wire`` for transfers to and from
  other banks, ``other`` for interest and fees. ``transaction_type`` from ``k_symbol`` first
  (``SIPO`` bill, ``UVER`` loan_repayment, ``POJISTNE`` insurance, ``LEASING`` payment,
  ``DUCHOD`` pension, ``SLUZBY`` fee, ``UROK`` interest, ``SANKC. UROK`` penalty_interest,
  kept apart from fees because penalty interest on a negative balance is a risk signal), then
  from ``operation`` (``VKLAD`` cash_deposit, cash withdrawals cash_withdrawal, no operation on a
  credit interest), else ``transfer``. Blank ``k_symbol`` values (``""`` or ``" "``) count as none.
* ``order`` -> ``transactions.csv`` too: ``O<order_id>``, from the account to
  ``EXT-<bank_to>-<account_to>``, channel ``standing_order``, type from ``k_symbol`` as above.
  Standing orders carry no date in the data, so each is written once with timestamp
  ``1998-12-31T00:00:00``, the data set's snapshot date (the last day it covers). It stands
  for a recurring payment that is in force at that date, not for one dated movement.
* ``loan`` -> ``loans.csv``: ``L<loan_id>``, ``A<account_id>``, ``amount``,
  ``duration_months``, ``monthly_payment`` = ``payments``, ``granted_date``; status A
  finished_ok, B finished_unpaid, C running_ok, D running_in_debt.
* Not mapped, because the format has no place for them: ``card`` (card type and issue date),
  the district statistics (``A3``-``A16``), an account's branch district and statement
  frequency, and the running ``balance`` of each transaction. :class:`BerkaSummary` lists them
  in ``notes``.

Dates in Berka are ``YYMMDD`` integers; every year is 19YY (clients were born 1911-1987, the
bank data runs 1993-1998), so the century is added explicitly rather than by ``%y``, which
would put birth years before 1969 into the 2000s.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphrisk.config import read_settings
from graphrisk.domain import (
    ACCOUNT_HOLDERS,
    ACCOUNTS,
    COUNTERPARTIES,
    CUSTOMERS,
    LOANS,
    TRANSACTIONS,
)
from graphrisk.errors import IngestionError
from graphrisk.ingestion.input_files import write_input_file

__all__ = ["BerkaSummary", "convert_berka", "default_berka_dir", "find_berka_dir"]

logger = logging.getLogger(__name__)

#: Environment variable naming the folder that holds ``berka_pkdd99/``.
DATASETS_ENV = "GRAPHRISK_DATASETS_DIR"
BERKA_FOLDER = "berka_pkdd99"

#: The data set's last day; the timestamp given to standing orders, which have no date.
SNAPSHOT_TIMESTAMP = "1998-12-31T00:00:00"


CURRENCY = "CZK"
COUNTRY = "CZ"
CASH = "CASH"
BANK_INTEREST = "BANK-INTEREST"
BANK_FEES = "BANK-FEES"

_SMALL_TABLES = ("client", "account", "disp", "district", "loan", "order")
_FEE_SYMBOLS = ("SLUZBY", "SANKC. UROK")
_CASH_OPERATIONS = ("VKLAD", "VYBER", "VYBER KARTOU")
_WITHDRAWAL_OPERATIONS = ("VYBER", "VYBER KARTOU")
_CREDIT_TYPES = ("PRIJEM",)
_DEBIT_TYPES = ("VYDAJ", "VYBER")
_TYPE_BY_SYMBOL = {
    "SIPO": "bill",
    "UVER": "loan_repayment",
    "POJISTNE": "insurance",
    "LEASING": "payment",
    "DUCHOD": "pension",
    "SLUZBY": "fee",
    "UROK": "interest",
    "SANKC. UROK": "penalty_interest",
}
_LOAN_STATUS = {
    "A": "finished_ok",
    "B": "finished_unpaid",
    "C": "running_ok",
    "D": "running_in_debt",
}
_BAD_LOAN_STATUSES = ("B", "D")
_FIXED_COUNTERPARTIES = (
    (CASH, "Cash", "cash"),
    (BANK_INTEREST, "Bank interest credited", "other"),
    (BANK_FEES, "Bank fees and penalty interest", "other"),
)


@dataclass(frozen=True)
class BerkaSummary:
    """What :func:`convert_berka` wrote.

    Attributes:
        rows: rows written per entity (file stem -> count), so callers can check the
            conversion against the data set's documented counts.
        bad_loans: loans with status B or D, the data set's label.
        notes: what was not mapped or was mapped by assumption, with counts where they
            matter, for the caller to log or show.
    """

    rows: dict[str, int]
    bad_loans: int
    notes: tuple[str, ...]


def default_berka_dir() -> Path:
    """Where :func:`find_berka_dir` looks for the data set.

    Returns:
        ``$GRAPHRISK_DATASETS_DIR/berka_pkdd99`` where the variable is set, else
        ``<repo root>/../shared/datasets/berka_pkdd99``, the team's shared data folder.
    """
    return read_settings().datasets_path / BERKA_FOLDER


def find_berka_dir() -> Path | None:
    """The Berka data set folder, or ``None`` where it is absent.

    An explicit ``GRAPHRISK_DATASETS_DIR`` wins and is not silently replaced by the default:
    a wrong setting should show, not convert some other copy.

    Returns:
        The folder holding the ``.asc`` tables, or ``None`` if it does not exist.
    """
    candidate = default_berka_dir()
    if candidate.is_dir():
        return candidate
    logger.info("Berka data set not found at %s", candidate)
    return None


def convert_berka(source_dir: Path, out_dir: Path) -> BerkaSummary:
    """Convert the Berka tables in ``source_dir`` into GraphRisk input CSVs in ``out_dir``.

    Writes ``customers``, ``accounts``, ``account_holders``, ``counterparties``,
    ``transactions`` and ``loans`` (``.csv``), each with exactly the columns of its spec in
    :mod:`graphrisk.domain`, in spec order; optional columns Berka cannot fill are present and
    empty. See the module docstring for the mapping.

    Args:
        source_dir: folder holding ``client.asc``, ``account.asc``, ``disp.asc``,
            ``district.asc``, ``loan.asc``, ``order.asc`` and a transaction table
            (``trans.asc`` or ``trans*.asc``).
        out_dir: folder to write into; created if missing, existing files are replaced.

    Returns:
        Rows written per entity, the number of bad loans, and notes on what was not mapped.

    Raises:
        IngestionError: a table is missing, or holds a code the mapping does not know.
    """
    started = time.perf_counter()
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    tables = _read_tables(source_dir)
    notes: list[str] = []

    accounts = _accounts(tables["account"], tables["disp"], notes)
    frames = {
        "customers": _customers(tables, accounts, notes),
        "accounts": accounts,
        "account_holders": _account_holders(tables["disp"]),
        "counterparties": _counterparties(tables["trans"], tables["order"]),
        "transactions": pd.concat(
            [
                _transactions_from_trans(tables["trans"], notes),
                _transactions_from_orders(tables["order"]),
            ],
            ignore_index=True,
        ),
        "loans": _loans(tables["loan"]),
    }
    notes.extend(_unmapped_notes(tables, source_dir))

    out_dir.mkdir(parents=True, exist_ok=True)
    specs = (CUSTOMERS, ACCOUNTS, ACCOUNT_HOLDERS, COUNTERPARTIES, TRANSACTIONS, LOANS)
    rows = {spec.name: write_input_file(frames[spec.name], spec, out_dir) for spec in specs}
    bad_loans = int(tables["loan"]["status"].isin(_BAD_LOAN_STATUSES).sum())
    logger.info(
        "converted Berka %s -> %s in %.2f s: %s; %d bad loans",
        source_dir,
        out_dir,
        time.perf_counter() - started,
        rows,
        bad_loans,
    )
    return BerkaSummary(rows=rows, bad_loans=bad_loans, notes=tuple(notes))


# --- reading -------------------------------------------------------------------------------


def _trans_path(source_dir: Path) -> Path:
    """The transaction table: the full ``trans.asc`` or a documented slice ``trans*.asc``."""
    full = source_dir / "trans.asc"
    if full.is_file():
        return full
    slices = sorted(source_dir.glob("trans*.asc"))
    if len(slices) == 1:
        return slices[0]
    if not slices:
        raise IngestionError(
            f"Berka transaction table missing: expected trans.asc (or one trans*.asc slice) "
            f"in {source_dir}; download data_berka.zip from the PKDD'99 challenge",
            source=str(full),
        )
    raise IngestionError(
        f"several Berka transaction tables in {source_dir} "
        f"({', '.join(p.name for p in slices)}); keep exactly one",
        source=str(source_dir),
    )


def _read_asc(path: Path, dtype: dict[str, type] | None = None) -> pd.DataFrame:
    """Read one ``;``-separated Berka table, ``?`` as missing."""
    if not path.is_file():
        raise IngestionError(
            f"Berka table {path.name} missing in {path.parent}; the adapter needs client, "
            "account, disp, district, loan, order and trans",
            source=str(path),
        )
    return pd.read_csv(path, sep=";", na_values=["?"], low_memory=False, dtype=dtype)


def _read_tables(source_dir: Path) -> dict[str, pd.DataFrame]:
    """Read every table the mapping uses; counterparty codes are read as text.

    Bank account numbers stay text so that a leading zero or a large number survives.
    """
    if not source_dir.is_dir():
        raise IngestionError(f"Berka folder {source_dir} does not exist", source=str(source_dir))
    text = {"k_symbol": str, "type": str, "operation": str, "status": str}
    tables = {
        name: _read_asc(source_dir / f"{name}.asc") for name in _SMALL_TABLES if name != "order"
    }
    tables["order"] = _read_asc(
        source_dir / "order.asc", dtype={**text, "bank_to": str, "account_to": str}
    )
    tables["trans"] = _read_asc(
        _trans_path(source_dir), dtype={**text, "bank": str, "account": str}
    )
    return tables


# --- small helpers -------------------------------------------------------------------------


def _prefixed(prefix: str, ids: pd.Series) -> pd.Series:
    """Business ids such as ``C42`` from Berka's integer ids."""
    return prefix + ids.astype("int64").astype(str)


def _yymmdd_parts(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Split ``YYMMDD`` integers into year (19YY), month and day strings."""
    text = values.astype("int64").astype(str).str.zfill(6)
    return "19" + text.str[:2], text.str[2:4], text.str[4:6]


def _iso_dates(values: pd.Series, column: str) -> pd.Series:
    """``YYMMDD`` integers as ``YYYY-MM-DD`` strings, checked to be real dates."""
    year, month, day = _yymmdd_parts(values)
    dates = year + "-" + month + "-" + day
    parsed = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
    if parsed.isna().any():
        bad = values[parsed.isna()].iloc[0]
        raise IngestionError(f"not a YYMMDD date: {bad!r}", column=column)
    return dates


def _clean_symbol(values: pd.Series) -> pd.Series:
    """``k_symbol`` with blanks (``""``, ``" "``, missing) as the empty string."""
    return values.fillna("").astype(str).str.strip()


def _check_codes(values: pd.Series, known: tuple[str, ...], column: str) -> None:
    """Fail on a code the mapping does not know, rather than guess its meaning."""
    unknown = sorted(set(values.dropna().unique()) - set(known))
    if unknown:
        raise IngestionError(
            f"unknown Berka code(s) {unknown}; known: {list(known)}", column=column
        )


def _symbol_types(symbols: pd.Series) -> pd.Series:
    """GraphRisk transaction types from ``k_symbol``; empty where the symbol says nothing."""
    return symbols.map(_TYPE_BY_SYMBOL).fillna("").astype(str)


# --- entities ------------------------------------------------------------------------------


def _owners(disp: pd.DataFrame) -> pd.DataFrame:
    """``account_id`` -> owning ``client_id``, one row per account."""
    owners = disp.loc[disp["type"] == "OWNER", ["account_id", "client_id"]]
    return owners.drop_duplicates("account_id").reset_index(drop=True)


def _accounts(account: pd.DataFrame, disp: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Accounts with their owner; an account without an owner is dropped and noted."""
    _check_codes(disp["type"], ("OWNER", "DISPONENT"), "disp.type")
    owners = _owners(disp)
    extra_owners = int((disp["type"] == "OWNER").sum()) - len(owners)
    if extra_owners:
        notes.append(f"{extra_owners} extra OWNER dispositions ignored (first owner kept)")
    merged = account.merge(owners, on="account_id", how="left", validate="one_to_one")
    orphans = merged["client_id"].isna()
    if orphans.any():
        notes.append(f"{int(orphans.sum())} accounts without an OWNER disposition dropped")
        logger.warning("%d Berka accounts have no owner; dropped", int(orphans.sum()))
        merged = merged[~orphans]
    merged = merged.sort_values("account_id")
    return pd.DataFrame(
        {
            "account_id": _prefixed("A", merged["account_id"]),
            "customer_id": _prefixed("C", merged["client_id"]),
            "account_type": "checking",
            "currency": CURRENCY,
            "opened_date": _iso_dates(merged["date"], "account.date"),
            "status": "active",
            "_berka_account_id": merged["account_id"].astype("int64"),
        }
    ).reset_index(drop=True)


def _onboarding_dates(disp: pd.DataFrame, accounts: pd.DataFrame) -> pd.Series:
    """Each client's earliest opening date over every account they hold (any role)."""
    opened = accounts[["_berka_account_id", "opened_date"]].rename(
        columns={"_berka_account_id": "account_id"}
    )
    held = disp[["client_id", "account_id"]].merge(opened, on="account_id", how="inner")
    # ISO dates sort as text, so min() of the strings is the earliest date.
    return held.groupby("client_id")["opened_date"].min()


def _risk_sources(loan: pd.DataFrame, disp: pd.DataFrame) -> pd.Series:
    """``client_id`` -> ``loan_status_B`` / ``loan_status_D`` for owners of bad loans."""
    bad = loan.loc[loan["status"].isin(_BAD_LOAN_STATUSES), ["account_id", "status"]]
    owned = bad.merge(_owners(disp), on="account_id", how="inner")
    owned["source"] = "loan_status_" + owned["status"]
    return owned.groupby("client_id")["source"].agg(lambda s: ",".join(sorted(set(s))))


def _customers(
    tables: dict[str, pd.DataFrame], accounts: pd.DataFrame, notes: list[str]
) -> pd.DataFrame:
    """Clients as customers, labelled ``credit_default`` where they own a bad loan."""
    client, disp, district = tables["client"], tables["disp"], tables["district"]
    client = client.sort_values("client_id").reset_index(drop=True)
    region = client["district_id"].map(district.set_index("A1")["A2"])
    onboarding = client["client_id"].map(_onboarding_dates(disp, accounts))
    source = client["client_id"].map(_risk_sources(tables["loan"], disp)).fillna("")
    birth_year, _, _ = _yymmdd_parts(client["birth_number"])
    frame = pd.DataFrame(
        {
            "customer_id": _prefixed("C", client["client_id"]),
            "name": "Client " + client["client_id"].astype("int64").astype(str),
            "segment": "retail",
            "country": COUNTRY,
            "region": region.fillna("").astype(str),
            "kyc_status": "verified",
            "onboarding_date": onboarding,
            "birth_year": birth_year.astype("int64"),
            "known_risk_label": np.where(source != "", "credit_default", ""),
            "known_risk_source": source.astype(str),
        }
    )
    missing = frame["onboarding_date"].isna()
    if missing.any():
        notes.append(f"{int(missing.sum())} clients hold no account (no onboarding date); dropped")
        logger.warning("%d Berka clients hold no account; dropped", int(missing.sum()))
        frame = frame[~missing].reset_index(drop=True)
    return frame


def _account_holders(disp: pd.DataFrame) -> pd.DataFrame:
    """Disponents: clients who may operate an account they do not own."""
    disponents = disp[disp["type"] == "DISPONENT"].sort_values(["account_id", "client_id"])
    return pd.DataFrame(
        {
            "account_id": _prefixed("A", disponents["account_id"]),
            "customer_id": _prefixed("C", disponents["client_id"]),
            "role": "authorised_user",
        }
    ).reset_index(drop=True)


def _external_ids(banks: pd.Series, accounts: pd.Series) -> pd.Series:
    """``EXT-<bank>-<account>``; empty where either part is missing."""
    present = banks.notna() & accounts.notna()
    ids = "EXT-" + banks.fillna("").astype(str) + "-" + accounts.fillna("").astype(str)
    return ids.where(present, "")


def _counterparties(trans: pd.DataFrame, order: pd.DataFrame) -> pd.DataFrame:
    """Every distinct other-bank account seen, plus the cash / interest / fee stand-ins."""
    pairs = (
        pd.concat(
            [
                trans[["bank", "account"]].dropna(),
                order[["bank_to", "account_to"]].dropna().set_axis(["bank", "account"], axis=1),
            ]
        )
        .drop_duplicates()
        .sort_values(["bank", "account"])
    )
    external = pd.DataFrame(
        {
            "counterparty_id": _external_ids(pairs["bank"], pairs["account"]),
            "name": pairs["bank"] + " " + pairs["account"],
            "kind": "bank_account",
            "country": COUNTRY,
        }
    )
    fixed = pd.DataFrame(
        [(cid, name, kind, COUNTRY) for cid, name, kind in _FIXED_COUNTERPARTIES],
        columns=["counterparty_id", "name", "kind", "country"],
    )
    return pd.concat([fixed, external], ignore_index=True)


def _trans_counterparty(
    trans: pd.DataFrame, symbols: pd.Series, operations: pd.Series, is_credit: pd.Series
) -> pd.Series:
    """The other side of each ``trans`` row; empty where no rule applies."""
    external = _external_ids(trans["bank"], trans["account"])
    chosen = np.select(
        [
            external != "",
            symbols.isin(_FEE_SYMBOLS),
            (symbols == "UROK") | (is_credit & (operations == "")),
            operations.isin(_CASH_OPERATIONS),
        ],
        [external, BANK_FEES, BANK_INTEREST, CASH],
        default="",
    )
    return pd.Series(chosen, index=trans.index, dtype=str)


def _trans_types(symbols: pd.Series, operations: pd.Series, is_credit: pd.Series) -> pd.Series:
    """Transaction types: ``k_symbol`` first, then the operation, else ``transfer``."""
    by_operation = np.select(
        [
            operations == "VKLAD",
            operations.isin(_WITHDRAWAL_OPERATIONS),
            is_credit & (operations == ""),
        ],
        ["cash_deposit", "cash_withdrawal", "interest"],
        default="transfer",
    )
    by_symbol = _symbol_types(symbols)
    return by_symbol.where(by_symbol != "", pd.Series(by_operation, index=symbols.index))


def _trans_channels(counterparty: pd.Series, operations: pd.Series) -> pd.Series:
    """``card`` for card withdrawals, ``branch`` for cash, ``wire`` for other banks."""
    chosen = np.select(
        [operations == "VYBER KARTOU", counterparty == CASH, counterparty.str.startswith("EXT-")],
        ["card", "branch", "wire"],
        default="other",
    )
    return pd.Series(chosen, index=counterparty.index, dtype=str)


def _transactions_from_trans(trans: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Booked movements: credits into the account, debits out of it."""
    _check_codes(trans["type"], _CREDIT_TYPES + _DEBIT_TYPES, "trans.type")
    symbols = _clean_symbol(trans["k_symbol"])
    operations = trans["operation"].fillna("").astype(str).str.strip()
    is_credit = trans["type"].isin(_CREDIT_TYPES)
    counterparty = _trans_counterparty(trans, symbols, operations, is_credit)

    placeholders = int((trans["bank"].isna() & trans["account"].notna()).sum())
    if placeholders:
        notes.append(
            f"{placeholders} transactions name counterparty account "
            f"{sorted(trans.loc[trans['bank'].isna(), 'account'].dropna().unique())} "
            "without a bank: treated as no counterparty"
        )
    unresolved = counterparty == ""
    if unresolved.any():
        notes.append(f"{int(unresolved.sum())} transactions with no counterparty rule dropped")
        logger.warning("%d Berka transactions have no counterparty; dropped", int(unresolved.sum()))

    account = _prefixed("A", trans["account_id"])
    frame = pd.DataFrame(
        {
            "transaction_id": _prefixed("T", trans["trans_id"]),
            "from_account_id": account.where(~is_credit, ""),
            "from_counterparty_id": counterparty.where(is_credit, ""),
            "to_account_id": account.where(is_credit, ""),
            "to_counterparty_id": counterparty.where(~is_credit, ""),
            "amount": trans["amount"].astype(float),
            "currency": CURRENCY,
            "timestamp": _iso_dates(trans["date"], "trans.date") + "T00:00:00",
            "channel": _trans_channels(counterparty, operations),
            "transaction_type": _trans_types(symbols, operations, is_credit),
        }
    )
    return frame[~unresolved].reset_index(drop=True)


def _transactions_from_orders(order: pd.DataFrame) -> pd.DataFrame:
    """Standing orders, each written once at the snapshot date (they carry no date)."""
    order = order.sort_values("order_id")
    types = _symbol_types(_clean_symbol(order["k_symbol"]))
    return pd.DataFrame(
        {
            "transaction_id": _prefixed("O", order["order_id"]),
            "from_account_id": _prefixed("A", order["account_id"]),
            "from_counterparty_id": "",
            "to_account_id": "",
            "to_counterparty_id": _external_ids(order["bank_to"], order["account_to"]),
            "amount": order["amount"].astype(float),
            "currency": CURRENCY,
            "timestamp": SNAPSHOT_TIMESTAMP,
            "channel": "standing_order",
            "transaction_type": types.where(types != "", "transfer"),
        }
    ).reset_index(drop=True)


def _loans(loan: pd.DataFrame) -> pd.DataFrame:
    """Loans with their outcome in GraphRisk's words."""
    _check_codes(loan["status"], tuple(_LOAN_STATUS), "loan.status")
    loan = loan.sort_values("loan_id")
    return pd.DataFrame(
        {
            "loan_id": _prefixed("L", loan["loan_id"]),
            "account_id": _prefixed("A", loan["account_id"]),
            "amount": loan["amount"].astype(float),
            "duration_months": loan["duration"].astype("int64"),
            "monthly_payment": loan["payments"].astype(float),
            "granted_date": _iso_dates(loan["date"], "loan.date"),
            "status": loan["status"].map(_LOAN_STATUS),
        }
    ).reset_index(drop=True)


def _count_rows(path: Path) -> int:
    """Data rows of a table the mapping does not read, for the notes."""
    with path.open(encoding="ascii", errors="replace") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def _unmapped_notes(tables: dict[str, pd.DataFrame], source_dir: Path) -> list[str]:
    """What the format has no place for, so a reader of the result knows what is missing."""
    cards = source_dir / "card.asc"
    card_count = f"{_count_rows(cards)} cards" if cards.is_file() else "cards"
    negative = int((tables["trans"]["balance"] < 0).sum())
    return [
        f"card.asc not mapped ({card_count}): the format has no card entity",
        "district statistics (A3-A16 of district.asc) not mapped; only the district name "
        "(A2) is kept, as customers.region",
        "account branch district and statement frequency not mapped: accounts have no such columns",
        f"transaction balance not mapped ({negative} rows with a negative balance after the "
        "movement): transactions have no balance column",
        f"{len(tables['order'])} standing orders written once each at {SNAPSHOT_TIMESTAMP} "
        "(the snapshot date; the data has no order dates)",
        "credit_default labels only the OWNER of a bad-loan account; disponents stay unlabelled",
    ]


# --- writing -------------------------------------------------------------------------------
