"""Scheduled jobs: one registry, a leader lock, runs recorded in `job_runs`, idempotent by period key.

How the parts fit together
--------------------------
* ``registry``  -- every job is a ``JobSpec`` (name, function, trigger, period). Features keep the job
  functions in their own ``jobs.py``; the one list of registrations is at the bottom of ``registry.py``.
* ``runner``    -- ``run_job(name)`` claims the row (name, period_key) in ``job_runs`` atomically, runs the
  function in its own transaction and records the outcome. A period that succeeded (or is running) is
  never run again; a failed period is re-claimed and run again next time.
* ``leader``    -- any number of scheduler processes may run; only the one holding the leader lock runs
  jobs (PostgreSQL advisory lock, or a lease row on SQLite).
* ``scheduler`` -- APScheduler 3.x with an in-memory job store: triggers fire in every scheduler process,
  the leader runs the job. ``flask scheduler run`` in production, ``start_in_process`` in development.

The claim row is the real guarantee of "once per period"; the leader lock only keeps the work in one
process. Either alone would be enough to run a job once; together they stay correct when a leader
stalls past its lease (another process takes over, and the claim row still stops a second run).
"""
