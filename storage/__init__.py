"""Durable storage: the document log in SQL (SQLAlchemy + Alembic) and group commit.

Modules: ``models`` (tables), ``database`` (engine, ``Database``, ``upgrade``),
``document_log`` (reads, appends, history), ``group_commit`` (batched appends),
``errors`` (the exception hierarchy).
"""
