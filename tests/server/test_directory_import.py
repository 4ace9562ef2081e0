"""A CSV file of organisations is checked row by row before anything is stored."""

from __future__ import annotations

from server.directory.import_rows import MAX_ROWS, check_file
from server.directory.registration import with_check_digit

GOOD_EIK = with_check_digit("17512934")
OTHER_EIK = with_check_digit("20130517")
SITE, MAIL, PHONE = "https://zelen.example.bg", "info@zelen.example.bg", "+359 32 123 456"

FILE = f"""name,kind,registration_number,oblast,municipality,sectors,website,email,phone
Сдружение „Зелен Пловдив“,ngo,{GOOD_EIK},Пловдив,Пловдив,environment;youth,{SITE},{MAIL},{PHONE}
Читалище „Родопска искра“,ngo,,Smolyan,Chepelare,culture,,,
Грешен ЕИК ООД,business,123456789,PDV,Асеновград,,,,
Никъде,ngo,,Смолян,Атлантида,,,,
Пак Зелен Пловдив,ngo,{GOOD_EIK},,,,,,
Бяла без област,municipality,,,Бяла,,,,
Бяла до Русе,municipality,{OTHER_EIK},Русе,Бяла,governance,,,
,spaceship,,,,science;magic,ftp://x,not-mail,abc
"""


def test_a_file_of_good_and_bad_rows_gets_a_report_for_each_line() -> None:
    report = check_file(FILE)
    assert not report.valid
    assert report.errors == []
    by_line = {r.line: r for r in report.rows}
    assert sorted(by_line) == list(range(2, 10))

    first = by_line[2].row
    assert first is not None
    assert (first.oblast, first.municipality, first.sectors) == (
        "PDV",
        "PDV22",
        ("environment", "youth"),
    )
    second = by_line[3].row  # Latin names resolve too
    assert second is not None
    assert (second.oblast, second.municipality) == ("SML", "SML38")
    ruse = by_line[8].row
    assert ruse is not None
    assert ruse.municipality == "RSE04"

    assert by_line[4].errors == [
        "registration_number: the check digit (the 9th) does not match: a digit is mistyped"
    ]
    assert by_line[5].errors == ["municipality: no municipality 'Атлантида' in oblast Смолян"]
    assert by_line[6].errors == ["the same ЕИК as line 2"]
    assert by_line[7].errors == ["municipality: 'Бяла' is in several oblasts: name the oblast"]
    last = by_line[9].errors
    assert "name: empty" in last
    assert any(e.startswith("kind: 'spaceship' is not one of") for e in last)
    assert "sectors: unknown magic" in last
    assert "website: an address starting with http:// or https://" in last
    assert "email: not an e-mail address" in last
    assert any(e.startswith("phone:") for e in last)
    assert [r.line for r in report.invalid_rows] == [4, 5, 6, 7, 9]


def test_a_file_of_good_rows_is_valid() -> None:
    good = "\n".join(FILE.splitlines()[:3]) + "\n"
    report = check_file(good)
    assert report.valid
    assert [r.row.name for r in report.rows if r.row] == [
        "Сдружение „Зелен Пловдив“",
        "Читалище „Родопска искра“",
    ]


def test_a_file_with_a_wrong_header_or_too_many_rows_is_refused_whole() -> None:
    assert check_file("title,kind\nX,ngo\n").errors == [
        "the header lacks the columns: name",
        "unknown columns: title (known: name, kind, registration_number, oblast, "
        "municipality, sectors, website, email, phone, description)",
    ]
    many = "name,kind\n" + "Сдружение,ngo\n" * (MAX_ROWS + 1)
    report = check_file(many)
    assert report.errors == [f"at most {MAX_ROWS} rows per file, not {MAX_ROWS + 1}"]
    assert not report.valid


def test_a_row_with_more_cells_than_columns_is_reported() -> None:
    report = check_file("name,kind\nСдружение,ngo,излишно\n")
    assert report.rows[0].errors == ["more cells than the header has columns"]
