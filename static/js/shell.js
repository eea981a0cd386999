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

  // Toasts as Intune places them: stacked at the top right under the header, but below the
  // blade's header and command bar (never over its close button or commands) and left of an
  // open pane or the docked tour panel; at most three, the newest first; the bell keeps them all.
  var MAX_TOASTS = 3;
  function placeToasts() {
    var stack = document.getElementById("toasts");
    if (!stack) return;
    var topbar = document.querySelector(".topbar");
    var top = (topbar ? topbar.getBoundingClientRect().bottom : 0) + 8;
    document.querySelectorAll("#journey .blade-header, #journey .commandbar, #journey .wizard-nav").forEach(function (bar) {
      var box = bar.getBoundingClientRect();
      if (box.height && box.bottom + 8 > top && box.top < window.innerHeight / 2) top = box.bottom + 8;
    });
    var right = 16;
    ["pane", "tour-panel"].forEach(function (id) {
      var panel = document.getElementById(id);
      if (!panel || panel.hidden || !panel.innerHTML.trim()) return;
      var box = panel.getBoundingClientRect();
      if (box.width) right = Math.max(right, window.innerWidth - box.left + 16);
    });
    stack.style.top = Math.round(top) + "px";
    stack.style.right = Math.round(right) + "px";
    var toasts = stack.querySelectorAll("[data-toast]");
    for (var i = MAX_TOASTS; i < toasts.length; i++) toasts[i].remove();
  }
  var placing = false;
  function placeToastsSoon() {
    if (placing) return;
    placing = true;
    window.requestAnimationFrame(function () { placing = false; placeToasts(); });
  }
  window.addEventListener("resize", placeToastsSoon);
  window.addEventListener("scroll", placeToastsSoon, { passive: true });
  document.addEventListener("htmx:afterSettle", placeToastsSoon);

  function enhance(root) {
    root.querySelectorAll("[data-toast]").forEach(function (toast) {
      if (toast.dataset.enhanced) return;
      toast.dataset.enhanced = "1";
      hideLater(toast);
    });
    placeToasts();
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      if (select.dataset.enhanced) return;
      select.dataset.enhanced = "1";
      select.addEventListener("change", function () {
        // htmx navigation moves the address bar without rendering the top bar again: come back
        // to the page the user is on now, not the one the shell was first loaded for.
        var next = select.form.querySelector("input[name=next]");
        if (next) next.value = window.location.pathname + window.location.search;
        select.form.submit();
      });
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-dismiss-toast]");
    if (target) { target.closest("[data-toast]").remove(); return; }
    var close = event.target.closest("[data-close-pane]");
    if (close) { event.preventDefault(); document.getElementById("pane").innerHTML = ""; placeToasts(); return; }
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
    // A new blade (a link, or the blade a saved form opens) starts at its top.
    if (event.detail.target.id === "journey") window.scrollTo(0, 0);
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

  // Conditional settings: <div data-show-when="shared_ipad=yes"> shows only while the radio,
  // select or checkbox named shared_ipad has that value. The server applies the same rules.
  function currentValue(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) return checked.value;
    var field = form.querySelector('[name="' + name + '"]');
    return field && field.type !== "radio" && field.type !== "checkbox" ? field.value : "";
  }
  function applyConditions(root) {
    root.querySelectorAll("form").forEach(function (form) {
      form.querySelectorAll("[data-show-when]").forEach(function (element) {
        var rule = element.getAttribute("data-show-when").split("=");
        element.hidden = currentValue(form, rule[0]) !== rule[1];
      });
    });
  }
  // The article's note, at the moment it happens: turning User affinity or Supervised off while
  // Shared iPad is on turns Shared iPad off, and says so. The server applies the same rule.
  function sharedIpadRule(form, changed) {
    var note = form.querySelector("[data-shared-ipad-rule]");
    if (!note || (changed !== "user_affinity" && changed !== "supervised")) return;
    if (currentValue(form, "shared_ipad") !== "yes") return;
    var affinityOk = currentValue(form, "user_affinity") === note.getAttribute("data-affinity");
    if (affinityOk && currentValue(form, "supervised") === "yes") return;
    var off = form.querySelector('input[name="shared_ipad"][value="no"]');
    if (off) { off.checked = true; off.classList.add("is-dirty"); }
    note.hidden = false;
  }
  document.addEventListener("change", function (event) {
    if (event.target.form) sharedIpadRule(event.target.form, event.target.name);
    if (event.target.form) applyConditions(event.target.form.parentNode);
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-all-screens]");
    if (!toggle) return;
    // Intune's "Toggle All": hide every screen, or show them all if all are hidden already.
    var form = toggle.closest("form");
    var hides = form.querySelectorAll('input[type=radio][name^="screen_"][value="hide"]');
    var allHidden = Array.prototype.every.call(hides, function (input) { return input.checked; });
    form.querySelectorAll('input[type=radio][name^="screen_"][value="' + (allHidden ? "show" : "hide") + '"]')
      .forEach(function (input) { input.checked = true; input.classList.add("is-dirty"); });
  });
  // Polling that pauses in hidden tabs (the class board, the tour): htmx's trigger filters
  // would need eval, which the CSP forbids, so the request is cancelled here instead.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && event.detail.elt.hasAttribute("data-poll-visible")) event.preventDefault();
  });
  document.addEventListener("htmx:afterSwap", function () { applyConditions(document); });
  document.addEventListener("DOMContentLoaded", function () { enhance(document); applyConditions(document); });
})();

// Grids with a selection: the header checkbox (data-select-all) checks every listed row, and
// commands that act on a selection (data-requires-selection) stay disabled until a row is
// checked. Without JavaScript everything stays enabled and the server says what is missing.
(function () {
  "use strict";
  function rowBoxes(table) {
    return table.querySelectorAll('tbody input[type="checkbox"]');
  }
  function refresh() {
    var any = document.querySelector('#journey tbody input[type="checkbox"]:checked') !== null;
    document.querySelectorAll("#journey [data-requires-selection]").forEach(function (command) {
      command.disabled = !any;
    });
    document.querySelectorAll("#journey tbody tr").forEach(function (row) {
      var box = row.querySelector('input[type="checkbox"]');
      if (box) row.classList.toggle("is-selected", box.checked);
    });
  }
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      rowBoxes(all.closest("table")).forEach(function (box) { box.checked = all.checked; });
    }
    if (event.target.matches && event.target.matches('#journey input[type="checkbox"]')) refresh();
  });
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
})();

// The guided tour: a step's link opens its blade (an ordinary htmx navigation) and the panel
// remembers that step as the current one, so it stays highlighted across pages and reloads.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-tour-step]");
    var steps = link && link.closest("[data-step-url]");
    if (!steps || !window.htmx) return;
    htmx.ajax("POST", steps.getAttribute("data-step-url"), {
      source: steps, target: "#tour-steps", swap: "outerHTML", values: { step: link.getAttribute("data-tour-step") }
    });
  });
})();

// Countdowns (the Sync window): an element with data-countdown-seconds counts down to 0:00
// once a second; the server sent the seconds left when it rendered it, and the polling panel
// renders it again (and enables the button) when the wait is over.
(function () {
  "use strict";
  function text(seconds) {
    var minutes = Math.floor(seconds / 60), rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }
  setInterval(function () {
    document.querySelectorAll("[data-countdown-seconds]").forEach(function (element) {
      if (!element.dataset.countdownStart) element.dataset.countdownStart = String(Date.now());
      var elapsed = Math.floor((Date.now() - Number(element.dataset.countdownStart)) / 1000);
      element.textContent = text(Math.max(0, Number(element.getAttribute("data-countdown-seconds")) - elapsed));
    });
  }, 1000);
})();
