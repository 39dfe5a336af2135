"""Alembic migrations of the store schema, applied automatically on open."""

# The newest revision; a test checks it against Alembic's own view of the scripts,
# so opening an up-to-date store never has to load the migration machinery.
HEAD_REVISION = "0013"
