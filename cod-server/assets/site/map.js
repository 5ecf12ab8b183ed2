// The network map: the same query as the page, as GeoJSON, reloaded when the view moves.
// The list under the map is the accessible equivalent and needs no script.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;
  var tiles = el.getAttribute("data-tiles");
  var map = L.map(el, { scrollWheelZoom: false, maxZoom: 19 }).setView([48.93, 2.36], 12);
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
  }
  // The communes' outlines: the map still says where things are without tiles (offline).
  var communes = null;
  fetch("/assets/communes-plaine-commune.geojson").then(function (r) { return r.json(); }).then(function (gj) {
    communes = L.geoJSON(gj, {
      style: { color: "#12355b", weight: 1.5, fillColor: "#12355b", fillOpacity: 0.04 },
      interactive: true,
      attribution: "Contours des communes : IGN – ADMIN EXPRESS (Licence Ouverte)",
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.nom, { sticky: true }); }
    }).addTo(map);
    communes.bringToBack();
  }).catch(function () {});
  var layer = L.markerClusterGroup ? L.markerClusterGroup() : L.layerGroup();
  map.addLayer(layer);
  var labels = { place: "Lieu", resident: "Résident·e", project: "Projet", event: "Événement", call: "Appel" };
  var base = el.getAttribute("data-geojson");
  var first = true;
  function text(s) { var d = document.createElement("div"); d.textContent = s || ""; return d.innerHTML; }
  function load() {
    var url = base;
    if (!first) {
      url += (url.indexOf("?") < 0 ? "?" : "&") + "bbox=" + map.getBounds().toBBoxString();
    }
    fetch(url).then(function (r) { return r.json(); }).then(function (fc) {
      layer.clearLayers();
      var bounds = [];
      (fc.features || []).forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties || {};
        var ll = [c[1], c[0]];
        bounds.push(ll);
        var m;
        if (p.cluster) {
          m = L.marker(ll, { title: p.count + " résultats", icon: L.divIcon({ className: "marker-cluster marker-cluster-medium", html: "<div><span>" + p.count + "</span></div>", iconSize: [40, 40] }) });
          m.on("click", function () { map.setView(ll, map.getZoom() + 2); });
        } else {
          m = L.marker(ll, { title: p.name, alt: (labels[p.kind] || "") + " : " + p.name });
          m.bindPopup("<strong><a href=\"" + text(p.page) + "\">" + text(p.name) + "</a></strong><br>" + text(labels[p.kind]) + (p.summary ? "<br>" + text(p.summary) : ""));
        }
        m.feature = f;
        layer.addLayer(m);
      });
      el.setAttribute("data-count", String((fc.features || []).length));
      el.setAttribute("data-total", String(fc.total || 0));
      if (first && bounds.length) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 });
      first = false;
      el.setAttribute("data-ready", "true");
    }).catch(function () { el.setAttribute("data-ready", "error"); });
  }
  load();
  map.on("moveend", function () { if (!first) load(); });
})();
