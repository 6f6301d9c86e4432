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
(function () {
  "use strict";
  // A quiz with a time limit: count down to the deadline the page states,
  // and hand the answers in when it comes (docs/quiz-format.md, section 3).
  var p = document.querySelector(".relais-deadline[data-deadline]");
  var form = document.querySelector("form.quiz");
  if (!p || !form) { return; }
  var deadline = Number(p.getAttribute("data-deadline"));
  var box = p.querySelector(".relais-countdown");
  var left = p.querySelector(".relais-left");
  if (!deadline || !box || !left) { return; }
  box.hidden = false;
  var sent = false;
  function tick() {
    var s = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    var m = Math.floor(s / 60);
    left.textContent = m + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
    if (s === 0 && !sent) {
      sent = true;
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      return;
    }
    if (!sent) { window.setTimeout(tick, 1000 - (Date.now() % 1000)); }
  }
  tick();
})();
