"""Alembic environment of the store (run by ``Store.migrate``; no ``alembic.ini``).

The caller hands over an open connection in ``config.attributes["connection"]``, already
inside its transaction: the whole upgrade commits or rolls back with it. Without one (the
``alembic`` command line with ``-x url=...`` or ``$SELARAS_DB``) a connection is opened here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from selaras.store.database import resolve_url
from selaras.store.tables import metadata

config = context.config


def _configure(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    engine = sa.create_engine(resolve_url(url))
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url")
    context.configure(url=resolve_url(url), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
