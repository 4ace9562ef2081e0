"""ЕИК/БУЛСТАТ, the registration number of a Bulgarian organisation: 9 digits (a legal
entity) or 13 (a branch or unit: the 9 of its entity and 4 more), each ending in a check
digit.

The check digit of the 9: the sum of the first eight digits weighted 1 to 8, modulo 11; if
that is 10, the sum weighted 3 to 10, modulo 11; if that is 10 again, 0. The 13th: digits 9
to 12 weighted 2, 7, 3, 5, modulo 11; if 10, weighted 4, 9, 5, 7; if 10 again, 0 — and the
first nine must be valid themselves.
"""

from __future__ import annotations

from server.i18n import translator

_NINE = ((1, 2, 3, 4, 5, 6, 7, 8), (3, 4, 5, 6, 7, 8, 9, 10))
_THIRTEEN = ((2, 7, 3, 5), (4, 9, 5, 7))


def _check_digit(digits: list[int], weights: tuple[tuple[int, ...], tuple[int, ...]]) -> int:
    for round_weights in weights:
        remainder = sum(d * w for d, w in zip(digits, round_weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return 0


def check_registration_number(value: str, locale: str = "en") -> str | None:
    """Why ``value`` is no valid ЕИК/БУЛСТАТ (a sentence for the person who typed it, in
    ``locale``), or None when it is one. Spaces around it are the caller's to strip."""
    t = translator(locale, "directory")
    if not value.isascii() or not value.isdigit():
        return t.gettext("a registration number (ЕИК/БУЛСТАТ) has digits only")
    if len(value) not in (9, 13):
        return t.format(
            "a registration number (ЕИК/БУЛСТАТ) has 9 or 13 digits, not {count}",
            count=len(value),
        )
    digits = [int(c) for c in value]
    if _check_digit(digits[:8], _NINE) != digits[8]:
        return t.gettext("the check digit (the 9th) does not match: a digit is mistyped")
    if len(digits) == 13 and _check_digit(digits[8:12], _THIRTEEN) != digits[12]:
        return t.gettext("the check digit (the 13th) does not match: a digit is mistyped")
    return None


def with_check_digit(first: str) -> str:
    """``first`` (8 or 12 digits) completed with its check digit: for tests and examples."""
    digits = [int(c) for c in first]
    if len(digits) == 8:
        return first + str(_check_digit(digits, _NINE))
    if len(digits) == 12 and check_registration_number(first[:9]) is None:
        return first + str(_check_digit(digits[8:12], _THIRTEEN))
    raise ValueError("8 digits, or 12 whose first 9 are a valid number")
