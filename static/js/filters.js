// Catalog filters (/products, /search): choices apply at once, and on a phone the filters
// open as a bottom sheet whose button shows how many products the choices give. Without this
// file the filters are a plain form with its submit button (filters.css folds it on phones).
(function () {
  "use strict";

  var form = document.getElementById("catalog-filters");
  if (!form) return;
  var panel = document.getElementById("filters");
  var opener = document.querySelector(".catalog-bar__filters");
  var sort = document.getElementById("catalog-sort");
  var apply = form.querySelector(".facets__apply");
  var status = form.querySelector(".facets__status");
  var closer = form.querySelector(".facets__close");
  var phone = window.matchMedia("(max-width: 720px)");
  var applyLabel = apply.textContent;
  var sheet = null;
  var timer = 0;
  var pending = null;

  function inSheet() {
    return sheet !== null && sheet.open;
  }

  function submit() {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  // Empty fields (an unset price bound) stay out of the URL.
  form.addEventListener("formdata", function (event) {
    var empty = [];
    event.formData.forEach(function (value, name) {
      if (value === "") empty.push(name);
    });
    empty.forEach(function (name) {
      event.formData.delete(name);
    });
  });

  // Beside the results, a ticked box reloads them at once (a price waits for Enter or the
  // button); in the sheet, each choice only updates the count on the sheet's button.
  form.addEventListener("change", function (event) {
    if (inSheet()) scheduleCount();
    else if (event.target.type === "checkbox" || event.target.type === "radio") submit();
  });
  form.addEventListener("input", function (event) {
    if (inSheet() && event.target.type === "number") scheduleCount();
  });
  if (sort) {
    sort.addEventListener("change", function () {
      if (!inSheet()) submit();
    });
  }

  function scheduleCount() {
    window.clearTimeout(timer);
    timer = window.setTimeout(updateCount, 150);
  }

  function updateCount() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== "sort") params.append(name, value);
    });
    if (pending) pending.abort();
    pending = new AbortController();
    apply.setAttribute("aria-busy", "true");
    fetch(form.dataset.countUrl + "?" + params.toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: pending.signal,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("count: HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        apply.textContent = body.label;
        apply.dataset.total = String(body.total);
        status.textContent = body.label;
        apply.removeAttribute("aria-busy");
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        apply.textContent = applyLabel; // the button still applies; only the count is missing
        apply.removeAttribute("aria-busy");
      });
  }

  function openSheet(event) {
    if (!phone.matches || typeof HTMLDialogElement !== "function") return; // follow #filters
    event.preventDefault();
    if (!sheet) {
      sheet = document.createElement("dialog");
      sheet.className = "filter-sheet";
      sheet.setAttribute("aria-labelledby", "filters-title");
      document.body.appendChild(sheet);
      sheet.addEventListener("close", closed);
      // A tap on the backdrop (outside the form) closes the sheet.
      sheet.addEventListener("click", function (click) {
        if (click.target === sheet) sheet.close();
      });
    }
    sheet.appendChild(form);
    apply.textContent = apply.dataset.showLabel;
    sheet.showModal();
    closer.focus(); // not the scrolling form, which Chromium would focus first
  }

  // Closed without applying: the choices go back to what the page shows.
  function closed() {
    window.clearTimeout(timer);
    if (pending) pending.abort();
    form.reset();
    panel.appendChild(form);
    apply.textContent = applyLabel;
    apply.removeAttribute("aria-busy");
    status.textContent = "";
  }

  if (opener) {
    opener.setAttribute("role", "button");
    opener.setAttribute("aria-haspopup", "dialog");
    opener.addEventListener("click", openSheet);
    opener.addEventListener("keydown", function (event) {
      if (event.key === " ") openSheet(event);
    });
  }
  closer.addEventListener("click", function (event) {
    if (!inSheet()) return;
    event.preventDefault();
    sheet.close();
  });
  // Turned to a wide screen, or back from the next page (bfcache): no sheet left open.
  var closeSheet = function () {
    if (inSheet()) sheet.close();
  };
  if (phone.addEventListener) phone.addEventListener("change", closeSheet);
  window.addEventListener("pageshow", closeSheet);
})();
