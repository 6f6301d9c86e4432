// player.js: the SCORM run-time API (scorm-again) for one launch, on the package origin.
//
// Fetches the launch's state (its SCO and the data model last committed),
// puts window.API (SCORM 1.2) or window.API_1484_11 (SCORM 2004) where the
// SCO looks for it, restores location and suspend data, then opens the SCO.
// Every Commit / LMSCommit goes to "commit" (Terminate / LMSFinish with
// ?terminate=true): the reader keeps it in one transaction (docs/reader.md).
(function () {
  'use strict';

  function val(o, path) {
    var parts = path.split('.');
    for (var i = 0; i < parts.length; i++) {
      if (o === null || typeof o !== 'object') { return ''; }
      o = o[parts[i]];
    }
    return typeof o === 'string' ? o : '';
  }

  function score(s) {
    var o = {};
    ['raw', 'min', 'max', 'scaled'].forEach(function (k) {
      if (s && typeof s[k] === 'string' && s[k] !== '') { o[k] = s[k]; }
    });
    return o;
  }

  // A saved list of the data model (scorm-again writes cmi.objectives as
  // {"0": {...}, "1": {...}}) as loadFromJSON takes it back: an array, its
  // items' own lists (interactions.n.objectives, correct_responses) too.
  function list(saved) {
    if (!saved || typeof saved !== 'object') { return []; }
    var out = [];
    for (var i = 0; Object.prototype.hasOwnProperty.call(saved, String(i)); i++) {
      out.push(item(saved[String(i)]));
    }
    return out;
  }

  function item(o) {
    var out = {};
    Object.keys(o || {}).forEach(function (k) {
      var v = o[k];
      if (k.charAt(0) === '_') { return; }
      if (v && typeof v === 'object') {
        v = Object.prototype.hasOwnProperty.call(v, '0') ? list(v) : item(v);
      }
      out[k] = v;
    });
    return out;
  }

  // SCORM 1.2: a learner coming back finds location, suspend data and status.
  function restore12(st) {
    var c = st.saved && st.saved.cmi ? st.saved.cmi : null;
    var core = c ? c.core || {} : {};
    var o = {
      core: {
        student_id: st.learner_id, student_name: st.learner_name,
        lesson_location: val(c, 'core.lesson_location'),
        lesson_status: val(c, 'core.lesson_status') || 'not attempted',
        credit: 'credit', lesson_mode: 'normal',
        entry: !c ? 'ab-initio' : val(c, 'core.exit') === 'suspend' ? 'resume' : '',
        total_time: val(c, 'core.total_time') || '0000:00:00',
        score: score(core.score),
      },
      suspend_data: val(c, 'suspend_data'),
      launch_data: st.launch_data,
      student_data: {},
      // Kept from one launch to the next, or the next commit (the whole
      // data model) would drop them.
      objectives: list(c && c.objectives),
      interactions: list(c && c.interactions),
    };
    if (typeof st.mastery_score === 'number') { o.student_data.mastery_score = String(st.mastery_score); }
    return o;
  }

  // SCORM 2004: the data model comes back when the SCO left suspended
  // (cmi.exit "suspend"); otherwise a new attempt starts (statuses stay in the reader).
  function restore2004(st) {
    var c = st.saved && st.saved.cmi ? st.saved.cmi : null;
    var resume = c && val(c, 'exit') === 'suspend';
    var o = {
      learner_id: st.learner_id, learner_name: st.learner_name,
      launch_data: st.launch_data, credit: 'credit', mode: 'normal',
      entry: resume ? 'resume' : 'ab-initio',
    };
    if (typeof st.mastery_score === 'number') { o.scaled_passing_score = String(st.mastery_score); }
    if (typeof st.completion_threshold === 'number') { o.completion_threshold = String(st.completion_threshold); }
    if (resume) {
      o.location = val(c, 'location');
      o.suspend_data = val(c, 'suspend_data');
      o.completion_status = val(c, 'completion_status') || 'unknown';
      o.success_status = val(c, 'success_status') || 'unknown';
      o.total_time = val(c, 'total_time') || 'PT0S';
      o.score = score(c.score);
      o.objectives = list(c.objectives);
      o.interactions = list(c.interactions);
    }
    return o;
  }

  function start(st) {
    var settings = {
      lmsCommitUrl: 'commit',
      terminateCommitParam: 'terminate',
      dataCommitFormat: 'json',
      autocommit: false,
      logLevel: 5,
    };
    var api;
    if (st.standard === 'scorm-1.2') {
      api = new window.Scorm12API(settings);
      api.loadFromJSON(restore12(st), 'cmi');
      window.API = api;
    } else {
      api = new window.Scorm2004API(settings);
      api.loadFromJSON(restore2004(st), 'cmi');
      window.API_1484_11 = api;
    }
    document.getElementById('sco').src = st.launch;
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!window.Scorm12API) {
      document.body.textContent = 'This reader was built without scorm-again: it cannot play SCORM packages.';
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open('GET', 'state');
    xhr.onload = function () {
      if (xhr.status !== 200) { document.body.textContent = xhr.responseText; return; }
      start(JSON.parse(xhr.responseText));
    };
    xhr.send();
  });
})();
