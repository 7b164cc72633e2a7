"""A small GIAS extract, made as the register makes it: its real column names (the first
66 of its 130-odd, in its order, through "TelephoneNum"), Windows-1252, CRLF lines."""

from __future__ import annotations

import csv
import io

HEADER = [
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (code)", "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)", "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)", "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)", "ReasonEstablishmentOpened (name)", "OpenDate",
    "ReasonEstablishmentClosed (code)", "ReasonEstablishmentClosed (name)", "CloseDate",
    "PhaseOfEducation (code)", "PhaseOfEducation (name)", "StatutoryLowAge",
    "StatutoryHighAge", "Boarders (code)", "Boarders (name)", "NurseryProvision (name)",
    "OfficialSixthForm (code)", "OfficialSixthForm (name)", "Gender (code)", "Gender (name)",
    "ReligiousCharacter (code)", "ReligiousCharacter (name)", "ReligiousEthos (name)",
    "Diocese (code)", "Diocese (name)", "AdmissionsPolicy (code)", "AdmissionsPolicy (name)",
    "SchoolCapacity", "SpecialClasses (code)", "SpecialClasses (name)", "CensusDate",
    "NumberOfPupils", "NumberOfBoys", "NumberOfGirls", "PercentageFSM",
    "TrustSchoolFlag (code)", "TrustSchoolFlag (name)", "Trusts (code)", "Trusts (name)",
    "SchoolSponsorFlag (name)", "SchoolSponsors (name)", "FederationFlag (name)",
    "Federations (code)", "Federations (name)", "UKPRN", "FEHEIdentifier",
    "FurtherEducationType (name)", "OfstedLastInsp", "OfstedSpecialMeasures (code)",
    "OfstedSpecialMeasures (name)", "LastChangedDate", "Street", "Locality", "Address3",
    "Town", "County (name)", "Postcode", "SchoolWebsite", "TelephoneNum",
]  # fmt: skip

PHASE_CODES = {"Primary": "2", "Secondary": "4", "All-through": "7", "Nursery": "1",
               "Not applicable": "0"}  # fmt: skip
STATUS_CODES = {"Open": "1", "Closed": "2", "Open, but proposed to close": "3",
                "Proposed to open": "4"}  # fmt: skip


def row(
    urn: str,
    name: str,
    *,
    la: tuple[str, str] = ("878", "Devon"),
    status: str = "Open",
    phase: str = "Primary",
    street: str = "",
    locality: str = "",
    address3: str = "",
    town: str = "Exeter",
    county: str = "Devon",
    postcode: str = "EX1 1AA",
) -> dict[str, str]:
    """One establishment's row; every other column blank or as GIAS fills it."""
    values = dict.fromkeys(HEADER, "")
    values.update(
        {
            "URN": urn,
            "LA (code)": la[0],
            "LA (name)": la[1],
            "EstablishmentNumber": "2001",
            "EstablishmentName": name,
            "TypeOfEstablishment (name)": "Community school",
            "EstablishmentTypeGroup (name)": "Local authority maintained schools",
            "EstablishmentStatus (code)": STATUS_CODES.get(status, ""),
            "EstablishmentStatus (name)": status,
            "PhaseOfEducation (code)": PHASE_CODES.get(phase, ""),
            "PhaseOfEducation (name)": phase,
            "Street": street,
            "Locality": locality,
            "Address3": address3,
            "Town": town,
            "County (name)": county,
            "Postcode": postcode,
            "SchoolWebsite": "www.example.sch.uk",
            "TelephoneNum": "01392 000000",
        }
    )
    return values


def extract(rows: list[dict[str, str] | list[str] | bytes], *, header=HEADER,
            encoding: str = "cp1252") -> bytes:  # fmt: skip
    """The file's bytes: dict rows by the header, a list as it is (a wrong layout), bytes
    put in as they are (a line that is not Windows-1252)."""
    out = io.BytesIO()
    for item in [header, *rows]:
        if isinstance(item, bytes):
            out.write(item + b"\r\n")
            continue
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([item[c] for c in header] if isinstance(item, dict) else item)
        out.write(text.getvalue().encode(encoding))
    return out.getvalue()
