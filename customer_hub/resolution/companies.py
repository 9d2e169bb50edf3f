"""Company names reduced to the part that tells companies apart.

'The ACME Corp.', 'Acme Corporation' and 'acme, inc' are one company to a person reading them; case, punctuation,
accents, a leading (or, after a comma, trailing) 'The', the legal form, a trading name after 'dba', a former name, a
department ('Acme Inc. - Billing') and abbreviated words ('Intl', 'Mfg', 'Bros.') are noise that differs between the
tools' data-entry habits.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from customer_hub.resolution.text import fold, map_unique, replace_where, squash_spaces, words

LEGAL_SUFFIXES = words(
    "inc incorporated corp corporation llc llp lp ltd limited gmbh mbh ag kg kgaa ug ev sa sas sarl sasu eurl "
    "snc bv nv vof pty plc co company cos oy oyj ab as asa aps spa srl sl sro spzoo zoo kk pte pvt private "
    "bhd sdn se ltda lda cv kft ooo zao oao de and"
)
"""Trailing tokens stripped from a name (after dots are removed, so 'L.L.C.' is 'llc' and 'S.A.' is 'sa'); 'and'
and 'de' only go when left dangling by a stripped form, as in 'Smith & Co' or 'Acme S.A. de C.V.'."""
_SPACED_LEGAL_FORMS = frozenset({"a s", "sp z oo"})
"""Legal forms whose letters a slash or a space parts once punctuation is gone ('Acme A/S', 'Acme Sp. z o.o.')."""
_LEADING_LEGAL_FORM = r"^(?:the|ooo|zao|oao) "
"""A leading 'The', or a Russian legal form written before the name ('ООО «Ромашка»', 'ooo romashka' once folded)."""

UNMISTAKABLE_LEGAL_FORMS = frozenset(
    {"inc", "incorporated", "corp", "corporation", "llc", "llp", "ltd", "limited", "gmbh", "plc", "pty", "company"}
)
"""Legal forms that are nobody's surname, so a 'person' name ending in one is really a company name."""


def _trailing(tokens: frozenset[str]) -> str:
    return r"(?: (?:" + "|".join(sorted(tokens, key=len, reverse=True)) + r"))+$"


_TRAILING_SUFFIXES = _trailing(LEGAL_SUFFIXES | _SPACED_LEGAL_FORMS)
# Person names are normalised with dots turned into spaces, so 'L.L.C.' reaches them as 'l l c'.
_TRAILING_IN_PERSON_NAME = _trailing(UNMISTAKABLE_LEGAL_FORMS | {"l l c", "l l p"})


def _comparable_text(values: pd.Series) -> pd.Series:
    text = fold(values).str.replace("&", " and ", regex=False).str.replace("+", " and ", regex=False)
    text = text.str.replace(r"['’.]", "", regex=True).str.replace(r"[^a-z0-9]+", " ", regex=True)
    return squash_spaces(text)


_SPELLED_TRADING_NAME = r" (?:d b a|doing business as) .*$"
"""A trading name after 'd/b/a' or 'doing business as': the legal name before it is the one every tool that bills or
contracts holds ('Soylent Corp d/b/a Soylent Foods')."""
_TRADING_NAME_AFTER_FORM = r"^(.+ (?:inc|corp|llc|ltd|limited|gmbh|plc|co|company)) (?:dba|trading as) .*$"
"""The same after a plain 'dba' or 'trading as', only where a legal form closes the name before it: 'dba' is also a
database administrator ('Remote DBA Experts') and 'trading' a word of many names."""


_SPELLED_OUT_FORM = (
    r" (?:public limited company|public company limited|limited liability (?:company|partnership)"
    r"|limited partnership|proprietary limited)$"
)
"""A legal form written out in words ('Tesco Public Limited Company', 'Acme Limited Liability Company'): the same
form as 'PLC' or 'LLC', whose words are too common to strip one by one ('Public', 'Partnership')."""


_THE_AFTER_COMMA = r"(?i)(?<=\S),\s*the\s*$"
"""'Acme Company, The': a name filed under its first real word, as accounting lists sort them."""

_ABBREVIATED = {
    "intl": "international", "mfg": "manufacturing", "bros": "brothers", "svc": "services", "svcs": "services",
    "mgmt": "management", "natl": "national", "centre": "center",
}  # fmt: skip
"""Words of company names as people abbreviate or spell them otherwise ('Acme Intl', 'Warner Bros.', 'Hooli Mfg'),
each read as the word: the letters of an abbreviation are too few for a string similarity to see it. Only
abbreviations of one word that are nobody's initials: 'Tech' is also a brand ('Georgia Tech'), 'Assoc.' both
associates and association, 'GRP', 'MGT' and 'CTR' initials or a material."""
_SHORTEST = {word: min((a for a, w in _ABBREVIATED.items() if w == word), key=len) for word in _ABBREVIATED.values()}
"""Each word of `_ABBREVIATED` as its shortest abbreviation, for comparing names typed without spaces ('AcmeIntl')."""
_SHORTEST_WORD = r"\b(?:" + "|".join(sorted(_SHORTEST, key=len, reverse=True)) + r")\b"
_SHORTEST_ENDING = r"(?<=...)(" + "|".join(sorted(_SHORTEST, key=len, reverse=True)) + r")$"
"""A word of `_SHORTEST` glued to the end of a name ('acmeinternational')."""
_ABBREVIATED_WORD = r"\b(?:" + "|".join(sorted(_ABBREVIATED, key=len, reverse=True)) + r")\b"


_FORMER_NAME = (
    r"(?i)(?:\s*(?:[(\[]|[,;]|\s[-–—])\s*(?:formerly|previously|fka|f/k/a|aka|a/k/a)|\s(?:formerly|fka|f/k/a))\b.*$"
)
"""A former or other name beside the current one ('Acme Corp (formerly Widget Inc)', 'Acme Corp, fka Widget'): the
current name is what every tool that bills or contracts now holds. 'aka' counts only set apart ('Sushi Aka' is a
name)."""
_DEPARTMENTS = (
    r"(?:billing|accounts payable|accounts receivable|finance|accounting|invoices|invoicing|procurement"
    r"|purchasing|head office|headquarters|hq)(?: dept\.?| department| team)?"
)
_FORMS = r"(?:inc|corp|llc|ltd|limited|gmbh|plc|co|company|corporation|incorporated)\.?"
_DEPARTMENT = (
    rf"(?i)\s*(?:[(\[]\s*{_DEPARTMENTS}\s*[)\]]|(?:\s[-–—:/]|,)\s*(?:accounts payable|accounts receivable"
    r"|head office|headquarters|hq))\s*$"
)
_DEPARTMENT_AFTER_FORM = rf"(?i)^(.*\b{_FORMS})\s*(?:[-–—:/]|,)\s*{_DEPARTMENTS}\s*$"
"""A department the tool's record is addressed to, set apart after the company: in brackets ('Acme (Accounts
Payable)'), after a legal form ('Acme Inc. - Billing'), or one that is never a firm's trade ('Acme - Head Office').
'Apex Medical - Billing' and 'Smith - Accounting' name firms and are kept, as is a place ('Initrode (UK)': it may be
another customer)."""


_FORMER_NAME_HINT = "(?i)formerly|previously|fka|f/k/a|aka|a/k/a"
_DEPARTMENT_HINT = (
    "(?i)billing|accounts payable|accounts receivable|finance|accounting|invoices|invoicing|procurement|purchasing"
    "|head office|headquarters|hq"
)
_THE_AFTER_COMMA_HINT = "(?i),(?s:.)*the"
_ABBREVIATED_HINT = "|".join(_ABBREVIATED)
_SHORTEST_HINT = "|".join(_SHORTEST)
"""What every match of the patterns above contains, for `replace_where`: their own need Python's `re`."""


_SURNAME_FIRST = r"^\s*([^\W\d_][\w'’.-]*)\s*,\s*([^\W\d_][\w'’.-]*)\s*$"
"""'Thornmore, Carlos': one word, a comma and one word is how accounting tools file an individual customer, surname
first; read in the order the person writes it ('carlos thornmore'), or the surname would read as a company's first
word and a typo away from 'Thornmore Cargo'. Not when the word after the comma is a legal form ('Acme, Inc.')."""


def _given_name_first(match: re.Match[str]) -> str:
    surname, given = match.group(1), match.group(2)
    if given.lower().replace(".", "") in LEGAL_SUFFIXES | {"the"}:
        return match.group(0)
    return f"{given} {surname}"


def _normalise_company_names(values: pd.Series) -> pd.Series:
    values = replace_where(values, ",", _SURNAME_FIRST, _given_name_first)
    values = replace_where(values, _FORMER_NAME_HINT, _FORMER_NAME, "")
    values = replace_where(values, _DEPARTMENT_HINT, _DEPARTMENT, "")
    values = replace_where(values, _DEPARTMENT_HINT, _DEPARTMENT_AFTER_FORM, r"\1")
    text = replace_where(
        _comparable_text(replace_where(values, _THE_AFTER_COMMA_HINT, _THE_AFTER_COMMA, "")),
        _ABBREVIATED_HINT,
        _ABBREVIATED_WORD,
        lambda word: _ABBREVIATED[word.group(0)],
    )
    text = text.str.replace(_LEADING_LEGAL_FORM, "", regex=True).str.replace(_SPELLED_TRADING_NAME, "", regex=True)
    text = text.str.replace(_TRADING_NAME_AFTER_FORM, r"\1", regex=True).str.replace(_SPELLED_OUT_FORM, "", regex=True)
    stripped = text.str.replace(_TRAILING_SUFFIXES, "", regex=True)
    return stripped.where(stripped != "", text)


def normalize_company_names(values: pd.Series) -> pd.Series:
    """Comparable company names ('The ACME Corp.' -> 'acme'); '' where no name was given."""
    return map_unique(values, _normalise_company_names)


def normalize_company_name(value: str | None) -> str:
    """One company name in comparable form; see `normalize_company_names`."""
    return str(normalize_company_names(pd.Series([value]))[0])


_GLUED_FORMS = ("incorporated", "corporation", "limited", "company", "corp", "gmbh", "inc", "llc", "ltd", "plc")
"""Legal forms read off the end of a name typed without its space ('acmecorp'), when the rest is another name."""
_SPACED_MIN = 3
"""Letters a name needs before its spacing is compared: 'a b' and 'ab' say too little."""


def spacing_keys(names: pd.Series) -> np.ndarray:
    """Per normalised company name, the same for names that are the same letters spaced otherwise ('datadog',
    'data dog') or that differ by a legal form glued to the end of one ('acmecorp' and 'acme', 'Acme Corp'
    normalised), when the rest is another of `names`; '' where the letters are too few to say. Words people
    abbreviate count as their shortest abbreviation, so 'AcmeIntl' is spaced as 'Acme International' is."""
    compact = replace_where(names, _SHORTEST_HINT, _SHORTEST_WORD, lambda word: _SHORTEST[word.group(0)])
    compact = replace_where(
        compact.str.replace(" ", ""), _SHORTEST_HINT, _SHORTEST_ENDING, lambda word: _SHORTEST[word.group(1)]
    )
    glued = compact.str.replace(rf"^(.{{{_SPACED_MIN},}}?)(?:{'|'.join(_GLUED_FORMS)})$", r"\1", regex=True)
    known = pc.is_in(pa.array(glued, type=pa.string()), value_set=pa.array(compact, type=pa.string()))
    key = compact.where(~known.to_numpy(zero_copy_only=False), glued)
    return key.where(key.str.len() >= _SPACED_MIN, "").to_numpy(dtype=object)


def names_a_company(person_names: pd.Series) -> pd.Series:
    """True where a normalised person name ends in an unmistakable legal form ('acme inc', 'acme l l c'): a company
    typed into a person-name field."""
    return person_names.str.contains(_TRAILING_IN_PERSON_NAME, regex=True)


_SPELLED_OUT_FORMS = ("incorporated", "corporation", "limited", "company", "gmbh", "corp")


def _noise_tokens(names: np.ndarray) -> set[str]:
    """Tokens that can differ between spellings of one company: fragments ('ic', 'teh') and misspelt legal forms
    ('incorporaed') that normalisation could not recognise."""
    tokens = pd.unique(np.array([token for name in names for token in name.split()], dtype=object))
    if not len(tokens):
        return set()
    near_form = process.cdist(tokens, _SPELLED_OUT_FORMS, scorer=fuzz.ratio, workers=-1).max(axis=1) >= 80
    short = np.fromiter((len(token) <= 3 for token in tokens), dtype=bool, count=len(tokens))
    return set(tokens[near_form | short].tolist())


def _without_noise(name: str, noise: set[str]) -> str:
    """`name` without the noise tokens after its first word: a fragment or misspelt legal form follows the name
    ('lunar games ic', 'acme inc holdings', 'bluth and associates'), while a short token in front is the name itself
    ('JB' of 'JB Manufacturing')."""
    first, *rest = name.split() or [""]
    return " ".join([first, *(token for token in rest if token not in noise)]).strip()


def company_similarity(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Similarity (0-100) of normalised company names, element-wise.

    Plain edit similarity, or better if noise tokens (see `_noise_tokens`) after a name's first word are left out of
    one side: 'lunar games ic' (a mistyped 'Inc') is 'lunar games'. Noise is only ever dropped from one side at a
    time, so 'abc systems' and 'xyz systems' stay different companies.
    """
    if len(left) == 0:
        return np.zeros(0, dtype=np.float64)
    similarity = process.cpdist(left, right, scorer=fuzz.ratio, workers=-1).astype(np.float64)
    codes, names = pd.factorize(np.concatenate([left, right]))
    noise = _noise_tokens(names)
    trimmed = np.array([_without_noise(name, noise) for name in names], dtype=object)
    usable = (trimmed != names) & np.fromiter((len(name) >= 5 for name in trimmed), dtype=bool, count=len(names))
    left_codes, right_codes = codes[: len(left)], codes[len(left) :]
    for trimmed_side, code_a, code_b in ((left_codes, left_codes, right_codes), (right_codes, right_codes, left_codes)):
        rows = np.flatnonzero(usable[trimmed_side] & (similarity < 100))
        if len(rows):
            scores = process.cpdist(trimmed[code_a[rows]], names[code_b[rows]], scorer=fuzz.ratio, workers=-1)
            similarity[rows] = np.maximum(similarity[rows], scores)
    return similarity


def _could_be_one_word(a: str, b: str) -> bool:
    """Whether two words can be one word as typed: slips of the keyboard (one edit; two when the longer word has six
    letters or more, as each of two records may carry its own), a truncation of four letters or more ('tech', 'west';
    'Lee' and 'Leeds' are two names), an abbreviation made of the word's letters ('intl', 'mfg') or another ending on
    one stem ('consulting', 'consultants')."""
    short, long = sorted((a, b), key=len)
    edits = OSA.distance(short, long)
    if edits <= 1 or (edits == 2 and len(long) >= 6):
        return True
    if len(short) >= 4 and long.startswith(short):
        return True
    letters = iter(long[1:])
    if len(short) <= 4 and len(long) >= 2 * len(short) and short[0] == long[0]:
        return all(letter in letters for letter in short[1:])
    return len(short) >= 6 and long[:5] == short[:5]


def _doubtful_slip(a: str, b: str) -> bool:
    """Whether two words one edit apart are as likely two names as one typed with a slip: in words of five letters or
    fewer a letter typed for another ('Hill' and 'Hall', 'Ross' and 'Rose', 'JB' and 'JD', 'Pizza' and 'Pizzq'), or
    any edit of a word of three letters or fewer ('Ace' and 'Acme'). A dropped, added or swapped letter in a longer
    word, or a possessive 's' ('Bobs', 'Bob'), is a slip."""
    short, long = sorted((a, b), key=len)
    if len(long) > 5 or OSA.distance(short, long) != 1 or long == short + "s":
        return False
    return len(short) < 4 or (len(short) == len(long) and sorted(short) != sorted(long))


def _one_word_apart(a: str, b: str) -> bool | None:
    """True or False for names of as many words, None when the word counts differ (nothing to say)."""
    words = len(a.split())
    if words != len(b.split()):
        return None
    pair = _differing_words(a, b)
    if pair is None:  # more than one word differs: apart when all but one of them are slips
        other = [(x, y) for x, y in zip(a.split(), b.split(), strict=True) if x != y and not _could_be_one_word(x, y)]
        return words > 1 and len(other) == 1
    return (words > 1 and not _could_be_one_word(*pair)) or _another_word_glued_on(*pair)


_GLUED_STEM = 4
"""Letters two words must share at their start and end together before what differs between them may be another
word glued to a shared one."""
_GLUED_WORD = 4
"""Letters the differing part must have on each side to be a word of its own: endings of one stem are shorter
('consult-ing' and 'consult-ants', 'partner-s' and 'partner-ship')."""


def _another_word_glued_on(a: str, b: str) -> bool:
    """Whether two words are one shared word with two different words glued to it ('cliffsideteal' and
    'cliffsidezebra', 'ciruskeystone' and 'rubykeystone'): firms are often named by gluing two words, and two such
    names sharing one are alike as strings (80-86%) however different the other word is. The two differ in a run of
    `_GLUED_WORD` letters or more on each side, three edits or more apart, that cannot be one word as typed
    (`_could_be_one_word`). A slip changes a letter or two ('baylegacy', 'balyegacy'; 'embermarble',
    'embermarle'), a word cut short leaves one side empty, and another ending of one stem is shorter."""
    stem = len(os.path.commonprefix([a, b]))
    end = len(os.path.commonprefix([a[stem:][::-1], b[stem:][::-1]]))
    rest_a, rest_b = a[stem : len(a) - end], b[stem : len(b) - end]
    if stem + end < _GLUED_STEM or min(len(rest_a), len(rest_b)) < _GLUED_WORD:
        return False
    return OSA.distance(rest_a, rest_b) >= 3 and not _could_be_one_word(rest_a, rest_b)


def _differing_words(a: str, b: str) -> tuple[str, str] | None:
    """The one pair of words in which two names of as many words differ, None otherwise."""
    words_a, words_b = a.split(), b.split()
    if len(words_a) != len(words_b):
        return None
    differing = [(x, y) for x, y in zip(words_a, words_b, strict=True) if x != y]
    return differing[0] if len(differing) == 1 else None


_ARTICLES = ("the", "and", "of")
"""Words normalisation drops that a slip can leave behind ('thhe onyx builders')."""


def _put_in(a: str, b: str, noise: set[str]) -> bool:
    """Whether one name is the other with one more word put before its last word, the other words the same as
    typed (`_could_be_one_word`): 'alpine wolf manufacturing' and 'alpine manufacturing', 'jade cornerstone
    networks' and 'cornerstone networks', 'big hawk holdings incroporated' and 'hawk holdings'. A word after the
    name is a line of business, a region or an office (`accounts._names_within`); fragments and misspelt legal forms
    at the end (`_noise_tokens`) and an article are no words of the name."""
    short, long = sorted((_without_trailing(a.split(), noise), _without_trailing(b.split(), noise)), key=len)
    if len(long) != len(short) + 1 or not short:
        return False
    for position, word in enumerate(long[:-1]):
        if len(word) < 3 or any(OSA.distance(word, article) <= 1 for article in _ARTICLES):
            continue
        glued = [(short[position - 1], long[position - 1] + word)] if position else []
        glued.append((short[position], word + long[position + 1]))
        if any(OSA.distance(written, joined) <= 1 + (len(joined) >= 6) for written, joined in glued):
            continue  # the word is glued to its neighbour in the other name ('vistaiswift', 'vista swift')
        rest = long[:position] + long[position + 1 :]
        if all(x == y or _could_be_one_word(x, y) for x, y in zip(rest, short, strict=True)):
            return True
    return False


def _without_trailing(words: list[str], noise: set[str]) -> list[str]:
    """The words of a name without the noise tokens it ends in ('hawk holdings incroporated', 'pty ld')."""
    end = len(words)
    while end > 1 and words[end - 1] in noise:
        end -= 1
    return words[:end]


def a_word_put_in(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """True where one normalised company name is the other with one more word put in before its last (`_put_in`):
    firms named by the same words and one more are two firms far more often than one firm named two ways, and as a
    hub grows the names that share all but one word grow with the square of its companies. Element-wise."""
    if len(left) == 0:
        return np.zeros(0, dtype=bool)
    noise = _noise_tokens(np.concatenate([left, right]))
    pairs = zip(left.tolist(), right.tolist(), strict=True)
    return np.fromiter((_put_in(a, b, noise) for a, b in pairs), dtype=bool, count=len(left))


def a_doubtful_slip_apart(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """True where two normalised company names are the same words but one, and those two are short words a letter
    apart (`_doubtful_slip`): 'hill brothers' and 'hall brothers', 'acme pizza' and 'acme pizzq'. However alike as
    strings, such names are a steward's question unless their records agree on more. Element-wise."""
    result = np.zeros(len(left), dtype=bool)
    for i, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        pair = _differing_words(a, b)
        result[i] = pair is not None and _doubtful_slip(*pair)
    return result


def one_word_apart(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """True where two normalised company names are the same words but one, and that one cannot be the same word ('agate
    materials' and 'amber materials', 'mark miller' and 'maria miller'; the others may differ by slips, 'meaddow red
    design' and 'meadow rapid design'), or one word glued from a shared word and another (`_another_word_glued_on`):
    different names that share a common word, however alike they look as strings. Names are read without the noise
    tokens after their first word (see `_noise_tokens`) first, so a misspelt legal form neither hides a difference
    ('sage manufacturing ocrporation', 'signal manufacturing') nor makes one ('webb digital ldt', 'webb digital
    tld'); as given when that leaves word counts that differ. Element-wise."""
    if len(left) == 0:
        return np.zeros(0, dtype=bool)
    noise = _noise_tokens(np.concatenate([left, right]))

    def trimmed(name: str) -> str:
        return _without_noise(name, noise) or name

    result = np.zeros(len(left), dtype=bool)
    for i, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        apart = _one_word_apart(trimmed(a), trimmed(b))
        result[i] = _one_word_apart(a, b) is True if apart is None else apart
    return result
