"""List files: valid rows load, malformed ones are reported with file, row, column and
reason and skipped; OpenSanctions' FollowTheMoney lines are read by their real fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphrisk.errors import IngestionError
from graphrisk.screening.lists import ListEntry, entries_digest, read_list_file
from graphrisk.screening.names import normalise_name

HEADER = "entry_id,name,aliases,birth_date,country,programme,list_name\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_malformed_csv_row_is_reported_and_the_others_load(tmp_path: Path) -> None:
    path = _write(tmp_path / "watch.csv", HEADER
                  + "A1,Mohammed Al-Rashid,Abu Yusuf;Muhammad Rashid,1975-04-12,IQ,TERR,UN\n"
                  + "A2,Ivana Petrovska,,1968,MK,FRAUD,\n"
                  + "A3,Bad Country,,1970,ZZ,X,\n"
                  + ",No Id,,,,X,\n"
                  + "A5,Bad Date,,12/04/1975,,X,\n"
                  + "A2,Repeated Id,,,,X,\n"
                  + "A7,Blue Heron Shipping Ltd,,,PA,MAR,\n")
    read = read_list_file(path, list_name="watch")
    assert [entry.entry_id for entry in read.entries] == ["A1", "A2", "A7"]
    assert read.rows_read == 7
    lines = [problem.line() for problem in read.problems]
    assert lines[0].startswith("file watch.csv, row 4, column country: 'ZZ'")
    assert lines[1].startswith("file watch.csv, row 5, column entry_id: empty")
    assert lines[2].startswith("file watch.csv, row 6, column birth_date: '12/04/1975' is "
                               "not a date")
    assert lines[3].startswith("file watch.csv, row 7, column entry_id: entry_id 'A2' is "
                               "repeated")
    first = read.entries[0]
    assert first.aliases == ("Abu Yusuf", "Muhammad Rashid")
    assert first.birth_years == (1975,) and first.countries == ("IQ",)
    assert first.schema == "person"  # born, so a person
    assert read.entries[1].list_name == "watch"  # empty list_name: the name loaded under
    assert read.entries[2].schema == "unknown"


def test_a_file_without_a_valid_row_is_an_error_that_says_why(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", HEADER + ",,,,,,\nB1,,,,,,\n")
    with pytest.raises(IngestionError, match=r"file bad.csv: no valid list entry in 2 rows "
                       r"\(2 skipped; the first: file bad.csv, row 2, column entry_id"):
        read_list_file(path)


def test_a_csv_without_the_name_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "cols.csv", "entry_id,full_name\nX1,Someone\n")
    with pytest.raises(IngestionError, match="missing column name; a list file has the "
                       "columns entry_id, name"):
        read_list_file(path)


def _entity(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False) + "\n"


def test_followthemoney_json_lines_as_opensanctions_exports_them(tmp_path: Path) -> None:
    lines = [
        _entity(id="NK-abc123", schema="Person", caption="Vladimir Putin",
                referents=["ofac-12345"], datasets=["us_ofac_sdn", "eu_fsf"],
                first_seen="2022-02-26T00:00:00", last_seen="2025-01-10T00:00:00",
                target=True,
                properties={"name": ["Vladimir Vladimirovich Putin"],
                            "alias": ["Владимир Владимирович Путин", "Putin Vladimir"],
                            "firstName": ["Vladimir"], "lastName": ["Putin"],
                            "birthDate": ["1952-10-07"], "nationality": ["ru"],
                            "country": ["ru", "suhh"], "gender": ["male"],
                            "topics": ["sanction", "role.pep"],
                            "programId": ["US-RUSHAR", "EU-UKR"]}),
        _entity(id="NK-org9", schema="Company", datasets=["us_ofac_sdn"], target=True,
                properties={"name": ["Blue Heron Shipping Ltd"], "country": ["pa"],
                            "weakAlias": ["BHS"], "programId": ["US-IRAN"],
                            "registrationNumber": ["55-1"]}),
        _entity(id="addr-1", schema="Address", properties={"full": ["Moscow"]}),
        "{not json\n",
        _entity(id="NK-noname", schema="Person", properties={"birthDate": ["1970"]}),
        _entity(id="NK-baddate", schema="Person",
                properties={"name": ["Some One"], "birthDate": ["early 1970s"]}),
        "\n",
    ]
    path = _write(tmp_path / "entities.ftm.json", "".join(lines))
    read = read_list_file(path, list_name="opensanctions")
    assert read.format == "ftm" and read.rows_read == 6 and read.ignored == 1
    putin, company = read.entries
    assert putin == ListEntry(
        "NK-abc123", "Vladimir Vladimirovich Putin",
        ("Владимир Владимирович Путин", "Putin Vladimir"), ("1952-10-07",), ("RU",),
        "US-RUSHAR; EU-UKR; sanction; role.pep", "us_ofac_sdn, eu_fsf", "person")
    assert company.schema == "organisation" and company.aliases == ("BHS",)
    assert [(p.row, p.column) for p in read.problems] == [
        (4, "-"), (5, "properties.name"), (6, "properties.birthDate")]


def test_the_digest_ignores_order_and_sees_a_change() -> None:
    a, b = ListEntry("1", "Ann Lee"), ListEntry("2", "Bo Chan", birth_dates=("1970",))
    assert entries_digest([a, b]) == entries_digest([b, a])
    assert entries_digest([a, b]) != entries_digest([a, ListEntry("2", "Bo Chan")])
    assert ListEntry.from_json(b.to_json()) == b


@pytest.mark.parametrize(("raw", "tokens"), [
    ("Dr. Mohammed Al-Rashid", ("mohammed", "alrashid")),
    ("Владимир Путин", ("vladimir", "putin")),
    ("J. Smith", ("j", "smith")),
    ("O'BRIEN, Patrick Jr.", ("obrien", "patrick")),
    ("Blue Heron Shipping Ltd", ("blue", "heron", "shipping")),
    ("Ludwig van Beethoven", ("ludwig", "vanbeethoven")),
])
def test_names_are_normalised_for_matching(raw: str, tokens: tuple[str, ...]) -> None:
    assert normalise_name(raw) == tokens
