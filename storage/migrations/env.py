"""Alembic environment for Veche.

``storage.database.upgrade`` passes an open connection in ``config.attributes``. From the
command line (``alembic upgrade head`` with the repository's alembic.ini), the URL comes from
``VECHE_DATABASE_URL`` or ``sqlalchemy.url`` in the ini file.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from storage.database import create_engine
from storage.schema import metadata
from storage.search import alembic_include_name

config = context.config
target_metadata = metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # the search index (FTS5 on SQLite) is not an ORM model; autogenerate leaves it alone
        include_name=alembic_include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        # storage.database makes SQLite transactions real (it emits BEGIN), DDL included.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_with)
            await connection.commit()
    finally:
        await engine.dispose()


def main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    url = os.environ.get("VECHE_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set VECHE_DATABASE_URL or sqlalchemy.url in alembic.ini")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(run_online(url))


main()
