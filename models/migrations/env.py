"""Alembic environment. Backchannel runs migrations on a connection it opened itself (see
models.migrate), so this file only configures the context; `alembic` on the command line is not needed."""
from alembic import context

from models.schema import metadata
from models.search_index import is_index_table


def include_name(name, type_, _parents):  # noqa: ANN001, ANN201
    """The search index's tables are built by hand (models.search_index), not from models.schema."""
    return not (type_ == "table" and is_index_table(name))


connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `backchannel migrate`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True, include_name=include_name, on_version_apply=context.config.attributes.get("on_version_apply") or ())
with context.begin_transaction():
    context.run_migrations()
