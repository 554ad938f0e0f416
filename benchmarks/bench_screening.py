"""Screening against lists on synthetic data: recall of planted variants, false hits, time.

Usage::

    python benchmarks/bench_screening.py                      # 100k customers, 50k entries
    python benchmarks/bench_screening.py --customers 20000 --entries 10000 --repeat 1

What it does (everything synthesised here, seeded; nothing read from a generated bank):

1. **Records**: ``--customers`` customers (90 % people with a birth year and a country,
   10 % companies) and a fifth as many counterparties (companies), named from a pool of
   first names from several cultures and surnames built from syllables.
2. **List**: ``--entries`` entries: most are other people and companies (surnames from the
   same syllables, so namesakes and near-namesakes occur by chance); ``--planted`` entries
   are variants of a chosen record's name — a typo, another spelling, swapped order, an
   initial, a nickname, a middle name the bank lacks, Cyrillic script, a company without
   its legal form — with the record's birth year (or one off, or none) and country (or
   none); ``--near-misses`` entries are namesakes that are not the record: a similar name
   born decades apart in another country, the same first name with another surname, the
   same surname with another first name, a company named after a customer.
3. **Screening**: builds the index and screens every record (:class:`Matcher`), ``--repeat``
   times; prints records screened, hits, recall of planted hits, false hits per 1,000
   records screened (any hit that is not a planted pair, namesakes found by chance
   included), the median wall time and the process's peak memory, and the same figures
   for other thresholds (how the default was chosen).

Targets (issue 17): recall >= 0.95, <= 1 false hit per 1,000 screened records, <= 60 s.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import numpy as np

from graphrisk.config import Settings
from graphrisk.screening.lists import ListEntry
from graphrisk.screening.matching import Matcher, ScreenedRecord

FIRST = {
    "person": (
        "Anna Maria Elena Sofia Laura Julia Clara Marta Eva Ines Olga Irina Natalia Tatiana "
        "Fatima Aisha Layla Mariam Zainab Noor Yasmin Leila Hana Amira Priya Ananya Sunita "
        "Mei Ling Yuki Sakura Hye Min Ji Chloe Emma Olivia Charlotte Grace Lucy Hannah Sarah "
        "Rachel Rebecca Catherine Elizabeth Margaret Agnieszka Katarzyna Magdalena Ewa Zofia "
        "Ingrid Astrid Sigrid Freya Johanna Greta Lena Paula Nadia Svetlana Oksana Daria "
        "John William Robert Richard James Michael Joseph Thomas Anthony Edward Charles "
        "Alexander Nicholas Peter Daniel David Steven Muhammad Ahmad Hussein Abdullah Yusuf "
        "Ibrahim Omar Vladimir Sergei Dmitri Yuri Ivan Pavel Andrei Mikhail Oleg Boris "
        "Lukas Jonas Felix Paul Max Leon Noah Elias Matteo Luca Marco Giovanni Francesco "
        "Antonio Pablo Diego Javier Carlos Miguel Rafael Jorge Pierre Louis Hugo Arthur "
        "Jakub Piotr Tomasz Marek Kamil Hiroshi Takeshi Kenji Wei Jun Hao Chen Raj Arjun "
        "Vikram Ravi Amit Kwame Kofi Chinedu Emeka Tariq Karim Rashid Samir Hassan Ali Reza "
        "Mehdi Arash Dariusz Bjorn Erik Lars Magnus Nils Sven Henrik Mateo Liam Ethan Owen"
    ).split(),
}
ONSETS = ("b br d dr f g gr h k kr l m n p pr r s st t tr v w z sch ch sh j "
          "bl fl kl pl sl sp sk").split()
VOWELS = "a e i o u a e o ei ou ia".split()
CODAS = ("", "", "", "n", "r", "l", "s", "k", "t", "m", "nd", "rt", "ck", "ng", "st", "ll")
ENDINGS = ("", "", "son", "sen", "er", "ov", "ova", "ski", "ska", "ez", "es", "i", "o", "ic",
           "escu", "ian", "ani", "elli", "ini", "berg", "mann", "stein", "ek", "as")
FORMS = ("Ltd", "GmbH", "SA", "LLC", "BV", "SRL", "Inc", "AG", "Oy", "Kft")
WORDS = ("Trading Logistics Shipping Holdings Capital Partners Services Imports Exports "
         "Metals Energy Foods Textiles Consulting Construction Ventures Maritime Invest "
         "Pharma Systems Digital Agro Motors Mining Finance Global United Northern "
         "Eastern Atlantic Pacific Alpine Golden Silver Blue Green Red Star Sun Delta "
         "Apex Prime Vertex Orion Nova Zenith Phoenix Falcon Eagle Lion Crown").split()
COUNTRIES = ("DE FR IT ES NL BE AT PL CZ SE DK FI GB IE PT GR RO HU BG HR RU UA TR IQ IR SY "
             "AE SA EG MA NG GH KE ZA IN PK CN JP KR BR AR MX US CA").split()
NICKNAME_OF = {"William": "Bill", "Robert": "Bob", "Richard": "Rick", "James": "Jim",
               "Michael": "Mike", "Joseph": "Joe", "Thomas": "Tom", "Anthony": "Tony",
               "Edward": "Ted", "Alexander": "Alex", "Nicholas": "Nick", "Daniel": "Dan",
               "David": "Dave", "Elizabeth": "Liz", "Catherine": "Kate", "Margaret": "Peggy",
               "Muhammad": "Mohamed", "Ahmad": "Ahmed", "Hussein": "Hussain",
               "Yusuf": "Yousef", "Sergei": "Sergey", "Dmitri": "Dmitry", "Yuri": "Yury",
               "Peter": "Pete", "John": "Jon", "Omar": "Umar", "Ibrahim": "Ebrahim",
               "Abdullah": "Abdallah", "Vladimir": "Volodymyr", "Steven": "Steve"}
CYRILLIC = dict(zip("abvgdezijklmnoprstufhc", "абвгдезийклмнопрстуфхк", strict=True))
CYRILLIC.update({"sh": "ш", "ch": "ч", "zh": "ж", "ya": "я", "yu": "ю", "y": "ы", "w": "в",
                 "x": "кс", "q": "к"})
VARIANTS = ("typo", "spelling", "swapped", "initial", "nickname", "middle", "cyrillic",
            "particle")


def _surname(rng: np.random.Generator) -> str:
    syllables = int(rng.integers(1, 3)) + 1
    text = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
                   for _ in range(syllables)) + rng.choice(ENDINGS)
    return text.capitalize()


def _company(rng: np.random.Generator) -> str:
    words = [str(rng.choice(WORDS)) for _ in range(int(rng.integers(1, 3)))]
    return " ".join([_surname(rng), *words, str(rng.choice(FORMS))])


def _records(rng: np.random.Generator, customers: int) -> list[ScreenedRecord]:
    records = []
    for number in range(customers):
        if rng.random() < 0.9:
            name = f"{rng.choice(FIRST['person'])} {_surname(rng)}"
            records.append(ScreenedRecord(f"customer:C{number:07d}", name, "person",
                                          str(rng.choice(COUNTRIES)),
                                          int(rng.integers(1935, 2005))))
        else:
            records.append(ScreenedRecord(f"customer:C{number:07d}", _company(rng),
                                          "organisation", str(rng.choice(COUNTRIES))))
    for number in range(customers // 5):
        records.append(ScreenedRecord(f"counterparty:P{number:07d}", _company(rng),
                                      "organisation", str(rng.choice(COUNTRIES))))
    return records


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 4:
        return word + word[-1]
    at = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(3)
    if kind == 0:  # swap two letters
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    if kind == 1:  # drop one
        return word[:at] + word[at + 1:]
    return word[:at] + str(rng.choice(list("aeioulnrst"))) + word[at + 1:]  # replace one


def _spelling(word: str) -> str:
    for old, new in (("ou", "u"), ("ph", "f"), ("k", "c"), ("ck", "k"), ("sch", "sh"),
                     ("ei", "ey"), ("ia", "iya"), ("ov", "off"), ("i", "y"), ("e", "a")):
        if old in word[1:]:
            return word[0] + word[1:].replace(old, new, 1)
    return word + "h"


def _cyrillic(name: str) -> str:
    out, text, at = [], name.lower(), 0
    while at < len(text):
        pair = text[at:at + 2]
        if pair in CYRILLIC:
            out.append(CYRILLIC[pair])
            at += 2
            continue
        out.append(CYRILLIC.get(text[at], text[at]))
        at += 1
    return "".join(out).title()


def _variant(rng: np.random.Generator, record: ScreenedRecord, kind: str) -> str:
    if record.party == "organisation":
        words = record.name.split()
        core = " ".join(words[:-1])  # without the legal form
        if kind in ("swapped", "initial", "nickname"):
            return core
        return " ".join([_typo(rng, words[0]), *words[1:-1]])  # a typo in the name
    first, last = record.name.split(" ", 1)
    match kind:
        case "typo":
            return f"{first} {_typo(rng, last)}"
        case "spelling":
            return f"{first} {_spelling(last)}"
        case "swapped":
            return f"{last.upper()}, {first}"
        case "initial":
            return f"{first[0]}. {last}"
        case "nickname":
            return f"{NICKNAME_OF.get(first, first)} {last}"
        case "middle":
            return f"{first} {rng.choice(FIRST['person'])} {last}"
        case "cyrillic":
            return _cyrillic(record.name)
        case _:
            return f"{first} Al-{last}"


def _near_miss(rng: np.random.Generator, record: ScreenedRecord, number: int) -> ListEntry:
    """A namesake that is not the record."""
    entry_id = f"N{number:06d}"
    kind = number % 4
    if record.party == "organisation" or kind == 3:
        surname = record.name.split()[-1] if record.party == "person" else record.name.split()[0]
        return ListEntry(entry_id, f"{surname} {rng.choice(WORDS)} {rng.choice(FORMS)}"
                         if record.party == "person" else f"{rng.choice(FIRST['person'])} "
                         f"{surname}", schema="organisation" if record.party == "person"
                         else "person")
    first, last = record.name.split(" ", 1)
    year = record.birth_year or 1970
    other = str(rng.choice([c for c in COUNTRIES if c != record.country]))
    if kind == 0:  # Maria Rossi (1990, IT) / Mario Rossini (1950, BR)
        ending = "o" if first[-1] != "o" else "a"
        name = f"{first[:-1]}{ending} {last}{rng.choice(['ni', 'o', 'er'])}"
        born = year - 40 if year > 1960 else year + 40
        return ListEntry(entry_id, name, birth_dates=(str(born),), countries=(other,),
                         schema="person")
    if kind == 1:  # the same first name, another surname
        return ListEntry(entry_id, f"{first} {_surname(rng)}", birth_dates=(str(year),),
                         countries=(record.country or other,), schema="person")
    # the same surname, another first name
    name = f"{rng.choice([f for f in FIRST['person'] if f != first])} {last}"
    return ListEntry(entry_id, name, birth_dates=(str(year),),
                     countries=(record.country or other,), schema="person")


def build(seed: int, customers: int, entries: int, planted: int, near_misses: int
          ) -> tuple[list[ScreenedRecord], list[ListEntry], set[tuple[str, str]]]:
    """The records, the list, and the planted (record, entry) pairs."""
    rng = np.random.default_rng(seed)
    records = _records(rng, customers)
    chosen = rng.choice(len(records), size=planted + near_misses, replace=False)
    truth: set[tuple[str, str]] = set()
    listed: list[ListEntry] = []
    for number, index in enumerate(chosen[:planted]):
        record = records[int(index)]
        kind = VARIANTS[number % len(VARIANTS)]
        roll = rng.random()
        years = (() if record.birth_year is None or roll < 0.2 else
                 (str(record.birth_year + (1 if roll < 0.3 else 0)),))
        countries = (record.country,) if record.country and rng.random() < 0.6 else ()
        entry_id = f"P{number:06d}"
        listed.append(ListEntry(entry_id, _variant(rng, record, kind), (), years, countries,
                                "BENCH", "bench", record.party))
        truth.add((record.record_id, entry_id))
    for number, index in enumerate(chosen[planted:]):
        listed.append(_near_miss(rng, records[int(index)], number))
    for number in range(entries - len(listed)):
        if rng.random() < 0.85:
            listed.append(ListEntry(
                f"R{number:06d}", f"{rng.choice(FIRST['person'])} {_surname(rng)}",
                (f"{rng.choice(FIRST['person'])} {_surname(rng)}",) if rng.random() < 0.3
                else (), (str(int(rng.integers(1930, 2000))),) if rng.random() < 0.8 else (),
                (str(rng.choice(COUNTRIES)),) if rng.random() < 0.7 else (), "BENCH",
                "bench", "person"))
        else:
            listed.append(ListEntry(f"R{number:06d}", _company(rng), (), (),
                                    (str(rng.choice(COUNTRIES)),), "BENCH", "bench",
                                    "organisation"))
    return records, listed, truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--planted", type=int, default=2_000)
    parser.add_argument("--near-misses", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--threshold", type=float, default=Settings().screening_threshold)
    args = parser.parse_args(argv)

    records, listed, truth = build(args.seed, args.customers, args.entries, args.planted,
                                   args.near_misses)
    floor = min(args.threshold, 0.8)
    times, matches = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        matcher = Matcher(listed)
        matches = matcher.screen(records, floor)
        times.append(time.perf_counter() - started)
    found = {(m.record.record_id, m.entry.entry_id): m.score for m in matches}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def figures(threshold: float) -> tuple[int, float, float]:
        hits = {pair for pair, score in found.items() if score >= threshold}
        recall = len(hits & truth) / len(truth)
        false_per_1000 = len(hits - truth) / len(records) * 1000
        return len(hits), recall, false_per_1000

    hits, recall, false_rate = figures(args.threshold)
    print(f"records screened:        {len(records):,} ({args.customers:,} customers, "
          f"{len(records) - args.customers:,} counterparties)")
    print(f"list entries:            {len(listed):,} ({matcher.variants:,} names with "
          f"aliases; {len(truth):,} planted variants, {args.near_misses:,} near misses)")
    print(f"threshold:               {args.threshold:.2f}")
    print(f"hits:                    {hits:,}")
    print(f"recall of planted hits:  {recall:.3f}   (target >= 0.95)")
    print(f"false hits per 1,000:    {false_rate:.2f}   (target <= 1)")
    print(f"wall time (index+screen) median {statistics.median(times):.1f} s of "
          f"{args.repeat} ({', '.join(f'{t:.1f}' for t in times)})   (target <= 60 s)")
    print(f"peak memory (max RSS):   {peak_mb:,.0f} MB")
    missed: dict[str, int] = {}
    for record_id, entry_id in sorted(truth, key=lambda pair: pair[1]):
        if found.get((record_id, entry_id), 0.0) < args.threshold:
            kind = VARIANTS[int(entry_id[1:]) % len(VARIANTS)]
            missed[kind] = missed.get(kind, 0) + 1
    print(f"missed planted, by kind: {missed or 'none'}")
    print("threshold sweep (hits, recall, false hits per 1,000):")
    for threshold in (0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94):
        count, rec, rate = figures(threshold)
        print(f"  {threshold:.2f}: {count:6,}  {rec:.3f}  {rate:.2f}")
    return 0 if recall >= 0.95 and false_rate <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
