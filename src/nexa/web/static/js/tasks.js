// Task board: drag a card onto another column to change its status. Every card also has a
// "Move" form (the no-drag, keyboard and no-script path); with script it is sent the same way.
(function () {
  "use strict";

  var dragged = null;

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  function column(el) {
    return el && el.closest ? el.closest("section.status-column") : null;
  }

  function announce(text, isError) {
    var live = document.getElementById("board-live");
    if (live) live.textContent = text;
    var area = document.getElementById("flash-area");
    if (!area) return;
    area.textContent = "";
    if (isError) {
      var p = document.createElement("p");
      p.className = "flash error";
      p.setAttribute("role", "alert");
      p.textContent = text; // text only: never HTML from the response
      area.appendChild(p);
    }
  }

  function adjustCount(col, delta) {
    var count = col && col.querySelector("[data-count]");
    if (!count) return;
    var text = count.textContent.trim();
    var more = text.slice(-1) === "+";
    var n = parseInt(text, 10) || 0;
    count.textContent = String(Math.max(0, n + delta)) + (more ? "+" : "");
    var empty = col.querySelector(".column-empty");
    if (empty) empty.hidden = col.querySelectorAll("article.task-card").length > 0;
  }

  function errorText(response) {
    return response.text().then(function (body) {
      var text = "";
      try {
        text = new DOMParser().parseFromString(body, "text/html").body.textContent || "";
      } catch (e) {
        text = "";
      }
      text = text.replace(/\s+/g, " ").trim();
      return text || "The task could not be moved (" + response.status + ").";
    });
  }

  function move(card, target) {
    var from = column(card);
    if (!from || !target || from === target) return;
    var status = target.getAttribute("data-status");
    var id = card.getAttribute("data-task-id");
    var next = card.nextElementSibling;
    var cards = target.querySelector("[data-cards]");
    cards.insertBefore(card, cards.firstChild);
    card.classList.add("moving");
    adjustCount(from, -1);
    adjustCount(target, 1);
    var body = new URLSearchParams();
    body.set("status", status);
    fetch("/tasks/" + encodeURIComponent(id) + "/status", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRF-Token": csrfToken(),
        "HX-Request": "true",
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: body.toString()
    }).then(function (response) {
      if (response.status === 401) {
        window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
        return null;
      }
      if (!response.ok) {
        return errorText(response).then(function (text) { throw new Error(text); });
      }
      return response.json();
    }).then(function (data) {
      card.classList.remove("moving");
      if (!data) return;
      card.setAttribute("data-status", data.status);
      var select = card.querySelector("select[name=status]");
      if (select) select.value = data.status;
      announce("“" + data.title + "” moved to " + data.label + ".", false);
    }).catch(function (err) {
      card.classList.remove("moving");
      var back = from.querySelector("[data-cards]");
      if (next && next.parentNode === back) back.insertBefore(card, next);
      else back.appendChild(card);
      adjustCount(target, -1);
      adjustCount(from, 1);
      var select = card.querySelector("select[name=status]");
      if (select) select.value = from.getAttribute("data-status");
      announce(err && err.message ? err.message : "The task could not be moved.", true);
    });
  }

  document.addEventListener("dragstart", function (ev) {
    var card = ev.target.closest ? ev.target.closest("article.task-card[draggable=true]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", card.getAttribute("data-task-id"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".status-column.drop-target").forEach(function (c) {
      c.classList.remove("drop-target");
    });
  });

  document.addEventListener("dragover", function (ev) {
    var col = column(ev.target);
    if (!col || !dragged) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "move";
    col.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (ev) {
    var col = column(ev.target);
    if (col && !col.contains(ev.relatedTarget)) col.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (ev) {
    var col = column(ev.target);
    if (!col || !dragged) return;
    ev.preventDefault();
    col.classList.remove("drop-target");
    move(dragged, col);
  });

  // The per-card fallback form: with script, move in place instead of reloading the board.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("move-form")) return;
    var card = form.closest("article.task-card");
    var select = form.querySelector("select[name=status]");
    var wanted = select ? select.value : "";
    var target = null;
    document.querySelectorAll("section.status-column").forEach(function (col) {
      if (col.getAttribute("data-status") === wanted) target = col;
    });
    if (!card || !target) return; // let the browser post the form
    ev.preventDefault();
    if (column(card) !== target) move(card, target);
  });
})();
