// Linli: the ask-for-help form. The form works without this file; this adds
// "use my location" and moves the focus to the errors after an htmx answer. The error
// summary's links are plain anchors to the fields' ids: they work without it too.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setStatus(button, key) {
    var status = document.getElementById("geo-status");
    if (status) status.textContent = button.getAttribute("data-" + key) || "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("#use-location") : null;
    if (!button) return;
    event.preventDefault();
    if (!("geolocation" in navigator)) { setStatus(button, "failed"); return; }
    button.disabled = true;
    setStatus(button, "busy");
    navigator.geolocation.getCurrentPosition(function (position) {
      // Browsers give WGS-84, which is what Linli stores.
      document.getElementById("lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("lon").value = position.coords.longitude.toFixed(6);
      button.disabled = false;
      button.classList.add("button-done");
      setStatus(button, "done");
    }, function () {
      button.disabled = false;
      setStatus(button, "failed");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 120000 });
  });

  // htmx does not swap a 429 answer: say so next to the form instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var elt = event.detail && event.detail.elt;
    if (!xhr || xhr.status !== 429 || !elt) return;
    var form = elt.closest ? elt.closest("form[data-too-many]") : null;
    if (!form) return;
    var note = document.getElementById("too-many");
    if (!note) {
      note = document.createElement("p");
      note.id = "too-many";
      note.className = "error-summary";
      note.setAttribute("role", "alert");
      form.parentNode.insertBefore(note, form);
    }
    note.textContent = form.getAttribute("data-too-many");
    note.scrollIntoView({ block: "center" });
  });

  // After htmx swaps a form with errors in, bring the person to the first one.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id === "phone-field" || target.id === "village-field") return;
    var first = document.querySelector("#error-summary, .error-summary, #duplicate");
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus();
      first.scrollIntoView({ block: "start" });
    }
  });
})();
