"""KPI engine: indicator registry, periods, scopes, snapshots, exports, dashboards, open data.

Where things are
  registry.py            the catalogue: one `register(Indicator(...))` per indicator (SQL in a Core select)
  proposal_indicators.py indicators over the proposals/comments contract tables (exported once installed)
  actions.py             ACTION_SOURCES: one select per participation action (participants and friends)
  periods.py             day / month / fiscal_year / range, local (Asia/Tokyo) boundaries -> UTC instants
  spans.py               what a query covers: one period, or a series of periods (a rebuild) bucketed by
                         local day in SQL, with the sets of people materialised once in temporary tables
  engine.py              evaluate() / raw_figures(): runs the SQL, fills zero rows, suppresses cells < 5 people
  services.py            compute, snapshot (replace a period in one transaction), rebuild (one series per
                         period type; months/years of additive figures added up from days), tokens, push
  jobs.py                snapshot_kpis(now): yesterday + month + fiscal year of yesterday and today, then push;
                         regenerate_open_data(now)
  views.py               /participation, /staff/kpis(.csv), /api/v1/kpis.json|csv, /admin/api-tokens,
                         /open-data.zip

Export API: GET /api/v1/kpis.json and /api/v1/kpis.csv with `Authorization: Bearer <token>`.
Filters: period_type (day|month|fiscal_year|range, default month), from / to (YYYY-MM-DD; default: the
period containing today), scope_type (platform|process|area), scope_id (with a scope_type), codes
(comma-separated). Every period of period_type overlapping from..to is returned. A period with a
published snapshot is served from it (so published figures stay stable); a period without one is
computed on the fly from the live tables (at most 400 such periods per request). Bad input gives 400
with {"error": ..., "status": 400}; a missing, unknown or revoked token 401.

Privacy: persons counts and breakdown cells under 5 are published as null with suppressed=true; ratios
of people (repeat participation, share under 40) are suppressed when numerator or denominator is under 5.
Suppression happens in engine.py before anything is returned, stored or pushed.

Scopes: see each indicator's scope_notes (shown on the staff page): person counts use the participant's
consented area, action/content counts the process's (or the proposal's own) area.
"""
