// Suggestions under the header search box: products, cooperatives and places as you type,
// from GET /search/suggest (the form's data-suggest-url). The same ARIA 1.2 combobox pattern
// as static/js/combobox.js:
//  - the search input gets role=combobox, aria-expanded, aria-controls (a listbox whose
//    options are grouped: role=group with a label) and aria-activedescendant
//  - keyboard: ↓/↑ move through the options, Enter opens the highlighted one, Esc closes;
//    Enter with nothing highlighted submits the form as always
//  - a polite status says how many suggestions there are ("5 gợi ý")
//  - mouse and touch: a tap on an option opens it
// Without this file the box is the plain GET form it always was.
(function () {
  "use strict";

  var DELAY = 150; // ms after the last key before asking
  var MIN_LENGTH = 2;

  function enhance(form) {
    var input = form.querySelector("input[name=q]");
    var url = form.getAttribute("data-suggest-url");
    if (!input || !url || !window.fetch) return;
    var id = input.id || "site-search-q";
    var groups = [
      ["products", form.getAttribute("data-suggest-products") || "Products"],
      ["cooperatives", form.getAttribute("data-suggest-cooperatives") || "Cooperatives"],
      ["places", form.getAttribute("data-suggest-places") || "Places"],
    ];
    var countText = form.getAttribute("data-suggest-count") || "{n}";
    var starsText = form.getAttribute("data-suggest-stars") || "{n}★";

    var popup = document.createElement("div");
    popup.className = "suggest";
    popup.hidden = true;
    var list = document.createElement("div");
    list.id = id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", form.getAttribute("aria-label") || "");
    popup.appendChild(list);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.classList.add("site-search--suggest");
    form.appendChild(popup);
    form.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var items = [];
    var active = -1;
    var timer = null;
    var asked = ""; // the text of the latest request: older answers are dropped
    var cache = {};

    function open() {
      if (!items.length) return close();
      popup.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      popup.hidden = true;
      input.setAttribute("aria-expanded", "false");
      highlight(-1);
    }

    function highlight(index) {
      if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
      active = index;
      if (index < 0 || !items[index]) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      items[index].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    }

    function render(data) {
      list.textContent = "";
      items = [];
      active = -1;
      input.removeAttribute("aria-activedescendant");
      groups.forEach(function (group) {
        var entries = data[group[0]] || [];
        if (!entries.length) return;
        var box = document.createElement("div");
        box.setAttribute("role", "group");
        var heading = document.createElement("div");
        heading.className = "suggest__heading";
        heading.id = id + "-suggest-" + group[0];
        heading.setAttribute("role", "presentation");
        heading.textContent = group[1];
        box.setAttribute("aria-labelledby", heading.id);
        box.appendChild(heading);
        entries.forEach(function (entry) {
          var option = document.createElement("div");
          option.className = "suggest__option";
          option.id = id + "-suggest-" + items.length;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", "false");
          option.setAttribute("data-url", entry.url);
          option.textContent = entry.name;
          if (entry.stars) {
            var stars = document.createElement("span");
            stars.className = "suggest__stars";
            stars.textContent = " · " + starsText.replace("{n}", entry.stars);
            option.appendChild(stars);
          }
          box.appendChild(option);
          items.push(option);
        });
        list.appendChild(box);
      });
      status.textContent = items.length ? countText.replace("{n}", items.length) : "";
      if (document.activeElement === input) open();
      else close();
    }

    function ask() {
      var text = input.value.replace(/\s+/g, " ").trim();
      asked = text;
      if (text.length < MIN_LENGTH) {
        render({});
        return;
      }
      if (cache[text]) {
        render(cache[text]);
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(text), { credentials: "omit" })
        .then(function (response) {
          return response.ok ? response.json() : {};
        })
        .then(function (data) {
          cache[text] = data;
          if (asked === text) render(data);
        })
        .catch(function () {});
    }

    function go(option) {
      window.location.assign(option.getAttribute("data-url"));
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("focus", function () {
      if (items.length) open();
    });
    input.addEventListener("keydown", function (event) {
      var expanded = !popup.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length) return;
        event.preventDefault();
        if (!expanded) {
          open();
          highlight(event.key === "ArrowDown" ? 0 : items.length - 1);
          return;
        }
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next >= items.length) next = 0;
        if (next < -1) next = items.length - 1;
        if (next === -1 && step < 0 && active === -1) next = items.length - 1;
        highlight(next);
      } else if (event.key === "Enter") {
        if (expanded && active >= 0 && items[active]) {
          event.preventDefault();
          go(items[active]);
        }
        // Nothing highlighted: the form is submitted as it always was.
      } else if (event.key === "Escape") {
        if (expanded) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () {
      // After a click on an option has had its turn.
      setTimeout(close, 150);
    });
    // mousedown, not click: the input keeps the focus, so the list stays open for the click.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) go(option);
    });
    document.addEventListener("pointerdown", function (event) {
      if (!form.contains(event.target)) close();
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-suggest-url]");
    for (var i = 0; i < forms.length; i++) enhance(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
