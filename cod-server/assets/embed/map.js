// The map of an embedded view: Leaflet (vendored) with the view's GeoJSON; the list beside it
// says the same for whoever does not see the map.
(function () {
  "use strict";
  var el = document.getElementById("k-map");
  if (!el || !window.L) return;
  var map = L.map(el, { scrollWheelZoom: false });
  var tiles = el.dataset.tiles;
  if (tiles) L.tileLayer(tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  map.setView([48.93, 2.36], 12);
  fetch(el.dataset.geojson)
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        onEachFeature: function (f, l) {
          var a = document.createElement("a");
          a.href = f.properties.page || f.properties.id;
          a.target = "_top";
          a.textContent = f.properties.name;
          l.bindPopup(a);
        },
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { maxZoom: 15, padding: [20, 20] });
    });
})();
