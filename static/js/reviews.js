// The "helpful" vote on the product page's reviews, on a page a CDN may cache: as buy.js, the
// form carries no CSRF token there, so this fetches one for the visitor (GET data-token-url,
// which starts their session) when they reach for a button, sends the vote with it and shows
// the new count in place. If anything fails the form is sent as it is, and the shop answers
// with a page asking to confirm the vote (the no-JavaScript path).
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;
  var token = null;
  var pending = null;

  function fetchToken(url) {
    if (token) return Promise.resolve(token);
    if (!pending) {
      pending = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("token " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (data && typeof data.token === "string") token = data.token;
          return token;
        })
        .catch(function () {
          pending = null; // tried again on the next interaction
          return null;
        });
    }
    return pending;
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-vote-form]"), function (form) {
    var field = form.querySelector('input[name="csrf_token"]');
    var count = form.querySelector("[data-vote-count]");
    var button = form.querySelector("button[type=submit]");
    var url = form.getAttribute("data-token-url");
    if (!field || !url) return;
    ["pointerdown", "focusin", "touchstart"].forEach(function (name) {
      form.addEventListener(name, function () { if (!field.value) fetchToken(url); }, { passive: true });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button) button.disabled = true;
      var ready = field.value ? Promise.resolve(field.value) : fetchToken(url);
      ready.then(function (value) {
        if (value) field.value = value;
        return fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
      }).then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      }).then(function (answer) {
        if (answer.status === 200 && count) {
          count.textContent = answer.data.label + " · " + answer.data.message;
          form.classList.add("review__helpful--voted");
        } else if (answer.status === 409 && count) {
          count.textContent = answer.data.message;
          form.classList.add("review__helpful--voted");
        } else {
          throw new Error("vote " + answer.status);
        }
      }).catch(function () {
        form.submit(); // the shop's own answer: a confirmation page, or the error
      });
    });
  });
})();
