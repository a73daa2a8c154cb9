"""KPI engine: indicator registry, periods, scopes, snapshots, exports, dashboards, open data."""
