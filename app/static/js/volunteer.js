// Linli, the volunteer's pages: location for sign-up and check-in, and printing.
// Every page works without this file: the village list and a plain check-in remain.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function locate(done, failed) {
    if (!("geolocation" in navigator)) { failed(); return; }
    navigator.geolocation.getCurrentPosition(
      function (pos) { done(pos.coords.latitude.toFixed(6), pos.coords.longitude.toFixed(6)); },
      failed,
      { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 }
    );
  }

  // Sign-up: "use my phone's location" fills the hidden lat/lon fields.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-locate]");
    if (!button) return;
    var form = button.form || button.closest("form");
    var status = document.getElementById("locate-status");
    status.textContent = button.dataset.wait;
    locate(function (lat, lon) {
      form.querySelector("[name=lat]").value = lat;
      form.querySelector("[name=lon]").value = lon;
      status.textContent = button.dataset.ok;
    }, function () {
      status.textContent = button.dataset.fail;
    });
  });

  // Check-in: add the position if the phone gives it quickly; never block the check-in.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-geolocate") || form.dataset.located) return;
    event.preventDefault();
    var send = function () { form.dataset.located = "1"; form.submit(); };
    locate(function (lat, lon) {
      form.querySelector("[name=lat]").value = lat;
      form.querySelector("[name=lon]").value = lon;
      send();
    }, send);
  }, true);

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
