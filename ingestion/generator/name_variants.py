"""Ways a name is written differently on a watch list: typos, spellings, order, initials.

Why a module of its own: the watch-list step (:mod:`.watchlists`) plants list entries that are
the bank's customers written as another clerk or another country would write them, and the
screening tests check that each variant is what it says. The tables here cover the names of
the generator's pools (:mod:`.lookups`) plus extra pools for people and companies who are not in
the bank at all; no name of an extra pool is within two edits of a bank surname, so a
fictitious entry never reads as a misspelt customer.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz.distance import Levenshtein

from .lookups import COMPANY_WORDS, FIRST_NAMES, LAST_NAMES

__all__ = [
    "CYRILLIC",
    "EXTRA_COMPANY_WORDS",
    "EXTRA_FIRST_NAMES",
    "EXTRA_LAST_NAMES",
    "LEGAL_FORM_SPELLINGS",
    "LIST_ONLY_COUNTRIES",
    "NICKNAMES",
    "TRANSLITERATIONS",
    "edit_distance",
    "initial_of",
    "typo",
]

#: Other spellings of the same name, as transliteration or another language writes it.
#: Keys are pool names (and extra-pool names); no value is a name of the bank's pools, so a
#: spelling never turns one customer's name into another's.
TRANSLITERATIONS: dict[str, tuple[str, ...]] = {
    # given names of the bank's pool
    "Yusuf": ("Youssef", "Yousef", "Yusef"),
    "Amir": ("Ameer", "Emir"),
    "Fatima": ("Fatimah", "Fatma"),
    "Ivan": ("Iwan",),
    "Olga": ("Olha",),
    "Xenia": ("Ksenia", "Kseniya"),
    "Daria": ("Darya", "Dariya"),
    "Tanja": ("Tanya", "Tania"),
    "Julia": ("Yulia", "Iulia"),
    "Sofia": ("Sophia", "Sofiya"),
    "Rafael": ("Raphael",),
    "Tomas": ("Thomas", "Tomasz"),
    "Lukas": ("Lucas", "Lukasz"),
    "Niklas": ("Nicklas", "Nikolas"),
    "Kofi": ("Koffi",),
    "Zeynep": ("Zainab", "Zeinab"),
    "Joao": ("João",),
    "Ines": ("Inês", "Inez"),
    "Chloe": ("Chloé",),
    "Zoe": ("Zoé", "Zoey"),
    "Yara": ("Iara",),
    # family names of the bank's pool
    "Muller": ("Müller", "Mueller"),
    "Ivanova": ("Iwanowa", "Ivanowa"),
    "Kowalski": ("Kovalsky", "Kowalsky"),
    "Horvat": ("Horvath", "Horváth"),
    "Nagy": ("Nadj",),
    "Fernandez": ("Fernández",),
    "Sanchez": ("Sánchez",),
    "Lopez": ("López",),
    "Garcia": ("García",),
    "Diaz": ("Díaz",),
    "Pereira": ("Pereyra",),
    "Schulz": ("Schultz",),
    "de Jong": ("DeJong", "De Jong"),
    "de Vries": ("DeVries", "De Vries"),
    "Dubois": ("Du Bois",),
    "Virtanen": ("Wirtanen",),
    # extra pools (fictitious entries' aliases)
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad"),
    "Ahmed": ("Ahmad",),
    "Omar": ("Umar",),
    "Hassan": ("Hasan",),
    "Khalid": ("Khaled",),
    "Sergei": ("Sergey", "Serhiy"),
    "Dmitri": ("Dmitry", "Dmytro"),
    "Alexei": ("Aleksey", "Oleksiy"),
    "Yuri": ("Yury", "Iouri"),
    "Al-Rashid": ("Alrashid", "Al Rashid", "el-Rashid"),
    "Al-Masri": ("Almasri", "El Masri"),
    "Haddad": ("Hadad",),
    "Hosseini": ("Husseini", "Hoseyni"),
    "Kuznetsov": ("Kuznetsoff", "Kusnezow"),
    "Sokolov": ("Sokoloff", "Sokolow"),
    "Volkov": ("Volkoff", "Wolkow"),
    "Morozov": ("Morosow",),
    "Zhang": ("Chang",),
    "Chaudhry": ("Chaudhary", "Choudhury"),
}

#: The same given name as friends or a formal record write it (both ways round).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Ben": ("Benjamin", "Benny"),
    "David": ("Dave", "Davy"),
    "Willem": ("Wim", "William", "Bill"),
    "Liam": ("Will",),
    "Tomas": ("Tom", "Tommy"),
    "Niklas": ("Nick", "Klaus"),
    "Lukas": ("Luke",),
    "Maria": ("Mary", "Marie"),
    "Rafael": ("Rafa",),
    "Sofia": ("Sophie",),
    "Victor": ("Vic",),
    "Bram": ("Abraham",),
    "Ursula": ("Uschi",),
    "Tanja": ("Tatjana",),
    "Daria": ("Dasha",),
    "Ivan": ("Vanya",),
    "Greta": ("Margareta",),
    "Olga": ("Olya",),
    "Oscar": ("Ossie",),
    "Nora": ("Eleonora",),
    "Mila": ("Milena",),
    "Anna": ("Annie",),
    "Paul": ("Pauli",),
    "Finn": ("Finnian",),
    "Marco": ("Marcus",),
    "Carlos": ("Carlito",),
    "Joao": ("Joãozinho",),
    "Emil": ("Emilio",),
    "Julia": ("Jules",),
}

#: Latin-script names in the script their bearer writes them in (an alias on some entries).
CYRILLIC: dict[str, str] = {
    "Ivan": "Иван",
    "Olga": "Ольга",
    "Xenia": "Ксения",
    "Daria": "Дарья",
    "Tanja": "Таня",
    "Ivanova": "Иванова",
    "Sergei": "Сергей",
    "Dmitri": "Дмитрий",
    "Alexei": "Алексей",
    "Yuri": "Юрий",
    "Igor": "Игорь",
    "Oleg": "Олег",
    "Kuznetsov": "Кузнецов",
    "Sokolov": "Соколов",
    "Volkov": "Волков",
    "Morozov": "Морозов",
    "Orlov": "Орлов",
}

#: Legal forms as another register writes them (``transliteration`` of a company name).
LEGAL_FORM_SPELLINGS: dict[str, tuple[str, ...]] = {
    "GmbH": ("G.m.b.H.", "Gesellschaft mbH"),
    "SARL": ("S.A.R.L.", "Sàrl"),
    "BV": ("B.V.",),
    "SL": ("S.L.",),
    "SRL": ("S.r.l.", "S.R.L."),
    "Lda": ("Lda.", "Limitada"),
    "Ltd": ("Limited", "Ltd."),
    "FZE": ("F.Z.E.",),
    "SA": ("S.A.",),
}

#: Countries that only list entries name: no customer or counterparty lives there.
LIST_ONLY_COUNTRIES: tuple[str, ...] = (
    "RU", "BY", "IR", "SY", "KP", "VE", "MM", "CU", "LY", "SD", "AF", "IQ", "LB", "YE", "ZW",
)  # fmt: skip


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), case-sensitive."""
    return int(Levenshtein.distance(a, b))


def _far_from_bank(name: str) -> bool:
    return all(edit_distance(name, last) >= 3 for last in LAST_NAMES)


_EXTRA_FIRST = (
    "Mohammed", "Ahmed", "Omar", "Hassan", "Khalid", "Tariq", "Hamid", "Reza", "Farid", "Samir",
    "Nasser", "Jamal", "Karim", "Sergei", "Dmitri", "Vladimir", "Alexei", "Nikolai", "Igor",
    "Oleg", "Yuri", "Mikhail", "Andrei", "Boris", "Pavel", "Grigori", "Wei", "Jian", "Hyun",
    "Chol", "Mehmet", "Mustafa", "Emre", "Kwame", "Ibrahim", "Moussa", "Amadou", "Goran",
    "Dragan", "Milan", "Luis", "Jorge", "Alejandro", "Ramon", "Leila", "Nadia", "Samira",
    "Svetlana", "Irina", "Natalia", "Elif", "Mei", "Aisha", "Mariam", "Ngozi", "Adriana",
)  # fmt: skip
_EXTRA_LAST = (
    "Al-Rashid", "Al-Masri", "Haddad", "Karimi", "Hosseini", "Rahimi", "Mansour", "Khoury",
    "Suleiman", "Chaudhry", "Qureshi", "Siddiqui", "Petrov", "Volkov", "Sokolov", "Morozov",
    "Kuznetsov", "Lebedev", "Orlov", "Zaitsev", "Semenov", "Golubev", "Vinogradov", "Bogdanov",
    "Fedorov", "Tarasov", "Zhang", "Wang", "Liu", "Zhou", "Huang", "Pak", "Yilmaz", "Demir",
    "Sahin", "Celik", "Aydin", "Ozturk", "Okafor", "Mensah", "Diallo", "Traore", "Keita",
    "Kamara", "Markovic", "Jovanovic", "Petrovic", "Nikolic", "Castillo", "Herrera", "Mendoza",
    "Ortega", "Salazar", "Vargas", "Rojas", "Gutierrez", "Medina", "Aguilar", "Delgado",
    "Cabrera", "Escobedo", "Villanueva", "Quintero", "Barzani", "Tabatabai", "Nazarbek",
    "Umarov", "Tashkentov", "Abdulov", "Karimov", "Rustamov", "Aliyev", "Mammadov", "Gasparyan",
    "Hakobyan", "Grigoryan", "Tsvangirai", "Mugabe", "Chikwanha", "Ochieng", "Kipchoge",
)  # fmt: skip

#: Given names of fictitious list entries (besides the bank's own given names).
EXTRA_FIRST_NAMES: tuple[str, ...] = tuple(n for n in _EXTRA_FIRST if n not in FIRST_NAMES)
#: Family names of fictitious list entries: none within two edits of a bank surname.
EXTRA_LAST_NAMES: tuple[str, ...] = tuple(n for n in _EXTRA_LAST if _far_from_bank(n))
#: First words of fictitious companies' names; none is a word of the bank's company names.
EXTRA_COMPANY_WORDS: tuple[str, ...] = tuple(
    w
    for w in (
        "Sapphire",
        "Obsidian",
        "Caspian",
        "Aurora",
        "Crimson",
        "Onyx",
        "Polar",
        "Sahara",
        "Volga",
        "Amur",
        "Tigris",
        "Euphrates",
        "Andes",
        "Ural",
        "Sable",
        "Cinder",
        "Monarch",
        "Phoenix",
        "Saffron",
        "Topaz",
        "Jade",
        "Velvet",
        "Horizon",
        "Pinnacle",
        "Trident",
    )  # fmt: skip
    if w not in COMPANY_WORDS
)


def initial_of(given: str) -> str:
    """The initial a list writes for a given name (``Anna`` -> ``A.``)."""
    return f"{given[0]}."


def typo(rng: np.random.Generator, word: str, avoid: frozenset[str] | set[str]) -> str | None:
    """``word`` with one letter dropped, doubled or swapped with the next; never a word of
    ``avoid`` (another pool name) and never ``word`` itself. ``None`` if no such typo exists.

    The edit distance to ``word`` is 1 (dropped or doubled) or 2 (two letters swapped).
    """
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 3:
        return None
    for _ in range(8):
        kind = int(rng.random() * 3)
        # Keep the first letter: clerks rarely get it wrong, and initials stay comparable.
        i = letters[1 + int(rng.random() * (len(letters) - 1))]
        if kind == 0:
            out = word[:i] + word[i + 1 :]
        elif kind == 1:
            out = word[:i] + word[i] + word[i:]
        else:
            if i + 1 >= len(word) or not word[i + 1].isalpha() or word[i] == word[i + 1]:
                continue
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if out != word and out not in avoid:
            return out
    return None
