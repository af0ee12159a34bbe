// Checkout:
//  - after a refused order, focus moves to the error summary; its links focus their field
//    (the commune's combobox rather than the hidden select behind it)
//  - the exact shipping and total for the chosen commune or saved address (places.js fills the
//    commune list when a province is chosen; combobox.js makes both filterable)
//  - the saved address card follows the address chosen under "Đổi"
//  - "Đặt hàng" sends the form once; Enter in a field means "Đặt hàng"
// Without this file: the error summary's links still jump to the fields, "Xem xã, phường"
// reloads the page with the list, and placing the order works out the exact shipping.
(function () {
  "use strict";

  function fieldFor(target) {
    // A select enhanced by combobox.js is hidden: its text box stands for it.
    if (target && target.tagName === "SELECT" && target.getAttribute("aria-hidden") === "true") {
      var box = document.getElementById(target.id + "-combobox");
      if (box) return box;
    }
    return target;
  }

  function setUpErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = fieldFor(document.getElementById(decodeURIComponent(link.hash.slice(1))));
      if (!field) return;
      event.preventDefault();
      // A field inside the closed "Đổi" list (a saved address refused) needs the list open.
      var picker = field.closest("details");
      if (picker) picker.open = true;
      var label = field.id ? document.querySelector("label[for='" + field.id + "']") : null;
      field.focus({ preventScroll: true });
      (label || field).scrollIntoView({ block: "start" });
    });
  }

  function setUpQuote(form) {
    if (!window.fetch) return;
    var commune = form.querySelector("#commune");
    var pending = null;

    function showQuote(code) {
      if (pending) pending.abort();
      pending = new AbortController();
      var url = form.dataset.quoteUrl + "?commune=" + encodeURIComponent(code || "");
      fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (quote) {
          Object.keys(quote.shipping).forEach(function (coop) {
            var cell = form.querySelector("[data-shipping-for='" + coop + "']");
            if (cell) cell.textContent = quote.shipping[coop];
          });
          form.querySelector("[data-shipping-total]").textContent = quote.shipping_total;
          form.querySelectorAll("[data-total], [data-bar-total]").forEach(function (cell) {
            cell.textContent = quote.total;
          });
          var note = form.querySelector("[data-estimate-note]");
          if (note) note.hidden = quote.destination_known;
        })
        .catch(function () { /* the page keeps the estimate; placing the order is exact */ });
    }

    function chosenAddress() {
      return form.querySelector("input[name='address_id']:checked");
    }

    function destination() {
      var saved = chosenAddress();
      if (saved && saved.value !== "new") return saved.dataset.commune || "";
      return commune ? commune.value : "";
    }

    // Also fired by places.js once a province's communes are in the list.
    if (commune) {
      commune.addEventListener("change", function () {
        var saved = chosenAddress();
        if (!saved || saved.value === "new") showQuote(commune.value);
      });
    }

    var current = form.querySelector("[data-address-current]");
    form.querySelectorAll("input[name='address_id']").forEach(function (radio) {
      radio.addEventListener("change", function () {
        var text = radio.closest("label").querySelector("[data-address-text]");
        if (current && text) {
          current.replaceChildren();
          text.querySelectorAll(":scope > *").forEach(function (part) {
            if (radio.value !== "new" || !part.classList.contains("checkout-address__where")) {
              current.appendChild(part.cloneNode(true));
            }
          });
        }
        showQuote(destination());
        toggleNewAddress();
      });
    });

    // Where the browser has no :has(), the new address's fields follow the choice here.
    var newAddress = form.querySelector(".checkout-new-address--optional");
    var hasSupport = window.CSS && CSS.supports && CSS.supports("selector(:has(a))");
    function toggleNewAddress() {
      var saved = chosenAddress();
      if (newAddress && !hasSupport && saved) newAddress.hidden = saved.value !== "new";
    }
    toggleNewAddress();
  }

  // One order per press: a second tap while the first is on its way (slow 3G) would land the
  // buyer on an empty cart instead of their order's page.
  function setUpSubmitOnce(form) {
    var sending = false;
    var button = form.querySelector("#submit");
    form.addEventListener("submit", function (event) {
      // Enter in a field submits with the form's first button, "Xem xã, phường", which only
      // the page without JavaScript shows: here Enter means "Đặt hàng".
      var by = event.submitter;
      if (by && by.name === "refresh" && by.closest("[hidden]") && button && form.requestSubmit) {
        event.preventDefault();
        // Not from inside this submit event: the browser ignores a submission started there.
        setTimeout(function () { form.requestSubmit(button); }, 0);
        return;
      }
      if (sending) { event.preventDefault(); return; }
      sending = true;
      if (button) button.setAttribute("aria-disabled", "true");
    });
    window.addEventListener("pageshow", function () {  // back to this page from the next one
      sending = false;
      if (button) button.removeAttribute("aria-disabled");
    });
  }

  function start() {
    setUpErrorSummary();
    var form = document.querySelector("form.checkout-form");
    if (!form) return;
    setUpQuote(form);
    setUpSubmitOnce(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
