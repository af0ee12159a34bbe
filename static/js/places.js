// Province → commune selects, in every form that has them (address, checkout, cooperative,
// listing). A box marked data-places with data-communes-url (the one /communes endpoint):
//  - choosing a province refills the commune list; without this file the "Show communes"
//    button ([data-no-js]) posts the form back to do the same
//  - a commune select with data-filter-placeholder gets a box to filter communes by name
//  - with data-former-url and a legacy_commune select, the commune's pre-2025 communes follow it
// The commune select fires "change" once refilled, so a page can react (the checkout's quote).
(function () {
  "use strict";

  function fold(text) {
    // "Lục Ngạn" and "luc ngan" match: lower case, no diacritics, đ → d.
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  }

  function fillSelect(select, items, placeholder) {
    var keep = select.value;
    select.replaceChildren(placeholder.cloneNode(true));
    items.forEach(function (item) {
      select.add(new Option(item.name, String(item.code), false, String(item.code) === keep));
    });
    select.disabled = false;
  }

  function getJSON(url, signal) {
    return fetch(url, { headers: { "Accept": "application/json" }, signal: signal })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  function firstOption(select) {
    return select && select.options.length ? select.options[0].cloneNode(true) : new Option("—", "");
  }

  function addFilter(select) {
    // A text box above a long select that hides the options not matching what is typed.
    var box = document.createElement("input");
    box.type = "search";
    box.className = "input places__filter";
    box.placeholder = select.getAttribute("data-filter-placeholder") || "…";
    box.setAttribute("aria-label", box.placeholder);
    box.autocomplete = "off";
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var wanted = fold(box.value.trim());
      var first = null;
      Array.prototype.forEach.call(select.options, function (option, index) {
        var show = index === 0 || !wanted || fold(option.text).indexOf(wanted) !== -1;
        option.hidden = !show;
        if (show && index > 0 && !first) first = option;
      });
      if (wanted && first && select.selectedOptions[0] && select.selectedOptions[0].hidden) {
        first.selected = true;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    return box;
  }

  function setUpPlaces(box) {
    var province = box.querySelector("select[name=province]");
    var commune = box.querySelector("select[name=commune]");
    var former = box.querySelector("select[name=legacy_commune]");
    var communesUrl = box.getAttribute("data-communes-url");
    var formerUrl = box.getAttribute("data-former-url");
    if (!province || !commune || !communesUrl) return;

    var noJs = box.querySelectorAll("[data-no-js]");
    noJs.forEach(function (el) { el.hidden = true; });
    var showAgain = function () {
      noJs.forEach(function (el) { el.hidden = false; });
    };
    var communePlaceholder = firstOption(commune);
    var formerPlaceholder = firstOption(former);
    var filter = commune.hasAttribute("data-filter-placeholder") ? addFilter(commune) : null;
    var pending = null;
    var pendingFormer = null;

    function communesChanged() {
      commune.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function refreshFormer() {
      if (!former || !formerUrl) return;
      if (pendingFormer) pendingFormer.abort();
      if (!commune.value || commune.value === "0") { fillSelect(former, [], formerPlaceholder); return; }
      pendingFormer = new AbortController();
      getJSON(formerUrl + "?commune=" + encodeURIComponent(commune.value), pendingFormer.signal)
        .then(function (data) { fillSelect(former, data.communes || [], formerPlaceholder); })
        .catch(function (error) { if (error.name !== "AbortError") showAgain(); });
    }

    province.addEventListener("change", function () {
      if (pending) pending.abort();
      if (filter) filter.value = "";
      if (!province.value || province.value === "0") {
        fillSelect(commune, [], communePlaceholder);
        communesChanged();
        return;
      }
      pending = new AbortController();
      commune.disabled = true;
      getJSON(communesUrl + "?province=" + encodeURIComponent(province.value), pending.signal)
        .then(function (data) {
          fillSelect(commune, data.communes || [], communePlaceholder);
          communesChanged();
          (filter || commune).focus();
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          commune.disabled = false;
          showAgain();  // fall back to the no-JavaScript way
        });
    });
    commune.addEventListener("change", refreshFormer);
  }

  function start() {
    if (!window.fetch) return;
    document.querySelectorAll("[data-places]").forEach(setUpPlaces);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
