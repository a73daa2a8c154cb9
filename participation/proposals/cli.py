"""`flask proposals ...` commands."""
from __future__ import annotations

import click


@click.group(help="Proposals.")
def proposals():
    pass


@proposals.command("publish-answers", help="Publish official answers whose scheduled time has come.")
def publish_answers():
    from participation.proposals.jobs import publish_scheduled_answers

    click.echo(f"Published {publish_scheduled_answers()['published']} answer(s).")
