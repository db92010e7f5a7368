// First script of the page: records every error and console.error into the root element's
// data-errors attribute, where a headless browser's DOM dump (the browser test) can read it.
(function () {
  var root = document.documentElement;
  function record(msg) {
    var prev = root.getAttribute("data-errors") || "";
    root.setAttribute("data-errors", prev + (prev ? " | " : "") + String(msg));
  }
  window.addEventListener("error", function (e) { record(e.message || "error"); });
  window.addEventListener("unhandledrejection", function (e) { record("unhandled rejection: " + e.reason); });
  var original = console.error;
  console.error = function () {
    record(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
