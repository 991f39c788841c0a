// The deal pipeline board: drag a card onto another column, or use the "Move to stage" form
// on a card; moving to a lost stage asks for the reason in a dialog. Moves are posted with
// the session's CSRF token and the server answers with the re-rendered board (or an error
// message, shown to the user). Without this script the same forms post normally.
(function () {
  "use strict";

  var board = document.getElementById("board");
  var status = document.getElementById("board-status");
  var dialog = document.getElementById("lost-dialog");
  var dragged = null;
  var busy = false;
  var pending = null; // {dealId, stage, name} waiting for a lost reason

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  function say(message, isError) {
    if (!status) return;
    status.textContent = "";
    var p = document.createElement("p");
    p.className = isError ? "flash error" : "flash";
    if (isError) p.setAttribute("role", "alert");
    p.textContent = message;
    status.appendChild(p);
  }

  function cardOf(id) {
    return board ? board.querySelector('article.deal-card[data-deal-id="' + id + '"]') : null;
  }

  // keep the keyboard user's place after the board is re-rendered
  function focusCard(dealId) {
    var card = cardOf(dealId);
    var link = card ? card.querySelector("h3 a") : null;
    if (link) link.focus();
  }

  function resetSelect(dealId) {
    var card = cardOf(dealId);
    if (!card) return;
    var select = card.querySelector("select[name=stage]");
    if (select) select.value = card.getAttribute("data-stage");
  }

  function errorFrom(text, status) {
    var doc = new DOMParser().parseFromString(text || "", "text/html");
    var el = doc.querySelector("[data-field]") || doc.querySelector(".error");
    return {
      message: el && el.textContent.trim() ? el.textContent.trim()
        : "The deal could not be moved (error " + status + ").",
      field: el ? el.getAttribute("data-field") : null,
    };
  }

  // POST the move; on success swap in the new board. Resolves to {ok, message, field}.
  function move(dealId, stage, reason) {
    if (busy) return Promise.resolve({ ok: false, message: "A move is already in progress." });
    busy = true;
    board.setAttribute("aria-busy", "true");
    var body = new URLSearchParams();
    body.set("stage", stage);
    body.set("board", board.getAttribute("data-board-query") || "");
    if (reason !== null && reason !== undefined) body.set("lost_reason", reason);
    return fetch("/deals/" + encodeURIComponent(dealId) + "/stage", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": csrfToken(),
        "HX-Request": "true",
      },
      body: body.toString(),
    })
      .then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect && redirect.charAt(0) === "/") {
          window.location.assign(redirect);
          return { ok: false, message: "Signing in again…" };
        }
        return response.text().then(function (text) {
          if (response.ok) {
            board.innerHTML = text; // server-rendered and autoescaped
            var moved = board.querySelector("[data-moved]");
            say(moved ? moved.textContent : "Moved.", false);
            focusCard(dealId);
            return { ok: true };
          }
          var err = errorFrom(text, response.status);
          return { ok: false, message: err.message, field: err.field };
        });
      })
      .catch(function () {
        return { ok: false, message: "The server could not be reached; try again." };
      })
      .then(function (result) {
        busy = false;
        board.removeAttribute("aria-busy");
        return result;
      });
  }

  function moveOrAsk(dealId, stage, kind, name) {
    if (kind === "lost") {
      askReason(dealId, stage, name);
      return;
    }
    move(dealId, stage, null).then(function (result) {
      if (!result.ok) {
        say(result.message, true);
        resetSelect(dealId);
      }
    });
  }

  // ---- the lost-reason dialog ----------------------------------------------------------
  function askReason(dealId, stage, name) {
    if (!dialog) return;
    pending = { dealId: dealId, stage: stage };
    var form = dialog.querySelector("form");
    form.setAttribute("action", "/deals/" + encodeURIComponent(dealId) + "/stage");
    form.querySelector("input[name=stage]").value = stage;
    form.querySelector("input[name=lost_reason]").value = "";
    form.querySelector("input[name=lost_reason]").removeAttribute("aria-invalid");
    dialog.querySelector("[data-lost-error]").textContent = "";
    dialog.querySelector("[data-lost-deal]").textContent = name || "";
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    form.querySelector("input[name=lost_reason]").focus();
  }

  function closeDialog() {
    if (!dialog) return;
    if (typeof dialog.close === "function") dialog.close();
    else dialog.removeAttribute("open");
  }

  if (dialog) {
    dialog.addEventListener("close", function () {
      if (pending) resetSelect(pending.dealId);
      pending = null;
    });
    dialog.addEventListener("click", function (ev) {
      if (ev.target.closest && ev.target.closest("[data-lost-cancel]")) closeDialog();
    });
    dialog.querySelector("form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!pending) return;
      var form = ev.target;
      var input = form.querySelector("input[name=lost_reason]");
      var current = pending;
      move(current.dealId, current.stage, input.value).then(function (result) {
        if (result.ok) {
          pending = null;
          closeDialog();
          focusCard(current.dealId);
        } else {
          dialog.querySelector("[data-lost-error]").textContent = result.message;
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
      });
    });
  }

  // ---- the no-drag form on every card --------------------------------------------------
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!board || !form.matches || !form.matches("form.move-form") || !board.contains(form)) return;
    ev.preventDefault();
    var card = form.closest("article.deal-card");
    var select = form.querySelector("select[name=stage]");
    var option = select.options[select.selectedIndex];
    if (select.value === card.getAttribute("data-stage")) {
      say("The deal is already in that stage.", false);
      return;
    }
    moveOrAsk(
      card.getAttribute("data-deal-id"),
      select.value,
      option ? option.getAttribute("data-kind") : "open",
      card.getAttribute("data-name")
    );
  });

  // ---- drag and drop -------------------------------------------------------------------
  function clearTargets() {
    if (!board) return;
    board.querySelectorAll(".stage-column.drop-target").forEach(function (col) {
      col.classList.remove("drop-target");
    });
  }

  // The card under the pointer when the button went down is the one being dragged (even if
  // the page scrolled before the drag began).
  var pressed = null;
  document.addEventListener("mousedown", function (ev) {
    pressed = ev.target.closest ? ev.target.closest("article.deal-card[draggable=true]") : null;
  }, true);

  document.addEventListener("dragstart", function (ev) {
    var card = ev.target.closest ? ev.target.closest("article.deal-card[draggable=true]") : null;
    if (pressed && board && board.contains(pressed)) card = pressed;
    pressed = null;
    if (!card || !board || !board.contains(card)) return;
    dragged = card;
    card.classList.add("dragging");
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", card.getAttribute("data-deal-id"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (ev) {
    if (!dragged) return;
    var column = ev.target.closest ? ev.target.closest("section.stage-column") : null;
    if (!column) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      clearTargets();
      column.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (ev) {
    if (!dragged) return;
    var column = ev.target.closest ? ev.target.closest("section.stage-column") : null;
    if (!column) return;
    ev.preventDefault();
    var card = dragged;
    clearTargets();
    var stage = column.getAttribute("data-stage");
    if (stage === card.getAttribute("data-stage")) return;
    moveOrAsk(
      card.getAttribute("data-deal-id"),
      stage,
      column.getAttribute("data-kind"),
      card.getAttribute("data-name")
    );
  });

  // ---- filters -------------------------------------------------------------------------
  var range = document.querySelector("[data-custom-range]");
  var period = document.querySelector("[data-period]");
  function syncRange() {
    if (range && period) range.hidden = period.value !== "custom";
  }
  if (period) {
    period.addEventListener("change", syncRange);
    syncRange();
  }
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var form = select.form;
      if (form && typeof form.requestSubmit === "function") form.requestSubmit();
      else if (form) form.submit();
    });
  });
})();
