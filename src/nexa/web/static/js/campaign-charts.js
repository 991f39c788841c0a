// The campaign analytics charts, drawn as SVG from the page's JSON data block (read with
// JSON.parse, never executed: the Content-Security-Policy allows it). No library.
//   <div data-campaign-chart="daily|steps" data-source="ca-chart-data" role="img"></div>
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

  function frame(container, height) {
    var width = Math.max(240, Math.floor(container.clientWidth || 480));
    var svg = svgEl("svg", {
      viewBox: "0 0 " + width + " " + height, width: width, height: height,
      "aria-hidden": "true", focusable: "false",
    });
    container.textContent = "";
    container.appendChild(svg);
    return { svg: svg, width: width };
  }

  // One line per metric over the days; the legend above.
  function drawDaily(container, data) {
    var days = Array.isArray(data.days) ? data.days : [];
    var series = Array.isArray(data.series) ? data.series : [];
    if (!days.length || !series.length) return;
    var height = 220, top = 28, bottom = 24, left = 36;
    var f = frame(container, height);
    var plotW = f.width - left - 8, plotH = height - top - bottom;
    var max = 1;
    days.forEach(function (d) {
      series.forEach(function (s) { max = Math.max(max, Number(d[s.key]) || 0); });
    });
    var x = function (i) { return left + (days.length === 1 ? plotW / 2 : (i * plotW) / (days.length - 1)); };
    var y = function (v) { return top + plotH - (v / max) * plotH; };
    f.svg.appendChild(svgEl("line", { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, "class": "axis" }));
    f.svg.appendChild(svgEl("text", { x: left - 4, y: top + 4, "text-anchor": "end", "class": "value" }, String(max)));
    f.svg.appendChild(svgEl("text", { x: left - 4, y: top + plotH, "text-anchor": "end", "class": "value" }, "0"));
    f.svg.appendChild(svgEl("text", { x: left, y: height - 6, "class": "value" }, String(days[0].day)));
    f.svg.appendChild(svgEl("text", { x: left + plotW, y: height - 6, "text-anchor": "end", "class": "value" }, String(days[days.length - 1].day)));
    var legendX = left;
    series.forEach(function (s, k) {
      var cls = "series-" + (k % 6);
      var points = days.map(function (d, i) { return x(i) + "," + y(Number(d[s.key]) || 0); }).join(" ");
      var line = svgEl("polyline", { points: points, "class": cls });
      line.appendChild(svgEl("title", {}, String(s.label)));
      f.svg.appendChild(line);
      f.svg.appendChild(svgEl("rect", { x: legendX, y: 6, width: 10, height: 10, "class": cls }));
      f.svg.appendChild(svgEl("text", { x: legendX + 14, y: 15 }, String(s.label)));
      legendX += 24 + String(s.label).length * 7;
    });
  }

  // Per step: sent (or tasks), opened and clicked as grouped horizontal bars.
  function drawSteps(container, data) {
    var steps = Array.isArray(data.steps) ? data.steps : [];
    if (!steps.length) return;
    var keys = [["sent", "Sent"], ["opened", "Opened"], ["clicked", "Clicked"]];
    var rowH = 48, barH = 9;
    var f = frame(container, steps.length * rowH + 4);
    var max = 1;
    steps.forEach(function (s) { keys.forEach(function (k) { max = Math.max(max, Number(s[k[0]]) || 0); }); });
    steps.forEach(function (s, i) {
      var yy = i * rowH + 2;
      var g = svgEl("g", {});
      g.appendChild(svgEl("text", { x: 0, y: yy + 12 }, String(s.label)));
      g.appendChild(svgEl("text", { x: f.width, y: yy + 12, "text-anchor": "end", "class": "value" },
        keys.map(function (k) { return k[1] + " " + (Number(s[k[0]]) || 0); }).join(" · ")));
      keys.forEach(function (k, j) {
        var v = Number(s[k[0]]) || 0;
        g.appendChild(svgEl("rect", {
          x: 0, y: yy + 17 + j * (barH + 1), height: barH, rx: 2,
          width: v > 0 ? Math.max(2, (v / max) * f.width) : 0, "class": "series-" + j,
        }));
      });
      f.svg.appendChild(g);
    });
  }

  var CHARTS = { daily: drawDaily, steps: drawSteps };

  function drawAll() {
    document.querySelectorAll("[data-campaign-chart]").forEach(function (container) {
      var draw = CHARTS[container.getAttribute("data-campaign-chart")];
      var source = document.getElementById(container.getAttribute("data-source") || "");
      if (!draw || !source) return;
      var data;
      try { data = JSON.parse(source.textContent || "{}"); } catch (e) { return; }
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
