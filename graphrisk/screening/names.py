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
    "fold_sounds", "fold_spelling", "name_forms", "normalise_name", "phonetic_key", "token_keys",
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
#: First-name variants and nicknames, each mapped to one form: the common English
#: nicknames and short forms (``Bill``/``William``, ``Peggy``/``Margaret``, ``Ted``/
#: ``Edward``) and the same name in other European languages and transliterations
#: (``Giuseppe``/``Joseph``, ``Tanja``/``Tatiana``), as general reference lists of given
#: names give them. A nickname of several names (``Bert``: Albert, Robert, Herbert) maps to
#: the most common one; names that are names in their own right and rarely a short form
#: (``Robin``, ``Sandra``) are left alone. Other spellings of a variant are folded too
#: (:func:`fold_sounds`: ``Tatjana`` as ``Tatyana``).
NICKNAMES: dict[str, str] = {
    variant: canonical
    for canonical, variants in {
        # -- English given names and their nicknames ----------------------------------
        "abraham": ("abe", "abram", "bram"),
        "albert": ("al", "bert", "bertie", "albie", "alberto"),
        "alexander": ("alex", "alec", "sasha", "aleksandr", "alexandre", "alessandro",
                      "aleksander", "alexandr", "xander", "sandro"),
        "alfred": ("alf", "alfie", "alfredo"),
        "andrew": ("andy", "drew", "andreas", "andre", "andres", "andrzej"),
        "anna": ("ann", "anne", "annie", "anya", "anja", "ania", "annette"),
        "anthony": ("tony", "antony", "antonio", "anton", "antoine"),
        "arthur": ("art", "artie", "arturo"),
        "barbara": ("barb", "babs", "barbie"),
        "benjamin": ("ben", "benny", "benji", "benjy"),
        "bernard": ("bernie", "bernhard", "bernardo"),
        "catherine": ("kate", "katie", "cathy", "kathy", "kat", "kitty", "katherine",
                      "kathryn", "katharine", "katharina", "ekaterina", "yekaterina",
                      "katarina", "katya", "katja", "caterina"),
        "charles": ("charlie", "chuck", "chas", "carl", "karl", "carlos", "carlo",
                    "karel", "karol"),
        "christopher": ("chris", "kit", "christoph", "christophe", "cristobal", "krzysztof"),
        "christine": ("christina", "kristina", "kristin", "tina", "chrissie"),
        "daniel": ("dan", "danny", "dani", "daniele"),
        "david": ("dave", "davy", "davey", "davide"),
        "deborah": ("deb", "debbie", "debby", "debra"),
        "donald": ("don", "donnie"),
        "dorothy": ("dot", "dottie", "dorothea"),
        "douglas": ("doug",),
        "edward": ("ed", "eddie", "eddy", "ted", "teddy", "ned", "eduard", "eduardo",
                   "edouard", "edoardo"),
        "eleanor": ("ellie", "nell", "nellie", "nora", "eleonora", "elinor", "leonora",
                    "eleonore"),
        "elena": ("yelena", "jelena", "lena", "helena", "helene", "helen"),
        "elizabeth": ("liz", "lizzie", "lizzy", "beth", "betty", "betsy", "bess", "bessie",
                      "libby", "eliza", "elisabeth", "elisabetta", "isabel", "lisa", "liesel",
                      "ilse", "elise", "elsbeth"),
        "emil": ("emile", "emilio", "emiliano"),
        "frances": ("fanny", "francesca", "francoise", "francisca"),
        "francis": ("frank", "frankie", "franz", "francesco", "francisco", "francois",
                    "paco", "franciszek"),
        "frederick": ("fred", "freddie", "freddy", "fritz", "friedrich", "federico",
                      "frederic", "frederik"),
        "gabriel": ("gabe", "gabriele"),
        "geoffrey": ("geoff", "jeff", "jeffrey", "jeffery"),
        "gerald": ("gerry", "jerry", "gerard"),
        "gregory": ("greg", "gregor", "grigori", "grigory", "gregorio", "grzegorz"),
        "harold": ("hal",),
        "henry": ("harry", "hank", "heinrich", "heinz", "henri", "enrique", "enrico",
                  "hendrik", "henryk"),
        "jacob": ("jake", "jakob", "jakub", "kuba", "giacomo"),
        "james": ("jim", "jimmy", "jamie", "seamus", "jaime", "jaume"),
        "jennifer": ("jen", "jenny", "jenn"),
        "john": ("jon", "johnny", "jack", "jonny", "johann", "johannes", "hans", "ian",
                 "jan", "juan", "giovanni", "sean", "shaun", "shawn", "joao", "jens",
                 "joop", "jovan"),
        "joseph": ("joe", "joey", "josef", "giuseppe", "jose", "beppe", "peppe", "sepp",
                   "jozef", "pepe"),
        "judith": ("judy", "jude"),
        "julia": ("julie", "jules", "giulia", "julija", "julka"),
        "kenneth": ("ken", "kenny"),
        "lawrence": ("larry", "laurie", "laurence", "lorenzo", "laurent"),
        "leonard": ("len", "lenny", "leonardo", "leonhard"),
        "louis": ("lou", "louie", "luis", "luigi", "ludwig", "lewis", "ludovic"),
        "lukas": ("luke", "lucas", "luka", "luca", "lukasz", "luc"),
        "margaret": ("maggie", "meg", "peggy", "margarita", "greta", "grete", "gretchen",
                     "gretel", "margareta", "margarete", "margit", "marge", "margie",
                     "madge", "margherita", "malgorzata", "gosia"),
        "mark": ("marc", "marco", "marcus", "markus", "marcos", "marek"),
        "mary": ("maria", "marie", "molly", "polly", "mae", "mamie", "mariya", "marija",
                 "masha", "maja"),
        "matthew": ("matt", "matty", "mathew", "matthias", "mathias", "matteo", "mateo",
                    "mateusz", "matej"),
        "michael": ("mike", "mikey", "mick", "mikhail", "mihail", "michel", "miguel",
                    "misha", "michele", "michal", "mikael", "mihai"),
        "nicholas": ("nick", "nicky", "nikolai", "nikolay", "nicolas", "nicola", "klaus",
                     "claus", "niklas", "nikolaus", "nico", "niko", "kolya", "niccolo"),
        "oliver": ("ollie", "olly", "olivier", "oliwer"),
        "oscar": ("oskar", "ossie", "ozzie"),
        "patrick": ("pat", "paddy", "patrizio", "patricio"),
        "patricia": ("patty", "patsy", "trish", "tricia"),
        "paul": ("paulie", "pauli", "paulo", "paolo", "pablo", "pavel", "pawel", "pasha"),
        "peter": ("pete", "petey", "pyotr", "petr", "pietro", "pedro", "pierre", "piotr"),
        "philip": ("phil", "pip", "filip", "felipe", "philippe", "filippo", "phillip"),
        "raphael": ("rafa", "rafael", "raffaele", "rafal"),
        "rebecca": ("becky", "becca", "rebekah"),
        "richard": ("dick", "rick", "ricky", "rich", "richie", "dickie", "ricardo",
                    "riccardo"),
        "robert": ("bob", "bobby", "rob", "robbie", "robby", "roberto", "bobbie"),
        "ronald": ("ron", "ronnie"),
        "samuel": ("sam", "sammy", "samuele"),
        "sarah": ("sally", "sadie", "sara"),
        "sophia": ("sophie", "sofia", "sofie", "sonia", "sonya", "sonja", "zofia"),
        "steven": ("steve", "stephen", "stefan", "stevie", "stephan", "stefano",
                   "esteban", "etienne", "stepan"),
        "susan": ("sue", "susie", "suzy", "susanne", "susanna", "suzanne", "zuzana"),
        "theodore": ("theo", "teodor", "fyodor", "feodor"),
        "thomas": ("tom", "tommy", "tomas", "tomasz", "tommaso", "thom"),
        "timothy": ("tim", "timmy"),
        "ursula": ("uschi", "ulla"),
        "victor": ("vic", "viktor", "vittorio", "wiktor"),
        "vincent": ("vince", "vinny", "vincenzo", "vincente"),
        "walter": ("walt", "wally"),
        "william": ("bill", "billy", "will", "willy", "willie", "wm", "liam", "wilhelm",
                    "guillaume", "guillermo", "willem", "wim", "guglielmo"),
        "zachary": ("zach", "zack", "zak"),
        # -- Slavic given names: full forms, transliterations, diminutives --------------
        "aleksei": ("alexei", "alexey", "aleksey", "alyosha", "oleksiy", "oleksii"),
        "anastasia": ("nastya", "nastia"),
        "andrei": ("andrey", "andriy", "andrii"),
        "boris": ("borya",),
        "daria": ("dasha", "darya", "dariya"),
        "dmitri": ("dmitry", "dmitriy", "dimitri", "dmytro", "dima"),
        "evgeny": ("yevgeny", "evgeni", "yevgeniy", "evgeniy", "zhenya"),
        "ivan": ("vanya",),
        "lyudmila": ("ludmila", "lyuda", "luda"),
        "milena": ("mila",),
        "natalia": ("natasha", "natalya", "nataliya", "natalie", "nathalie", "natalja"),
        "olga": ("olya", "olia", "olha"),
        "sergei": ("sergey", "serguei", "sergiy", "serhiy", "seryozha", "sergio"),
        "svetlana": ("sveta",),
        "tatiana": ("tatyana", "tanya", "tatjana", "tanja", "tania"),
        "vladimir": ("volodymyr", "wladimir", "volodya", "vova", "wlodzimierz"),
        "xenia": ("ksenia", "kseniya", "oksana"),
        "yuri": ("yury", "yuriy", "iurii", "jurij", "yura", "iouri", "juri"),
        # -- Arabic and Turkish given names: transliterations ---------------------------
        "muhammad": ("mohammed", "mohammad", "mohamed", "mohamad", "muhamad", "muhammed",
                     "mohammod", "mahomed", "mehmet", "mehmed", "muhamed", "mohd"),
        "ahmad": ("ahmed", "ahmet", "ahmod"),
        "hussein": ("husein", "hussain", "husain", "hossein", "husayn"),
        "abdullah": ("abdallah", "abdulla", "abdellah"),
        "yusuf": ("yousef", "yousuf", "youssef", "yusef"),
        "ibrahim": ("ebrahim", "ibraheem"),
        "osama": ("usama", "usamah"),
        "omar": ("umar", "omer"),
        "hassan": ("hasan",),
        "khalid": ("khaled",),
        "fatima": ("fatimah", "fatma"),
        "zainab": ("zeynep", "zeinab", "zaynab", "zenab"),
    }.items()
    for variant in variants
}
#: ``NICKNAMES`` with spellings of one sound folded (variant's fold -> canonical's fold):
#: a variant spelled another way (``Tatjana``, ``Katya``/``Katia``) still finds its name.
#: A fold two canonical names share, or that is a canonical name's own, is left out.
_FOLDED_NICKNAMES: dict[str, str] = {}

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
    word = fold_spelling(canonical_token(token))
    return _FOLDED_NICKNAMES.get(word, word)


@lru_cache(maxsize=400_000)
def fold_spelling(token: str) -> str:
    """A token with spellings of one sound folded to one, as written (no nickname mapped:
    ``katya`` -> ``katia``, where :func:`fold_sounds` gives ``katerine``)."""
    word = token
    for old, new in _SOUNDS:
        word = word.replace(old, new)
    return word


def _folded_nicknames() -> dict[str, str]:
    canonical = {fold_spelling(name) for name in NICKNAMES.values()}
    folded: dict[str, set[str]] = {}
    for variant, name in NICKNAMES.items():
        folded.setdefault(fold_spelling(variant), set()).add(fold_spelling(name))
    return {key: next(iter(names)) for key, names in folded.items()
            if len(names) == 1 and (key not in canonical or key in names)
            and key != next(iter(names))}


_FOLDED_NICKNAMES.update(_folded_nicknames())


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
