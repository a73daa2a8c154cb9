// Map on proposals (progressive enhancement: the coordinate fields and the place as text work without it).
// A container `.map` carries its settings in data attributes (centre, zoom, tile URL template, attribution).
// With data-lat-input / data-lng-input it is a picker: tapping the map (or Enter on the focused map, which
// uses its centre) places the pin and fills the two fields; typing in the fields moves the pin; the
// "clear location" button next to it empties them. With data-readonly it only shows the pin.
(function () {
  "use strict";
  if (!window.L) {
    return;
  }
  var L = window.L;

  function number(value) {
    if (value === null || value === undefined || String(value).trim() === "") {
      return null;
    }
    var n = Number(String(value).trim());
    return isFinite(n) ? n : null;
  }

  function validPoint(lat, lng) {
    return lat !== null && lng !== null && lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180;
  }

  function setUp(container) {
    var centre = (container.getAttribute("data-center") || "").split(",");
    var zoom = number(container.getAttribute("data-zoom"));
    var readonly = container.hasAttribute("data-readonly");
    var start = [number(centre[0]), number(centre[1])];
    if (!validPoint(start[0], start[1])) {
      start = [35.68, 139.77];
    }
    var options = {zoomControl: !readonly};
    if (readonly) {
      options.dragging = false;
      options.touchZoom = false;
      options.scrollWheelZoom = false;
      options.doubleClickZoom = false;
      options.boxZoom = false;
      options.keyboard = false;
    }
    var wrapper = container.closest(".map-picker");
    (wrapper || container).hidden = false;
    container.hidden = false;
    var map = L.map(container, options).setView(start, zoom === null ? 13 : zoom);
    var tiles = container.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, {maxZoom: 18, attribution: container.getAttribute("data-attribution") || ""}).addTo(map);
    }
    var marker = null;

    function place(lat, lng, pan) {
      if (marker) {
        marker.setLatLng([lat, lng]);
      } else {
        marker = L.marker([lat, lng], {keyboard: false, interactive: false}).addTo(map);
      }
      if (pan) {
        map.setView([lat, lng], Math.max(map.getZoom(), zoom === null ? 13 : zoom), {animate: false});
      }
    }

    function removePin() {
      if (marker) {
        map.removeLayer(marker);
        marker = null;
      }
    }

    if (readonly) {
      var lat = number(container.getAttribute("data-lat"));
      var lng = number(container.getAttribute("data-lng"));
      if (validPoint(lat, lng)) {
        place(lat, lng, true);
      }
      return;
    }

    var latInput = document.getElementById(container.getAttribute("data-lat-input"));
    var lngInput = document.getElementById(container.getAttribute("data-lng-input"));
    if (!latInput || !lngInput) {
      return;
    }

    function fromInputs(pan) {
      var lat = number(latInput.value);
      var lng = number(lngInput.value);
      if (validPoint(lat, lng)) {
        place(lat, lng, pan);
      } else {
        removePin();
      }
    }

    function fill(latlng) {
      var wrapped = latlng.wrap();
      latInput.value = wrapped.lat.toFixed(6);
      lngInput.value = wrapped.lng.toFixed(6);
      place(wrapped.lat, wrapped.lng, false);
    }

    map.on("click", function (event) {
      fill(event.latlng);
    });
    container.addEventListener("keydown", function (event) {
      if (event.target === container && event.key === "Enter") {
        event.preventDefault();
        fill(map.getCenter());
      }
    });
    latInput.addEventListener("input", function () { fromInputs(true); });
    lngInput.addEventListener("input", function () { fromInputs(true); });
    var clear = wrapper && wrapper.querySelector(".map-clear");
    if (clear) {
      clear.addEventListener("click", function () {
        latInput.value = "";
        lngInput.value = "";
        removePin();
      });
    }
    fromInputs(true);
  }

  function start() {
    var containers = document.querySelectorAll(".map[data-center]");
    for (var i = 0; i < containers.length; i += 1) {
      setUp(containers[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
