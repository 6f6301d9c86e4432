/* scorm2004.js: find the SCORM 2004 API (window.API_1484_11) as the run-time spec says. */
function findAPI(win) {
  var tries = 0;
  while (win.API_1484_11 == null && win.parent != null && win.parent != win && tries < 500) {
    tries++;
    win = win.parent;
  }
  return win.API_1484_11;
}
function getAPI() {
  var api = findAPI(window);
  if (api == null && window.opener != null) {
    api = findAPI(window.opener);
  }
  return api;
}
