// Record pages (lead, account, meeting): the Convert dialog and small form helpers.
// Loaded with `defer`; no inline script anywhere (CSP script-src 'self').
(function () {
  "use strict";

  var opener = null;

  function focusFirst(dialog) {
    var target = dialog.querySelector("[autofocus], [role=alert], input:not([type=hidden]):not([disabled]), select, textarea, button");
    if (target) {
      if (target.getAttribute("role") === "alert" && !target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }

  function syncDealFields(scope) {
    var box = scope.querySelector("input[data-toggles]");
    if (!box) return;
    var fields = document.getElementById(box.getAttribute("data-toggles"));
    if (fields) fields.disabled = !box.checked;
  }

  // Remember what opened a dialog, to give it focus back when the dialog closes.
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    if (elt && elt.getAttribute && (elt.getAttribute("hx-target") || "") === "#convert-dialog-body") {
      if (!elt.closest("dialog")) opener = elt.querySelector("button") || elt;
    }
  });

  // The dialog's content arrived (first load, or a form answered with errors): open it.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail && ev.detail.target;
    var dialog = target && target.closest ? target.closest("dialog") : null;
    if (!dialog) return;
    syncDealFields(dialog);
    if (!dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    }
    focusFirst(dialog);
  });

  // Escape closes a modal <dialog> natively; Cancel / Close buttons close it too.
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-close-dialog]") : null;
    if (!button) return;
    var dialog = button.closest("dialog");
    if (dialog) dialog.close();
  });

  document.addEventListener("close", function (ev) {
    var dialog = ev.target;
    if (!dialog || dialog.tagName !== "DIALOG") return;
    var body = dialog.querySelector("#convert-dialog-body");
    if (body) body.innerHTML = "";
    if (opener && document.body.contains(opener)) opener.focus();
  }, true);

  // A click on the backdrop (outside the dialog's box) closes it.
  document.addEventListener("mousedown", function (ev) {
    var dialog = ev.target;
    if (!dialog || dialog.tagName !== "DIALOG" || !dialog.open) return;
    var r = dialog.getBoundingClientRect();
    if (ev.clientX < r.left || ev.clientX > r.right || ev.clientY < r.top || ev.clientY > r.bottom) {
      dialog.close();
    }
  });

  // "Create a deal" unticked: the deal inputs are disabled (and not sent).
  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (box.matches && box.matches("input[data-toggles]")) {
      syncDealFields(box.form || document);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    syncDealFields(document);
  });
})();
