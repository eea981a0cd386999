// Small progressive enhancements for the shell. Everything works without this file.
(function () {
  "use strict";

  function hideLater(toast) {
    if (!toast.hasAttribute("data-autohide")) return;
    setTimeout(function () {
      toast.classList.add("is-leaving");
      setTimeout(function () { toast.remove(); }, 450);
    }, 7000);
  }

  function enhance(root) {
    root.querySelectorAll("[data-toast]").forEach(function (toast) {
      if (toast.dataset.enhanced) return;
      toast.dataset.enhanced = "1";
      hideLater(toast);
    });
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      if (select.dataset.enhanced) return;
      select.dataset.enhanced = "1";
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-dismiss-toast]");
    if (target) { target.closest("[data-toast]").remove(); return; }
    var close = event.target.closest("[data-close-pane]");
    if (close) { event.preventDefault(); document.getElementById("pane").innerHTML = ""; return; }
    var navToggle = event.target.closest("[data-toggle-nav]");
    if (navToggle) { document.body.classList.toggle("nav-collapsed"); return; }
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) { event.preventDefault(); dialog.showModal(); }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) { event.preventDefault(); closer.closest("dialog").close(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var pane = document.getElementById("pane");
      if (pane && pane.innerHTML.trim()) pane.innerHTML = "";
    }
  });

  // Blades carry their title; htmx navigation keeps the document title in step.
  document.addEventListener("htmx:afterSwap", function (event) {
    enhance(document);
    var blade = document.querySelector("#journey [data-title]");
    if (event.detail.target.id === "journey" && blade) {
      document.title = blade.getAttribute("data-title") + " - " + document.body.getAttribute("data-product");
    }
  });

  // Mark edited fields "dirty" (purple outline), as the Azure portal does.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.matches && field.matches(".field input, .field select, .field textarea")) {
      field.classList.add("is-dirty");
    }
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
})();
