// A long <select data-combobox> (Hà Nội has 126 communes) becomes an ARIA 1.2 combobox: a
// text box that filters the options as you type, folding diacritics ("hoan kiem" finds
// "Phường Hoàn Kiếm", "d" finds "đ"), with a listbox under it.
//  - keyboard: ↓/↑ move through the options, Enter picks, Esc closes (and undoes the typing),
//    Tab takes the highlighted option when something was typed
//  - screen readers: role=combobox, aria-expanded, aria-controls, aria-activedescendant, a
//    polite status with the number of matches
//  - the <select> stays in the form, visually hidden and out of the tab order, and is what is
//    posted; a script refilling it (places.js after a province is chosen) or choosing in it is
//    followed. Without this file the page keeps the plain select.
(function () {
  "use strict";

  var TYPE_PREFIX = /^(phuong|xa|dac khu|thi tran|thanh pho|tinh) /;
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 639px)") : null;
  var serial = 0;

  function foldChar(ch) {
    return ch.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  }

  function fold(text) {
    return foldChar(text).replace(/\s+/g, " ").trim();
  }

  // The folded text with, for each of its characters, the index of the original character
  // it came from: to mark the matched part of "Phường Hoàn Kiếm" for "hoan kiem".
  function foldWithMap(text) {
    var folded = "";
    var map = [];
    for (var i = 0; i < text.length; i++) {
      var part = foldChar(text[i]);
      for (var j = 0; j < part.length; j++) {
        folded += part[j];
        map.push(i);
      }
    }
    return { text: folded, map: map };
  }

  function rank(option, words) {
    // 0: the name (without "Phường", "Xã", "Tỉnh"...) starts with what was typed; 1: a word of
    // it does; 2: it only contains it. -1: not every typed word is in it.
    var name = option.folded;
    for (var i = 0; i < words.length; i++) {
      if (name.indexOf(words[i]) === -1) return -1;
    }
    var core = name.replace(TYPE_PREFIX, "");
    var query = words.join(" ");
    if (core.indexOf(query) === 0) return 0;
    if ((" " + name).indexOf(" " + words[0]) !== -1) return 1;
    return 2;
  }

  function enhance(select) {
    if (select.dataset.comboboxReady) return;
    select.dataset.comboboxReady = "1";
    var id = (select.id || "combobox-" + (++serial)) + "-combobox";
    var label = select.id ? document.querySelector("label[for='" + select.id + "']") : null;

    var box = document.createElement("div");
    box.className = "combobox";
    var input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.className = "input combobox__input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-listbox");
    input.setAttribute("autocapitalize", "off");
    input.setAttribute("spellcheck", "false");
    input.setAttribute("enterkeyhint", "done");
    input.autocomplete = select.getAttribute("autocomplete") || "off";
    input.placeholder = select.getAttribute("data-combobox-placeholder") || "";
    ["aria-describedby", "aria-invalid", "required"].forEach(function (name) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    });
    var chevron = document.createElement("span");
    chevron.className = "combobox__toggle";
    chevron.setAttribute("aria-hidden", "true");
    chevron.innerHTML = '<svg class="icon" width="20" height="20" viewBox="0 0 24 24" focusable="false"><path d="M6 9l6 6 6-6"/></svg>';
    var popup = document.createElement("div");
    popup.className = "combobox__list";
    popup.hidden = true;
    var list = document.createElement("ul");
    list.id = id + "-listbox";
    list.setAttribute("role", "listbox");
    if (label) list.setAttribute("aria-label", label.textContent.trim());
    var empty = document.createElement("p");
    empty.className = "combobox__empty";
    empty.textContent = select.getAttribute("data-combobox-empty") || "—";
    empty.hidden = true;
    popup.appendChild(list);
    popup.appendChild(empty);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    box.appendChild(input);
    box.appendChild(chevron);
    box.appendChild(popup);
    box.appendChild(status);
    select.parentNode.insertBefore(box, select.nextSibling);

    // The select stays for the form (and for autofill) but not for people.
    select.classList.remove("input");
    select.classList.add("visually-hidden");
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");
    if (label) label.htmlFor = id;

    var options = [];  // {value, text, folded, index} for the select's options with a value
    var shown = [];    // the options listed now, in the listed order
    var active = -1;   // index in `shown` of the highlighted option
    var typed = false; // the text is the buyer's typing, not the chosen option's name
    var statusTimer = null;

    function readOptions() {
      options = [];
      Array.prototype.forEach.call(select.options, function (option, index) {
        if (!option.value || option.value === "0") return;
        options.push({ value: option.value, text: option.text, folded: fold(option.text), index: index });
      });
    }

    function chosenText() {
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.text : "";
    }

    function syncFromSelect() {
      readOptions();
      input.disabled = select.disabled;
      if (!typed) input.value = chosenText();
      if (!popup.hidden) render();
    }

    function isOpen() { return !popup.hidden; }

    function open() {
      if (isOpen() || select.disabled) return;
      popup.hidden = false;
      input.setAttribute("aria-expanded", "true");
      render();
      // On a phone the keyboard takes the lower half: bring the box up so the list shows.
      if (narrow && narrow.matches && input.getBoundingClientRect().top > window.innerHeight * 0.35) {
        input.scrollIntoView({ block: "start" });
      }
    }

    function close() {
      popup.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(li, option, words) {
      var mapped = foldWithMap(option.text);
      var phrase = words.join(" ");
      var at = phrase ? mapped.text.indexOf(phrase) : -1;
      if (at === -1) { li.textContent = option.text; return; }
      var start = mapped.map[at];
      var end = mapped.map[at + phrase.length - 1] + 1;
      var mark = document.createElement("mark");
      mark.textContent = option.text.slice(start, end);
      li.appendChild(document.createTextNode(option.text.slice(0, start)));
      li.appendChild(mark);
      li.appendChild(document.createTextNode(option.text.slice(end)));
    }

    function render() {
      var query = typed ? fold(input.value) : "";
      var words = query ? query.split(" ") : [];
      if (words.length) {
        shown = options
          .map(function (option) { return { option: option, rank: rank(option, words) }; })
          .filter(function (item) { return item.rank >= 0; })
          .sort(function (a, b) { return a.rank - b.rank || a.option.index - b.option.index; })
          .map(function (item) { return item.option; });
      } else {
        shown = options.slice();
      }
      list.replaceChildren();
      shown.forEach(function (option, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.className = "combobox__option";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.value = option.value;
        if (option.value === select.value) li.classList.add("is-chosen");
        highlight(li, option, words);
        list.appendChild(li);
      });
      list.hidden = !shown.length;
      empty.hidden = shown.length > 0;
      // Typing highlights the best match (Enter takes it); opening shows the chosen one.
      var start = -1;
      if (words.length && shown.length) start = 0;
      else if (!words.length) {
        for (var i = 0; i < shown.length; i++) if (shown[i].value === select.value) start = i;
      }
      setActive(start, true);
      announce(words.length ? shown.length : -1);
    }

    function announce(count) {
      clearTimeout(statusTimer);
      if (count < 0) { status.textContent = ""; return; }
      // After a pause in typing, not on every key.
      statusTimer = setTimeout(function () {
        status.textContent = count
          ? (select.getAttribute("data-combobox-count") || "{n}").replace("{n}", String(count))
          : empty.textContent;
      }, 600);
    }

    function setActive(index, center) {
      var items = list.children;
      if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
      active = index;
      if (index < 0 || !items[index]) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      items[index].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[index].id);
      var item = items[index];
      var top = item.offsetTop;
      var bottom = top + item.offsetHeight;
      if (center) list.scrollTop = Math.max(0, top - list.clientHeight / 2 + item.offsetHeight / 2);
      else if (top < list.scrollTop) list.scrollTop = top;
      else if (bottom > list.scrollTop + list.clientHeight) list.scrollTop = bottom - list.clientHeight;
    }

    function choose(option) {
      typed = false;
      input.value = option.text;
      close();
      if (select.value !== option.value) {
        select.value = option.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    function undoTyping() {
      typed = false;
      input.value = chosenText();
    }

    // What was typed, when the buyer leaves the box without picking: the one option that
    // matches (or whose name it is), else the choice stays as it was.
    function settle() {
      if (!typed) return;
      var query = fold(input.value);
      if (!query) {
        typed = false;
        if (select.value) {
          select.value = "";
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
        return;
      }
      var exact = options.filter(function (o) {
        return o.folded === query || o.folded.replace(TYPE_PREFIX, "") === query;
      });
      var words = query.split(" ");
      var matching = exact.length ? exact : options.filter(function (o) { return rank(o, words) >= 0; });
      if (matching.length === 1) choose(matching[0]);
      else undoTyping();
    }

    input.addEventListener("input", function () {
      typed = true;
      if (isOpen()) render();
      else open();
    });

    input.addEventListener("click", function () {
      if (isOpen()) close();
      else open();
    });

    input.addEventListener("keydown", function (event) {
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!isOpen()) { open(); if (event.altKey) return; }
          if (shown.length) setActive(active < shown.length - 1 ? active + 1 : 0);
          break;
        case "ArrowUp":
          event.preventDefault();
          if (!isOpen()) open();
          if (shown.length) setActive(active > 0 ? active - 1 : shown.length - 1);
          break;
        case "Enter":
          if (isOpen()) {
            event.preventDefault();  // picking an option never submits the form
            if (active >= 0) choose(shown[active]);
            else close();
          }
          break;
        case "Escape":
          if (isOpen() || typed) {
            event.preventDefault();
            event.stopPropagation();
            close();
            undoTyping();
          }
          break;
        case "Tab":
          if (isOpen() && typed && active >= 0) choose(shown[active]);
          else close();
          break;
      }
    });

    input.addEventListener("blur", function () {
      close();
      settle();
    });
    // Autofill writes the text without focusing the box: take the option it names.
    input.addEventListener("change", function () {
      if (document.activeElement !== input) { close(); settle(); }
    });

    // A press on an option keeps the focus in the box; the click picks it.
    popup.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var li = event.target.closest("[role=option]");
      if (!li) return;
      var index = Array.prototype.indexOf.call(list.children, li);
      if (shown[index]) choose(shown[index]);
      input.focus();
    });

    // Someone else changed the select: places.js refilled it, autofill or a test chose in it.
    select.addEventListener("change", function () {
      typed = false;
      syncFromSelect();
    });
    select.addEventListener("focus", function () { input.focus(); });
    new MutationObserver(syncFromSelect).observe(select, {
      childList: true,
      attributes: true,
      attributeFilter: ["disabled"],
    });
    syncFromSelect();
  }

  function start() {
    document.querySelectorAll("select[data-combobox]").forEach(enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
