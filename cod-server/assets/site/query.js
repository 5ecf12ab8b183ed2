// The visual query builder: Sparnatural writes the query, this runs it on /sparql and shows
// the answer as a table (the raw editor below works without JavaScript).
(function () {
  "use strict";
  var sn = document.querySelector("spar-natural");
  var out = document.getElementById("builder-results");
  if (!sn || !out) return;
  var query = null;
  // Sparnatural's inputs come without labels: name them for screen readers, as they appear.
  function label() {
    sn.querySelectorAll("input, select, textarea").forEach(function (i) {
      if (i.type === "hidden" || i.getAttribute("aria-label") || i.getAttribute("aria-labelledby")) return;
      if (i.id && document.querySelector("label[for='" + i.id + "']")) return;
      i.setAttribute("aria-label", i.placeholder || "Critère de recherche / search criterion");
    });
  }
  label();
  new MutationObserver(label).observe(sn, { childList: true, subtree: true });
  function text(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
  sn.addEventListener("queryUpdated", function (e) {
    query = sn.expandSparql ? sn.expandSparql(e.detail.queryString) : e.detail.queryString;
  });
  sn.addEventListener("submit", function () {
    if (!query) return;
    if (sn.disablePlayBtn) sn.disablePlayBtn();
    fetch("/sparql", { method: "POST", headers: { "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json" }, body: query })
      .then(function (r) { if (!r.ok) return r.text().then(function (t) { throw new Error(t); }); return r.json(); })
      .then(function (res) {
        var vars = res.head.vars || [], rows = (res.results && res.results.bindings) || [];
        var h = "<table class=\"results\"><caption>" + rows.length + " ligne(s)</caption><thead><tr>";
        vars.forEach(function (v) { h += "<th scope=\"col\">" + text(v) + "</th>"; });
        h += "</tr></thead><tbody>";
        rows.forEach(function (b) {
          h += "<tr>";
          vars.forEach(function (v) { h += "<td>" + (b[v] ? text(b[v].value) : "") + "</td>"; });
          h += "</tr>";
        });
        out.innerHTML = h + "</tbody></table>";
        out.setAttribute("data-rows", String(rows.length));
      })
      .catch(function (err) { out.innerHTML = "<p class=\"problem\" role=\"alert\">" + text(err.message) + "</p>"; out.setAttribute("data-rows", "error"); })
      .then(function () { if (sn.enablePlayBtn) sn.enablePlayBtn(); });
  });
})();
