"""The whole schema: every concept's ORM models imported, so that `metadata` holds every table
(migrations compare against it: storage/migrations/env.py and tests/storage/test_migrations.py).

The models of each concept live in their own module and import only `storage.models` (the
base, the shared types and lengths) and the modules they refer to; none imports this one.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from storage import (
    consultation_models,
    decision_models,
    directory_models,
    live_models,
    models,
    notice_models,
    outreach_models,
    schedule_models,
)

MODULES = (
    models,
    decision_models,
    live_models,
    directory_models,
    consultation_models,
    notice_models,
    outreach_models,
    schedule_models,
)
metadata: MetaData = models.Base.metadata
