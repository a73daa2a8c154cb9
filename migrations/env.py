"""Alembic environment for participation: runs inside the Flask app (flask db ...)."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from participation.common.models import UTCDateTime
from participation.extensions import include_in_schema_compare

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name)
log = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
metadata = database.metadata


def render_item(type_, obj, autogen_context):
    """Write our UTC datetime type as a plain timezone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False



def skip_empty(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No schema change found; no migration written.")


def run_offline() -> None:
    context.configure(url=str(database.engine.url), target_metadata=metadata, literal_binds=True,
                      render_as_batch=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty)
    options.update(render_item=render_item, compare_type=True, include_name=include_in_schema_compare)
    with database.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
