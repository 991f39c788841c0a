// Admin area: copy a token or an embed snippet to the clipboard (buttons with data-copy).
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var button = ev.target && ev.target.closest ? ev.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent || "").then(function () {
      button.classList.add("copied");
      button.setAttribute("aria-label", "Copied");
    });
  });
})();
