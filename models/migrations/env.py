"""Alembic environment. Backchannel runs migrations on a connection it opened itself (see
models.migrate), so this file only configures the context; `alembic` on the command line is not needed."""
from alembic import context

from models.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `backchannel migrate`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True, on_version_apply=context.config.attributes.get("on_version_apply") or ())
with context.begin_transaction():
    context.run_migrations()
