#!/usr/bin/env python3
"""Check the orientation evaluation set (cases.json next to this file). Standard library only.

Checks that:
- the file parses and every object has exactly the documented keys;
- every skill slug is a kskill:{slug} concept of vocab/skills.ttl, and every service type,
  accessibility feature and commune is a subject kommon:{name} of vocab/kommon.ttl of the right
  class (kommon:ServiceType, kommon:AccessibilityFeature, kommon:Commune);
- ids are unique (within and across collections) and every place, call, resident and volunteer
  id a record or a case refers to exists, with "expected"/"acceptable" of the kind the case asks for;
- slots and opening hours are well formed (dates ISO, times HH:MM, end after start, from <= until,
  days among mo tu we th fr sa su) and coordinates fall in Plaine Commune;
- the counts meet the minimums (cases 60, volunteer-to-calls 25, request-to-places 15,
  request-to-residents 8, call-to-volunteers 8; places 6-9, calls 25-40, residents and volunteers 20-30);
- each expected or acceptable answer passes the hard constraints a coordinator would never break
  (open call: not full, not past its date; a minor only on a call open to minors; the needed
  accessibility features present; a place with capacity left; within the person's max_km; at
  least one common time slot; a place that accepts the requested service type, a broader or a
  narrower one). This says nothing about ranking: it only catches answers that are impossible.

Prints a summary of counts per kind; exits 1 on any error.
Run: python3 crates/orientation/tests/evaluation/check_cases.py [path/to/cases.json]
"""

import datetime as dt
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
SKILLS_TTL = REPO / "vocab" / "skills.ttl"
KOMMON_TTL = REPO / "vocab" / "kommon.ttl"

DAYS = ["mo", "tu", "we", "th", "fr", "sa", "su"]
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Plaine Commune, generously: latitude and longitude bounds.
BBOX = (48.885, 48.985, 2.255, 2.440)

KINDS = {
    "volunteer-to-calls": 25,
    "request-to-places": 15,
    "request-to-residents": 8,
    "call-to-volunteers": 8,
}
MIN_CASES = 60
RANGES = {"places": (6, 9), "calls": (25, 40), "residents": (20, 30), "volunteers": (20, 30)}
REQUIRED_PLACES = ["le-6b", "phares", "la-main"]

PLACE_KEYS = {"id", "name", "commune", "lat", "lon", "services", "skills", "capacity", "hours", "accessibility"}
RESIDENT_KEYS = {"id", "name", "place", "skills", "services"}
CALL_KEYS = {"id", "place", "title", "skills", "slots", "minors", "accessibility", "wanted", "filled", "valid_through"}
VOLUNTEER_KEYS = {"id", "text", "skills", "availability", "lat", "lon", "max_km", "communes", "minor", "needs"}
CASE_COMMON = {"id", "about", "kind", "expected"}
CASE_OPTIONAL = {"acceptable"}
CASE_INPUT = {
    "volunteer-to-calls": {"text", "skills", "availability", "lat", "lon", "max_km", "communes", "places", "minor", "needs"},
    "request-to-places": {"text", "services", "skills", "availability", "lat", "lon", "max_km", "communes", "places", "needs"},
    "request-to-residents": {"text", "services", "skills", "availability", "lat", "lon", "max_km", "communes", "places", "needs"},
    "call-to-volunteers": {"call"},
}
EXPECTED_COLLECTION = {
    "volunteer-to-calls": "calls",
    "request-to-places": "places",
    "request-to-residents": "residents",
    "call-to-volunteers": "volunteers",
}

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


# ---------------------------------------------------------------- vocabulary

def load_skills():
    text = SKILLS_TTL.read_text(encoding="utf-8")
    return set(re.findall(r"^kskill:([a-z0-9-]+)\s+a\s+[^;]*\bskos:Concept\b", text, re.M))


def load_kommon():
    """Subjects of kommon.ttl: local name -> (set of rdf:type, set of skos:broader local names)."""
    text = KOMMON_TTL.read_text(encoding="utf-8")
    subjects = {}
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^kommon:([A-Za-z0-9_-]+)\s+a\s", text, re.M)]
    for i, (pos, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        block = text[pos:end]
        first = block.split(";", 1)[0]
        types = set(re.findall(r"kommon:([A-Za-z]+)", first[len("kommon:" + name):]))
        broader = set(re.findall(r"skos:broader\s+kommon:([A-Za-z0-9_-]+)", block))
        subjects[name] = (types, broader)
    return subjects


# ---------------------------------------------------------------- helpers

def parse_date(s):
    try:
        return dt.date.fromisoformat(s)
    except (TypeError, ValueError):
        return None


def minutes(t):
    h, m = t.split(":")
    return int(h) * 60 + int(m)


def is_str(x):
    return isinstance(x, str) and x.strip() != ""


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_str_list(where, value, field):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        err(where, f"{field} must be a list of strings")
        return []
    dup = [v for v, n in Counter(value).items() if n > 1]
    if dup:
        err(where, f"{field} repeats {dup}")
    return value


def check_keys(where, obj, required, optional=frozenset()):
    if not isinstance(obj, dict):
        err(where, "must be an object")
        return False
    keys = set(obj)
    missing = required - keys
    extra = keys - required - set(optional)
    if missing:
        err(where, f"missing keys {sorted(missing)}")
    if extra:
        err(where, f"unknown keys {sorted(extra)}")
    return not missing


def check_slot(where, slot, allow_dated=True):
    """Validate one slot; return it normalised or None."""
    if not isinstance(slot, dict):
        err(where, "slot must be an object")
        return None
    dated = "date" in slot
    if dated and not allow_dated:
        err(where, "opening hours must be weekly (days), not dated")
        return None
    required = {"date", "start", "end"} if dated else {"days", "start", "end"}
    optional = set() if dated else {"from", "until"}
    if not check_keys(where, slot, required, optional):
        return None
    ok = True
    for f in ("start", "end"):
        if not isinstance(slot[f], str) or not TIME_RE.match(slot[f]):
            err(where, f"{f} {slot[f]!r} is not HH:MM")
            ok = False
    if ok and minutes(slot["end"]) <= minutes(slot["start"]):
        err(where, f"end {slot['end']} is not after start {slot['start']}")
        ok = False
    if dated:
        d = parse_date(slot["date"]) if isinstance(slot["date"], str) and DATE_RE.match(slot["date"]) else None
        if d is None:
            err(where, f"date {slot['date']!r} is not YYYY-MM-DD")
            return None
        return {"date": d, "start": slot["start"], "end": slot["end"]} if ok else None
    days = slot["days"]
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        err(where, f"days {days!r} must be a non-empty list of {' '.join(DAYS)}")
        ok = False
    elif len(set(days)) != len(days):
        err(where, f"days {days!r} repeat a day")
    bounds = {}
    for f in ("from", "until"):
        if f in slot:
            d = parse_date(slot[f]) if isinstance(slot[f], str) and DATE_RE.match(slot[f]) else None
            if d is None:
                err(where, f"{f} {slot[f]!r} is not YYYY-MM-DD")
                ok = False
            bounds[f] = d
    if bounds.get("from") and bounds.get("until") and bounds["until"] < bounds["from"]:
        err(where, f"until {slot['until']} is before from {slot['from']}")
        ok = False
    if not ok:
        return None
    return {"days": set(days), "start": slot["start"], "end": slot["end"],
            "from": bounds.get("from"), "until": bounds.get("until")}


def check_slots(where, slots, field, allow_dated=True):
    if not isinstance(slots, list) or not slots:
        err(where, f"{field} must be a non-empty list of slots")
        return []
    out = []
    for i, s in enumerate(slots):
        n = check_slot(f"{where} {field}[{i}]", s, allow_dated)
        if n:
            out.append(n)
    return out


def check_coords(where, obj):
    lat, lon = obj.get("lat"), obj.get("lon")
    if not (is_num(lat) and is_num(lon)):
        err(where, "lat and lon must be numbers")
        return
    if not (BBOX[0] <= lat <= BBOX[1] and BBOX[2] <= lon <= BBOX[3]):
        err(where, f"({lat}, {lon}) is outside Plaine Commune")


def km(a, b):
    r = 6371.0
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def slot_dates(s, today, horizon):
    """Dates (from today to the horizon) on which a normalised slot happens."""
    if "date" in s:
        return {s["date"]} if s["date"] >= today else set()
    lo = max(today, s["from"] or today)
    hi = min(horizon, s["until"] or horizon)
    out, d = set(), lo
    while d <= hi:
        if DAYS[d.weekday()] in s["days"]:
            out.add(d)
        d += dt.timedelta(days=1)
    return out


def overlap(slots_a, slots_b, today, horizon):
    for a in slots_a:
        for b in slots_b:
            if not (minutes(a["start"]) < minutes(b["end"]) and minutes(b["start"]) < minutes(a["end"])):
                continue
            if slot_dates(a, today, horizon) & slot_dates(b, today, horizon):
                return True
    return False


# ---------------------------------------------------------------- main

def main(path):
    skills = load_skills()
    kommon = load_kommon()
    if not skills:
        err(str(SKILLS_TTL), "no kskill: concept found")
    if not kommon:
        err(str(KOMMON_TTL), "no kommon: subject found")

    def check_vocab(where, values, prefix, kind_class):
        for v in values:
            if not isinstance(v, str):
                continue
            if prefix == "skill":
                if v not in skills:
                    err(where, f"skill {v!r} is not a kskill: concept of skills.ttl")
                continue
            if not v.startswith(prefix + "-"):
                err(where, f"{v!r} should be a {prefix}-… name")
            if v not in kommon:
                err(where, f"{v!r} is not a subject kommon:{v} of kommon.ttl")
            elif kind_class not in kommon[v][0]:
                err(where, f"kommon:{v} is not a kommon:{kind_class}")

    def service_family(s):
        """The service type, its broader and its narrower service types (transitively)."""
        fam, todo = {s}, [s]
        while todo:  # broader
            x = todo.pop()
            for b in kommon.get(x, (set(), set()))[1]:
                if b not in fam:
                    fam.add(b)
                    todo.append(b)
        todo = [s]
        down = {s}
        while todo:  # narrower
            x = todo.pop()
            for n, (_, br) in kommon.items():
                if x in br and n not in down:
                    down.add(n)
                    todo.append(n)
        return fam | down

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        print(f"FAIL: cannot read {path}: {e}")
        return 1
    if not check_keys("top level", data, {"today", "places", "residents", "calls", "volunteers", "cases"}):
        print("\n".join(errors))
        return 1
    today = parse_date(data["today"]) if isinstance(data["today"], str) else None
    if today is None:
        err("top level", f"today {data['today']!r} is not YYYY-MM-DD")
        today = dt.date.today()
    horizon = today + dt.timedelta(days=366)

    all_ids = Counter()
    coll = {}
    for name in ("places", "residents", "calls", "volunteers", "cases"):
        items = data[name]
        if not isinstance(items, list):
            err(name, "must be a list")
            items = []
        coll[name] = {}
        for i, it in enumerate(items):
            iid = it.get("id") if isinstance(it, dict) else None
            if not is_str(iid) or not re.match(r"^[a-z0-9][a-z0-9-]*$", iid):
                err(f"{name}[{i}]", f"id {iid!r} must be a lowercase slug")
                continue
            all_ids[iid] += 1
            if iid in coll[name]:
                err(f"{name}[{i}]", f"duplicate id {iid!r}")
            coll[name][iid] = it
    for iid, n in all_ids.items():
        if n > 1:
            err("ids", f"{iid!r} is used {n} times across the file")

    places, residents, calls, volunteers = coll["places"], coll["residents"], coll["calls"], coll["volunteers"]
    norm_hours, norm_call_slots, norm_vol_slots = {}, {}, {}

    for pid, p in places.items():
        w = f"place {pid}"
        check_keys(w, p, PLACE_KEYS)
        if not is_str(p.get("name")):
            err(w, "name must be a non-empty string")
        check_vocab(w, [p.get("commune")], "commune", "Commune")
        check_coords(w, p)
        check_vocab(w, check_str_list(w, p.get("services"), "services"), "service", "ServiceType")
        check_vocab(w, check_str_list(w, p.get("skills"), "skills"), "skill", None)
        check_vocab(w, check_str_list(w, p.get("accessibility"), "accessibility"), "access", "AccessibilityFeature")
        if not isinstance(p.get("capacity"), int) or isinstance(p.get("capacity"), bool) or p["capacity"] < 0:
            err(w, "capacity must be an integer >= 0")
        norm_hours[pid] = check_slots(w, p.get("hours"), "hours", allow_dated=False)
    for req in REQUIRED_PLACES:
        if req not in places:
            err("places", f"{req!r} is required")

    for rid, r in residents.items():
        w = f"resident {rid}"
        check_keys(w, r, RESIDENT_KEYS)
        if not is_str(r.get("name")):
            err(w, "name must be a non-empty string")
        if r.get("place") not in places:
            err(w, f"place {r.get('place')!r} does not exist")
        check_vocab(w, check_str_list(w, r.get("skills"), "skills"), "skill", None)
        svc = check_str_list(w, r.get("services"), "services")
        check_vocab(w, svc, "service", "ServiceType")
        if r.get("place") in places:
            extra = set(svc) - set(places[r["place"]].get("services", []))
            if extra:
                err(w, f"services {sorted(extra)} are not services of its place")
        if not r.get("skills"):
            err(w, "a resident needs at least one skill")

    for cid, c in calls.items():
        w = f"call {cid}"
        check_keys(w, c, CALL_KEYS)
        if not is_str(c.get("title")):
            err(w, "title must be a non-empty string")
        if c.get("place") not in places:
            err(w, f"place {c.get('place')!r} does not exist")
        sk = check_str_list(w, c.get("skills"), "skills")
        if not sk:
            err(w, "a call needs at least one skill")
        check_vocab(w, sk, "skill", None)
        check_vocab(w, check_str_list(w, c.get("accessibility"), "accessibility"), "access", "AccessibilityFeature")
        if not isinstance(c.get("minors"), bool):
            err(w, "minors must be a boolean")
        wanted, filled = c.get("wanted"), c.get("filled")
        if not (isinstance(wanted, int) and isinstance(filled, int) and wanted >= 1 and 0 <= filled <= wanted):
            err(w, "wanted must be >= 1 and 0 <= filled <= wanted")
        if not (isinstance(c.get("valid_through"), str) and parse_date(c["valid_through"])):
            err(w, f"valid_through {c.get('valid_through')!r} is not YYYY-MM-DD")
        norm_call_slots[cid] = check_slots(w, c.get("slots"), "slots")

    for vid, v in volunteers.items():
        w = f"volunteer {vid}"
        check_keys(w, v, VOLUNTEER_KEYS)
        if not is_str(v.get("text")):
            err(w, "text must be a non-empty string")
        check_vocab(w, check_str_list(w, v.get("skills"), "skills"), "skill", None)
        check_vocab(w, check_str_list(w, v.get("communes"), "communes"), "commune", "Commune")
        check_vocab(w, check_str_list(w, v.get("needs"), "needs"), "access", "AccessibilityFeature")
        check_coords(w, v)
        if not is_num(v.get("max_km")) or v["max_km"] <= 0:
            err(w, "max_km must be a positive number")
        if not isinstance(v.get("minor"), bool):
            err(w, "minor must be a boolean")
        norm_vol_slots[vid] = check_slots(w, v.get("availability"), "availability")

    # -------- hard constraints on an answer (see the module docstring)
    def call_open(w, cid):
        c = calls[cid]
        if isinstance(c.get("filled"), int) and isinstance(c.get("wanted"), int) and c["filled"] >= c["wanted"]:
            err(w, f"{cid} is full ({c['filled']}/{c['wanted']})")
        vt = parse_date(c.get("valid_through", ""))
        if vt and vt < today:
            err(w, f"{cid} closed on {vt}")

    def person_fits_call(w, cid, person, slots):
        c = calls[cid]
        call_open(w, cid)
        if person.get("minor") and not c.get("minors"):
            err(w, f"{cid} is not open to minors")
        missing = set(person.get("needs", [])) - set(c.get("accessibility", []))
        if missing:
            err(w, f"{cid} lacks needed {sorted(missing)}")
        p = places.get(c.get("place"))
        if p and is_num(person.get("lat")) and is_num(person.get("max_km")):
            d = km((person["lat"], person["lon"]), (p["lat"], p["lon"]))
            if d > person["max_km"]:
                err(w, f"{cid} is {d:.1f} km away, beyond max_km {person['max_km']}")
        if slots and norm_call_slots.get(cid) and not overlap(slots, norm_call_slots[cid], today, horizon):
            err(w, f"no common time slot with {cid}")

    def request_fits_place(w, pid, case, slots, check_services):
        p = places[pid]
        if p.get("capacity") == 0:
            err(w, f"{pid} has no capacity left")
        missing = set(case.get("needs", [])) - set(p.get("accessibility", []))
        if missing:
            err(w, f"{pid} lacks needed {sorted(missing)}")
        if is_num(case.get("lat")) and is_num(case.get("max_km")):
            d = km((case["lat"], case["lon"]), (p["lat"], p["lon"]))
            if d > case["max_km"]:
                err(w, f"{pid} is {d:.1f} km away, beyond max_km {case['max_km']}")
        if slots and norm_hours.get(pid) and not overlap(slots, norm_hours[pid], today, horizon):
            err(w, f"{pid} is never open when the person is available")
        if check_services:
            for s in case.get("services", []):
                if s in kommon and not (service_family(s) & set(check_services)):
                    err(w, f"{s} is not accepted there (nor a broader or narrower type)")

    kinds = Counter()
    for cid, case in coll["cases"].items():
        w = f"case {cid}"
        kind = case.get("kind")
        if kind not in CASE_INPUT:
            err(w, f"kind {kind!r} is not one of {sorted(CASE_INPUT)}")
            continue
        kinds[kind] += 1
        check_keys(w, case, CASE_COMMON | CASE_INPUT[kind], CASE_OPTIONAL)
        if not is_str(case.get("about")):
            err(w, "about must be a non-empty string")
        answers = [case.get("expected")]
        if "acceptable" in case:
            acc = check_str_list(w, case["acceptable"], "acceptable")
            if not acc:
                err(w, "acceptable, when present, must not be empty")
            if case.get("expected") in acc:
                err(w, "acceptable repeats expected")
            answers += acc
        target = coll[EXPECTED_COLLECTION[kind]]
        for a in answers:
            if a not in target:
                err(w, f"answer {a!r} is not an id of {EXPECTED_COLLECTION[kind]}")
        answers = [a for a in answers if a in target]

        if kind == "call-to-volunteers":
            call = case.get("call")
            if call not in calls:
                err(w, f"call {call!r} does not exist")
                continue
            for a in answers:
                person_fits_call(f"{w} -> {a}", call, volunteers[a], norm_vol_slots.get(a))
            continue

        # free-text cases
        if not isinstance(case.get("text"), str):
            err(w, "text must be a string")
        sk = check_str_list(w, case.get("skills"), "skills")
        check_vocab(w, sk, "skill", None)
        check_vocab(w, check_str_list(w, case.get("communes"), "communes"), "commune", "Commune")
        check_vocab(w, check_str_list(w, case.get("needs"), "needs"), "access", "AccessibilityFeature")
        for p in check_str_list(w, case.get("places"), "places"):
            if p not in places:
                err(w, f"preferred place {p!r} does not exist")
        check_coords(w, case)
        if not is_num(case.get("max_km")) or case["max_km"] <= 0:
            err(w, "max_km must be a positive number")
        slots = check_slots(w, case.get("availability"), "availability")
        if kind == "volunteer-to-calls":
            if not isinstance(case.get("minor"), bool):
                err(w, "minor must be a boolean")
            if not sk and not is_str(case.get("text")):
                err(w, "needs skills or a text")
            for a in answers:
                person_fits_call(f"{w} -> {a}", a, case, slots)
        else:
            svc = check_str_list(w, case.get("services"), "services")
            check_vocab(w, svc, "service", "ServiceType")
            if not svc and not sk and not is_str(case.get("text")):
                err(w, "needs services, skills or a text")
            for a in answers:
                if kind == "request-to-places":
                    request_fits_place(f"{w} -> {a}", a, case, slots, places[a].get("services", []))
                else:
                    r = residents[a]
                    if r.get("place") in places:
                        request_fits_place(f"{w} -> {a}", r["place"], case, slots, None)

    # -------- counts
    total = sum(kinds.values())
    if total < MIN_CASES:
        err("cases", f"{total} cases, at least {MIN_CASES} wanted")
    for k, n in KINDS.items():
        if kinds[k] < n:
            err("cases", f"{kinds[k]} {k} cases, at least {n} wanted")
    for name, (lo, hi) in RANGES.items():
        if not lo <= len(coll[name]) <= hi:
            err(name, f"{len(coll[name])} {name}, {lo} to {hi} wanted")
    cl = list(calls.values())
    variety = {
        "full call": any(c.get("filled") == c.get("wanted") for c in cl),
        "call past its date": any(parse_date(c.get("valid_through", "")) and parse_date(c["valid_through"]) < today for c in cl),
        "call closed to minors": any(c.get("minors") is False for c in cl),
        "weekly slot": any("days" in s for c in cl for s in c.get("slots", []) if isinstance(s, dict)),
        "one-off slot": any("date" in s for c in cl for s in c.get("slots", []) if isinstance(s, dict)),
        "place with capacity 0": any(p.get("capacity") == 0 for p in places.values()),
    }
    for what, ok in variety.items():
        if not ok:
            err("calls/places", f"no {what}")

    print(f"{path}")
    print(f"  places {len(places)}, residents {len(residents)}, calls {len(calls)}, volunteers {len(volunteers)}")
    print(f"  cases {total}:")
    for k in KINDS:
        print(f"    {k:<22} {kinds[k]:>3}  (min {KINDS[k]})")
    if errors:
        print(f"FAIL: {len(errors)} error(s)")
        for e in errors:
            print("  - " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else HERE / "cases.json"))
