// The product page's purchase form on a page a CDN may cache: the page carries no CSRF token
// (it is the same for every visitor and starts no session), so the first time the form is
// used this fetches one for this visitor (GET data-token-url, which starts their session) and
// puts it in the form before it is sent. If the fetch fails the form is sent as it is, and
// the shop answers with a page asking to confirm the add (the no-JavaScript path).
(function () {
  "use strict";
  var form = document.querySelector("[data-buy-form]");
  if (!form || !window.fetch || !form.dataset.tokenUrl) return;
  var field = form.querySelector('input[name="csrf_token"]');
  if (!field) return;
  var pending = null;
  var sending = false;

  function fetchToken() {
    if (field.value) return Promise.resolve();
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
          if (data && typeof data.token === "string") field.value = data.token;
        })
        .catch(function () {
          pending = null; // tried again on the next interaction
        });
    }
    return pending;
  }

  // Ask early, as soon as the visitor reaches for the form: the token is usually there by the
  // time they press the button.
  ["pointerdown", "focusin", "touchstart"].forEach(function (name) {
    form.addEventListener(name, function () { fetchToken(); }, { passive: true });
  });

  form.addEventListener("submit", function (event) {
    if (field.value || sending) return;
    event.preventDefault();
    var submitter = event.submitter || null;
    fetchToken().then(function () {
      sending = true;
      if (form.requestSubmit) {
        form.requestSubmit(submitter);
      } else {
        if (submitter && submitter.name) {
          var extra = document.createElement("input");
          extra.type = "hidden";
          extra.name = submitter.name;
          extra.value = submitter.value;
          form.appendChild(extra);
        }
        form.submit();
      }
    });
  });
})();
