"""Names made comparable: transliterated, case-folded, without punctuation or titles.

Why one module: list entries and bank records must be normalised by the same rules, or a
name written two ways on the two sides never meets in the index. The rules are the usual
ones of name screening: transliterate every script to ASCII (``anyascii``), fold case,
drop hyphens and apostrophes inside names (``Al-Rashid`` = ``Alrashid``), turn other
punctuation into spaces, drop honorifics and legal forms, join name particles to the
name they belong to (``al rashid`` = ``alrashid``), and map common nicknames and spelling
variants of first names to one form (``Bill`` = ``William``, ``Mohamed`` = ``Muhammad``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

__all__ = [
    "NICKNAMES", "blocking_keys", "canonical_token", "index_keys", "normalise_name",
    "phonetic_key",
]

#: Titles and honorifics: they say nothing about who a person is.
HONORIFICS = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "rev", "reverend", "fr", "sheikh", "shaikh", "sheik", "haji", "hajji", "hadji", "imam",
    "mullah", "gen", "general", "col", "colonel", "maj", "major", "capt", "captain", "lt",
    "jr", "junior", "sr", "senior", "ii", "iii", "iv", "esq", "hon", "herr", "frau", "mme",
    "mlle", "monsieur", "madame", "sra", "srta",
})
#: Legal forms of companies: two companies are not alike because both are "Ltd".
LEGAL_FORMS = frozenset({
    "ltd", "limited", "llc", "llp", "lp", "inc", "incorporated", "corp", "corporation", "co",
    "company", "plc", "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy",
    "ab", "as", "aps", "pte", "pty", "ooo", "oao", "zao", "pao", "jsc", "ojsc", "cjsc", "fze",
    "fzco", "sl", "kft", "sro", "doo", "ad", "tbk", "bhd", "sdn", "group", "holding",
    "holdings",
})
#: Particles written apart or joined (``al rashid`` / ``alrashid``): joined to the next token.
PARTICLES = frozenset({"al", "el", "ul", "bin", "ibn", "bint", "abu", "abd", "van", "von",
                       "der", "den", "de", "del", "della", "di", "da", "du", "le", "la",
                       "mac", "mc", "ben", "st"})
#: First-name variants and nicknames, each mapped to one form. Small on purpose: only
#: variants common enough to hide a listed person from an exact comparison.
NICKNAMES: dict[str, str] = {
    variant: canonical
    for canonical, variants in {
        "william": ("bill", "billy", "will", "willy", "willie", "wm"),
        "robert": ("bob", "bobby", "rob", "robbie", "bert"),
        "richard": ("dick", "rick", "ricky", "rich", "richie"),
        "james": ("jim", "jimmy", "jamie"),
        "john": ("jon", "johnny", "jack", "jonny"),
        "michael": ("mike", "mikey", "mick", "mikhail", "mihail", "michel", "miguel"),
        "joseph": ("joe", "joey", "josef", "giuseppe"),
        "thomas": ("tom", "tommy"),
        "anthony": ("tony", "antony"),
        "edward": ("ed", "eddie", "ted", "teddy", "ned"),
        "charles": ("charlie", "chuck"),
        "alexander": ("alex", "sasha", "aleksandr", "alexandre", "alessandro", "aleksander",
                      "alexandr"),
        "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "elisabeth"),
        "catherine": ("kate", "katie", "cathy", "katherine", "kathryn", "ekaterina",
                      "yekaterina", "katarina"),
        "margaret": ("maggie", "meg", "peggy", "margarita"),
        "nicholas": ("nick", "nicky", "nikolai", "nikolay", "nicolas", "nicola"),
        "peter": ("pete", "pyotr", "petr", "pietro", "pedro", "pierre"),
        "daniel": ("dan", "danny"),
        "david": ("dave", "davy"),
        "steven": ("steve", "stephen", "stefan"),
        "muhammad": ("mohammed", "mohammad", "mohamed", "mohamad", "muhamad", "muhammed",
                     "mohammod", "mahomed", "mehmet", "mehmed", "muhamed", "mohd"),
        "ahmad": ("ahmed", "ahmet", "ahmod"),
        "hussein": ("husein", "hussain", "husain", "hossein", "husayn"),
        "abdullah": ("abdallah", "abdulla", "abdellah"),
        "yusuf": ("yousef", "yousuf", "youssef", "yusef"),
        "ibrahim": ("ebrahim", "ibraheem"),
        "osama": ("usama", "usamah"),
        "omar": ("umar", "omer"),
        "vladimir": ("volodymyr", "wladimir", "wladimir", "volodya"),
        "sergei": ("sergey", "serguei", "sergiy", "serhiy"),
        "dmitri": ("dmitry", "dmitriy", "dimitri", "dmytro"),
        "yuri": ("yury", "yuriy", "iurii", "jurij"),
    }.items()
    for variant in variants
}

_JOINERS = re.compile(r"[-'’`´.]")  # inside a name: Al-Rashid, O'Brien, J.R. -> JR
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_SOUNDS = (("ph", "f"), ("ck", "k"), ("sch", "s"), ("sh", "s"), ("ch", "k"), ("kh", "k"),
           ("q", "k"), ("c", "k"), ("z", "s"), ("x", "ks"), ("v", "w"), ("dh", "d"),
           ("th", "t"), ("gh", "g"), ("y", "i"), ("j", "i"))


@lru_cache(maxsize=200_000)
def normalise_name(text: str) -> tuple[str, ...]:
    """The tokens of a name as they are compared: ASCII, lower case, no punctuation or
    titles, particles joined to the next token.

    ``"Dr. Mohammed Al-Rashid"`` -> ``("mohammed", "alrashid")``;
    ``"Владимир Путин"`` -> ``("vladimir", "putin")``. Initials stay as one-letter tokens
    (``"J. Smith"`` -> ``("j", "smith")``). Tokens keep their spelling; nicknames are
    mapped only when comparing (:func:`canonical_token`), so a sentence can quote the name.
    """
    ascii_text = anyascii(str(text)).casefold()
    # "J. Smith": a dot after a single letter ends an initial; elsewhere it joins (J.R.)
    ascii_text = re.sub(r"\b([a-z])\.\s", r"\1 ", ascii_text)
    words = _NOT_WORD.sub(" ", _JOINERS.sub("", ascii_text)).split()
    tokens: list[str] = []
    pending = ""
    for word in words:
        if word in HONORIFICS or word in LEGAL_FORMS:
            continue
        if word in PARTICLES:
            pending += word
            continue
        tokens.append(pending + word)
        pending = ""
    if pending:  # a name that ends in a particle ("Abu") keeps it as a token
        tokens.append(pending)
    return tuple(tokens)


def canonical_token(token: str) -> str:
    """The form a first-name variant or nickname is compared in (``bill`` -> ``william``)."""
    return NICKNAMES.get(token, token)


@lru_cache(maxsize=200_000)
def phonetic_key(token: str) -> str:
    """A short sound key of a token, equal for most one-letter typos and spellings.

    First letter kept, common digraphs folded (``ph``=``f``, ``kh``=``k``...), vowels and
    ``h``/``w`` dropped after the first letter, repeats collapsed, four characters at most:
    ``smith``/``smyth`` -> ``smt``, ``john``/``jon`` -> ``jn``.
    """
    word = canonical_token(token)
    first, rest = word[:1], word[1:]
    for old, new in _SOUNDS:
        rest = rest.replace(old, new)
    consonants = [ch for ch in rest if ch not in "aeiouhw"]
    key = [first]
    for ch in consonants:
        if ch != key[-1]:
            key.append(ch)
    return "".join(key)[:4]


def blocking_keys(tokens: tuple[str, ...]) -> set[str]:
    """The keys a record looks up in the index (:func:`index_keys`): per full token its
    sound key and ``#`` + its initial (to find a list name written with that initial);
    per initial ``@`` + the letter (to find list names with a token starting so)."""
    keys: set[str] = set()
    for token in tokens:
        if len(token) == 1:
            keys.add("@" + token)
        elif token:
            keys.update((phonetic_key(token), "#" + token[0]))
    return keys


def index_keys(tokens: tuple[str, ...]) -> set[str]:
    """The keys a list name is filed under: per full token its sound key and ``@`` + its
    initial, per initial ``#`` + the letter. ``J. Smith`` and ``John Smith`` meet on
    ``smt`` and the initial ``j``; two full names never meet on initials alone."""
    keys: set[str] = set()
    for token in tokens:
        if len(token) == 1:
            keys.add("#" + token)
        elif token:
            keys.update((phonetic_key(token), "@" + token[0]))
    return keys
