"""`flask ...` commands: users, demo data."""
from __future__ import annotations

import secrets

import click
from flask import Flask

from participation.extensions import db
from participation.jobs import cli as jobs_cli
from participation.notifications.cli import notifications as notifications_cli
from participation.proposals.cli import proposals as proposals_cli


def register_cli(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(seed)
    app.cli.add_command(jobs_cli.jobs)
    app.cli.add_command(jobs_cli.scheduler)
    app.cli.add_command(notifications_cli)
    from participation.kpi.cli import kpi as kpi_cli
    app.cli.add_command(kpi_cli)
    app.cli.add_command(proposals_cli)


@click.group(help="Manage accounts.")
def users():
    pass


@users.command("create", help="Create a confirmed account, e.g. for staff or an administrator.")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice(["resident", "staff", "admin"]), default="resident", show_default=True)
@click.option("--password", default=None, help="Prompted for when omitted; use '-' to generate one.")
@click.option("--locale", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
def users_create(email, display_name, role, password, locale):
    from participation.accounts import services
    from participation.common.errors import DomainError

    if password == "-":
        password = secrets.token_urlsafe(12)
        click.echo(f"Generated password: {password}")
    elif password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.ClickException("The password must have at least 10 characters.")
    try:
        user = services.create_user(email=email, display_name=display_name, password=password, role=role,
                                    locale=locale)
    except DomainError as error:
        raise click.ClickException(str(error.message))
    db.session.commit()
    click.echo(f"Created {user.role} #{user.id} <{user.email}>")


@click.group(help="Demo data.")
def seed():
    pass


@seed.command("demo", help="Load the demo municipality once (safe to run again).")
def seed_demo():
    from participation.demo import load_demo

    created = load_demo()
    click.echo("Demo data loaded." if created else "Demo data already present.")
    from participation.demo import DEMO_LOGINS

    click.echo("Demo logins (password for all: demo-password-2026):")
    for role, email in DEMO_LOGINS:
        click.echo(f"  {role:<9} {email}")
