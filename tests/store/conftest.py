"""Store tests use the shared fixtures of tests/conftest.py: every test runs on SQLite and
PostgreSQL."""
