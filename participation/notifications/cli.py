"""`flask notifications ...` commands."""
from __future__ import annotations

import click


@click.group(help="Notifications: email digests.")
def notifications():
    pass


@notifications.command("digest", help="Send the daily or weekly email digest now (safe to run twice).")
@click.argument("frequency", type=click.Choice(["daily", "weekly"]))
def digest(frequency):
    from participation.notifications import jobs

    counts = jobs.send_daily_digest() if frequency == "daily" else jobs.send_weekly_digest()
    click.echo(f"Digest sent: {counts['users']} users, {counts['notifications']} notifications.")
