// app.js: small improvements only; every page works without it.
(function () {
  "use strict";
  // Ask before leaving a quiz with answers typed but not submitted.
  var form = document.querySelector("form.quiz");
  if (!form) { return; }
  var dirty = false;
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () {
    dirty = false;
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });
})();
