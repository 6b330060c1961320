// Browsers without JavaScript modules cannot run the study (the runner is a
// module): send them to the page that explains what to do instead.
(function () {
  var path = location.pathname.replace(/\/+$/, '');
  location.replace(path + '/unsupported' + location.search);
})();
