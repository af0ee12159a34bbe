// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // The phone's menu row scrolls sideways: bring the current page's item into view.
  var current = document.querySelector(".site-nav__links [aria-current=page]");
  if (current) {
    var row = current.closest(".site-nav__links");
    if (current.offsetLeft + current.offsetWidth > row.clientWidth) {
      row.scrollLeft = current.offsetLeft - 16;
    }
  }

  // The account menu is a <details>: close it on Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
