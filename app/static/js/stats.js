// Linli dashboards: the period form sends by htmx and swaps the figures' body. A period the
// server refuses comes back as 400 with its message in the form and the figures shown
// before (app/services/dashboard.py); htmx keeps 4xx out of the page by default, so this
// lets that one answer in. Without this file the form still works (a whole page).
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr && detail.xhr.status === 400 && detail.target && detail.target.id === "stats-body") {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
