"""An uploaded list is kept only as what was read: its recognised columns, re-serialised.

The file as sent waits in `import_upload_parts` until the worker has read it; afterwards no
other sheet, unknown column or document property of it is anywhere in the database.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.intake.kept import is_kept_copy, read_kept
from filrouge.store.engine import transaction
from filrouge.store.models import Base, ImportFile, ImportUploadPart
from tests.api.conftest import Api
from tests.api.test_intake_api import (
    born,
    csv_bytes,
    fr,
    new_ine,
    platform_cases,
    territorial_team,
    unique_name,
)
from tests.support.imports import finished, imported, upload

# What the uploaded lists hold besides their recognised columns; none of it may be kept. Each is
# searched whole: a short mark such as "Q4Z" also turns up by chance in the random bytes the
# shared database holds by the end of a run (sealed identities, keys, tokens).
SECOND_SHEET, SECOND_SHEET_TEXT = "Suivi éducatif", "SECONDE-FEUILLE-Q4Z"
PROPERTIES = {
    "creator": "AUTEUR-PROPRIETE-Q4Z",
    "title": "TITRE-PROPRIETE-Q4Z",
    "description": "DESCRIPTION-PROPRIETE-Q4Z",
}
UNKNOWN_VALUE, DROPPED_VALUE = "OBSERVATION-INCONNUE-Q4Z", "PAI-SANTE-Q4Z"
NOT_KEPT = (SECOND_SHEET, SECOND_SHEET_TEXT, *PROPERTIES.values(), UNKNOWN_VALUE, DROPPED_VALUE)


def workbook(first_sheet: list[list[Any]]) -> bytes:
    """A workbook with a second sheet and document properties, none of which may be kept."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in first_sheet:
        sheet.append(row)
    book.create_sheet(SECOND_SHEET).append([f"Hugo : {SECOND_SHEET_TEXT}"])
    for name, value in PROPERTIES.items():
        setattr(book.properties, name, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def everything_stored(sessions: async_sessionmaker[AsyncSession]) -> str:
    """Every row of every table, as text (binary columns decoded, archives unpacked)."""
    texts: list[str] = []
    async with transaction(sessions) as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                texts += [readable(value) for value in row]
    return "\n".join(texts)


def readable(value: object) -> str:
    if not isinstance(value, bytes):
        return repr(value)
    if zipfile.is_zipfile(io.BytesIO(value)):  # an XLSX: its members are compressed
        with zipfile.ZipFile(io.BytesIO(value)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return value.decode("utf-8", "replace")


async def upload_parts(sessions: async_sessionmaker[AsyncSession], import_id: str) -> int:
    async with transaction(sessions) as session:
        query = select(func.count()).where(ImportUploadPart.import_id == import_id)
        return int(await session.scalar(query) or 0)


async def kept_content(sessions: async_sessionmaker[AsyncSession], import_id: str) -> bytes:
    async with transaction(sessions) as session:
        stored = await session.get(ImportFile, import_id)
    assert stored is not None
    return stored.content


async def test_a_stored_list_keeps_only_its_recognised_columns(api: Api) -> None:
    team, codes = await territorial_team(api)
    name = unique_name("Gauthier")
    header = ["Nom", "Prénom", "Date de naissance", "Code commune INSEE", "Observations", "PAI"]
    rows = [
        [name, "Hugo", born(19), codes["commune"], UNKNOWN_VALUE, DROPPED_VALUE],
        [name, "Zoé", "31/02/2006", codes["commune"], "", ""],
    ]

    done = await imported(api, team.coordinator, workbook([header, *rows]), "liste.xlsx")

    assert (done["status"], done["created"], done["rejected"]) == ("done", 1, 1), done
    assert done["ignored_columns"] == ["Observations"] and done["dropped_columns"] == ["PAI"]
    assert await upload_parts(api.sessions, done["id"]) == 0  # the file as sent is gone
    kept = await kept_content(api.sessions, done["id"])
    assert is_kept_copy(kept)
    values = [row.values for row in read_kept(kept).rows]
    assert [v["first_name"] for v in values] == ["Hugo", "Zoé"]
    assert set(values[0]) == {"last_name", "first_name", "birth_date", "commune_insee"}
    stored = await everything_stored(api.sessions)
    assert name in stored  # the search below looks where the list's values are
    assert [secret for secret in NOT_KEPT if secret in stored] == []
    rejected = await api.http.get(
        f"/imports/{done['id']}/rejected.csv", headers=team.coordinator.headers
    )
    assert rejected.status_code == 200
    lines = rejected.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"3;{name};Zoé;31/02/2006;")


async def test_an_unreadable_workbook_is_refused_at_once_or_fails_its_import_in_french(
    api: Api,
) -> None:
    team, _ = await territorial_team(api)
    no_columns = workbook([["Pseudo", "Remarque"], ["Hugo", "sympa"]])
    refused = await upload(api, team.coordinator, no_columns, "liste.xlsx", expect=422)
    assert "Aucune colonne reconnue" in refused["message"]  # its header: the API reads it
    header_only = workbook([["Nom", "Prénom", "Date de naissance", "Code postal"]])

    accepted = await upload(api, team.coordinator, header_only, "liste.xlsx")  # rows: worker
    done = await finished(api, team.coordinator, accepted["id"])

    assert done["status"] == "failed"
    assert "aucune ligne de données" in done["error"], done
    assert await upload_parts(api.sessions, done["id"]) == 0
    async with transaction(api.sessions) as session:
        assert await session.get(ImportFile, done["id"]) is None
    rejected = await api.http.get(
        f"/imports/{done['id']}/rejected.csv", headers=team.coordinator.headers
    )
    assert rejected.status_code == 422 and "aucune ligne" in rejected.json()["message"]


async def test_the_api_refuses_an_unreadable_csv_at_once_and_stores_nothing(api: Api) -> None:
    team, _ = await territorial_team(api)
    async with transaction(api.sessions) as session:
        before = await session.scalar(text("SELECT count(*) FROM import_upload_parts"))

    error = await upload(api, team.coordinator, b"Pseudo;Ville\nHugo;Rennes\n", expect=422)

    assert "Colonnes obligatoires absentes" in error["message"]
    async with transaction(api.sessions) as session:
        assert await session.scalar(text("SELECT count(*) FROM import_upload_parts")) == before


async def test_erasure_on_request_removes_the_persons_rows_from_the_kept_lists(api: Api) -> None:
    team, codes = await territorial_team(api)
    commune = codes["commune"]
    erased, kept = unique_name("Efface"), unique_name("Garde")
    ine = new_ine()
    birth = fr(born(19))
    rows = [
        [ine, erased, "Léa", birth, "", commune],  # becomes the case erased below
        ["", kept, "Hugo", fr(born(20)), "", commune],
        [ine, erased, "Léa", birth, "", commune],  # the same INE again: an in-file duplicate
    ]
    first = await imported(api, team.coordinator, csv_bytes(rows))
    later = [  # a later list: the same person rejected (no commune), and someone else
        ["", erased.upper(), "Léa", birth, "", ""],
        ["", kept, "Hugo", fr(born(20)), "", ""],
    ]
    second = await imported(api, team.coordinator, csv_bytes(later))
    assert (first["created"], first["in_file_duplicates"], second["rejected"]) == (2, 1, 2)
    case_id = next(
        c["id"] for c in (await platform_cases(api, team)).values()
        if c["person"]["last_name"] == erased
    )  # fmt: skip

    answer = await api.http.post(f"/cases/{case_id}/erase", headers=team.coordinator.headers)

    assert answer.status_code == 200, answer.text
    assert answer.json()["list_rows_removed"] == 3
    for done in (first, second):
        text_kept = (await kept_content(api.sessions, done["id"])).decode()
        assert erased not in text_kept and erased.upper() not in text_kept and ine not in text_kept
        assert kept in text_kept  # the others' rows stay, for their report
    rejected = await api.http.get(
        f"/imports/{second['id']}/rejected.csv", headers=team.coordinator.headers
    )
    lines = rejected.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"3;;{kept};Hugo;")
    report = await api.http.get(f"/imports/{second['id']}/report", headers=team.coordinator.headers)
    assert report.json()["rejected"] == 2  # the counts and the reasons stay: they name nobody
