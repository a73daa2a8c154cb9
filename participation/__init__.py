"""participation: a citizen participation platform for municipalities."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, request, session
from flask_login import current_user

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    from participation.common.numbers import IdConverter
    from participation.config import INSTANCE_DIR, load_config

    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(INSTANCE_DIR))
    app.url_map.converters["int"] = IdConverter  # before any rule is added: rules bind their converter then
    app.config.update(load_config())
    if config:
        app.config.update(config)
    # A server's connections can drop (a restart, an idle timeout): each is tested as it leaves the pool.
    # A SQLite file's cannot, and the test would cost a query on every request.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {
        "pool_pre_ping": not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")})

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)
    _register_template_helpers(app)

    from participation.cli import register_cli
    from participation.common.errors import register_error_handlers
    from participation.common.security import add_security_headers, refuse_nul_characters

    register_error_handlers(app)
    register_cli(app)
    app.after_request(add_security_headers)
    app.before_request(refuse_nul_characters)

    if app.config.get("SCHEDULER_IN_PROCESS"):
        from participation.jobs.scheduler import start_in_process

        start_in_process(app)
    return app


def _init_extensions(app: Flask) -> None:
    from participation.extensions import babel, csrf, db, limiter, login_manager, migrate
    from participation.common import pagecache
    from participation.common.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    pagecache.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.session_protection = "basic"

    from participation.accounts.views import load_user

    login_manager.user_loader(load_user)
    # Import every model module so metadata is complete for migrations and create_all.
    import participation.models  # noqa: F401
    import participation.common.sqlite  # noqa: F401  (connection settings for SQLite)


# Every feature's blueprint, one line each ("module:attribute").
BLUEPRINTS = (
    "participation.core.views:bp",
    "participation.accounts.views:bp",
    "participation.accounts.views:admin_bp",
    "participation.notifications.views:bp",
    "participation.moderation.views:bp",
    "participation.processes.views:bp",
    "participation.jobs.views:bp",
    "participation.comments.views:bp",
    "participation.kpi.views:bp",
    "participation.kpi.views:api_bp",
    "participation.proposals.views:bp",
    "participation.feedback.views:bp",
)


def _register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for path in BLUEPRINTS:
        module, _sep, attribute = path.partition(":")
        app.register_blueprint(getattr(import_module(module), attribute))


def _register_template_helpers(app: Flask) -> None:
    from participation import permissions, text
    from participation.common.i18n import current_locale, format_date_local, format_datetime_local, municipality_name
    from participation.common.pagecache import viewer_part
    from participation.common.pagination import page_url

    app.jinja_env.globals.update(
        page_url=page_url,
        can=permissions.can,
        current_locale=current_locale,
        render_markdown=text.render_markdown,
        render_plain=text.render_plain,
        excerpt=text.excerpt,
        viewer_part=viewer_part,
    )
    app.jinja_env.filters.update(local_datetime=format_datetime_local, local_date=format_date_local)

    @app.context_processor
    def municipality():
        return {"municipality_name": municipality_name()}
