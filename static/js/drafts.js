/* Nothing typed is lost when a session ends (issue 14, item 8).

   - Every POST form where people type keeps a draft of the fields they changed in this browser's
     localStorage, per user, page and form; it comes back in its form, with a notice, the next time
     the form is shown without that text (after signing in again, or after the browser closed), and
     goes once the text has been saved (a page showing a success message after the submit, or the
     form showing the same text).
   - Leaving a page with unsaved changes asks first.
   - Before the session ends (idle or absolute limit, the seconds left come from the server) a
     banner warns and offers to stay signed in; when it has ended, it says so and links to sign-in.
   The draft keeps the form's version and base too, so a save after restoring is merged against
   what the form was opened at (three-way, see measures/services/merge.py), never written blindly
   over someone's newer save. */
(function () {
  "use strict";

  var guard = document.getElementById("session-guard");
  if (!guard) {
    return; // signed out: nothing to keep or count
  }
  var data = guard.dataset;
  var PREFIX = "ftz-draft:" + data.user + ":";
  var SHARED_END = "ftz-session-ends-at:" + data.user;
  var KEEP_DAYS = 30;
  var SAVED_WITHIN_MS = 2 * 60 * 1000;
  var TYPED = ["text", "number", "date", "month", "url", "email", "search", "tel", "radio", "checkbox"];

  var store = (function () {
    try {
      window.localStorage.setItem("ftz-probe", "1");
      window.localStorage.removeItem("ftz-probe");
      return window.localStorage;
    } catch (error) {
      return null; // private mode or storage refused: the other protections still apply
    }
  })();

  function format(text, value) {
    return String(text || "").replace("%s", value);
  }

  function isTyped(element) {
    if (!element.name || element.disabled || element.name.indexOf("choose_") === 0) {
      return false;
    }
    var tag = element.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select") {
      return true;
    }
    return tag === "input" && TYPED.indexOf((element.type || "text").toLowerCase()) >= 0;
  }

  function isCarried(element) {
    // What the server needs to merge a save made over a newer version.
    return element.type === "hidden" && /(^|-)(version|base)$/.test(element.name || "");
  }

  function keyOf(element) {
    var type = (element.type || "").toLowerCase();
    return type === "radio" || type === "checkbox" ? element.name + "=" + element.value : element.name;
  }

  function read(element) {
    var type = (element.type || "").toLowerCase();
    if (type === "radio" || type === "checkbox") {
      return element.checked;
    }
    if (element.tagName.toLowerCase() === "select" && element.multiple) {
      return Array.prototype.filter
        .call(element.options, function (option) { return option.selected; })
        .map(function (option) { return option.value; })
        .join("\n");
    }
    return String(element.value).replace(/\r\n/g, "\n");
  }

  function write(element, value) {
    var type = (element.type || "").toLowerCase();
    if (type === "radio" || type === "checkbox") {
      element.checked = !!value;
    } else if (element.tagName.toLowerCase() === "select" && element.multiple) {
      var chosen = String(value).split("\n");
      Array.prototype.forEach.call(element.options, function (option) {
        option.selected = chosen.indexOf(option.value) >= 0;
      });
    } else {
      element.value = value;
    }
  }

  function fields(form, test) {
    return Array.prototype.filter.call(form.elements, test);
  }

  function eligible(form) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post" || form.hasAttribute("data-no-draft")) {
      return false;
    }
    if (form.querySelector("input[type=password]")) {
      return false;
    }
    return fields(form, function (element) {
      return isTyped(element) && (element.tagName.toLowerCase() === "textarea" || element.type !== "radio");
    }).length > 0;
  }

  // --- the forms of this page ---------------------------------------------------------------

  var forms = [];
  var seen = {};
  Array.prototype.forEach.call(document.forms, function (form) {
    if (!eligible(form)) {
      return;
    }
    var action = new URL(form.getAttribute("action") || window.location.href, window.location.href).pathname;
    var id = window.location.pathname + "|" + action;
    seen[id] = (seen[id] || 0) + 1;
    var state = { form: form, key: PREFIX + id + "|" + seen[id], initial: {}, carried: {}, dirty: false };
    fields(form, isTyped).forEach(function (element) {
      state.initial[keyOf(element)] = read(element);
    });
    fields(form, isCarried).forEach(function (element) {
      state.carried[element.name] = element.value;
    });
    form._draft = state;
    forms.push(state);
  });

  function load(key) {
    if (!store) {
      return null;
    }
    try {
      return JSON.parse(store.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function save(key, draft) {
    if (!store) {
      return;
    }
    try {
      store.setItem(key, JSON.stringify(draft));
    } catch (error) {
      // Storage full: the leave-page warning still guards the text.
    }
  }

  function changedFields(state) {
    var changed = {};
    var any = false;
    fields(state.form, isTyped).forEach(function (element) {
      var key = keyOf(element);
      var value = read(element);
      if (value !== state.initial[key]) {
        changed[key] = value;
        any = true;
      }
    });
    return any ? changed : null;
  }

  function remember(state) {
    var changed = changedFields(state);
    state.dirty = !!changed;
    if (!changed) {
      if (store) {
        store.removeItem(state.key);
      }
      return;
    }
    var previous = load(state.key) || {};
    save(state.key, {
      at: previous.at && state.restored ? previous.at : Date.now(),
      fields: changed,
      carried: state.restoredCarried || state.carried,
      sent: null,
    });
  }

  function stateOf(target) {
    var form = target && target.form;
    return form && form._draft ? form._draft : null;
  }

  function onEdit(event) {
    var state = stateOf(event.target);
    if (state && isTyped(event.target)) {
      remember(state);
    }
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);

  var submitting = false;
  document.addEventListener("submit", function (event) {
    var state = event.target._draft;
    submitting = true;
    if (!state) {
      return;
    }
    // Kept until the save is known to have gone through: if the session has ended, this POST
    // lands on the sign-in page and the text comes back in its form afterwards.
    remember(state);
    var draft = load(state.key);
    if (draft) {
      draft.sent = Date.now();
      save(state.key, draft);
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (submitting) {
      return undefined;
    }
    var unsaved = forms.some(function (state) { return state.dirty; });
    if (!unsaved) {
      return undefined;
    }
    event.preventDefault();
    event.returnValue = data.tLeave || "";
    return data.tLeave || "";
  });

  // --- on load: restore what was not saved, forget what was ---------------------------------

  function forgetSaved() {
    if (!store || !document.querySelector(".messages .msg-success")) {
      return;
    }
    var now = Date.now();
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) {
        var draft = load(key);
        if (draft && draft.sent && now - draft.sent < SAVED_WITHIN_MS) {
          store.removeItem(key);
        }
      }
    }
  }

  function forgetOld() {
    if (!store) {
      return;
    }
    var limit = Date.now() - KEEP_DAYS * 24 * 3600 * 1000;
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf("ftz-draft:") === 0) {
        var draft = load(key);
        if (!draft || !draft.at || draft.at < limit) {
          store.removeItem(key);
        }
      }
    }
  }

  function notice(state, draft) {
    var box = document.createElement("div");
    box.className = "alert alert-warn draft-restored";
    box.setAttribute("role", "status");
    var when = new Date(draft.at);
    var stamp = when.toLocaleDateString() + " " + when.toLocaleTimeString().replace(/:\d\d(\s|$)/, "$1");
    var text = document.createElement("span");
    text.textContent = format(data.tRestored, stamp) + " ";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button small";
    discard.textContent = data.tDiscard || "Discard";
    discard.addEventListener("click", function () {
      fields(state.form, isTyped).forEach(function (element) {
        write(element, state.initial[keyOf(element)]);
      });
      fields(state.form, isCarried).forEach(function (element) {
        element.value = state.carried[element.name];
      });
      state.restored = false;
      state.restoredCarried = null;
      state.dirty = false;
      if (store) {
        store.removeItem(state.key);
      }
      box.remove();
    });
    box.appendChild(text);
    box.appendChild(discard);
    state.form.insertBefore(box, state.form.firstChild);
  }

  function restore(state) {
    var draft = load(state.key);
    if (!draft || !draft.fields) {
      return;
    }
    var elements = fields(state.form, isTyped);
    var differs = elements.some(function (element) {
      var key = keyOf(element);
      return Object.prototype.hasOwnProperty.call(draft.fields, key) && draft.fields[key] !== read(element);
    });
    if (!differs) {
      if (state.form.querySelector(".field-error, .alert-error")) {
        // The server answered with the typed text and an error: still unsaved.
        state.dirty = true;
        return;
      }
      // The form already shows this text: it was saved.
      store.removeItem(state.key);
      return;
    }
    elements.forEach(function (element) {
      var key = keyOf(element);
      if (Object.prototype.hasOwnProperty.call(draft.fields, key)) {
        write(element, draft.fields[key]);
      }
    });
    fields(state.form, isCarried).forEach(function (element) {
      if (draft.carried && Object.prototype.hasOwnProperty.call(draft.carried, element.name)) {
        element.value = draft.carried[element.name];
      }
    });
    state.restored = true;
    state.restoredCarried = draft.carried || null;
    state.dirty = true;
    draft.sent = null;
    save(state.key, draft);
    notice(state, draft);
  }

  forgetOld();
  forgetSaved();
  forms.forEach(restore);

  // --- the session's end ----------------------------------------------------------------------

  var endsIn = parseInt(data.endsIn, 10);
  if (isNaN(endsIn)) {
    return;
  }
  var endsAt = Date.now() + endsIn * 1000;
  var WARN_MS = Math.min(5 * 60 * 1000, Math.max(endsIn * 1000 / 5, 30 * 1000));
  if (store) {
    // Another tab's request renews the same session: every tab counts to the latest end.
    store.setItem(SHARED_END, String(endsAt));
  }

  var banner = document.createElement("div");
  banner.className = "session-banner";
  banner.id = "session-banner";
  banner.setAttribute("role", "alert");
  banner.hidden = true;
  var message = document.createElement("span");
  var stay = document.createElement("button");
  stay.type = "button";
  stay.className = "button small primary";
  stay.textContent = data.tStay || "Stay signed in";
  var signIn = document.createElement("a");
  signIn.className = "button small primary";
  signIn.textContent = data.tSignIn || "Sign in";
  signIn.href = data.loginUrl || "/accounts/login/";
  signIn.hidden = true;
  banner.appendChild(message);
  banner.appendChild(stay);
  banner.appendChild(signIn);
  document.body.appendChild(banner);

  function sharedEnd() {
    var shared = store ? parseInt(store.getItem(SHARED_END), 10) : NaN;
    return isNaN(shared) ? endsAt : Math.max(shared, endsAt);
  }

  function ended() {
    message.textContent = data.tEnded || "";
    stay.hidden = true;
    signIn.hidden = false;
    banner.hidden = false;
    banner.classList.add("ended");
  }

  function tick() {
    var left = sharedEnd() - Date.now();
    if (left <= 0) {
      ended();
      return;
    }
    if (left <= WARN_MS) {
      message.textContent = format(data.tWarn, Math.max(1, Math.ceil(left / 60000))) + " ";
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    window.setTimeout(tick, Math.min(15000, Math.max(1000, left - WARN_MS)));
  }

  stay.addEventListener("click", function () {
    window
      .fetch(data.keepAliveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          ended();
          return null;
        }
        return response.json();
      })
      .then(function (body) {
        if (body && typeof body.ends_in === "number") {
          endsAt = Date.now() + body.ends_in * 1000;
          if (store) {
            store.setItem(SHARED_END, String(endsAt));
          }
          banner.hidden = true;
        }
      })
      .catch(function () {
        // Offline: the banner stays; the draft is in this browser anyway.
      });
  });

  tick();
})();
