"""The map on proposals: the CSP lets in exactly the tile server's origin (images only), the form carries
the map settings for static/js/map.js but keeps the coordinate fields, and a proposal with a place shows it
as text and, for JavaScript, as a read-only map."""
from __future__ import annotations

import re

import pytest

from participation.common.security import content_security_policy, tile_origin
from tests.core.test_security_headers import _csp

GSI = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"


@pytest.mark.parametrize("url, origin", [
    (GSI, "https://cyberjapandata.gsi.go.jp"),
    ("https://{s}.tile.example.jp/{z}/{x}/{y}.png", "https://*.tile.example.jp"),
    ("http://tiles.example.jp:8080/{z}/{x}/{y}.png?key=abc", "http://tiles.example.jp:8080"),
    ("", None), (None, None), ("/tiles/{z}/{x}/{y}.png", None), ("javascript:alert(1)", None),
    ("data:image/png;base64,xx", None), ("https://user@evil.example/{z}.png", None),
    ("https://{s}.jp/{z}.png", None), ("https://a.example;script-src */x.png", None),
    ("https://*/x.png", None), ("https://'unsafe-inline'/x.png", None),
])
def test_tile_origin_is_one_host_and_never_broader(url, origin):
    assert tile_origin(url) == origin


def test_csp_allows_the_configured_tile_host_for_images_only(app, client):
    assert app.config["MAP_TILE_URL"] == GSI
    csp = _csp(client.get("/"))
    assert csp["img-src"] == ["'self'", "data:", "https://cyberjapandata.gsi.go.jp"]
    for name, values in csp.items():
        if name != "img-src":
            assert not any("gsi.go.jp" in value for value in values), name
    assert csp["default-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"] and csp["script-src"] == ["'self'"]


def test_csp_follows_the_tile_setting(app, client):
    app.config["MAP_TILE_URL"] = "https://tiles.example.jp/{z}/{x}/{y}.png"
    try:
        assert _csp(client.get("/"))["img-src"] == ["'self'", "data:", "https://tiles.example.jp"]
        app.config["MAP_TILE_URL"] = ""
        assert _csp(client.get("/"))["img-src"] == ["'self'", "data:"]
    finally:
        app.config["MAP_TILE_URL"] = GSI
    assert "'unsafe-inline'" not in content_security_policy(GSI)


def test_form_has_the_fields_and_a_hidden_map_with_its_settings(client, login, make_user, make_process):
    process = make_process()
    login(make_user())
    html = client.get(f"/processes/{process.slug}/proposals/new").get_data(as_text=True)
    for name in ("address", "latitude", "longitude"):
        assert re.search(rf'<label[^>]*for="{name}"', html), name
        assert f'id="{name}"' in html
    picker = re.search(r'<div class="map-picker" hidden>(.*?</button>)', html, re.S).group(1)
    assert 'data-center="35.68,139.77"' in picker and 'data-zoom="13"' in picker
    assert f'data-tiles="{GSI}"' in picker and "地理院タイル" in picker
    assert 'data-lat-input="latitude"' in picker and 'data-lng-input="longitude"' in picker
    assert 'role="region"' in picker and 'aria-label="' in picker
    assert 'type="button"' in picker
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/js/map.js" in html
    assert "/static/vendor/leaflet/leaflet.css" in html


def test_vendored_leaflet_is_served_from_our_origin(client):
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
                 "/static/vendor/leaflet/images/marker-icon.png", "/static/js/map.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_proposal_page_shows_place_as_text_and_map_only_with_coordinates(client, make_process, make_proposal):
    process = make_process()
    with_pin = make_proposal(process, address="みどり市役所前", latitude=35.681234, longitude=139.771234)
    html = client.get(f"/proposals/{with_pin.id}").get_data(as_text=True)
    assert "みどり市役所前" in html and "35.68123" in html and "139.77123" in html
    assert 'data-lat="35.681234"' in html and 'data-lng="139.771234"' in html and "data-readonly" in html
    assert "/static/js/map.js" in html
    address_only = make_proposal(process, address="北口の駐輪場")
    html = client.get(f"/proposals/{address_only.id}").get_data(as_text=True)
    assert "北口の駐輪場" in html
    assert "data-readonly" not in html and "/static/js/map.js" not in html
