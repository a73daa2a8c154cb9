"""`flask db upgrade` on an empty database creates exactly the models' schema.

Alembic's autogenerate comparison lists every difference between a database and the models'
metadata (tables, columns, types, nullability, indexes, unique constraints, foreign keys). It must be
empty: a model change without a migration fails here. Nothing is ignored."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from participation import create_app
from participation.extensions import db as _db
from participation.extensions import include_in_schema_compare


def _diff(engine, metadata=None) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": include_in_schema_compare,  # only the hand-made FTS5 index tables
        })
        return compare_metadata(context, metadata if metadata is not None else _db.metadata)


def _fresh_app(url: str, tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                       "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"), "UPLOAD_DIR": str(tmp_path / "uploads"),
                       "RATELIMIT_STORAGE_URI": "memory://"})


def test_upgrade_on_an_empty_sqlite_database_creates_the_models_schema(tmp_path):
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    app = _fresh_app(url, tmp_path)
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(_db.metadata.tables) <= tables
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_test_database_schema_equals_the_models(app, db):
    """The suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL) was built by the migrations."""
    assert _diff(db.engine) == []


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    """Every migration can be undone, so a failed deploy can roll back."""
    from flask_migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    app = _fresh_app(url, tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(_db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _diff(_db.engine) == []
        _db.engine.dispose()


def test_the_comparison_notices_a_missing_migration(app, db):
    """Guard for this test itself: a column the database lacks shows up as a difference."""
    from sqlalchemy import Column, MetaData, String

    changed = MetaData(naming_convention=_db.metadata.naming_convention)
    for table in _db.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["areas"].append_column(Column("unmigrated_note", String(10)))
    diff = _diff(db.engine, changed)
    assert any(d[0] == "add_column" and d[3].name == "unmigrated_note" for d in diff), diff


def test_single_head(app):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"
