// The product page: the photo gallery and its lightbox, the chosen package's price, the
// quantity stepper. The page works without this file (templates/catalog/_gallery.html and
// _buy.html say how); this only improves it.
(function () {
  "use strict";

  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  function each(list, fn) {
    Array.prototype.forEach.call(list, fn);
  }

  // --- the gallery: a row of photos that swipes (CSS scroll snap), and its thumbnails ------

  function setUpGallery(root) {
    var track = root.querySelector(".gallery__track");
    if (!track) return;
    var images = Array.prototype.slice.call(track.querySelectorAll(".gallery__image"));
    var thumbs = root.querySelectorAll(".gallery__thumb");
    var openButton = root.querySelector("[data-gallery-open]");
    var dialog = root.querySelector("[data-lightbox]");
    var total = images.length;
    var current = 0;

    root.classList.add("gallery--js");

    function mark(index) {
      current = index;
      each(thumbs, function (thumb, i) {
        if (i === index) thumb.setAttribute("aria-current", "true");
        else thumb.removeAttribute("aria-current");
      });
    }

    // While a thumbnail's photo glides into place, the photos it passes are not "current".
    var heading = null;

    function show(index, smooth) {
      heading = smooth && !reduceMotion.matches ? index : null;
      track.scrollTo({
        left: index * track.clientWidth,
        behavior: smooth && !reduceMotion.matches ? "smooth" : "auto",
      });
      mark(index);
    }

    // A swipe (or a keyboard scroll) moves the row: follow it.
    var pending = false;
    track.addEventListener("scroll", function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        var index = Math.round(track.scrollLeft / Math.max(1, track.clientWidth));
        if (heading !== null) {
          if (Math.abs(track.scrollLeft - heading * track.clientWidth) > 2) return;
          heading = null;
        }
        if (index !== current && index >= 0 && index < total) mark(index);
      });
    }, { passive: true });

    // A thumbnail shows its photo in place, without the page jumping to the anchor.
    each(thumbs, function (thumb, i) {
      thumb.addEventListener("click", function (event) {
        event.preventDefault();
        show(i, true);
      });
    });

    if (!dialog || typeof dialog.showModal !== "function") return;
    var lightbox = setUpLightbox(dialog, images, function (index) { show(index, false); });
    if (openButton) {
      openButton.hidden = false;
      openButton.addEventListener("click", function () { lightbox.open(current, openButton); });
    }
    each(images, function (image, i) {
      image.addEventListener("click", function () { lightbox.open(i, openButton); });
    });
  }

  // --- the lightbox: a modal <dialog>; Esc closes it (natively), arrows move, click zooms ---

  function setUpLightbox(dialog, images, onClose) {
    var frame = dialog.querySelector("[data-lightbox-frame]");
    var counter = dialog.querySelector("[data-lightbox-counter]");
    var zoomButton = dialog.querySelector("[data-lightbox-zoom]");
    var pattern = dialog.getAttribute("data-counter") || "{num}/{total}";
    var total = images.length;
    var index = 0;
    var opener = null;
    var picture = document.createElement("img");
    picture.className = "lightbox__image";
    picture.alt = "";
    picture.draggable = false;
    frame.appendChild(picture);

    function render(next) {
      index = (next + total) % total;
      var source = images[index];
      zoom(false);
      // A review's photos are thumbnails on the page: the lightbox shows their large size.
      picture.src = source.getAttribute("data-full") || source.currentSrc || source.src;
      picture.alt = source.alt;
      picture.width = parseInt(source.getAttribute("width"), 10) || source.naturalWidth;
      picture.height = parseInt(source.getAttribute("height"), 10) || source.naturalHeight;
      counter.textContent = pattern.replace("{num}", index + 1).replace("{total}", total);
    }

    // Zoomed, the photo is twice the frame's width and the frame scrolls (pan by dragging on
    // touch, by scrolling or the arrow keys otherwise); (x, y) is kept in view.
    function zoom(on, x, y) {
      dialog.classList.toggle("lightbox--zoomed", on);
      zoomButton.setAttribute("aria-pressed", on ? "true" : "false");
      if (!on) return;
      var fx = x === undefined ? 0.5 : x;
      var fy = y === undefined ? 0.5 : y;
      frame.scrollLeft = fx * frame.scrollWidth - frame.clientWidth / 2;
      frame.scrollTop = fy * frame.scrollHeight - frame.clientHeight / 2;
    }
    function zoomed() {
      return dialog.classList.contains("lightbox--zoomed");
    }

    zoomButton.addEventListener("click", function () { zoom(!zoomed()); });

    var swipe = null;
    var swiped = false;
    frame.addEventListener("pointerdown", function (event) {
      swipe = zoomed() ? null : { x: event.clientX, y: event.clientY };
      swiped = false;
    });
    frame.addEventListener("pointerup", function (event) {
      if (!swipe || total < 2) return;
      var dx = event.clientX - swipe.x;
      var dy = event.clientY - swipe.y;
      swipe = null;
      if (Math.abs(dx) > 40 && Math.abs(dx) > Math.abs(dy)) {
        swiped = true;
        render(index + (dx < 0 ? 1 : -1));
      }
    });
    frame.addEventListener("click", function (event) {
      if (swiped) { swiped = false; return; }
      if (event.target === picture) {
        var box = picture.getBoundingClientRect();
        zoom(!zoomed(), (event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
      } else if (!zoomed()) {
        dialog.close(); // a tap beside the photo
      }
    });

    each(dialog.querySelectorAll("[data-lightbox-step]"), function (button) {
      button.addEventListener("click", function () {
        render(index + parseInt(button.getAttribute("data-lightbox-step"), 10));
      });
    });
    dialog.querySelector("[data-lightbox-close]").addEventListener("click", function () {
      dialog.close();
    });

    dialog.addEventListener("keydown", function (event) {
      var pan = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (pan[event.key] && zoomed()) {
        event.preventDefault(); // zoomed, the arrows pan the photo
        frame.scrollBy(pan[event.key][0] * frame.clientWidth / 4, pan[event.key][1] * frame.clientHeight / 4);
      } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        if (total < 2) return;
        event.preventDefault();
        render(index + (event.key === "ArrowRight" ? 1 : -1));
      } else if (event.key === "Tab") {
        // Keep Tab inside the dialog (showModal makes the page inert, but Tab may still leave
        // for the browser's own controls).
        var focusable = dialog.querySelectorAll("button:not([hidden])");
        var first = focusable[0];
        var last = focusable[focusable.length - 1];
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }
    });

    dialog.addEventListener("close", function () {
      zoom(false);
      onClose(index);
      if (opener && opener.focus) opener.focus();
      opener = null;
    });

    return {
      open: function (start, from) {
        opener = from && !from.hidden ? from : document.activeElement;
        render(start);
        dialog.showModal();
        dialog.querySelector("[data-lightbox-close]").focus();
      },
    };
  }

  // --- a review's photos: links to the large photos; with this file, the same lightbox ------

  function setUpReviewPhotos(root) {
    var dialog = root.querySelector("[data-lightbox]");
    var links = root.querySelectorAll(".review__photo");
    var images = Array.prototype.slice.call(root.querySelectorAll(".review__photo-image"));
    if (!dialog || typeof dialog.showModal !== "function" || !images.length) return;
    var lightbox = setUpLightbox(dialog, images, function () {});
    each(links, function (link, i) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        lightbox.open(i, link);
      });
    });
  }

  // --- the purchase form: the chosen package's price, the − / + stepper -------------------

  function setUpBuyForm(form) {
    var price = form.querySelector("[data-buy-price]");
    function showPrice() {
      var chosen = form.querySelector("input[name=package_id]:checked");
      if (price && chosen && chosen.getAttribute("data-price")) {
        price.textContent = chosen.getAttribute("data-price");
      }
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "package_id") showPrice();
    });
    showPrice(); // a page restored from the back/forward cache keeps its choice

    var stepper = form.querySelector("[data-stepper]");
    if (!stepper) return;
    var input = stepper.querySelector("input");
    var buttons = stepper.querySelectorAll("[data-step]");
    function bounds() {
      return { min: parseInt(input.min, 10) || 1, max: parseInt(input.max, 10) || 99 };
    }
    function refresh() {
      var b = bounds();
      var value = parseInt(input.value, 10);
      each(buttons, function (button) {
        var up = button.getAttribute("data-step") === "1";
        // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
        var off = !isNaN(value) && (up ? value >= b.max : value <= b.min);
        button.setAttribute("aria-disabled", off ? "true" : "false");
      });
    }
    each(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (button.getAttribute("aria-disabled") === "true") return;
        var b = bounds();
        var value = parseInt(input.value, 10);
        if (isNaN(value)) value = b.min;
        value += parseInt(button.getAttribute("data-step"), 10);
        input.value = String(Math.min(b.max, Math.max(b.min, value)));
        refresh();
      });
    });
    input.addEventListener("input", refresh);
    stepper.classList.add("qty-stepper--js");
    refresh();
  }

  each(document.querySelectorAll("[data-gallery]"), setUpGallery);
  each(document.querySelectorAll("[data-buy-form]"), setUpBuyForm);
  each(document.querySelectorAll("[data-review-photos]"), setUpReviewPhotos);
})();
