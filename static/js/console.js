// The PFA console. On a phone its section menu and status tabs are strips that scroll sideways:
// bring the current one into view (without JavaScript the strip starts at its first item).
(function () {
  "use strict";
  document.querySelectorAll(".console-nav__links, .tabs").forEach(function (strip) {
    var current = strip.querySelector('[aria-current="page"]');
    if (!current || strip.scrollWidth <= strip.clientWidth) return;
    var item = current.closest("li") || current;
    strip.scrollLeft = item.offsetLeft - (strip.clientWidth - item.offsetWidth) / 2;
  });
})();
