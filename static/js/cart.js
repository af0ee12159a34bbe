// The cart saves itself: − / + and a typed quantity are posted in the background (the same
// form and route as without JavaScript), and the page the server answers replaces the cart,
// totals and errors included. The checkout button is left to submit the form as it is, so it
// saves every quantity before checkout. Without this file the buttons submit the form.
(function () {
  "use strict";
  var root = document.querySelector("[data-cart]");
  if (!root || !window.fetch || !window.FormData || !window.DOMParser) return;
  var status = document.querySelector("[data-cart-status]");
  var timer = null;
  var busy = false;
  var queued = null; // {submitter} of a save asked for while one is on its way

  function form() { return root.querySelector("[data-cart-form]"); }

  function hideUpdateButton() {
    var button = root.querySelector("[data-cart-update]");
    if (button) button.hidden = true;
  }

  function limits(input) {
    var most = parseInt(input.dataset.most, 10);
    var max = parseInt(input.max, 10) || 99;
    return { min: 1, max: most > 0 ? Math.min(most, max) : max };
  }

  // The − and + of a line, enabled as far as the quantity may go.
  function syncStepper(input) {
    var stepper = input.closest(".stepper");
    var value = parseInt(input.value, 10);
    var range = limits(input);
    stepper.querySelectorAll("[data-step]").forEach(function (button) {
      var down = button.dataset.step === "-1";
      var off = isNaN(value) ? false : (down ? value <= range.min : value >= range.max);
      if (off && document.activeElement === button) input.focus();
      button.disabled = off;
    });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { save(null); }, delay);
  }

  // What to focus again after the cart is replaced: the same control, by id or name+value.
  function keyOf(element) {
    if (!element || !root.contains(element)) return null;
    if (element.id) return "#" + element.id;
    if (element.name) return "[name='" + element.name + "'][value='" + element.value + "']";
    return null;
  }

  function save(submitter) {
    var f = form();
    if (!f) return;
    window.clearTimeout(timer);
    if (busy) { queued = { submitter: submitter }; return; }
    busy = true;
    var data = new FormData(f);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var sent = {};
    f.querySelectorAll(".stepper__input").forEach(function (input) { sent[input.name] = input.value; });
    fetch(f.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected && new URL(response.url).pathname !== window.location.pathname) {
          window.location.href = response.url;
          return null;
        }
        return response.text().then(function (html) { replace(html, sent, response.ok); });
      })
      .catch(function () { fallback(submitter); })
      .then(function () {
        busy = false;
        if (queued) {
          var next = queued;
          queued = null;
          save(next.submitter);
        }
      });
  }

  // Something unexpected (no network, an expired form): let the browser post the form.
  function fallback(submitter) {
    var f = form();
    if (!f) return;
    if (submitter && submitter.name) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = submitter.name;
      field.value = submitter.value;
      f.appendChild(field);
    }
    HTMLFormElement.prototype.submit.call(f);
  }

  function replace(html, sent, ok) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("[data-cart]");
    if (!fresh) { fallback(null); return; }
    var active = document.activeElement;
    var key = keyOf(active);
    // Quantities typed while the save was on its way are kept, and saved next.
    var typed = {};
    root.querySelectorAll(".stepper__input").forEach(function (input) {
      if (sent[input.name] !== undefined && input.value !== sent[input.name]) typed[input.name] = input.value;
    });

    root.innerHTML = fresh.innerHTML;
    hideUpdateButton();

    var again = false;
    Object.keys(typed).forEach(function (name) {
      var input = root.querySelector(".stepper__input[name='" + name + "']");
      if (input) { input.value = typed[name]; again = true; }
    });
    root.querySelectorAll(".stepper__input").forEach(syncStepper);

    // The header's count of items, shown and spoken.
    var mine = document.querySelector(".cart-link");
    var theirs = doc.querySelector(".cart-link");
    if (mine && theirs) {
      [".cart-link__count", ".visually-hidden"].forEach(function (selector) {
        var here = mine.querySelector(selector);
        var there = theirs.querySelector(selector);
        if (here && there) here.textContent = there.textContent;
      });
    }

    var target = key ? root.querySelector(key) : null;
    if (!target && key && key.indexOf("[name='") === 0) {
      // A stepper button that is gone: its line's quantity box, if the line is still there.
      var match = /value='(\d+)'/.exec(key);
      if (match) target = root.querySelector("#qty-" + match[1]);
    }
    if (target && target.disabled) target = target.closest(".stepper").querySelector(".stepper__input");
    if (key && !target) target = root.querySelector(".cart__title");
    if (target && document.activeElement !== target) target.focus();

    if (status) {
      var total = root.querySelector(".cart-summary__total dd");
      status.textContent = ok ? status.dataset.saved + (total ? " " + total.textContent : "") : "";
    }
    if (again) schedule(700);
  }

  // − and +: change the box now, save shortly (several taps make one save).
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step]");
    if (!button || !root.contains(button)) return;
    event.preventDefault();
    var input = button.closest(".stepper").querySelector(".stepper__input");
    var range = limits(input);
    var value = parseInt(input.value, 10);
    if (isNaN(value)) value = 1;
    value = Math.max(range.min, Math.min(range.max, value + parseInt(button.dataset.step, 10)));
    input.value = String(value);
    syncStepper(input);
    schedule(350);
  });

  root.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("stepper__input")) return;
    syncStepper(input);
    if (input.value !== "") schedule(800);
  });

  root.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("stepper__input")) schedule(0);
  });

  // Enter in a box, "Remove", "Update": saved in the background. Checkout: a plain submit.
  root.addEventListener("submit", function (event) {
    var submitter = event.submitter || null;
    if (submitter && submitter.name === "checkout") return;
    event.preventDefault();
    save(submitter);
  });

  hideUpdateButton();
})();
