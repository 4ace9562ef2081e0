"""What an organisation is and what it works on: the fixed lists the directory filters by.

Each entry has a stable slug (used in the API, the CSV files and the database) and its name
in Bulgarian and English. The lists are fixed on purpose: a filter by sector must mean the
same for every organisation, so a new sector is a change to this file (and docs/directory.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    slug: str
    bg: str
    en: str


KINDS = (
    Term("ngo", "неправителствена организация", "non-governmental organisation"),
    Term("business", "търговско дружество", "business"),
    Term("chamber", "камара или браншова организация", "chamber or trade association"),
    Term("municipality", "община", "municipality"),
    Term("state_body", "държавен орган", "state body"),
    Term("citizen_group", "гражданска група", "citizen group"),
    Term("other", "друго", "other"),
)

SECTORS = (
    Term("agriculture", "земеделие и храни", "agriculture and food"),
    Term("culture", "култура", "culture"),
    Term("digital", "цифровизация", "digital"),
    Term("economy", "икономика и заетост", "economy and employment"),
    Term("education", "образование", "education"),
    Term("energy", "енергетика", "energy"),
    Term("environment", "околна среда", "environment"),
    Term("governance", "добро управление и прозрачност", "good governance and transparency"),
    Term("health", "здраве", "health"),
    Term("human_rights", "права на човека", "human rights"),
    Term("regional_development", "регионално развитие", "regional development"),
    Term("science", "наука", "science"),
    Term("social", "социални услуги", "social services"),
    Term("sport", "спорт", "sport"),
    Term("tourism", "туризъм", "tourism"),
    Term("transport", "транспорт", "transport"),
    Term("youth", "младежта", "youth"),
    Term("other", "друго", "other"),
)

KIND_SLUGS = frozenset(term.slug for term in KINDS)
SECTOR_SLUGS = frozenset(term.slug for term in SECTORS)
