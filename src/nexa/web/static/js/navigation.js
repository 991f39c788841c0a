// The sidebar (groups that fold, remembered in localStorage; recent records), the search
// suggestions by keyboard, the shortcuts (/ search, ? help, Ctrl+K or Cmd+K the command
// palette) and the palette itself. No inline scripts: attached to what base.html renders.
(function () {
  "use strict";

  var COLLAPSED = "nexa.nav.collapsed";
  var RECENT_MAX = 5;

  function read(key, fallback) {
    try {
      var value = JSON.parse(window.localStorage.getItem(key) || "null");
      return value === null ? fallback : value;
    } catch (e) {
      return fallback;
    }
  }
  function write(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  // ---- the top bar's height (the sticky sidebar and the drawer sit under it) -------------
  function measureTop() {
    var top = document.querySelector("header.top");
    if (top) document.documentElement.style.setProperty("--top-height", top.offsetHeight + "px");
  }

  // ---- groups that fold ------------------------------------------------------------------
  function setGroup(button, expanded) {
    var list = document.getElementById(button.getAttribute("aria-controls"));
    button.setAttribute("aria-expanded", expanded ? "true" : "false");
    if (list) list.hidden = !expanded;
  }
  function restoreGroups() {
    var collapsed = read(COLLAPSED, []);
    document.querySelectorAll("nav.sidebar .nav-group").forEach(function (group) {
      var button = group.querySelector(".nav-group-toggle");
      if (!button) return;
      // the group of the current page always shows it
      var fold = collapsed.indexOf(group.getAttribute("data-group")) >= 0 && !group.hasAttribute("data-current");
      setGroup(button, !fold);
    });
  }
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("nav.sidebar .nav-group-toggle") : null;
    if (!button) return;
    var expanded = button.getAttribute("aria-expanded") !== "true";
    setGroup(button, expanded);
    var key = button.parentNode.getAttribute("data-group");
    var collapsed = read(COLLAPSED, []).filter(function (k) { return k !== key; });
    if (!expanded) collapsed.push(key);
    write(COLLAPSED, collapsed);
  });

  // ---- recent records: kept in this browser, per user, cleared on sign-out --------------
  function recentKey() {
    var user = document.body.getAttribute("data-user");
    return user ? "nexa.recent." + user : null;
  }
  function rememberAndShowRecent() {
    var key = recentKey();
    if (!key) return;
    var items = read(key, []);
    var here = document.querySelector("[data-recent-url]");
    if (here) {
      var url = here.getAttribute("data-recent-url");
      items = items.filter(function (r) { return r.url !== url; });
      items.unshift({
        url: url,
        title: (here.getAttribute("data-recent-title") || "").slice(0, 200),
        kind: (here.getAttribute("data-recent-kind") || "").slice(0, 40),
      });
      items = items.slice(0, RECENT_MAX);
      write(key, items);
    }
    var list = document.getElementById("nav-recent");
    if (!list || !items.length) return;
    list.textContent = "";
    items.forEach(function (r) {
      if (typeof r.url !== "string" || r.url.charAt(0) !== "/" || r.url.charAt(1) === "/") return;
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.title = r.kind + ": " + r.title;
      if (r.url === window.location.pathname) a.setAttribute("aria-current", "page");
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = r.kind;
      a.appendChild(kind);
      a.appendChild(document.createTextNode(r.title));
      li.appendChild(a);
      list.appendChild(li);
    });
    list.parentNode.hidden = false;
  }
  document.addEventListener("submit", function (ev) {
    if (ev.target.hasAttribute && ev.target.hasAttribute("data-sign-out")) {
      var key = recentKey();
      try { if (key) window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    }
  });

  // ---- a listbox driven from its text box (aria-activedescendant) ------------------------
  function options(listbox) {
    return Array.prototype.slice.call(listbox.querySelectorAll("[role=option]"));
  }
  function activate(input, listbox, index) {
    var opts = options(listbox);
    opts.forEach(function (o, i) {
      if (!o.id) o.id = listbox.id + "-opt-" + i;
      o.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0 && opts[index]) {
      input.setAttribute("aria-activedescendant", opts[index].id);
      opts[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function activeIndex(listbox) {
    return options(listbox).findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }
  function hrefOf(option) {
    if (!option) return null;
    var link = option.matches("a") ? option : option.querySelector("a");
    return option.getAttribute("data-href") || (link && link.getAttribute("href"));
  }
  // Arrow keys move, Enter opens the active option (true when the key was used).
  function listboxKeys(ev, input, listbox) {
    var opts = options(listbox);
    if (!opts.length) return false;
    var index = activeIndex(listbox);
    if (ev.key === "ArrowDown") {
      activate(input, listbox, (index + 1) % opts.length);
    } else if (ev.key === "ArrowUp") {
      activate(input, listbox, index <= 0 ? opts.length - 1 : index - 1);
    } else if (ev.key === "Enter" && index >= 0) {
      var href = hrefOf(opts[index]);
      if (!href) return false;
      window.location.assign(href);
    } else {
      return false;
    }
    ev.preventDefault();
    return true;
  }

  // ---- the global search's suggestions -----------------------------------------------------
  function searchParts() {
    return [document.getElementById("global-search"), document.getElementById("search-results")];
  }
  document.addEventListener("htmx:afterSwap", function (ev) {
    var parts = searchParts();
    if (ev.target !== parts[1]) return;
    activate(parts[0], parts[1], -1);
    parts[0].setAttribute("aria-expanded", options(parts[1]).length ? "true" : "false");
  });
  function closeSuggestions() {
    var parts = searchParts();
    if (!parts[1]) return;
    parts[1].innerHTML = "";
    parts[0].setAttribute("aria-expanded", "false");
    parts[0].removeAttribute("aria-activedescendant");
  }

  // ---- the command palette -----------------------------------------------------------------
  var paletteTimer = null;
  var paletteSeq = 0;
  function paletteOption(label, kind, href) {
    var li = document.createElement("li");
    li.setAttribute("role", "option");
    li.setAttribute("data-href", href);
    li.title = label;
    if (kind) {
      var k = document.createElement("span");
      k.className = "kind";
      k.textContent = kind;
      li.appendChild(k);
    }
    li.appendChild(document.createTextNode(label));
    return li;
  }
  function paletteActions(q) {
    var wanted = q.trim().toLowerCase();
    var found = [];
    document.querySelectorAll("#palette-actions a").forEach(function (a) {
      var label = a.textContent;
      if (!wanted || label.toLowerCase().indexOf(wanted) >= 0) found.push([label, a.getAttribute("href")]);
    });
    return found;
  }
  function renderPalette(q, records) {
    var list = document.getElementById("palette-list");
    var input = document.getElementById("palette-input");
    list.textContent = "";
    (records || []).forEach(function (r) { list.appendChild(paletteOption(r[0], r[1], r[2])); });
    paletteActions(q).slice(0, 12).forEach(function (a) { list.appendChild(paletteOption(a[0], "Action", a[1])); });
    if (!list.children.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = "No match";
      list.appendChild(none);
    }
    activate(input, list, options(list).length ? 0 : -1);
  }
  function searchRecords(q) {
    var seq = ++paletteSeq;
    var url = "/search/suggest?q=" + encodeURIComponent(q);
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (seq !== paletteSeq) return; // a later query answered first
        var doc = new DOMParser().parseFromString(html, "text/html");
        var records = [];
        doc.querySelectorAll("a[role=option][data-kind]").forEach(function (a) {
          records.push([a.getAttribute("data-title") || a.textContent.trim(), a.getAttribute("data-kind"), a.getAttribute("href")]);
        });
        renderPalette(q, records);
      });
  }
  function openPalette() {
    var dialog = document.getElementById("palette");
    if (!dialog || dialog.open) return;
    var input = document.getElementById("palette-input");
    input.value = "";
    renderPalette("", []);
    dialog.showModal();
    input.focus();
  }
  document.addEventListener("input", function (ev) {
    if (ev.target.id !== "palette-input") return;
    var q = ev.target.value;
    paletteSeq++;
    renderPalette(q, []);
    clearTimeout(paletteTimer);
    if (q.trim().length >= 2) paletteTimer = setTimeout(function () { searchRecords(q); }, 150);
  });
  document.addEventListener("click", function (ev) {
    var option = ev.target.closest ? ev.target.closest("#palette-list [role=option]") : null;
    if (option) window.location.assign(option.getAttribute("data-href"));
    var opener = ev.target.closest ? ev.target.closest("[data-open-dialog]") : null;
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && !dialog.open) dialog.showModal();
    }
  });

  // ---- keys ----------------------------------------------------------------------------------
  function typing(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }
  document.addEventListener("keydown", function (ev) {
    var el = ev.target;
    if (el && el.id === "global-search") {
      var parts = searchParts();
      if (listboxKeys(ev, parts[0], parts[1])) return;
    }
    if (el && el.id === "palette-input") {
      listboxKeys(ev, el, document.getElementById("palette-list"));
      return;
    }
    if (ev.key === "Escape") {
      closeSuggestions();
      var sidebar = document.getElementById("sidebar");
      var toggle = document.querySelector(".menu-toggle");
      if (sidebar && sidebar.classList.contains("open") && toggle) {
        sidebar.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
      return;
    }
    if (typing(el) || ev.defaultPrevented || document.querySelector("dialog[open]")) return;
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && (ev.key === "k" || ev.key === "K")) {
      ev.preventDefault();
      openPalette();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "/") {
      var search = document.getElementById("global-search");
      if (search) {
        ev.preventDefault();
        search.focus();
      }
    } else if (ev.key === "?") {
      var help = document.getElementById("shortcuts");
      if (help) {
        ev.preventDefault();
        help.showModal();
      }
    }
  });

  function start() {
    measureTop();
    restoreGroups();
    rememberAndShowRecent();
  }
  window.addEventListener("resize", measureTop);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
