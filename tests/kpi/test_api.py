"""The export API: schema, CSV format, filters, errors, bearer tokens, snapshots vs live figures."""
import json
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest

from participation.kpi import periods as P
from participation.kpi import services
from participation.kpi.engine import RECORD_KEYS
from tests.kpi.conftest import jst

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SHARED_CANDIDATES = [REPO.parent / "shared" / "kpi-export.schema.json",
                     REPO.parent.parent / "shared" / "kpi-export.schema.json"]  # main checkout, or a worktree
VENDORED = HERE / "kpi-export.schema.json"


def load_schema() -> dict:
    shared = next((path for path in SHARED_CANDIDATES if path.is_file()), None)
    return json.loads((shared or VENDORED).read_text(encoding="utf-8"))


def test_vendored_schema_has_not_drifted_from_the_shared_one():
    shared = next((path for path in SHARED_CANDIDATES if path.is_file()), None)
    if shared is None:
        pytest.skip("no shared schema beside the repository")
    assert json.loads(shared.read_text(encoding="utf-8")) == json.loads(VENDORED.read_text(encoding="utf-8"))


@pytest.fixture
def dataset(db, add_user, add_area):
    north = add_area("北地区")
    for day in range(1, 7):
        add_user(jst(2026, 6, day, 10), area=north if day <= 5 else None)   # 6 in June, 5 in North
    add_user(jst(2026, 7, 1, 9))                                           # 1 in July
    return {"north": north}


def _validate(document):
    jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker()).validate(document)
    datetime.fromisoformat(document["generated_at"])
    for record in document["records"]:
        assert list(record) == list(RECORD_KEYS)
        datetime.fromisoformat(record["computed_at"]).utcoffset()  # has an offset
        assert datetime.fromisoformat(record["computed_at"]).tzinfo is not None
        date.fromisoformat(record["period_start"]), date.fromisoformat(record["period_end"])


def test_json_export_validates_against_the_schema(api_get, dataset):
    response = api_get("/api/v1/kpis.json", period_type="month", **{"from": "2026-06-01", "to": "2026-07-31"})
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    _validate(document)
    june = [r for r in document["records"] if r["period_start"] == "2026-06-01"
            and r["indicator_code"] == "new_registrations"]
    platform = next(r for r in june if r["scope_type"] == "platform")
    assert (platform["value"], platform["scope_id"], platform["dimension"], platform["period_end"]) == (6, None, None, "2026-06-30")
    area = next(r for r in june if r["scope_type"] == "area")
    assert (area["scope_id"], area["scope_name"], area["value"]) == (str(dataset["north"].id), "北地区", 5)
    july = next(r for r in document["records"] if r["period_start"] == "2026-07-01"
                and r["indicator_code"] == "new_registrations" and r["scope_type"] == "platform")
    assert (july["value"], july["suppressed"]) == (None, True)


def test_csv_export_has_bom_crlf_and_the_contract_header(api_get, dataset):
    response = api_get("/api/v1/kpis.csv", period_type="month", codes="new_registrations", scope_type="platform",
                       **{"from": "2026-06-01", "to": "2026-07-31"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    text = raw.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == ",".join(RECORD_KEYS)
    assert "\n" not in text.replace("\r\n", "")
    assert lines[-1] == ""
    rows = [line.split(",") for line in lines[1:-1]]
    assert len(rows) == 2
    june, july = (dict(zip(RECORD_KEYS, row)) for row in rows)
    assert (june["period_start"], june["value"], june["suppressed"], june["scope_id"]) == ("2026-06-01", "6", "false", "")
    assert (july["value"], july["suppressed"], july["numerator"]) == ("", "true", "")
    assert june["field"] == "運営体制/住民参画"


def test_filters(api_get, dataset):
    north = str(dataset["north"].id)
    records = api_get("/api/v1/kpis.json", period_type="fiscal_year", scope_type="area", scope_id=north,
                      codes="new_registrations", **{"from": "2026-04-01", "to": "2027-03-31"}).get_json()["records"]
    assert [(r["indicator_code"], r["scope_type"], r["scope_id"], r["period_type"], r["period_start"], r["period_end"],
             r["value"]) for r in records] == [("new_registrations", "area", north, "fiscal_year", "2026-04-01",
                                               "2027-03-31", 5)]
    ranged = api_get("/api/v1/kpis.json", period_type="range", scope_type="platform",
                     **{"from": "2026-06-03", "to": "2026-07-01"}).get_json()["records"]
    assert {r["indicator_code"] for r in ranged} >= {"processes_open", "new_registrations"}
    assert {r["scope_type"] for r in ranged} == {"platform"}
    reg = next(r for r in ranged if r["indicator_code"] == "new_registrations")
    assert (reg["period_type"], reg["period_start"], reg["period_end"], reg["value"]) == ("range", "2026-06-03", "2026-07-01", 5)
    days = api_get("/api/v1/kpis.json", period_type="day", scope_type="platform", codes="processes_open",
                   **{"from": "2026-06-29", "to": "2026-07-02"}).get_json()["records"]
    assert [r["period_start"] for r in days] == ["2026-06-29", "2026-06-30", "2026-07-01", "2026-07-02"]


@pytest.mark.parametrize("params", [
    {"codes": "nonexistent"},
    {"codes": "new_registrations,Participants"},
    {"scope_type": "city"},
    {"period_type": "week"},
    {"from": "2026-07-01", "to": "2026-06-01"},
    {"from": "2020-01-01", "to": "2026-01-02"},          # over 5 years
    {"scope_type": "process", "scope_id": "abc"},
    {"scope_type": "area", "scope_id": "-1"},
    {"scope_type": "area", "scope_id": "99999"},         # unknown area
    {"scope_id": "1"},                                   # an id without a scope type
    {"from": "2026-02-30"},
    {"to": "yesterday"},
    {"period_type": "day", "from": "2024-01-01", "to": "2026-01-01"},  # too many periods to compute live
    {"period_type": "fiscal_year", "from": "0001-01-01", "to": "0001-12-31"},
    {"period_type": "month", "from": "9999-12-01", "to": "9999-12-31"},
    {"from": "２０２６-01-01"},                          # full-width digits are not a date here
    {"scope_type": "area", "scope_id": "²"},             # isdigit() is true, int() refuses it
    {"scope_type": "process", "scope_id": "١"},          # Arabic-Indic one: not silently read as id 1
])
def test_bad_input_is_a_400_with_a_json_error(api_get, params):
    for path in ("/api/v1/kpis.json", "/api/v1/kpis.csv"):
        response = api_get(path, **params)
        assert response.status_code == 400, (params, response.get_data(as_text=True)[:300])
        assert response.is_json and response.get_json()["error"]


def test_codes_without_a_source_are_refused(api_get):
    from participation.kpi.actions import has_actions

    if has_actions():
        pytest.skip("participants has a source in this installation")
    response = api_get("/api/v1/kpis.json", codes="new_registrations,participants")
    assert response.status_code == 400 and "participants" in response.get_json()["error"]


def test_five_years_exactly_is_allowed(api_get):
    response = api_get("/api/v1/kpis.json", period_type="fiscal_year", codes="processes_open", scope_type="platform",
                       **{"from": "2021-04-01", "to": "2026-04-01"})
    assert response.status_code == 200
    assert len(response.get_json()["records"]) == 6


def test_tokens_missing_bad_and_revoked_are_401(client, db, api_get, api_token):
    from participation.kpi.models import ApiToken

    assert api_get("/api/v1/kpis.json").status_code == 200
    token = db.session.query(ApiToken).one()
    assert token.last_used_at is not None and token.token_hash != api_token and api_token not in token.prefix + "x"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {api_token}"},
                    {"Authorization": "Bearer "}):
        response = client.get("/api/v1/kpis.csv", headers=headers)
        assert response.status_code == 401 and response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    services.revoke_token(None, token)
    db.session.commit()
    response = api_get("/api/v1/kpis.json")
    assert response.status_code == 401 and response.is_json


def test_published_snapshot_is_served_and_other_periods_are_computed(api_get, db, dataset, add_user):
    services.snapshot(P.month(2026, 6))
    add_user(jst(2026, 6, 20))    # arrives after the snapshot
    add_user(jst(2026, 7, 2))
    params = {"period_type": "month", "codes": "new_registrations", "scope_type": "platform",
              "from": "2026-06-01", "to": "2026-07-31"}
    june, july = api_get("/api/v1/kpis.json", **params).get_json()["records"]
    assert june["value"] == 6     # the published snapshot, not the live 7
    assert july["suppressed"] is True and july["value"] is None   # live: 2 people
    services.snapshot(P.month(2026, 6))
    june, _ = api_get("/api/v1/kpis.json", **params).get_json()["records"]
    assert june["value"] == 7


def test_record_keys_are_the_contract_order():
    """KPI.md fixes the column order; the schema lists the same keys in that order."""
    required = load_schema()["properties"]["records"]["items"]["required"]
    assert list(RECORD_KEYS) == required
    kpi_md = next((path.parent / "KPI.md" for path in SHARED_CANDIDATES if path.is_file()), None)
    if kpi_md is not None and kpi_md.is_file():
        text = kpi_md.read_text(encoding="utf-8")
        block = text.split("## Export record", 1)[1].split("```")[1]
        assert [key.strip() for key in block.replace("\n", " ").split(",") if key.strip()] == required


@pytest.fixture
def unpublished_process_with_figures(db, make_process, add_user, actions):
    from participation.processes import services as process_services

    shown, hidden = make_process(), make_process()
    for day in range(1, 7):
        user_id = add_user(jst(2026, 5, 1))
        actions(user_id, jst(2026, 6, day, 12), process_id=shown.id)
        actions(user_id, jst(2026, 6, day, 13), process_id=hidden.id)
    return shown, hidden, process_services


def _process_ids(records):
    return {r["scope_id"] for r in records if r["scope_type"] == "process"}


def test_an_unpublished_process_never_leaves_through_the_export(app, db, api_get, unpublished_process_with_figures):
    shown, hidden, process_services = unpublished_process_with_figures
    june = {"period_type": "month", "from": "2026-06-01", "to": "2026-06-30"}
    live = api_get("/api/v1/kpis.json", codes="participants", **june).get_json()["records"]
    assert _process_ids(live) == {str(shown.id), str(hidden.id)}

    services.snapshot(P.month(2026, 6))           # stored while both were published
    process_services.unpublish_process(None, hidden)
    db.session.commit()
    stored = api_get("/api/v1/kpis.json", codes="participants", **june).get_json()["records"]
    assert _process_ids(stored) == {str(shown.id)}
    by_id = api_get("/api/v1/kpis.json", codes="participants", scope_type="process", scope_id=str(hidden.id), **june)
    assert by_id.status_code == 400 and by_id.get_json()["error"]   # as for an id that never existed
    ranged = api_get("/api/v1/kpis.json", codes="participants", period_type="range", scope_type="process",
                     **{"from": "2026-06-01", "to": "2026-06-30"}).get_json()["records"]  # computed live
    assert _process_ids(ranged) == {str(shown.id)}
    assert next(r for r in ranged if r["scope_id"] == str(shown.id))["value"] == 6
