"""`flask jobs list|run` and `flask scheduler run`."""
from __future__ import annotations

import logging

import click
from flask import current_app



@click.group(help="Scheduled jobs: list them, run one now.")
def jobs():
    pass


@jobs.command("list", help="Every registered job with its trigger, period and last run.")
def jobs_list():
    from participation.jobs import registry
    from participation.jobs.runner import last_runs

    specs = registry.all_jobs(current_app)
    latest = last_runs()
    width = max([len(spec.name) for spec in specs] + [4])
    click.echo(f"{'NAME':<{width}}  {'TRIGGER':<28}  {'PERIOD':<8}  LAST RUN")
    for spec in specs:
        run = latest.get(spec.name)
        last = "never" if run is None else f"{run.status} {run.period_key} ({run.started_at:%Y-%m-%d %H:%M:%S} UTC)"
        period = spec.period if isinstance(spec.period, str) else "custom"
        click.echo(f"{spec.name:<{width}}  {spec.describe_trigger(current_app):<28}  {period:<8}  {last}")


@jobs.command("run", help="Run one job now, once, for the current period (or --period KEY).")
@click.argument("name")
@click.option("--period", "period_key", default=None, help="Period key, e.g. 2026-11-25 for a daily job.")
def jobs_run(name, period_key):
    from participation.jobs import registry
    from participation.jobs.runner import run_job

    if registry.get(name, current_app) is None:
        names = ", ".join(spec.name for spec in registry.all_jobs(current_app))
        raise click.ClickException(f"Unknown job {name!r}. Jobs: {names}")
    if period_key is not None and not (0 < len(period_key.strip()) <= 40):
        raise click.ClickException("The period key must have 1 to 40 characters.")
    result = run_job(name, period_key=period_key.strip() if period_key else None)
    if result.status == "skipped":
        click.echo(f"{name} [{result.period_key}]: skipped, this period already ran (or is running).")
    elif result.status == "failed":
        last_line = (result.error or "").strip().splitlines()[-1:] or [""]
        raise click.ClickException(f"{name} [{result.period_key}] failed: {last_line[0]}")
    else:
        counts = ", ".join(f"{k}={v}" for k, v in (result.counts or {}).items())
        click.echo(f"{name} [{result.period_key}]: succeeded" + (f" ({counts})" if counts else ""))


@click.group(help="The job scheduler process.")
def scheduler():
    pass


@scheduler.command("run", help="Run the scheduler until stopped. Any number may run: one leads at a time.")
@click.option("--once", is_flag=True, help="Run every job once for its current period (if leader), then exit.")
@click.option("--max-seconds", type=click.FloatRange(min=0), default=None, help="Stop by itself after this long.")
def scheduler_run(once, max_seconds):
    from participation.jobs.scheduler import JobScheduler, run_forever

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per heartbeat otherwise
    app = current_app._get_current_object()
    if once:
        results = JobScheduler(app).run_once()
        if results is None:
            click.echo("Not the leader (another scheduler runs the jobs); nothing done.")
            return
        for result in results:
            click.echo(f"{result.name} [{result.period_key}]: {result.status}")
        return
    try:
        run_forever(app, max_seconds=max_seconds)
    except (ValueError, TypeError, LookupError) as error:  # a bad JOB_TRIGGERS override
        raise click.ClickException(f"Could not start the scheduler: {error}")
