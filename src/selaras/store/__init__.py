"""The store: SQLite by default, PostgreSQL at scale; schema, migrations and repositories."""
