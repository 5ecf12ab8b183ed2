//! The network's speed at national scale (3,500 places, 150,000 residents, 500,000 events):
//! a map viewport as GeoJSON, a directory search, an agenda month, and the ingestion of
//! announced objects (normalize + store + index), against the targets of the network issue.
//!
//!     cargo bench -p kommon-network --bench network
//!
//! Prints one table; figures are medians (and p99) of repeated runs in this process.

use kommon_network::{BBox, Entry, Filter, Kind, NetworkIndex, NetworkRecords, Normalizer, Point};
use std::time::{Duration, Instant};

/// A small deterministic generator: the same data on every run, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

const WORDS: &[&str] = &[
    "atelier",
    "céramique",
    "bois",
    "réemploi",
    "jardin",
    "musique",
    "théâtre",
    "couture",
    "vélo",
    "cuisine",
    "numérique",
    "sérigraphie",
    "photo",
    "danse",
    "menuiserie",
    "textile",
    "compost",
    "apiculture",
    "forge",
    "radio",
];

fn skills() -> Vec<String> {
    kommon_vocab::SkillScheme::bundled()
        .unwrap()
        .iter()
        .map(|s| s.iri.as_str().to_owned())
        .collect()
}

fn build(places: usize, residents: usize, events: usize) -> (NetworkIndex, Vec<String>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let skills = skills();
    let index = NetworkIndex::new();
    let mut place_ids = Vec::with_capacity(places);
    let mut entries = Vec::with_capacity(places + residents + events);
    // Metropolitan France, roughly.
    for i in 0..places {
        let id = format!("https://cod{}.example/lieu-{i}", i % 200);
        let mut e = Entry::new(
            &id,
            Kind::Place,
            &format!("Tiers-lieu {} {i}", WORDS[i % WORDS.len()]),
        );
        e.point = Some(Point {
            lat: 42.5 + rng.unit() * 8.5,
            lon: -4.5 + rng.unit() * 12.5,
        });
        e.commune = Some(format!("https://w3id.org/kommon/ns#commune-{}", i % 500));
        place_ids.push(id);
        entries.push(e);
    }
    for i in 0..residents {
        let mut e = Entry::new(
            &format!("https://pods{}.example/r{i}", i % 300),
            Kind::Resident,
            &format!(
                "Résident·e {i} {}",
                WORDS[rng.below(WORDS.len() as u64) as usize]
            ),
        );
        e.summary = format!(
            "{} et {}",
            WORDS[rng.below(WORDS.len() as u64) as usize],
            WORDS[rng.below(WORDS.len() as u64) as usize]
        );
        e.skills = vec![skills[rng.below(skills.len() as u64) as usize].clone()];
        e.places = vec![place_ids[rng.below(places as u64) as usize].clone()];
        entries.push(e);
    }
    // Events over two years from 2027-01-01.
    let start0 = 1_798_761_600_000i64;
    for i in 0..events {
        let place = &place_ids[rng.below(places as u64) as usize];
        let mut e = Entry::new(
            &format!("{place}/events/{i}"),
            Kind::Event,
            &format!("{} {i}", WORDS[rng.below(WORDS.len() as u64) as usize]),
        );
        let s = start0 + rng.below(730 * 86_400) as i64 * 1000;
        e.start = Some(iso(s));
        e.end = Some(iso(s + 3 * 3_600_000));
        e.places = vec![place.clone()];
        entries.push(e);
    }
    index.extend(entries);
    (index, skills)
}

fn iso(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    (t[runs / 2], t[(runs * 99 / 100).min(runs - 1)])
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let scale = std::env::var("KOMMON_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    let n = |x: f64| (x * scale) as usize;
    let t = Instant::now();
    let (index, skills) = build(n(3_500.0).max(10), n(150_000.0), n(500_000.0));
    println!(
        "network bench: {} entries indexed in {:.1} s (scale {scale})",
        index.len(),
        t.elapsed().as_secs_f64()
    );
    let link = |e: &Entry| format!("https://reseau.example/fiche?id={}", e.id);
    let mut rows: Vec<(String, Duration, Duration, f64)> = Vec::new();
    // A city viewport (0.3° × 0.2°) around the busiest place: its residents and events.
    let busiest = index
        .all_of(Kind::Place)
        .into_iter()
        .max_by_key(|p| index.listed_by(&p.id).len())
        .unwrap();
    let c = busiest.point.unwrap();
    let city = BBox::parse(&format!(
        "{},{},{},{}",
        c.lon - 0.15,
        c.lat - 0.1,
        c.lon + 0.15,
        c.lat + 0.1
    ))
    .unwrap();
    let in_city = index.map(&Filter::default(), Some(city), usize::MAX).total;
    let (m, p) = measure(30, || {
        let v = index.map(&Filter::default(), Some(city), 800);
        std::hint::black_box(kommon_network::feeds::geojson(&v, &link).to_string());
    });
    rows.push((
        format!("GeoJSON, city viewport ({in_city} entries)"),
        m,
        p,
        100.0,
    ));
    // The whole country: clusters.
    let france = BBox::parse("-5,42,8.5,51.5").unwrap();
    let (m, p) = measure(20, || {
        let v = index.map(&Filter::default(), Some(france), 800);
        std::hint::black_box(kommon_network::feeds::geojson(&v, &link).to_string());
    });
    rows.push(("GeoJSON, whole country (clustered)".into(), m, p, 100.0));
    // Residents with a skill, country-wide.
    let skill_filter = Filter {
        kinds: vec![Kind::Resident],
        skills: vec![skills[3].clone()],
        ..Filter::default()
    };
    let (m, p) = measure(20, || {
        let v = index.map(&skill_filter, Some(france), 800);
        std::hint::black_box(kommon_network::feeds::geojson(&v, &link).to_string());
    });
    rows.push(("GeoJSON, one skill, whole country".into(), m, p, 100.0));
    let (m, p) = measure(50, || {
        std::hint::black_box(index.search(
            &Filter {
                text: "céram".into(),
                ..Filter::default()
            },
            0,
            30,
        ));
    });
    rows.push(("directory: prefix search with facets".into(), m, p, 50.0));
    let (m, p) = measure(50, || {
        std::hint::black_box(index.search(
            &Filter {
                text: "atelier bois".into(),
                kinds: vec![Kind::Resident],
                ..Filter::default()
            },
            0,
            30,
        ));
    });
    rows.push(("directory: two words, one kind".into(), m, p, 50.0));
    let june = (
        kommon_network::entry::parse_datetime_ms("2027-06-01T00:00:00+02:00").unwrap(),
        kommon_network::entry::parse_datetime_ms("2027-07-01T00:00:00+02:00").unwrap(),
    );
    let (m, p) = measure(50, || {
        std::hint::black_box(index.agenda(
            &Filter {
                kinds: vec![Kind::Event, Kind::Call],
                ..Filter::default()
            },
            june.0,
            june.1,
            2_000,
        ));
    });
    rows.push(("agenda month (first 2,000 of ~20,000)".into(), m, p, 50.0));
    // Ingestion: normalize, store with provenance, index.
    let normalizer = Normalizer::bundled().unwrap();
    let store = kommon_rdf::QuadStore::temporary().unwrap();
    let records = NetworkRecords::new(&store);
    let fresh = NetworkIndex::new();
    let count = 2_000;
    let docs: Vec<(String, serde_json::Value)> = (0..count)
        .map(|i| {
            let id = format!("https://cod.example/le-6b/events/{i}");
            (
                id.clone(),
                serde_json::json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/kommon/context.jsonld"],
                    "id": id, "type": "Event", "name": format!("Atelier {i}"),
                    "content": "<p>Réparez votre vélo et repartez.</p>",
                    "startTime": "2027-03-01T10:00:00+01:00", "endTime": "2027-03-01T12:00:00+01:00",
                    "location": {"type": "Place", "name": "Le 6B", "latitude": 48.93, "longitude": 2.35},
                    "prov:wasDerivedFrom": format!("https://pods.example/ana/data/e{i}"),
                }),
            )
        })
        .collect();
    let t = Instant::now();
    for (id, doc) in docs.iter().take(200) {
        let text = doc.to_string();
        std::hint::black_box(
            kommon_rdf::codec::parse_graph(
                kommon_rdf::codec::RdfFormat::JsonLd,
                text.as_bytes(),
                Some(id),
                &Default::default(),
                normalizer.contexts(),
            )
            .unwrap(),
        );
    }
    println!(
        "ingestion: {:.0} µs per object reading JSON-LD alone",
        t.elapsed().as_secs_f64() * 1e6 / 200.0
    );
    let s = Instant::now();
    let mut normalizing = Duration::ZERO;
    for (id, doc) in &docs {
        let t = Instant::now();
        let mut n = normalizer.document(id, doc, &[], Kind::Event).unwrap();
        normalizing += t.elapsed();
        n.entry.places = vec!["https://cod.example/le-6b".into()];
        records.put(&n, id, 1).unwrap();
        fresh.insert(n.entry);
    }
    let per_s = count as f64 / s.elapsed().as_secs_f64();
    let storing = s.elapsed() - normalizing;
    // The same on every core (the network normalizes announced objects in parallel; the
    // store and the index take their own locks).
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let sp = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (normalizer, records, fresh, docs) = (&normalizer, &records, &fresh, &docs);
            scope.spawn(move || {
                for (id, doc) in docs.iter().skip(t).step_by(threads) {
                    let mut n = normalizer.document(id, doc, &[], Kind::Event).unwrap();
                    n.entry.places = vec!["https://cod.example/le-6b".into()];
                    records.put(&n, id, 2).unwrap();
                    fresh.insert(n.entry);
                }
            });
        }
    });
    let parallel_per_s = count as f64 / sp.elapsed().as_secs_f64();
    println!(
        "ingestion: {:.0} µs per object normalizing (JSON-LD, mapping, shapes), {:.0} µs storing and indexing",
        normalizing.as_secs_f64() * 1e6 / count as f64,
        storing.as_secs_f64() * 1e6 / count as f64
    );
    println!();
    println!("| operation | median ms | p99 ms | target ms | within |");
    println!("|---|---:|---:|---:|---|");
    for (name, m, p, target) in &rows {
        let ok = p.as_secs_f64() * 1000.0 <= *target;
        println!(
            "| {name} | {} | {} | {target} | {} |",
            ms(*m),
            ms(*p),
            if ok { "yes" } else { "NO" }
        );
    }
    println!(
        "| ingestion of announced events, one core (normalize + store + index) | {per_s:.0} objects/s | | ≥ 1000/s | {} |",
        if per_s >= 1000.0 { "yes" } else { "NO" }
    );
    println!(
        "| ingestion of announced events, {threads} cores | {parallel_per_s:.0} objects/s | | ≥ 1000/s | {} |",
        if parallel_per_s >= 1000.0 {
            "yes"
        } else {
            "NO"
        }
    );
}
