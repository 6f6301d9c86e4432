/* scorm12.js: find the SCORM 1.2 API (window.API) the way ADL's wrapper does. */
function findAPI(win) {
  var tries = 0;
  while (win.API == null && win.parent != null && win.parent != win && tries < 10) {
    tries++;
    win = win.parent;
  }
  return win.API;
}
function getAPI() {
  var api = findAPI(window);
  if (api == null && window.opener != null) {
    api = findAPI(window.opener);
  }
  return api;
}
