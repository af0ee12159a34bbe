// The report form under each review (templates/reviews/_report_form.html) on a page a CDN may
// cache: the page carries no CSRF token, so the first time a form is used this fetches one
// for this visitor (GET data-token-url, which starts their session) and puts it in every
// report form before one is sent, as buy.js does for add-to-cart. If the fetch fails the
// form is sent as it is, and the shop answers with a page asking to confirm the report.
(function () {
  "use strict";
  var forms = Array.prototype.slice.call(document.querySelectorAll("[data-review-report]"));
  if (!forms.length || !window.fetch) return;
  var pending = null;
  var token = "";

  function fields() {
    return forms.map(function (form) { return form.querySelector('input[name="csrf_token"]'); })
      .filter(function (field) { return field; });
  }

  function fetchToken(form) {
    var own = form.querySelector('input[name="csrf_token"]');
    if (!own || own.value || !form.dataset.tokenUrl) return Promise.resolve();
    if (token) {
      own.value = token;
      return Promise.resolve();
    }
    if (!pending) {
      pending = fetch(form.dataset.tokenUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error("token " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (data && typeof data.token === "string") {
            token = data.token;
            fields().forEach(function (field) { if (!field.value) field.value = token; });
          }
        })
        .catch(function () {
          pending = null; // tried again on the next interaction
        });
    }
    return pending;
  }

  forms.forEach(function (form) {
    var sending = false;
    ["pointerdown", "focusin", "touchstart"].forEach(function (name) {
      form.addEventListener(name, function () { fetchToken(form); }, { passive: true });
    });
    form.addEventListener("submit", function (event) {
      var field = form.querySelector('input[name="csrf_token"]');
      if (!field || field.value || sending) return;
      event.preventDefault();
      fetchToken(form).then(function () {
        sending = true;
        form.submit();
      });
    });
  });
})();
