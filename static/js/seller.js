// Seller workspace enhancements; every page works without this file.
//  - forms with data-confirm ask before they send (deleting a photo, a draft, a member)
//  (the province → commune selects are places.js)
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
