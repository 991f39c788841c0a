// The deal's line editor: choosing a product shows its price-book price and name as the
// placeholders of the unit price and name inputs (left empty, the service uses them).
// Loaded with `defer`; no inline script anywhere (CSP script-src 'self').
(function () {
  "use strict";

  function sync(select) {
    var option = select.options[select.selectedIndex];
    var price = document.getElementById(select.getAttribute("data-price-target") || "");
    var name = document.getElementById(select.getAttribute("data-name-target") || "");
    var chosen = option && option.value;
    if (price) {
      var value = chosen ? option.getAttribute("data-price") : "";
      price.placeholder = chosen ? (value || "no price: type one") : "";
      price.required = !chosen || !value;
    }
    if (name) {
      name.placeholder = chosen ? option.getAttribute("data-name") || "" : "";
      name.required = !chosen;
    }
  }

  function init() {
    var selects = document.querySelectorAll("select[data-price-target]");
    for (var i = 0; i < selects.length; i++) {
      sync(selects[i]);
      selects[i].addEventListener("change", function (ev) { sync(ev.target); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
