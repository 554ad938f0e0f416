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
    "GENERIC_WORDS", "NICKNAMES", "canonical_token", "ending_key", "entry_token_keys",
    "fold_sounds", "name_forms", "normalise_name", "phonetic_key", "token_keys",
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
#: Words of business names that say what a company does, not which one it is: they count
#: for less when names are compared (``Keystone Online Marketplace`` is not ``Union Online
#: Marketplace``).
GENERIC_WORDS = frozenset({
    "trading", "trade", "traders", "logistics", "shipping", "transport", "capital",
    "partners", "services", "service", "imports", "import", "exports", "export", "metals",
    "energy", "foods", "food", "textiles", "consulting", "construction", "ventures",
    "maritime", "invest", "investment", "investments", "pharma", "pharmacy", "systems",
    "digital", "agro", "motors", "mining", "finance", "financial", "global", "international",
    "united", "national", "northern", "southern", "eastern", "western", "atlantic", "pacific",
    "online", "marketplace", "market", "farms", "farm", "estates", "estate", "properties",
    "property", "advisory", "solutions", "technologies", "technology", "tech", "industries",
    "industrial", "enterprises", "enterprise", "management", "media", "network", "networks",
    "bank", "insurance", "fund", "foundation", "association", "hotels", "hotel", "retail",
    "store", "stores", "shop", "care", "health", "healthcare", "medical", "security",
    "resources", "oil", "gas", "petroleum", "chemicals", "electronics", "software", "studio",
    "agency", "office", "centre", "center", "union", "general", "first", "new", "the", "and",
    "of", "for",
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
        "william": ("bill", "billy", "will", "willy", "willie", "wm", "liam", "wilhelm",
                    "guillaume", "guillermo"),
        "robert": ("bob", "bobby", "rob", "robbie", "bert"),
        "richard": ("dick", "rick", "ricky", "rich", "richie"),
        "james": ("jim", "jimmy", "jamie"),
        "john": ("jon", "johnny", "jack", "jonny", "johann", "johannes", "hans"),
        "lukas": ("luke", "lucas", "luka", "luca", "lukasz", "luc"),
        "daria": ("dasha", "darya", "dariya"),
        "natalia": ("natasha", "natalya", "nataliya", "natalie"),
        "tatiana": ("tatyana", "tanya"),
        "aleksei": ("alexei", "alexey", "aleksey", "alyosha"),
        "evgeny": ("yevgeny", "evgeni", "yevgeniy", "evgeniy", "zhenya"),
        "andrei": ("andrey", "andriy", "andrii"),
        "oscar": ("oskar",),
        "karl": ("carl",),
        "ivan": ("vanya",),
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

_JOINERS = re.compile(r"['’`´.]")  # inside a name: O'Brien, J.R. -> JR
_NOT_WORD = re.compile(r"[^0-9a-z]+")
#: Spellings of one sound folded to one (applied in order), so that a name transliterated
#: to another script and back (``Hannah`` -> ``Ханна`` -> ``Khanna``) or spelled another
#: way (``Philip``/``Filip``, ``Wilson``/``Vilson``, ``Yusuf``/``Jusuf``) keeps its key.
_SOUNDS = (("shch", "s"), ("sch", "s"), ("sh", "s"), ("ch", "k"), ("kh", "h"), ("ph", "f"),
           ("ck", "k"), ("ts", "s"), ("zh", "s"), ("dh", "d"), ("th", "t"), ("gh", "g"),
           ("q", "k"), ("c", "k"), ("z", "s"), ("x", "ks"), ("w", "v"), ("y", "i"),
           ("j", "i"))


def _words(text: str) -> list[str]:
    ascii_text = anyascii(str(text)).casefold()
    # "J. Smith": a dot after a single letter ends an initial; elsewhere it joins (J.R.)
    ascii_text = re.sub(r"\b([a-z])\.\s", r"\1 ", ascii_text)
    words = _NOT_WORD.sub(" ", _JOINERS.sub("", ascii_text)).split()
    return [word for word in words if word not in HONORIFICS and word not in LEGAL_FORMS]


@lru_cache(maxsize=200_000)
def normalise_name(text: str) -> tuple[str, ...]:
    """The tokens of a name as they are compared: ASCII, lower case, no punctuation or
    titles, particles joined to the next token.

    ``"Dr. Mohammed Al-Rashid"`` -> ``("mohammed", "alrashid")``;
    ``"Владимир Путин"`` -> ``("vladimir", "putin")``. Initials stay as one-letter tokens
    (``"J. Smith"`` -> ``("j", "smith")``); a double-barrelled name is two tokens. Tokens
    keep their spelling; nicknames are mapped only when comparing
    (:func:`canonical_token`), so a sentence can quote the name.
    """
    tokens: list[str] = []
    pending = ""
    for word in _words(text):
        if word in PARTICLES:
            pending += word
            continue
        tokens.append(pending + word)
        pending = ""
    if pending:  # a name that ends in a particle ("Abu") keeps it as a token
        tokens.append(pending)
    return tuple(tokens)


@lru_cache(maxsize=200_000)
def name_forms(text: str) -> tuple[tuple[str, ...], ...]:
    """The token forms a name is matched in: :func:`normalise_name`, and when it has
    particles also the form without them (``Al-Rashid`` is also ``Rashid``)."""
    joined = normalise_name(text)
    bare = tuple(word for word in _words(text) if word not in PARTICLES)
    return (joined, bare) if bare and bare != joined else (joined,) if joined else ()


def canonical_token(token: str) -> str:
    """The form a first-name variant or nickname is compared in (``bill`` -> ``william``)."""
    return NICKNAMES.get(token, token)


@lru_cache(maxsize=400_000)
def fold_sounds(token: str) -> str:
    """A token with spellings of one sound folded to one (``khanna`` -> ``hanna``,
    ``wilson`` -> ``vilson``), nickname mapped first (:func:`canonical_token`)."""
    word = canonical_token(token)
    for old, new in _SOUNDS:
        word = word.replace(old, new)
    return word


@lru_cache(maxsize=400_000)
def _skeleton(token: str) -> str:
    word = fold_sounds(token)
    key = [word[:1]]
    for ch in word[1:]:
        if ch not in "aeiouh" and ch != key[-1]:
            key.append(ch)
    return "".join(key)


def phonetic_key(token: str) -> str:
    """A short sound key of a token: its first letter and next consonants, three at most,
    after :func:`fold_sounds` (``smith``/``smyth`` -> ``smt``, ``john``/``jon`` -> ``jn``,
    ``hannah``/``khannakh`` -> ``hn``)."""
    return _skeleton(token)[:3]


def ending_key(token: str) -> str | None:
    """The key of a token's last three consonants (``~`` first), for typos near its start
    that change :func:`phonetic_key`; ``None`` for a token too short to have one."""
    skeleton = _skeleton(token)
    return "~" + skeleton[-3:] if len(skeleton) >= 4 else None


def token_keys(token: str) -> tuple[str, ...]:
    """The keys a record's token looks up (:func:`entry_token_keys` files them): a full
    token its sound and ending keys and ``#`` + its initial (to find a list name written
    with that initial); an initial ``@`` + the letter (to find list names with a token
    starting so). A record's candidates share keys on at least two of its tokens."""
    if len(token) == 1:
        return ("@" + token,)
    ending = ending_key(token)
    return (phonetic_key(token), "#" + token[0], *((ending,) if ending else ()))


def entry_token_keys(token: str) -> tuple[str, ...]:
    """The keys a list name's token is filed under: a full token its sound and ending keys
    and ``@`` + its initial, an initial ``#`` + the letter. ``J. Smith`` and ``John Smith``
    meet on ``smt`` and the initial ``j``; two full names never meet on initials alone."""
    if len(token) == 1:
        return ("#" + token,)
    ending = ending_key(token)
    return (phonetic_key(token), "@" + token[0], *((ending,) if ending else ()))
