// Small SVG charts drawn from JSON data blocks (<script type="application/json">, read with
// JSON.parse: never executed, so the Content-Security-Policy allows them). No library.
//   <script type="application/json" id="x">{"currency": "USD", "stages": [...]}</script>
//   <div data-chart="stages" data-source="x" role="img" aria-label="…"></div>
(function () {
  "use strict";

  var NS = "http://www.w3.org/2000/svg";

  function svgEl(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, String(attrs[key]));
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function formatter(compact) {
    try {
      return new Intl.NumberFormat(undefined, compact
        ? { notation: "compact", maximumFractionDigits: 1 }
        : { maximumFractionDigits: 0 });
    } catch (e) {
      return { format: function (n) { return String(Math.round(n)); } };
    }
  }

  // Horizontal bars, one row per stage: the name and figures above, the amount bar and
  // (thinner) the weighted bar below. Drawn at the container's pixel width.
  function drawStages(container, data) {
    var stages = Array.isArray(data.stages) ? data.stages : [];
    container.textContent = "";
    if (!stages.length) {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = "No stages to show.";
      container.appendChild(none);
      return;
    }
    var width = Math.max(240, Math.floor(container.clientWidth || 480));
    var compact = width < 420;
    var fmt = formatter(compact);
    var currency = String(data.currency || "");
    var rowH = 44;
    var barH = 11;
    var height = stages.length * rowH + 4;
    var max = 0;
    stages.forEach(function (s) {
      max = Math.max(max, Number(s.amount) || 0, Number(s.weighted) || 0);
    });
    max = max || 1;
    var svg = svgEl("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: width,
      height: height,
      "aria-hidden": "true",
      focusable: "false",
    });
    stages.forEach(function (s, i) {
      var y = i * rowH + 2;
      var amount = Number(s.amount) || 0;
      var weighted = Number(s.weighted) || 0;
      var count = Number(s.count) || 0;
      var kind = /^(open|won|lost)$/.test(s.kind) ? s.kind : "open";
      var group = svgEl("g", { "class": "stage-row" });
      group.appendChild(svgEl("title", {},
        s.name + ": " + count + " deal" + (count === 1 ? "" : "s") + ", " +
        formatter(false).format(amount) + " " + currency + " (weighted " +
        formatter(false).format(weighted) + ")"));
      group.appendChild(svgEl("text", { x: 0, y: y + 13 }, String(s.name)));
      group.appendChild(svgEl("text", { x: width, y: y + 13, "text-anchor": "end", "class": "value" },
        fmt.format(amount) + " " + currency + " · " + count));
      group.appendChild(svgEl("rect", {
        x: 0, y: y + 19, height: barH, rx: 2,
        width: amount > 0 ? Math.max(2, (amount / max) * width) : 0,
        "class": "bar kind-" + kind,
      }));
      if (kind === "open") {
        group.appendChild(svgEl("rect", {
          x: 0, y: y + 19 + barH + 2, height: 6, rx: 2,
          width: weighted > 0 ? Math.max(2, (weighted / max) * width) : 0,
          "class": "bar weighted",
        }));
      }
      svg.appendChild(group);
    });
    container.appendChild(svg);
    container.setAttribute("data-drawn", "");
  }

  var CHARTS = { stages: drawStages };

  function drawAll() {
    document.querySelectorAll("[data-chart]").forEach(function (container) {
      var draw = CHARTS[container.getAttribute("data-chart")];
      var source = document.getElementById(container.getAttribute("data-source") || "");
      if (!draw || !source) return;
      var data;
      try {
        data = JSON.parse(source.textContent || "{}");
      } catch (e) {
        return;
      }
      draw(container, data || {});
    });
  }

  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(drawAll, 150);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
