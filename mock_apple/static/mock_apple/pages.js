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

  // A form that downloads a file (Download Token) leaves the page as it was: once submitted,
  // ask the page again until the part it names (data-download-then-refresh) has changed.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var selector = form.getAttribute && form.getAttribute("data-download-then-refresh");
    if (!selector) return;
    var part = document.querySelector(selector);
    if (!part) return;
    var before = part.innerHTML, tries = 0;
    function look() {
      tries += 1;
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
          if (fresh && fresh.innerHTML !== before) {
            part.innerHTML = fresh.innerHTML;
          } else if (tries < 20) {
            setTimeout(look, 500);
          }
        })
        .catch(function () { if (tries < 20) setTimeout(look, 1000); });
    }
    setTimeout(look, 500);
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
