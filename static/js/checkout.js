// Checkout: show the exact shipping for the chosen commune (places.js fills the commune list
// when a province is chosen), and hide the new-address fields while a saved address is
// chosen. Without this file the "Show the communes" button reloads the page with both.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.checkout-form");
    if (!form || !window.fetch) return;
    var commune = form.querySelector("#commune");
    if (!commune) return;

    function getJSON(url) {
      return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
    }

    function showQuote() {
      var url = form.dataset.quoteUrl + "?commune=" + encodeURIComponent(commune.value || "");
      getJSON(url).then(function (quote) {
        Object.keys(quote.shipping).forEach(function (coop) {
          var cell = form.querySelector("[data-shipping-for='" + coop + "']");
          if (cell) cell.textContent = quote.shipping[coop];
        });
        form.querySelector("[data-shipping-total]").textContent = quote.shipping_total;
        form.querySelector("[data-total]").textContent = quote.total;
        var note = form.querySelector("[data-estimate-note]");
        if (note) note.hidden = quote.destination_known;
      }).catch(function () { /* the page keeps the estimate; placing the order is exact */ });
    }

    // Also fired by places.js once a province's communes are in the list.
    commune.addEventListener("change", showQuote);

    // A saved address needs none of the new-address fields.
    var newAddress = form.querySelector("[data-new-address]");
    function toggleNewAddress() {
      var chosen = form.querySelector("input[name='address_id']:checked");
      if (newAddress && chosen) newAddress.hidden = chosen.value !== "new";
    }
    form.querySelectorAll("input[name='address_id']").forEach(function (input) {
      input.addEventListener("change", toggleNewAddress);
    });
    toggleNewAddress();
  });
})();
