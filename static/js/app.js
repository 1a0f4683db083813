/* Small behaviours shared by every page, kept out of the HTML so the Content-Security-Policy
   can forbid inline scripts. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    // A period or filter select that shows its result at once; a button remains for no-JS use.
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
})();

(function () {
  "use strict";
  // The top bar's "More" menu closes when the user clicks elsewhere, as menus do.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.nav-more[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  });
})();

(function () {
  "use strict";
  // A button that undoes something (deleting a milestone or an outcome draft) asks first; the
  // server keeps the record in the history either way.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();

(function () {
  "use strict";
  // A "Print" button (the stocktake pack): window.print from a listener, not an inline handler.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();

(function () {
  "use strict";
  // Narrow screens: the top bar folds its links and tools behind one button. The bar is only made
  // collapsible here, so without this script every link stays in view.
  var toggle = document.querySelector(".nav-toggle");
  if (!toggle) {
    return;
  }
  var bar = toggle.closest(".topbar");
  bar.classList.add("nav-collapsible");
  function setOpen(open) {
    bar.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bar.classList.contains("nav-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
})();

(function () {
  "use strict";
  // Every table scrolls sideways inside its own box, so a wide one never widens the page on a
  // phone. Done once here for every template; tables already in a scroll box are left alone.
  document.querySelectorAll("main table").forEach(function (table) {
    var parent = table.parentElement;
    if (parent.classList.contains("table-scroll")) {
      return;
    }
    var box = document.createElement("div");
    box.className = "table-scroll";
    parent.insertBefore(box, table);
    box.appendChild(table);
  });
})();
