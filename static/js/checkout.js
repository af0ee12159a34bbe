// Checkout: load a province's communes when it is chosen, and show the exact shipping for
// the chosen commune. Without this file the "Show the communes" button does both with a
// page reload.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.checkout-form");
    if (!form || !window.fetch) return;
    var province = form.querySelector("#province");
    var commune = form.querySelector("#commune");
    if (!province || !commune) return;
    var placeholder = commune.options.length ? commune.options[0].text : "";
    var noJs = form.querySelectorAll("[data-no-js]");
    noJs.forEach(function (el) { el.hidden = true; });

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

    province.addEventListener("change", function () {
      commune.disabled = true;
      commune.length = 0;
      commune.add(new Option(placeholder, ""));
      var code = province.value;
      if (!code) { commune.disabled = false; showQuote(); return; }
      getJSON(form.dataset.communesUrl + "?province=" + encodeURIComponent(code))
        .then(function (units) {
          units.forEach(function (unit) { commune.add(new Option(unit.name, unit.code)); });
        })
        .catch(function () {
          // Fall back to the way without JavaScript: the button that reloads the list.
          noJs.forEach(function (el) { el.hidden = false; });
        })
        .finally(function () { commune.disabled = false; showQuote(); });
    });
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
