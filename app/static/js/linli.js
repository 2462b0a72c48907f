// Linli: small progressive enhancements. Everything works without this file.
(function () {
  "use strict";
  // Disable a submit button once its form is sent, so a double tap sends once.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-post")) return;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
})();
