"""SQLAlchemy adapters: tables, engine, unit of work and repositories (Postgres and SQLite)."""
