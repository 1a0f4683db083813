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
