// Linli station console: the small map on a request page (Leaflet, vendored).
// Without this file, or without tiles, the page shows the coordinates and distance as text.
(function () {
  "use strict";
  var box = document.getElementById("request-map");
  if (!box || typeof window.L === "undefined") return;
  var lat = parseFloat(box.dataset.lat);
  var lon = parseFloat(box.dataset.lon);
  if (isNaN(lat) || isNaN(lon)) return;
  box.classList.add("is-live");
  var map = window.L.map(box, { scrollWheelZoom: false }).setView([lat, lon], 14);
  var loaded = 0;
  var failed = 0;
  var tiles = window.L.tileLayer(box.dataset.tiles, { maxZoom: 18 });
  tiles.on("tileload", function () { loaded += 1; });
  tiles.on("tileerror", function () {
    failed += 1;
    if (failed >= 4 && loaded === 0) {
      // Offline or blocked tiles: no broken grey box, say so in words.
      map.remove();
      box.className = "request-map is-offline";
      box.textContent = box.dataset.offline;
    }
  });
  tiles.addTo(map);
  window.L.circleMarker([lat, lon], { radius: 9, color: "#b3261e", weight: 3 }).addTo(map);
  var slat = parseFloat(box.dataset.stationLat);
  var slon = parseFloat(box.dataset.stationLon);
  if (!isNaN(slat) && !isNaN(slon)) {
    // Leaflet reads a string tooltip as HTML: give it an element holding plain text.
    var label = document.createElement("span");
    label.textContent = box.dataset.stationName || "";
    window.L.circleMarker([slat, slon], { radius: 7, color: "#1d4f91", weight: 3 })
      .bindTooltip(label)
      .addTo(map);
    map.fitBounds([[lat, lon], [slat, slon]], { padding: [30, 30], maxZoom: 15 });
  }
})();
