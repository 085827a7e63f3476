// sfstub's face: remembers the large-type choice, and keeps the traffic view fresh.
// Every page works without this script.
"use strict";
(function () {
  var large = document.getElementById("large");
  if (large) {
    try { large.checked = localStorage.getItem("sfstub-large") === "1"; } catch (e) { /* storage off */ }
    large.addEventListener("change", function () {
      try { localStorage.setItem("sfstub-large", large.checked ? "1" : "0"); } catch (e) { /* storage off */ }
    });
  }
  var live = document.getElementById("live");
  if (!live) { return; }
  var n = live.getAttribute("data-n") || "50";
  function refresh() {
    var current = document.getElementById("live");
    fetch("/__sfstub/ui/traffic/live?n=" + encodeURIComponent(n), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (next && current && next.getAttribute("data-newest") !== current.getAttribute("data-newest")) {
          current.replaceWith(document.adoptNode(next));
        }
      })
      .catch(function () { /* sfstub restarting: try again next time */ })
      .finally(function () { setTimeout(refresh, 2000); });
  }
  setTimeout(refresh, 2000);
})();
