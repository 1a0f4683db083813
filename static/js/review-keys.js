// The review workbench's keys (hints are on the page): 1–5 choose the assessed completion,
// A accepts, R returns (the note is needed: it takes the focus, Ctrl+Enter sends), N opens the
// next report, Q goes back to the queue. Never while typing in a field, nor with a modifier.
(function () {
  "use strict";
  var root = document.getElementById("review-keys");
  if (!root) return;
  var form = document.getElementById("review");

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return target.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/i.test(target.type));
  }

  function choose(name, value) {
    var input = form && form.querySelector("input[name='" + name + "'][value='" + value + "']");
    if (input) input.checked = true;
    return input;
  }

  function nth(name, index) {
    var inputs = form ? form.querySelectorAll("input[name='" + name + "']") : [];
    return inputs[index];
  }

  function submit() {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  document.addEventListener("keydown", function (event) {
    if (form && event.key === "Enter" && (event.ctrlKey || event.metaKey) && form.contains(event.target)) {
      event.preventDefault();
      submit();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    var key = event.key.toLowerCase();
    if (key === "n" && root.dataset.nextUrl) {
      event.preventDefault();
      window.location.assign(root.dataset.nextUrl);
    } else if (key === "q" && root.dataset.queueUrl) {
      event.preventDefault();
      window.location.assign(root.dataset.queueUrl);
    } else if (form && /^[1-5]$/.test(key)) {
      var input = nth("assessment", Number(key) - 1);
      if (input) { event.preventDefault(); input.checked = true; input.focus(); }
    } else if (form && key === "a") {
      event.preventDefault();
      if (choose("action", "accept")) submit();
    } else if (form && key === "r") {
      event.preventDefault();
      if (choose("action", "return")) {
        var note = form.querySelector("textarea[name='note']");
        if (note) note.focus();
      }
    }
  });
})();
