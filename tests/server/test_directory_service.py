"""The directory over a real database (SQLite and PostgreSQL): importing a file, every row or
none; searching in either script with filters; editing, verification and representatives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import msgspec
import pytest

from server.directory import (
    DirectoryConflict,
    DirectoryDenied,
    ImportRefused,
    InvalidOrganisation,
)
from server.directory.commands import DirectorySearch, OrganisationChanges, OrganisationValues
from server.directory.registration import with_check_digit
from server.directory.service import Directory
from storage.accounts import AccountStore, StoredUser
from storage.audit import AuditLog
from storage.database import Database
from storage.directory import DirectoryStore
from storage.models import utc_now

EIK = [with_check_digit(first) for first in ("17512934", "20130517", "10293847", "19283746")]

SITE, MAIL = "https://zelen.example.bg", "info@zelen.example.bg"
GOOD = f"""name,kind,registration_number,oblast,municipality,sectors,website,email,description
Сдружение „Зелен Пловдив“,ngo,{EIK[0]},Пловдив,Пловдив,environment;youth,{SITE},{MAIL},Паркове
Читалище „Родопска искра“,ngo,,Smolyan,Chepelare,culture,,,Самодейност в Чепеларе
Търговска камара Смолян,chamber,{EIK[1]},SML,Смолян,economy,,,
Община Пловдив,municipality,{EIK[2]},PDV,Пловдив,governance,,,Общинска администрация
Българска асоциация за щадящ туризъм,ngo,,,,tourism;environment,,,
"""

BAD = f"""name,kind,registration_number,oblast,municipality,sectors
Добро сдружение,ngo,{EIK[3]},Смолян,Смолян,social
Грешен ЕИК ООД,business,123456789,PDV,Асеновград,
Никъде,ngo,,Смолян,Атлантида,
Пак същото,ngo,{EIK[3]},,,
"""


@dataclass
class World:
    directory: Directory
    admin: StoredUser
    ana: StoredUser
    boris: StoredUser


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    async with Database(database_url) as database:
        accounts = AccountStore(database)

        async def user(name: str, *, admin: bool = False) -> StoredUser:
            return await accounts.create_user(
                name,
                display_name=name.title(),
                locale="bg",
                password_hash=None,
                is_admin=admin,
                created_at=utc_now(),
            )

        directory = Directory(DirectoryStore(database), AuditLog(database))
        yield World(
            directory, await user("admin", admin=True), await user("ana"), await user("boris")
        )


async def _names(directory: Directory, **query: object) -> list[str]:
    _, found = await directory.search(msgspec.convert(query, DirectorySearch))
    return [o.name for o in found]


async def test_an_import_with_a_bad_row_stores_nothing_and_reports_every_line(
    world: World,
) -> None:
    directory, admin = world.directory, world.admin
    dry = await directory.import_file(admin, BAD, dry_run=True, address=None)
    assert not dry.report.valid
    assert dry.created == []
    assert {r.line: r.errors for r in dry.report.invalid_rows} == {
        3: ["registration_number: the check digit (the 9th) does not match: a digit is mistyped"],
        4: ["municipality: no municipality 'Атлантида' in oblast Смолян"],
        5: ["the same ЕИК as line 2"],
    }
    with pytest.raises(ImportRefused) as refused:
        await directory.import_file(admin, BAD, dry_run=False, address=None)
    assert [row["line"] for row in refused.value.extra["rows"]] == [3, 4, 5]
    assert await _names(directory) == []  # not even the good first row

    outcome = await directory.import_file(admin, GOOD, dry_run=False, address=None)
    assert len(outcome.created) == 5
    # the same file again: every numbered row is already in the directory, nothing is added
    again = await directory.import_file(admin, GOOD, dry_run=True, address=None)
    assert [r.line for r in again.report.invalid_rows] == [2, 4, 5]
    assert again.report.invalid_rows[0].errors == [
        f"registration_number: {EIK[0]} is already in the directory (Сдружение „Зелен Пловдив“)"
    ]
    with pytest.raises(ImportRefused):
        await directory.import_file(admin, GOOD, dry_run=False, address=None)
    total, _ = await directory.search(DirectorySearch())
    assert total == 5


async def test_only_administrators_import(world: World) -> None:
    with pytest.raises(DirectoryDenied):
        await world.directory.import_file(world.ana, GOOD, dry_run=True, address=None)


async def test_search_in_either_script_by_word_prefixes_with_filters(world: World) -> None:
    directory = world.directory
    await directory.import_file(world.admin, GOOD, dry_run=False, address=None)
    plovdiv = ["Община Пловдив", "Сдружение „Зелен Пловдив“"]
    assert await _names(directory, q="Пловдив") == plovdiv
    assert await _names(directory, q="plovdiv") == plovdiv  # Latin finds Cyrillic
    assert await _names(directory, q="PLOV") == plovdiv  # a prefix, any case
    assert await _names(directory, q="obshtina") == ["Община Пловдив"]
    assert await _names(directory, q="общ плов") == ["Община Пловдив"]  # every word
    assert await _names(directory, q="щадящ") == ["Българска асоциация за щадящ туризъм"]
    # the act spells България "Bulgaria": found by its Cyrillic start and by its Latin name
    assert await _names(directory, q="Българ") == ["Българска асоциация за щадящ туризъм"]
    assert await _names(directory, q="balgarska") == ["Българска асоциация за щадящ туризъм"]
    assert await _names(directory, q="парк") == ["Сдружение „Зелен Пловдив“"]  # description
    assert await _names(directory, q=EIK[1][:6]) == ["Търговска камара Смолян"]  # ЕИК
    assert await _names(directory, q="лов") == []  # a word's middle is no match
    assert await _names(directory, oblast="SML") == [
        "Търговска камара Смолян",
        "Читалище „Родопска искра“",
    ]
    assert await _names(directory, municipality="SML38") == ["Читалище „Родопска искра“"]
    assert await _names(directory, kind="municipality") == ["Община Пловдив"]
    assert await _names(directory, sector="environment") == [
        "Българска асоциация за щадящ туризъм",
        "Сдружение „Зелен Пловдив“",
    ]
    assert await _names(directory, q="зелен", sector="culture") == []
    total, page = await directory.search(DirectorySearch(limit=2, offset=2))
    assert total == 5
    assert [o.name for o in page] == ["Сдружение „Зелен Пловдив“", "Търговска камара Смолян"]
    with pytest.raises(InvalidOrganisation):
        await directory.search(DirectorySearch(oblast="XXX"))


async def test_editing_verification_and_representatives(world: World) -> None:
    directory, admin, ana, boris = world.directory, world.admin, world.ana, world.boris
    values = OrganisationValues(
        name="Младежки съвет Смолян",
        kind="citizen_group",
        registration_number=EIK[3],
        municipality="SML31",
        sectors=["youth"],
    )
    created = await directory.create(ana, values, None)
    assert (created.slug, created.oblast) == ("mladezhki-savet-smolyan", "SML")
    twin = await directory.create(
        boris, OrganisationValues(name="Младежки съвет Смолян", kind="ngo"), None
    )
    assert twin.slug == "mladezhki-savet-smolyan-2"
    with pytest.raises(DirectoryConflict):  # one registration number, one organisation
        await directory.create(boris, msgspec.structs.replace(values, name="Друг"), None)
    with pytest.raises(InvalidOrganisation) as bad:
        await directory.create(
            ana, msgspec.structs.replace(values, registration_number="123456789"), None
        )
    assert bad.value.field == "registration_number"
    with pytest.raises(InvalidOrganisation) as elsewhere:
        await directory.create(ana, msgspec.structs.replace(values, oblast="PDV"), None)
    assert elsewhere.value.field == "municipality"

    with pytest.raises(DirectoryDenied):  # boris does not represent it
        await directory.update(boris, created, OrganisationChanges(description="x"), None)
    with pytest.raises(DirectoryDenied):  # only administrators verify
        await directory.verify(ana, created, True, None)
    verified = await directory.verify(admin, created, True, None)
    assert verified.verified_at is not None
    described = await directory.update(ana, verified, OrganisationChanges(description="Нов"), None)
    assert described.verified_at is not None  # a description does not change who it is
    renamed = await directory.update(ana, described, OrganisationChanges(name="Съвет"), None)
    assert renamed.verified_at is None  # a new name needs verifying again
    assert await _names(directory, verified=False, q="съвет") == ["Младежки съвет Смолян", "Съвет"]

    assert await directory.request(boris, renamed) == "pending"
    public = await directory.representatives(None, renamed)
    assert [(r.name, r.state) for r in public] == [("ana", "confirmed")]
    managed = await directory.representatives(ana, renamed)
    assert [(r.name, r.state) for r in managed] == [("ana", "confirmed"), ("boris", "pending")]
    with pytest.raises(DirectoryDenied):
        await directory.speaks_for(boris, renamed.slug)
    with pytest.raises(DirectoryDenied):  # a pending request confirms nothing
        await directory.confirm(boris, renamed, boris.id)
    await directory.confirm(ana, renamed, boris.id)
    assert (await directory.speaks_for(boris, renamed.slug)).id == renamed.id
    assert [o.slug for o in await directory.represented_by(boris)] == [twin.slug, renamed.slug]
    await directory.remove(boris, renamed, ana.id)  # one representative removes another
    await directory.remove(boris, renamed, boris.id)  # and steps down
    assert await directory.representatives(admin, renamed) == []


async def test_the_export_is_a_file_the_import_takes_back(world: World) -> None:
    directory = world.directory
    await directory.import_file(world.admin, GOOD, dry_run=False, address=None)
    exported = await directory.export(DirectorySearch(oblast="PDV"))
    assert exported.startswith("\ufeffname,kind,registration_number,")
    lines = exported.removeprefix("\ufeff").splitlines()
    assert len(lines) == 3  # the header and Plovdiv's two
    assert "Паркове" in exported
    assert "environment;youth" in exported
    # into an empty directory (here: the same rows with new numbers), the file imports as is
    renumbered = exported.replace(EIK[0], EIK[3]).replace(EIK[2], with_check_digit("30405060"))
    outcome = await directory.import_file(world.admin, renumbered, dry_run=True, address=None)
    assert outcome.report.valid, outcome.report.invalid_rows
