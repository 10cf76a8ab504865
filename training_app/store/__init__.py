"""Storage: SQLModel tables, engine and sessions, Alembic migrations and every SQL query."""
