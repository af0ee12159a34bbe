// Address form: refill the commune list as soon as a province is chosen.
// Without this file the "Show communes" button posts the form back to do the same.
(function () {
  "use strict";

  var form = document.querySelector("form[data-address-form]");
  if (!form || !window.fetch) return;
  var province = form.querySelector("select[name=province]");
  var commune = form.querySelector("select[name=commune]");
  var url = form.getAttribute("data-communes-url");
  if (!province || !commune || !url) return;

  form.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = true; });

  var placeholder = commune.options.length ? commune.options[0].cloneNode(true) : new Option("—", "0");
  var pending = null;

  function fill(communes) {
    var keep = commune.value;
    commune.replaceChildren(placeholder.cloneNode(true));
    communes.forEach(function (c) {
      commune.add(new Option(c.name, String(c.code), false, String(c.code) === keep));
    });
    commune.disabled = false;
  }

  province.addEventListener("change", function () {
    var code = province.value;
    if (pending) pending.abort();
    if (!code || code === "0") { fill([]); return; }
    pending = new AbortController();
    commune.disabled = true;
    fetch(url + "?province=" + encodeURIComponent(code), {
      headers: { "Accept": "application/json" },
      signal: pending.signal
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { fill(data.communes || []); commune.focus(); })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        // Fall back to the no-JavaScript way: show the button that reloads the list.
        commune.disabled = false;
        form.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = false; });
      });
  });
})();
