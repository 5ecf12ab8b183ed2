//! The evaluation set (`tests/evaluation/cases.json`: French cases written for this purpose,
//! each with the match a place's coordinator would rank first) run through the matcher. Prints
//! precision@1 and precision@3 per kind and overall, and holds them to the floors.

use chrono::NaiveDate;
use kommon_network::Point;
use kommon_orientation::slots::{parse_date, parse_day, parse_time};
use kommon_orientation::{Context, Matcher, Nomenclature, Profile, ProfileKind, Slot};
use kommon_vocab::SkillScheme;
use serde_json::Value;
use std::collections::HashMap;

const KSKILL: &str = "https://w3id.org/kommon/skills/";
const KOMMON: &str = "https://w3id.org/kommon/ns#";

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn iris(v: &Value, key: &str, base: &str) -> Vec<String> {
    strings(v, key)
        .into_iter()
        .map(|s| format!("{base}{s}"))
        .collect()
}

fn slots(v: &Value, key: &str) -> Vec<Slot> {
    let Some(list) = v[key].as_array() else {
        return Vec::new();
    };
    list.iter()
        .map(|s| {
            let start = parse_time(s["start"].as_str().unwrap()).unwrap();
            let end = parse_time(s["end"].as_str().unwrap()).unwrap();
            if let Some(date) = s["date"].as_str() {
                Slot::dated(parse_date(date).unwrap(), start, end).unwrap()
            } else {
                let days = strings(s, "days")
                    .iter()
                    .map(|d| parse_day(d).unwrap())
                    .collect();
                let date = |k: &str| s[k].as_str().map(|d| parse_date(d).unwrap());
                Slot::weekly(days, start, end, date("from"), date("until")).unwrap()
            }
        })
        .collect()
}

fn point(v: &Value) -> Option<Point> {
    Some(Point {
        lat: v["lat"].as_f64()?,
        lon: v["lon"].as_f64()?,
    })
}

struct World {
    skills: Nomenclature,
    services: Nomenclature,
    today: NaiveDate,
}

impl World {
    fn ctx(&self) -> Context<'_> {
        Context {
            skills: &self.skills,
            services: &self.services,
            today: self.today,
        }
    }

    /// A person's side: what they ticked and wrote, when, where, and their constraints.
    fn person(&self, v: &Value, id: &str, kind: ProfileKind) -> Profile {
        let text = v["text"].as_str().unwrap_or("");
        let mut p = Profile::new(id, kind, id);
        p.skills = self.skills.asked(&iris(v, "skills", KSKILL), text).unwrap();
        p.services = self
            .services
            .asked(&iris(v, "services", KOMMON), text)
            .unwrap();
        p.slots = slots(v, "availability");
        p.point = point(v);
        p.max_km = v["max_km"].as_f64();
        p.preferred_communes = iris(v, "communes", KOMMON);
        p.preferred_places = strings(v, "places");
        p.minor = v["minor"].as_bool().unwrap_or(false);
        p.needs = iris(v, "needs", KOMMON);
        p
    }
}

#[test]
fn the_evaluation_set_is_matched_as_places_would() {
    let data: Value =
        serde_json::from_str(include_str!("evaluation/cases.json")).expect("cases.json reads");
    let world = World {
        skills: Nomenclature::new(&SkillScheme::bundled().unwrap()),
        services: Nomenclature::new(&SkillScheme::service_types().unwrap()),
        today: parse_date(data["today"].as_str().unwrap()).unwrap(),
    };
    let ctx = world.ctx();
    let mut matcher = Matcher::new(&world.skills, &world.services);
    let mut places: HashMap<String, Profile> = HashMap::new();
    for v in data["places"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let mut p = Profile::new(id, ProfileKind::Place, v["name"].as_str().unwrap());
        p.skills = world.skills.asked(&iris(v, "skills", KSKILL), "").unwrap();
        p.services = world
            .services
            .asked(&iris(v, "services", KOMMON), "")
            .unwrap();
        p.slots = slots(v, "hours");
        p.point = point(v);
        p.place = Some(id.to_owned());
        p.commune = v["commune"].as_str().map(|c| format!("{KOMMON}{c}"));
        p.provides = iris(v, "accessibility", KOMMON);
        p.open = v["capacity"].as_u64().unwrap_or(0) > 0;
        places.insert(id.to_owned(), p.clone());
        matcher.add(p);
    }
    let at_place = |p: &mut Profile, place: &str| {
        let host = &places[place];
        p.point = host.point;
        p.commune = host.commune.clone();
        p.place = Some(place.to_owned());
        p.provides = host.provides.clone();
        // A place that takes no more requests takes none for its residents either.
        p.open = host.open;
    };
    for v in data["residents"].as_array().unwrap() {
        let mut p = Profile::new(
            v["id"].as_str().unwrap(),
            ProfileKind::Resident,
            v["name"].as_str().unwrap(),
        );
        p.skills = world.skills.asked(&iris(v, "skills", KSKILL), "").unwrap();
        p.services = world
            .services
            .asked(&iris(v, "services", KOMMON), "")
            .unwrap();
        at_place(&mut p, v["place"].as_str().unwrap());
        matcher.add(p);
    }
    let mut calls: HashMap<String, Profile> = HashMap::new();
    for v in data["calls"].as_array().unwrap() {
        let mut p = Profile::new(
            v["id"].as_str().unwrap(),
            ProfileKind::Call,
            v["title"].as_str().unwrap(),
        );
        p.skills = world.skills.asked(&iris(v, "skills", KSKILL), "").unwrap();
        p.slots = slots(v, "slots");
        at_place(&mut p, v["place"].as_str().unwrap());
        p.provides = iris(v, "accessibility", KOMMON);
        p.minors_welcome = v["minors"].as_bool().unwrap_or(false);
        let valid = v["valid_through"].as_str().map(|d| parse_date(d).unwrap());
        p.open =
            v["filled"].as_u64() < v["wanted"].as_u64() && valid.is_none_or(|d| d >= world.today);
        calls.insert(p.id.clone(), p.clone());
        matcher.add(p);
    }
    for v in data["volunteers"].as_array().unwrap() {
        let p = world.person(v, v["id"].as_str().unwrap(), ProfileKind::Volunteer);
        matcher.add(p);
    }

    // kind → (cases, right at 1, right within 3)
    let mut tally: HashMap<&str, (u32, u32, u32)> = HashMap::new();
    let mut misses = Vec::new();
    for case in data["cases"].as_array().unwrap() {
        let kind = case["kind"].as_str().unwrap();
        let (seeker, wanted) = match kind {
            "volunteer-to-calls" => (
                world.person(case, "seeker", ProfileKind::Volunteer),
                ProfileKind::Call,
            ),
            "request-to-places" => (
                world.person(case, "seeker", ProfileKind::Request),
                ProfileKind::Place,
            ),
            "request-to-residents" => (
                world.person(case, "seeker", ProfileKind::Request),
                ProfileKind::Resident,
            ),
            "call-to-volunteers" => (
                calls[case["call"].as_str().unwrap()].clone(),
                ProfileKind::Volunteer,
            ),
            other => panic!("unknown case kind {other}"),
        };
        let mut right: Vec<String> = vec![case["expected"].as_str().unwrap().to_owned()];
        right.extend(strings(case, "acceptable"));
        let top = matcher.suggest(ctx, &seeker, &[wanted], 3);
        let t = tally.entry(kind).or_default();
        t.0 += 1;
        if top.first().is_some_and(|s| right.contains(&s.id)) {
            t.1 += 1;
        } else {
            misses.push(format!(
                "{} ({}): expected {}, got {}",
                case["id"].as_str().unwrap(),
                case["about"].as_str().unwrap_or(""),
                right[0],
                top.iter()
                    .map(|s| format!("{} {:.3} [{}]", s.id, s.score, s.explain_fr(ctx)))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        if top.iter().any(|s| right.contains(&s.id)) {
            t.2 += 1;
        }
    }
    let mut all = (0, 0, 0);
    println!("| cases | n | precision@1 | precision@3 |");
    println!("|---|---|---|---|");
    let mut kinds: Vec<_> = tally.iter().collect();
    kinds.sort();
    for (kind, (n, p1, p3)) in kinds {
        println!(
            "| {kind} | {n} | {:.3} | {:.3} |",
            *p1 as f64 / *n as f64,
            *p3 as f64 / *n as f64
        );
        all = (all.0 + n, all.1 + p1, all.2 + p3);
    }
    let (p1, p3) = (all.1 as f64 / all.0 as f64, all.2 as f64 / all.0 as f64);
    println!("| all | {} | {p1:.3} | {p3:.3} |", all.0);
    for m in &misses {
        println!("miss: {m}");
    }
    assert!(all.0 >= 50, "the set has at least 50 cases");
    assert!(p1 >= 0.8, "precision@1 {p1:.3} is below 0.8");
    assert!(p3 >= 0.95, "precision@3 {p3:.3} is below 0.95");
}
