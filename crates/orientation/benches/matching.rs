//! Matching one request against 150,000 residents and 10,000 calls (the target: under
//! 50 ms), side by side with scoring every candidate without the concept index.
//!
//! `cargo bench -p kommon-orientation --bench matching` prints a table; figures go to
//! docs/performance.md.

use chrono::{NaiveDate, NaiveTime, Weekday};
use kommon_network::Point;
use kommon_orientation::matcher::score;
use kommon_orientation::{Asked, Context, Matcher, Nomenclature, Profile, ProfileKind, Slot};
use kommon_vocab::SkillScheme;
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

fn point(rng: &mut Rng) -> Point {
    // Plaine Commune's bounding box.
    Point {
        lat: 48.89 + rng.unit() * 0.09,
        lon: 2.30 + rng.unit() * 0.16,
    }
}

fn concepts(rng: &mut Rng, n: &Nomenclature, count: usize) -> Vec<Asked> {
    (0..count)
        .map(|_| Asked {
            concept: rng.below(n.len()) as u16,
            said: None,
        })
        .collect()
}

fn weekly(rng: &mut Rng) -> Slot {
    let day = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ][rng.below(7)];
    let start = 8 + rng.below(10) as u32;
    Slot::Weekly {
        days: vec![day],
        start: NaiveTime::from_hms_opt(start, 0, 0).unwrap_or_default(),
        end: NaiveTime::from_hms_opt(start + 3, 0, 0).unwrap_or_default(),
        from: None,
        until: None,
    }
}

fn main() {
    let skills = Nomenclature::new(&SkillScheme::bundled().expect("skills"));
    let services = Nomenclature::new(&SkillScheme::service_types().expect("services"));
    let today = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default();
    let ctx = Context {
        skills: &skills,
        services: &services,
        today,
    };
    let mut rng = Rng(0x5eed_2027);
    let mut matcher = Matcher::new(&skills, &services);
    let started = Instant::now();
    for i in 0..150_000 {
        let mut p = Profile::new(&format!("r{i}"), ProfileKind::Resident, "résident·e");
        let k = 1 + rng.below(4);
        p.skills = concepts(&mut rng, &skills, k);
        let k = rng.below(2);
        p.services = concepts(&mut rng, &services, k);
        p.point = Some(point(&mut rng));
        p.place = Some(format!("place{}", rng.below(60)));
        let k = rng.below(3);
        p.slots = (0..k).map(|_| weekly(&mut rng)).collect();
        matcher.add(p);
    }
    for i in 0..10_000 {
        let mut p = Profile::new(&format!("c{i}"), ProfileKind::Call, "appel");
        let k = 1 + rng.below(3);
        p.skills = concepts(&mut rng, &skills, k);
        p.point = Some(point(&mut rng));
        p.slots = vec![weekly(&mut rng), weekly(&mut rng)];
        p.minors_welcome = rng.below(2) == 0;
        p.open = rng.below(10) != 0;
        matcher.add(p);
    }
    let built = started.elapsed();
    let texts = [
        "Je cherche quelqu'un pour du travail du bois et de la couture le samedi",
        "Besoin d'aide pour mes démarches administratives en ligne, je parle arabe",
        "Réparer mon vélo et apprendre la soudure",
        "Un coup de main en cuisine et pour l'accueil du public",
    ];
    let kinds = [ProfileKind::Resident, ProfileKind::Call];
    let rounds = 50;
    let mut indexed = Vec::new();
    let mut scanned = Vec::new();
    let mut found = 0;
    for round in 0..rounds {
        let text = texts[round % texts.len()];
        let t = Instant::now();
        let mut seeker = Profile::new("seeker", ProfileKind::Request, "demande");
        seeker.skills = skills.find_in_text(text);
        seeker.services = services.find_in_text(text);
        seeker.point = Some(point(&mut rng));
        seeker.max_km = Some(5.0);
        seeker.slots = vec![weekly(&mut rng), weekly(&mut rng)];
        let top = matcher.suggest(ctx, &seeker, &kinds, 10);
        let explained: usize = top.iter().map(|s| s.explain_fr(ctx).len()).sum();
        indexed.push(t.elapsed().as_secs_f64() * 1000.0);
        found += top.len() + explained.min(1);
        // The anchor: every candidate scored, no concept index.
        let t = Instant::now();
        let mut best: Vec<(f32, usize)> = matcher
            .candidates()
            .iter()
            .enumerate()
            .filter_map(|(i, c)| score(ctx, &seeker, c).map(|s| (s, i)))
            .collect();
        best.sort_by(|a, b| b.0.total_cmp(&a.0));
        best.truncate(10);
        scanned.push(t.elapsed().as_secs_f64() * 1000.0);
        if let (Some(a), Some(b)) = (top.first(), best.first()) {
            assert!(
                (a.score - b.0).abs() < 1e-6,
                "the index must not lose the best"
            );
        }
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        let median = v[v.len() / 2];
        let p95 = v[(v.len() * 95 / 100).min(v.len() - 1)];
        (median, p95)
    };
    let (im, ip) = stats(&mut indexed);
    let (sm, sp) = stats(&mut scanned);
    println!(
        "candidates: 150000 residents + 10000 calls, built in {:.0} ms; {rounds} requests, {found} suggestions",
        built.as_secs_f64() * 1000.0
    );
    println!("| matcher | median ms | p95 ms | ratio to full scan |");
    println!("|---|---|---|---|");
    println!(
        "| concept index (Matcher::suggest, with explanations) | {im:.2} | {ip:.2} | {:.2} |",
        im / sm
    );
    println!("| full scan (score every candidate) | {sm:.2} | {sp:.2} | 1.00 |");
}
