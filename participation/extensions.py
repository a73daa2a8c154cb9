"""Flask extensions, created unbound; create_app() binds them to an app."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Search structures that migrations create by hand, per database, and no model describes: SQLite's FTS5
# index for proposals (and its shadow tables) and PostgreSQL's pg_trgm GIN indexes (named *_trgm).
# Autogenerate and the schema test leave them alone.
UNMODELLED_TABLE_PREFIXES = ("proposals_fts",)
UNMODELLED_INDEX_SUFFIX = "_trgm"


def include_in_schema_compare(name, type_, parent_names) -> bool:
    if not name:
        return True
    if type_ == "table":
        return not name.startswith(UNMODELLED_TABLE_PREFIXES)
    if type_ == "index":
        return not name.endswith(UNMODELLED_INDEX_SUFFIX)
    return True


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
