"""Alembic revisions of the register's schema, oldest first (``r0001_...``)."""
