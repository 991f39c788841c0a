// Nexa CRM behaviours: small, dependency-free, attached by data attributes (no inline
// scripts, so the Content-Security-Policy can forbid them).
(function () {
  "use strict";

  function closest(el, selector) {
    return el && el.closest ? el.closest(selector) : null;
  }

  // Menu toggle on narrow screens (the sidebar is a drawer there).
  function setOpen(toggle, target, open) {
    target.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = target.querySelector("a[aria-current=page]") || target.querySelector("a, button");
      if (first) setTimeout(function () { first.focus(); }, 20);
    }
  }
  document.addEventListener("click", function (ev) {
    var toggle = closest(ev.target, "[data-toggle]");
    if (toggle) {
      var target = document.getElementById(toggle.getAttribute("data-toggle"));
      if (target) setOpen(toggle, target, !target.classList.contains("open"));
      return;
    }
    // a click beside the open drawer closes it
    var drawer = document.querySelector("nav.sidebar.open");
    if (drawer && !drawer.contains(ev.target)) {
      var opener = document.querySelector('[data-toggle="' + drawer.id + '"]');
      if (opener) setOpen(opener, drawer, false);
    }
  });
  // Confirm before destructive posts.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      ev.preventDefault();
    }
  });

  // Bulk selection: select-all and the selected count.
  function updateCount(form) {
    var count = form.querySelectorAll("input[name=ids]:checked").length;
    var label = form.querySelector("[data-selected-count]");
    if (label) label.textContent = count + " selected";
  }
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("[data-select-all]")) {
      var form = closest(el, "form");
      form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = el.checked; });
      updateCount(form);
    } else if (el.matches && el.matches("input[name=ids]")) {
      updateCount(closest(el, "form"));
    }
  });

  // Bulk bar: show the inputs of the chosen action only (all stay in the form without JS).
  function showBulkInputs(select) {
    var form = closest(select, "form");
    form.querySelectorAll("[data-bulk-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-bulk-for") !== select.value;
    });
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.id === "bulk-action") showBulkInputs(ev.target);
  });

  // Reference lookups: type to search, pick a result, the hidden input gets its id.
  var timer = null;
  document.addEventListener("input", function (ev) {
    var text = ev.target;
    if (!text.classList || !text.classList.contains("lookup-text")) return;
    var box = closest(text, ".lookup");
    var hidden = box.querySelector("input[type=hidden]");
    var list = box.querySelector(".lookup-results");
    if (text.value === "") { hidden.value = ""; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = text.getAttribute("data-lookup-url") + "?q=" + encodeURIComponent(text.value);
      // a product picked on a quote or deal: its price in the form's currency comes along
      var form = closest(text, "form");
      var currency = form && form.querySelector("[name=currency]");
      if (currency && currency.value) url += "&currency=" + encodeURIComponent(currency.value);
      fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          list.innerHTML = html; // server-rendered, autoescaped
          list.hidden = false;
        });
    }, 180);
  });
  document.addEventListener("click", function (ev) {
    var option = closest(ev.target, ".lookup-results button[data-value]");
    if (!option) return;
    var box = closest(option, ".lookup");
    box.querySelector("input[type=hidden]").value = option.getAttribute("data-value");
    box.querySelector(".lookup-text").value = option.textContent;
    box.querySelector(".lookup-results").hidden = true;
    // values the pick brings to the same row (a product's unit price), never over one typed
    var fill = option.getAttribute("data-fill");
    var row = closest(box, "tr");
    if (fill && row) {
      var values = JSON.parse(fill);
      Object.keys(values).forEach(function (key) {
        var inputs = row.querySelectorAll("input");
        for (var i = 0; i < inputs.length; i++) {
          var name = inputs[i].getAttribute("name") || "";
          if (name.slice(-(key.length + 1)) === "." + key && inputs[i].value === "") {
            inputs[i].value = values[key];
          }
        }
      });
    }
  });

  // A server error (5xx, which base.html's htmx-config does not swap) or no answer at all
  // still says so, in #flash-area: the server's own sentence (errors.py's _error.html), or
  // a plain one. Text only, never the response's HTML.
  function flashError(text) {
    var area = document.getElementById("flash-area");
    if (!area) return;
    var p = document.createElement("p");
    p.className = "flash error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    area.textContent = "";
    area.appendChild(p);
  }
  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail && ev.detail.xhr;
    if (!xhr || xhr.status < 500) return; // 4xx answers are swapped by htmx itself
    var said = null;
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var alert = doc.querySelector("[role=alert]");
      said = alert && alert.textContent.trim().slice(0, 300);
    } catch (e) { said = null; }
    flashError(said || "Something went wrong on our side. Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    flashError("The server could not be reached. Check the connection and try again.");
  });

  window.Nexa = window.Nexa || {};
})();
