// A bank transfer order's page: copy buttons for the account, amount and payment code; the
// time left to pay; and the live status. Every few seconds it asks the order's payment-status
// (JSON) and, when something changed, says so in the status region (aria-live): the balance
// of a partly paid transfer with its new QR, "Paid" once the money is in, or that the time
// ran out. Without JavaScript the page prints the deadline, and its refresh link (or a
// reload) shows the current state.
(function () {
  "use strict";

  var box = document.querySelector("[data-transfer]");
  if (!box) return;

  var POLL_MS = 4000;
  var message = box.querySelector("[data-transfer-message]");
  var copyStatus = box.querySelector("[data-copy-status]");
  var countdown = box.querySelector("[data-countdown]");
  var countdownValue = box.querySelector("[data-countdown-value]");
  var refresh = box.querySelector("[data-transfer-refresh]");
  var state = box.dataset.state;
  var amountDue = null;
  var deadline = null; // this browser's clock; set from the server's seconds left, not its time
  var timer = null;
  var reachedZero = false;

  // --- copy buttons ------------------------------------------------------------------------

  function copied(button) {
    var words = button.dataset.copied || "";
    if (copyStatus) copyStatus.textContent = words;
    button.classList.add("is-copied");
    window.setTimeout(function () { button.classList.remove("is-copied"); }, 2000);
  }

  function copyByHand(value, button) {
    var field = document.createElement("textarea");
    field.value = value;
    field.setAttribute("readonly", "");
    field.className = "transfer__clipboard";
    document.body.appendChild(field);
    field.select();
    try {
      if (document.execCommand("copy")) copied(button);
    } catch (error) {
      // Not allowed here: the value stays on the page to select by hand.
    }
    document.body.removeChild(field);
  }

  box.querySelectorAll("button[data-copy-value]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var value = button.dataset.copyValue;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(
          function () { copied(button); },
          function () { copyByHand(value, button); }
        );
      } else {
        copyByHand(value, button);
      }
    });
  });

  // --- the time left -------------------------------------------------------------------------

  function setDeadline(secondsLeft) {
    var seconds = parseInt(secondsLeft, 10);
    if (isNaN(seconds)) return;
    deadline = Date.now() + seconds * 1000;
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    if (!countdown || deadline === null) return;
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var hours = Math.floor(left / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    var text = (hours ? hours + ":" + two(minutes) : minutes) + ":" + two(left % 60);
    countdownValue.textContent = text;
    countdown.hidden = false;
    if (left === 0 && !reachedZero) {
      reachedZero = true;
      poll(); // the server says what became of it
    }
  }

  // --- the live status -------------------------------------------------------------------------

  function setText(selector, text) {
    document.querySelectorAll(selector).forEach(function (el) { el.textContent = text; });
  }

  function show(data) {
    if (data.state !== state) {
      state = data.state;
      box.dataset.state = state;
      message.dataset.state = state;
      document.querySelectorAll(".payment-status").forEach(function (chip) {
        chip.dataset.status = state;
        chip.textContent = data.label;
      });
      document.querySelectorAll(".order-status").forEach(function (chip) {
        chip.dataset.status = data.progress;
        chip.textContent = data.progress_label;
      });
    }
    if (message.textContent !== data.message) message.textContent = data.message;
    var pay = box.querySelector("[data-transfer-pay]");
    if (pay && !data.payable) {
      pay.hidden = true;
      if (countdown) countdown.hidden = true;
      if (copyStatus) copyStatus.textContent = "";
    }
    if (pay && data.payable && amountDue !== null && data.amount_due !== amountDue) {
      // Part of it arrived: the QR, the amount and its copy button ask for the balance.
      var qr = pay.querySelector("[data-transfer-qr]");
      var png = pay.querySelector("[data-transfer-png]");
      if (qr) qr.src = qr.src.replace(/due=\d+/, "due=" + data.amount_due);
      if (png) png.href = png.href.replace(/due=\d+/, "due=" + data.amount_due);
      setText("[data-transfer-amount]", data.amount_due_text);
      var amountCopy = pay.querySelector("[data-transfer-amount] ~ button[data-copy-value]");
      if (amountCopy) amountCopy.dataset.copyValue = String(data.amount_due);
    }
    amountDue = data.amount_due;
    setDeadline(data.seconds_left);
    if (data.final) stop();
  }

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    if (refresh) refresh.hidden = true;
  }

  var asking = false;
  function poll() {
    if (asking || !box.dataset.statusUrl) return;
    asking = true;
    fetch(box.dataset.statusUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { asking = false; });
  }

  setDeadline(box.dataset.secondsLeft);
  if (state === "transfer_awaiting" || state === "partly_paid") {
    if (refresh) refresh.hidden = true; // the page keeps itself up to date
    tick();
    timer = window.setInterval(function () {
      tick();
    }, 1000);
    window.setInterval(function () {
      if (timer !== null && !document.hidden) poll();
    }, POLL_MS);
    poll();
  }
})();
