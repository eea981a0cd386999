/* The mock Apple pages' few behaviours, here rather than inline: the Content-Security-Policy
   allows no inline script, event handler or style attribute. */
(function () {
  "use strict";

  // A language menu (or any select marked data-autosubmit) submits its form when changed.
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  // A button marked data-print prints the page (the sign-in sheets).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  // Colours that come from data (an app's icon): set through the CSSOM, which the policy allows.
  function paint(root) {
    root.querySelectorAll("[data-color]").forEach(function (element) {
      element.style.backgroundColor = element.getAttribute("data-color");
    });
  }

  // The sign-in web view's last page sends the whole device page on (data-top-location).
  function leave() {
    var target = document.querySelector("[data-top-location]");
    if (target) window.top.location.replace(target.getAttribute("data-top-location"));
  }

  document.addEventListener("DOMContentLoaded", function () { paint(document); leave(); });
  document.addEventListener("htmx:afterSwap", function (event) { paint(event.detail.target.parentNode || document); });
})();
