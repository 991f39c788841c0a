// The public booking page (/book/{slug}): without a zone chosen in the address, show the
// times in the browser's own zone (the page falls back to UTC without script).
(function () {
  "use strict";
  var select = document.querySelector("[data-booking-zone]");
  if (!select || select.getAttribute("data-zone-given") === "yes") return;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || zone === select.value) return;
  var known = Array.prototype.some.call(select.options, function (o) {
    return o.value === zone;
  });
  if (!known) return;
  select.value = zone;
  select.form.submit();
})();
