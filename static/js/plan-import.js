// Shows upload progress for a large plan document; without JavaScript the form posts as usual.
(function () {
  "use strict";
  var form = document.getElementById("plan-import-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var bar = document.getElementById(form.dataset.progress);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      bar.hidden = false;
      bar.value = Math.round((100 * e.loaded) / e.total);
    });
    request.addEventListener("load", function () {
      if (request.responseURL && request.responseURL !== window.location.href) {
        window.location.assign(request.responseURL);
      } else {
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.send(new FormData(form));
  });
})();
