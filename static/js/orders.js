// The order page: a "Copy" button for the guest's order link. Without JavaScript the link
// stays in a read-only field to select and copy by hand.
(function () {
  "use strict";

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var box = button.closest(".order-link");
    var status = box && box.querySelector("[data-copy-status]");
    if (!field) return;
    button.hidden = false;

    function done() {
      if (status) status.textContent = button.dataset.copied || "";
    }
    function byHand() {
      field.focus();
      field.select();
      try {
        if (document.execCommand("copy")) done();
      } catch (error) {
        // Selected: the reader copies it with the usual keys.
      }
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, byHand);
      } else {
        byHand();
      }
    });
    field.addEventListener("focus", function () { field.select(); });
  });
})();
