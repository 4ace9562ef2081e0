"""The directory's reference data and the matching it rests on: oblasts and municipalities,
the official transliteration both ways, and ЕИК/БУЛСТАТ check digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.directory.regions import (
    OBLASTS,
    find_municipalities,
    municipalities,
    municipality,
    oblast,
    oblasts,
)
from server.directory.registration import check_registration_number, with_check_digit
from server.directory.transliteration import matches, search_key, to_latin


def test_the_28_oblasts_and_265_municipalities_are_all_there() -> None:
    assert len(oblasts()) == 28
    assert len(municipalities()) == 265
    codes = [m.code for m in municipalities()]
    assert len(set(codes)) == 265
    for each in municipalities():
        assert each.oblast in OBLASTS, each
        assert each.code[3:].isdigit()
        assert len(each.ekatte) == 5
        assert each.ekatte.isdigit()
    per_oblast = {o.code: sum(m.oblast == o.code for m in municipalities()) for o in oblasts()}
    assert min(per_oblast.values()) >= 1
    assert per_oblast["PDV"] == 18  # Пловдив
    assert per_oblast["SML"] == 10  # Смолян
    assert per_oblast["SOF"] == 1  # the capital is one municipality, Столична


@pytest.mark.parametrize(
    ("code", "name", "latin", "oblast_name"),
    [
        ("PDV22", "Пловдив", "Plovdiv", "Пловдив"),
        ("SML31", "Смолян", "Smolyan", "Смолян"),
        ("SOF46", "Столична", "Stolichna", "София (столица)"),
        ("DOB15", "Добрич-селска", "Dobrich-selska", "Добрич"),
        ("VTR06", "Горна Оряховица", "Gorna Oryahovitsa", "Велико Търново"),
        ("SML38", "Чепеларе", "Chepelare", "Смолян"),
    ],
)
def test_a_municipality_has_its_official_names_and_oblast(
    code: str, name: str, latin: str, oblast_name: str
) -> None:
    found = municipality(code)
    assert found is not None
    assert (found.name, found.name_latin) == (name, latin)
    parent = oblast(found.oblast)
    assert parent is not None
    assert parent.name == oblast_name


def test_two_municipalities_share_a_name_and_the_oblast_tells_them_apart() -> None:
    assert {m.code for m in find_municipalities("Бяла")} == {"VAR05", "RSE04"}
    assert [m.code for m in find_municipalities("Byala", "RSE")] == ["RSE04"]
    assert find_municipalities("Атлантида") == []


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("София", "Sofia"),  # -ия at the end of a word
        ("Мария", "Maria"),
        ("Ияслав", "Iyaslav"),  # not at the end: the table
        ("Република България", "Republika Bulgaria"),  # the country's name
        ("Щастлива", "Shtastliva"),
        ("ЩИТ", "SHTIT"),  # all capitals inside an all-capital word
        ("Юрий Гагарин", "Yuriy Gagarin"),
        ("Община Пловдив, 2026 г.", "Obshtina Plovdiv, 2026 g."),
        ("Жълт бряг", "Zhalt bryag"),
    ],
)
def test_the_transliteration_act(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic) == latin


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("obshtina", "Община Смолян"),
        ("Пловдив", "Plovdiv"),
        ("plovdiv", "Община Пловдив"),
        ("общ смол", "Община Смолян"),  # prefixes of words, in any order of typing
        ("SMOLYAN", "смолян"),
        ("сдружение зелен", "Сдружение „Зелен Пловдив“"),
    ],
)
def test_a_query_finds_a_name_in_either_script(query: str, name: str) -> None:
    assert matches(query, name)


@pytest.mark.parametrize(
    ("query", "name"),
    [("пловдив", "Община Смолян"), ("lovdiv", "Пловдив"), ("obshtina x", "Община Смолян")],
)
def test_a_query_finds_nothing_else(query: str, name: str) -> None:
    assert not matches(query, name)


def test_search_keys_keep_letters_digits_and_single_spaces() -> None:
    assert search_key("  „Зелен   Пловдив“ — 2026! ") == "zelen plovdiv 2026"
    assert search_key("Café Ünder") == "cafe under"


@given(st.text(alphabet="абвгдежзийклмнопрстуфхцчшщъьюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЬЮЯ -"))
def test_any_bulgarian_text_becomes_ascii(text: str) -> None:
    assert to_latin(text).isascii()
    assert search_key(text) == search_key(to_latin(text))


def test_registration_numbers_with_right_check_digits_pass() -> None:
    assert check_registration_number("123456786") is None  # 1·1+2·2+…+8·8 = 204, 204 % 11 = 6
    nine = with_check_digit("17512934")
    assert check_registration_number(nine) is None
    thirteen = with_check_digit(nine + "004")
    assert len(thirteen) == 13
    assert check_registration_number(thirteen) is None


def weighted(digits: str, first_weight: int) -> int:
    return sum((first_weight + i) * int(d) for i, d in enumerate(digits)) % 11


def test_the_second_round_of_weights_is_used_when_the_first_gives_ten() -> None:
    first = next(f"{n:08d}" for n in range(10**7, 10**8) if weighted(f"{n:08d}", 1) == 10)
    second = weighted(first, 3)
    expected = first + str(0 if second == 10 else second)
    assert with_check_digit(first) == expected
    assert check_registration_number(expected) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("123456789", "check digit (the 9th)"),
        ("12345678", "9 or 13 digits, not 8"),
        ("12345678A", "digits only"),
        ("１２３４５６７８６", "digits only"),  # full-width digits are not ASCII
        ("1234567860042", "check digit (the 13th)"),
        ("1234567890042", "check digit (the 9th)"),
    ],
)
def test_a_wrong_registration_number_is_refused_with_a_reason(value: str, reason: str) -> None:
    refusal = check_registration_number(value)
    assert refusal is not None
    assert reason in refusal


@given(st.from_regex(r"[0-9]{8}", fullmatch=True), st.integers(0, 9))
def test_every_single_wrong_check_digit_is_caught(first: str, wrong: int) -> None:
    right = with_check_digit(first)
    if str(wrong) != right[-1]:
        assert check_registration_number(first + str(wrong)) is not None
