"""Bulgarian Cyrillic to Latin by the Transliteration Act (2009), and search keys that match
a name in either script.

The act's table maps each letter on its own (щ → sht, ъ → a, ь → y, ю → yu, я → ya), with
two exceptions: "ия" at the end of a word is "ia" (София → Sofia, Мария → Maria), and the
country's name is written Bulgaria (not Balgaria). A capital
letter gives a capitalised pair (Щ → Sht), or an all-capital one inside an all-capital word
(ЩИТ → SHTIT). Official Latin names of places are made this way.

A search key is the transliteration of the case-folded text with everything but letters,
digits and single spaces dropped: "obshtina" and "Община" have the same key, so do
"Plovdiv" and "Пловдив". Latin going back to Cyrillic is ambiguous ("sht" may be щ or шт),
so names are compared in Latin.
"""

from __future__ import annotations

import re
import unicodedata

_LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
}  # fmt: skip
_WORD = re.compile(r"\w+", re.UNICODE)
_NOT_KEY = re.compile(r"[^0-9a-z ]+")


def to_latin(text: str) -> str:
    """``text`` with its Bulgarian Cyrillic letters in Latin; everything else as it is."""
    return _WORD.sub(lambda match: _word_to_latin(match.group(0)), text)


def _word_to_latin(word: str, *, official: bool = True) -> str:
    if official and word.lower() == "българия":
        return "BULGARIA" if word.isupper() else "Bulgaria" if word[0].isupper() else "bulgaria"
    all_capitals = word.isupper() and len(word) > 1
    out = []
    for position, letter in enumerate(word):
        lower = letter.lower()
        latin = _LETTERS.get(lower)
        if latin is None:
            out.append(letter)
            continue
        ending = position == len(word) - 1 and word[position - 1 : position].lower() == "и"
        if lower == "я" and ending and official:
            latin = "a"  # the act's one exception: -ия at the end of a word is -ia
        if letter != lower:  # a capital
            latin = latin.upper() if all_capitals else latin.capitalize()
        out.append(latin)
    return "".join(out)


def search_key(text: str) -> str:
    """What a name or a query is compared by: Latin, lower case, letters, digits and single
    spaces only ("Община Пловдив" and "obshtina plovdiv" give the same key)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # drop what is left of other scripts' marks (é → e), then anything not a letter or digit
    return _ascii_key(to_latin(folded))


def index_words(*texts: str) -> str:
    """The words a stored text is found by: each word's search key, and for a Cyrillic word
    that the act's exceptions spell differently also its letter-by-letter form, so a query
    typed in Cyrillic finds it from its first letters ("Българ" finds "България", whose key is
    "bulgaria"). Each word is preceded by a space and the whole ends with one: a query word
    ``w`` is then found by looking for " w" (docs/directory.md)."""
    seen: dict[str, None] = {}
    for text in texts:
        folded = unicodedata.normalize("NFKC", text).casefold()
        for match in _WORD.finditer(folded):
            word = match.group(0)
            for form in (search_key(word), _ascii_key(_word_to_latin(word, official=False))):
                for part in form.split():
                    seen.setdefault(part[:MAX_INDEXED_WORD], None)
    return "".join(f" {word}" for word in seen) + " "


MAX_INDEXED_WORD = 64


def _ascii_key(latin: str) -> str:
    latin = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode("ascii")
    return " ".join(_NOT_KEY.sub(" ", latin.lower()).split())


def matches(query: str, name: str) -> bool:
    """Whether every word of ``query`` begins a word of ``name``, in either script."""
    words = search_key(name).split()
    return all(any(word.startswith(part) for word in words) for part in search_key(query).split())
