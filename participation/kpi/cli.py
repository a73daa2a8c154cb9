"""`flask kpi ...`: tokens, snapshots, rebuild."""
from __future__ import annotations

import click

from participation.extensions import db


@click.group(help="Participation KPIs: snapshots and export tokens.")
def kpi():
    pass


@kpi.command("create-token", help="Create a bearer token for the KPI export (shown once).")
@click.argument("name")
def create_token(name):
    from participation.common.errors import DomainError
    from participation.kpi import services

    try:
        token, plain = services.create_token(None, name)
    except DomainError as error:
        raise click.ClickException(str(error.message))
    db.session.commit()
    click.echo(f"Token #{token.id} {token.name!r} created. Copy it now, it is not shown again:")
    click.echo(plain)


@kpi.command("revoke-token", help="Revoke a token by its id.")
@click.argument("token_id", type=int)
def revoke_token(token_id):
    from participation.common.errors import DomainError
    from participation.kpi import services
    from participation.kpi.models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No token #{token_id}.")
    try:
        services.revoke_token(None, token)
    except DomainError as error:
        raise click.ClickException(str(error.message))
    db.session.commit()
    click.echo(f"Token #{token_id} revoked.")


@kpi.command("rebuild", help="Recompute and store the snapshots of every day, month and fiscal year in a range.")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (default: yesterday).")
def rebuild(start, end):
    from datetime import timedelta

    from participation.common.time import local_today
    from participation.kpi import periods, services

    try:
        first = periods.parse_date(start)
        last = periods.parse_date(end) if end else local_today() - timedelta(days=1)
        todo = services.periods_to_rebuild(first, last)
    except periods.PeriodError as error:
        raise click.BadParameter(str(error))
    with click.progressbar(length=len(todo), label="Rebuilding KPI snapshots") as bar:
        services.rebuild(first, last, on_period=lambda period: bar.update(1))
    click.echo(f"Stored {len(todo)} periods.")


@kpi.command("snapshot", help="Run the daily snapshot job now (yesterday, this month, this fiscal year) and push.")
def snapshot():
    from participation.kpi.jobs import snapshot_kpis

    click.echo(snapshot_kpis())
