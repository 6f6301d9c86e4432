/* cmi5.js: the AU side of cmi5 (section 8-10 of the spec) in plain JavaScript, no library. */
var cmi5 = (function () {
  var q = new URLSearchParams(window.location.search);
  var endpoint = q.get("endpoint"), fetchUrl = q.get("fetch");
  var actor = JSON.parse(q.get("actor") || "null");
  var registration = q.get("registration"), activityId = q.get("activityId");
  var token = null, launchData = null, sessionId = null;
  var VERBS = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    passed: "http://adlnet.gov/expapi/verbs/passed",
    failed: "http://adlnet.gov/expapi/verbs/failed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated"
  };
  function uuid() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function lrs(method, path, body) {
    return fetch(endpoint.replace(/\/$/, "") + path, {
      method: method,
      headers: { "Authorization": "Basic " + token, "X-Experience-API-Version": "1.0.3",
                 "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (!r.ok) { throw new Error(method + " " + path + ": " + r.status); }
      return r.status === 204 ? null : r.json();
    });
  }
  function send(verb, result) {
    var ctx = JSON.parse(JSON.stringify(launchData.contextTemplate));
    ctx.registration = registration;
    ctx.contextActivities = ctx.contextActivities || {};
    ctx.contextActivities.category = (ctx.contextActivities.category || []).concat(
      [{ id: "https://w3id.org/xapi/cmi5/context/categories/cmi5" }]);
    if (verb === "passed" || verb === "failed") {
      ctx.contextActivities.category.push({ id: "https://w3id.org/xapi/cmi5/context/categories/moveon" });
      ctx.extensions = ctx.extensions || {};
      if (launchData.masteryScore !== undefined) {
        ctx.extensions["https://w3id.org/xapi/cmi5/context/extensions/masteryscore"] = launchData.masteryScore;
      }
    } else if (verb === "completed") {
      ctx.contextActivities.category.push({ id: "https://w3id.org/xapi/cmi5/context/categories/moveon" });
    }
    var s = { id: uuid(), actor: actor, verb: { id: VERBS[verb], display: { "en-US": verb } },
              object: { id: activityId, objectType: "Activity" }, context: ctx,
              timestamp: new Date().toISOString() };
    if (result) { s.result = result; }
    return lrs("POST", "/statements", s);
  }
  function start() {
    return fetch(fetchUrl, { method: "POST" }).then(function (r) { return r.json(); })
      .then(function (j) {
        token = j["auth-token"];
        var state = "/activities/state?stateId=LMS.LaunchData&activityId=" + encodeURIComponent(activityId) +
          "&agent=" + encodeURIComponent(JSON.stringify(actor)) + "&registration=" + encodeURIComponent(registration);
        return lrs("GET", state);
      }).then(function (data) {
        launchData = data;
        sessionId = data.contextTemplate.extensions["https://w3id.org/xapi/cmi5/context/extensions/sessionid"];
        return send("initialized");
      }).then(function () { return launchData; });
  }
  return {
    start: start,
    completed: function () { return send("completed", { completion: true, duration: "PT1M" }); },
    scored: function (scaled) {
      var pass = launchData.masteryScore === undefined || scaled >= launchData.masteryScore;
      return send(pass ? "passed" : "failed", { success: pass, score: { scaled: scaled }, duration: "PT2M" });
    },
    terminated: function () { return send("terminated", { duration: "PT3M" }); },
    returnUrl: function () { return launchData && launchData.returnURL; },
    sessionId: function () { return sessionId; }
  };
})();
