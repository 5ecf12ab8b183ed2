//! The matching engine: who or what suits a person, a call or a request, ranked, each with the
//! reasons in French and English.
//!
//! Both sides are [`Profile`]s, so one engine serves every direction (a volunteer → calls and
//! places, a call → volunteers, a request → places and residents). Constraints exclude (a minor
//! and a call not open to minors, a call filled or closed, a place with no capacity left, an
//! accessibility need not met, a distance beyond what either side accepts); skills and services
//! make the relevance, and time, distance and preferences order what is equally relevant.
//! Candidates are found through an inverted index from concept to candidates, so a request is
//! scored only against those sharing something close to what it asks.

use crate::nomenclature::{Asked, ConceptId, Nomenclature, Relation};
use crate::slots::{Overlap, Slot, best_overlap, describe_en, describe_fr};
use chrono::NaiveDate;
use kommon_network::Point;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What a profile is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProfileKind {
    /// A call for volunteers.
    Call,
    /// A place.
    Place,
    /// A resident of a place.
    Resident,
    /// A person offering their time.
    Volunteer,
    /// A person asking for a service.
    Request,
}

/// One side of a match: what it asks or offers, when, where, and under which constraints.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Its IRI or local id.
    pub id: String,
    /// What it is.
    pub kind: ProfileKind,
    /// Its name, for the lists.
    pub name: String,
    /// Skills asked (for a seeker) or offered (for a candidate).
    pub skills: Vec<Asked>,
    /// Service types asked or accepted.
    pub services: Vec<Asked>,
    /// Time slots (a call's) or availability (a person's, a place's opening hours).
    pub slots: Vec<Slot>,
    /// Where it is.
    pub point: Option<Point>,
    /// The farthest it accepts to go, in km.
    pub max_km: Option<f64>,
    /// The place it belongs to or happens at (the place's IRI), if any.
    pub place: Option<String>,
    /// The commune it is in (a `kommon:commune-…` IRI).
    pub commune: Option<String>,
    /// Places this person would rather go to.
    pub preferred_places: Vec<String>,
    /// Communes this person would rather act in.
    pub preferred_communes: Vec<String>,
    /// A person under 18.
    pub minor: bool,
    /// Takes people under 18 (a call open to minors; places take everyone).
    pub minors_welcome: bool,
    /// Accessibility features this person needs (`kommon:access-…` IRIs).
    pub needs: Vec<String>,
    /// Accessibility features this call or place offers.
    pub provides: Vec<String>,
    /// Can take someone now: a call not filled nor past, a place with capacity left.
    pub open: bool,
}

impl Profile {
    /// An open profile with only an id, a kind and a name.
    pub fn new(id: &str, kind: ProfileKind, name: &str) -> Self {
        Profile {
            id: id.to_owned(),
            kind,
            name: name.to_owned(),
            skills: Vec::new(),
            services: Vec::new(),
            slots: Vec::new(),
            point: None,
            max_km: None,
            place: None,
            commune: None,
            preferred_places: Vec::new(),
            preferred_communes: Vec::new(),
            minor: false,
            minors_welcome: true,
            needs: Vec::new(),
            provides: Vec::new(),
            open: true,
        }
    }
}

/// One reason a candidate suits.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// A skill of the candidate's, and how it stands to what was asked.
    Skill {
        /// The candidate's skill.
        offered: ConceptId,
        /// The words the candidate used for it, when it came from their text.
        offered_said: Option<String>,
        /// The skill asked.
        asked: Asked,
        /// How they stand.
        relation: Relation,
    },
    /// A service the candidate takes, and how it stands to what was asked.
    Service {
        /// The candidate's service type.
        offered: ConceptId,
        /// The service asked.
        asked: Asked,
        /// How they stand.
        relation: Relation,
    },
    /// The time both sides share.
    Time(Overlap),
    /// Both gave times, and they do not meet.
    NoCommonTime,
    /// The distance, in km.
    Distance(f64),
    /// The candidate is (at) a place the person prefers.
    PreferredPlace,
    /// The candidate is in a commune the person prefers.
    PreferredCommune,
}

/// A ranked suggestion.
#[derive(Clone, Debug)]
pub struct Suggestion {
    /// The candidate's id.
    pub id: String,
    /// What it is.
    pub kind: ProfileKind,
    /// Its name.
    pub name: String,
    /// Between 0 and 1.
    pub score: f32,
    /// Why, in order: skills, services, time, distance, preference.
    pub reasons: Vec<Reason>,
}

/// The weights of each part of the score, relevance multiplying the rest.
const BASE: f32 = 0.55;
const TIME: f32 = 0.25;
const DISTANCE: f32 = 0.12;
const PREFERENCE: f32 = 0.08;
/// What is left of a score when the two sides have no time in common.
const NO_COMMON_TIME: f32 = 0.45;
/// Distance at which the distance part halves, in km.
const HALF_DISTANCE_KM: f64 = 2.5;

/// A set of candidates of one kind or several, indexed for matching.
#[derive(Clone, Debug, Default)]
pub struct Matcher {
    candidates: Vec<Profile>,
    by_skill: Vec<Vec<u32>>,
    by_service: Vec<Vec<u32>>,
    skill_count: usize,
    service_count: usize,
}

#[derive(PartialEq)]
struct Ranked(f32, u32);

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    // Reversed so that the heap's top is the worst kept candidate.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| self.1.cmp(&other.1))
    }
}

/// Everything matching needs besides the two profiles.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The skills nomenclature.
    pub skills: &'a Nomenclature,
    /// The service types.
    pub services: &'a Nomenclature,
    /// Today: slots before it do not count.
    pub today: NaiveDate,
}

impl Matcher {
    /// An empty matcher for these nomenclatures.
    pub fn new(skills: &Nomenclature, services: &Nomenclature) -> Self {
        Matcher {
            candidates: Vec::new(),
            by_skill: vec![Vec::new(); skills.len()],
            by_service: vec![Vec::new(); services.len()],
            skill_count: skills.len(),
            service_count: services.len(),
        }
    }

    /// Adds a candidate.
    pub fn add(&mut self, candidate: Profile) {
        let i = self.candidates.len() as u32;
        for a in &candidate.skills {
            if (a.concept as usize) < self.skill_count {
                self.by_skill[a.concept as usize].push(i);
            }
        }
        for a in &candidate.services {
            if (a.concept as usize) < self.service_count {
                self.by_service[a.concept as usize].push(i);
            }
        }
        self.candidates.push(candidate);
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    /// Whether there is no candidate.
    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    /// The candidates.
    pub fn candidates(&self) -> &[Profile] {
        &self.candidates
    }

    /// The `limit` best candidates of the given kinds for `seeker`, best first.
    pub fn suggest(
        &self,
        ctx: Context<'_>,
        seeker: &Profile,
        kinds: &[ProfileKind],
        limit: usize,
    ) -> Vec<Suggestion> {
        // Every concept list to visit, with the most any candidate found there can score:
        // visited closest first, and once the kept candidates all score at least that bound,
        // no candidate left unvisited can enter the list (relevance multiplies a part ≤ 1).
        let mut lists: Vec<(f32, &[u32])> = Vec::new();
        for a in &seeker.skills {
            for (concept, closeness) in ctx.skills.neighbours(a.concept) {
                lists.push((*closeness, &self.by_skill[*concept as usize]));
            }
        }
        for a in &seeker.services {
            for (concept, _) in ctx.services.neighbours(a.concept) {
                let bound = service_closeness(ctx.services, a.concept, *concept);
                lists.push((bound, &self.by_service[*concept as usize]));
            }
        }
        lists.sort_by(|x, y| y.0.total_cmp(&x.0));
        let everyone = seeker.skills.is_empty() && seeker.services.is_empty();
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(limit + 1);
        let consider = |heap: &mut BinaryHeap<Ranked>, i: u32| {
            let c = &self.candidates[i as usize];
            if !kinds.contains(&c.kind) || c.id == seeker.id {
                return;
            }
            if let Some(score) = score(ctx, seeker, c) {
                heap.push(Ranked(score, i));
                if heap.len() > limit {
                    heap.pop();
                }
            }
        };
        if everyone {
            for i in 0..self.candidates.len() as u32 {
                consider(&mut heap, i);
            }
        } else {
            let mut seen = vec![false; self.candidates.len()];
            for (bound, list) in lists {
                if limit > 0 && heap.len() == limit && heap.peek().is_some_and(|w| w.0 >= bound) {
                    break;
                }
                for &i in list {
                    if !std::mem::replace(&mut seen[i as usize], true) {
                        consider(&mut heap, i);
                    }
                }
            }
        }
        let mut ranked = heap.into_vec();
        ranked.sort();
        ranked
            .into_iter()
            .map(|Ranked(score, i)| {
                let c = &self.candidates[i as usize];
                Suggestion {
                    id: c.id.clone(),
                    kind: c.kind,
                    name: c.name.clone(),
                    score,
                    reasons: reasons(ctx, seeker, c),
                }
            })
            .collect()
    }
}

/// Why the candidate is excluded, if it is: the hard constraints, in both directions.
pub fn excluded(seeker: &Profile, c: &Profile) -> bool {
    if !c.open
        || (seeker.minor && !c.minors_welcome)
        || (c.minor && !seeker.minors_welcome)
        || !seeker.needs.iter().all(|n| c.provides.contains(n))
        || !c.needs.iter().all(|n| seeker.provides.contains(n))
    {
        return true;
    }
    if let (Some(a), Some(b)) = (seeker.point, c.point) {
        let limit = match (seeker.max_km, c.max_km) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        if limit.is_some_and(|l| a.distance_km(&b) > l) {
            return true;
        }
    }
    false
}

/// The best closeness of the candidate's concepts to each asked one, averaged; with the
/// concept pair behind each.
fn relevance_of(
    n: &Nomenclature,
    asked: &[Asked],
    offered: &[Asked],
) -> (f32, Vec<(Asked, ConceptId, Relation)>) {
    if asked.is_empty() {
        return (0.0, Vec::new());
    }
    let mut total = 0.0;
    let mut pairs = Vec::new();
    for a in asked {
        let mut best = (0.0f32, None);
        for o in offered {
            let (score, rel) = n.closeness(a.concept, o.concept);
            if score > best.0 {
                best = (score, rel.map(|r| (o.concept, r)));
            }
        }
        total += best.0;
        if let Some((o, r)) = best.1 {
            pairs.push((a.clone(), o, r));
        }
    }
    (total / asked.len() as f32, pairs)
}

/// A place that takes a broad service takes what it contains: for services a broader offer is
/// nearly as good as the very one, and a sibling service is a poor match.
fn service_closeness(n: &Nomenclature, asked: ConceptId, offered: ConceptId) -> f32 {
    match n.closeness(asked, offered) {
        (_, Some(Relation::Broader)) => 0.9,
        (_, Some(Relation::Sibling)) => 0.2,
        (score, _) => score,
    }
}

/// The best closeness of the candidate's services to each asked one, averaged.
fn service_relevance(
    n: &Nomenclature,
    asked: &[Asked],
    offered: &[Asked],
) -> (f32, Vec<(Asked, ConceptId, Relation)>) {
    if asked.is_empty() {
        return (0.0, Vec::new());
    }
    let mut total = 0.0;
    let mut pairs = Vec::new();
    for a in asked {
        let mut best = (0.0f32, None);
        for o in offered {
            let score = service_closeness(n, a.concept, o.concept);
            let (_, rel) = n.closeness(a.concept, o.concept);
            if score > best.0 {
                best = (score, rel.map(|r| (o.concept, r)));
            }
        }
        total += best.0;
        if let Some((o, r)) = best.1 {
            pairs.push((a.clone(), o, r));
        }
    }
    (total / asked.len() as f32, pairs)
}

fn relevance(ctx: Context<'_>, seeker: &Profile, c: &Profile) -> f32 {
    let (skill, _) = relevance_of(ctx.skills, &seeker.skills, &c.skills);
    let (service, _) = service_relevance(ctx.services, &seeker.services, &c.services);
    match (seeker.skills.is_empty(), seeker.services.is_empty()) {
        (true, true) => 0.5,
        (false, true) => skill,
        (true, false) => service,
        (false, false) => 0.6 * skill.max(service) + 0.4 * skill.min(service),
    }
}

fn preference(seeker: &Profile, c: &Profile) -> (f32, Option<Reason>) {
    let at_place = |places: &[String], p: &Profile| {
        places.contains(&p.id) || p.place.as_ref().is_some_and(|pl| places.contains(pl))
    };
    let in_commune = |communes: &[String], p: &Profile| {
        p.commune.as_ref().is_some_and(|cm| communes.contains(cm))
    };
    if at_place(&seeker.preferred_places, c) || at_place(&c.preferred_places, seeker) {
        (1.0, Some(Reason::PreferredPlace))
    } else if in_commune(&seeker.preferred_communes, c) || in_commune(&c.preferred_communes, seeker)
    {
        (0.7, Some(Reason::PreferredCommune))
    } else {
        (0.0, None)
    }
}

/// The score of a candidate for a seeker, or `None` when a constraint excludes it or nothing
/// it offers is close to what is asked.
pub fn score(ctx: Context<'_>, seeker: &Profile, c: &Profile) -> Option<f32> {
    if excluded(seeker, c) {
        return None;
    }
    let relevance = relevance(ctx, seeker, c);
    if relevance <= 0.0 {
        return None;
    }
    // Both gave times and they never meet: a match nobody can attend is a poor one, whatever
    // the skills, so it falls behind a looser match that fits.
    let (time, apart) = match (seeker.slots.is_empty(), c.slots.is_empty()) {
        (false, false) => match best_overlap(&seeker.slots, &c.slots, ctx.today) {
            Some(o) => (0.8 + 0.2 * (o.minutes.min(180) as f32 / 180.0), 1.0),
            None => (0.0, NO_COMMON_TIME),
        },
        _ => (0.5, 1.0),
    };
    let distance = match (seeker.point, c.point) {
        (Some(a), Some(b)) => {
            let d = a.distance_km(&b);
            (HALF_DISTANCE_KM / (HALF_DISTANCE_KM + d)) as f32
        }
        _ => 0.3,
    };
    let (pref, _) = preference(seeker, c);
    Some(apart * relevance * (BASE + TIME * time + DISTANCE * distance + PREFERENCE * pref))
}

fn reasons(ctx: Context<'_>, seeker: &Profile, c: &Profile) -> Vec<Reason> {
    let mut out = Vec::new();
    let (_, skills) = relevance_of(ctx.skills, &seeker.skills, &c.skills);
    for (asked, offered, relation) in skills {
        if !out
            .iter()
            .any(|r| matches!(r, Reason::Skill { offered: o, .. } if *o == offered))
        {
            let offered_said = c
                .skills
                .iter()
                .find(|a| a.concept == offered)
                .and_then(|a| a.said.clone());
            out.push(Reason::Skill {
                offered,
                offered_said,
                asked,
                relation,
            });
        }
    }
    let (_, services) = service_relevance(ctx.services, &seeker.services, &c.services);
    for (asked, offered, relation) in services {
        if !out
            .iter()
            .any(|r| matches!(r, Reason::Service { offered: o, .. } if *o == offered))
        {
            out.push(Reason::Service {
                offered,
                asked,
                relation,
            });
        }
    }
    if !seeker.slots.is_empty() && !c.slots.is_empty() {
        out.push(match best_overlap(&seeker.slots, &c.slots, ctx.today) {
            Some(o) => Reason::Time(o),
            None => Reason::NoCommonTime,
        });
    }
    if let (Some(a), Some(b)) = (seeker.point, c.point) {
        out.push(Reason::Distance(a.distance_km(&b)));
    }
    if let (_, Some(r)) = preference(seeker, c) {
        out.push(r);
    }
    out
}

fn km_fr(km: f64) -> String {
    if km < 0.95 {
        format!("à {} m", ((km * 1000.0 / 50.0).round() * 50.0) as u32)
    } else {
        format!("à {:.1} km", km).replace('.', ",")
    }
}

fn km_en(km: f64) -> String {
    if km < 0.95 {
        format!("{} m away", ((km * 1000.0 / 50.0).round() * 50.0) as u32)
    } else {
        format!("{km:.1} km away")
    }
}

fn asked_fr(n: &Nomenclature, a: &Asked) -> String {
    a.said
        .clone()
        .unwrap_or_else(|| n.label_fr(a.concept).to_lowercase())
}

fn asked_en(n: &Nomenclature, a: &Asked) -> String {
    a.said
        .clone()
        .unwrap_or_else(|| n.label_en(a.concept).to_lowercase())
}

fn concept_fr(
    n: &Nomenclature,
    offered: ConceptId,
    offered_said: Option<&str>,
    asked: &Asked,
    relation: Relation,
    what: &str,
) -> String {
    // The candidate's own words, when their skill came from what they wrote.
    let label = match offered_said {
        Some(w) => format!("{} (« {w} »)", n.label_fr(offered)),
        None => n.label_fr(offered).to_owned(),
    };
    let said = asked_fr(n, asked);
    match relation {
        Relation::Exact if asked.said.is_none() => format!("{label}, comme demandé"),
        Relation::Exact => format!("{label}, proche de « {said} » {what}"),
        Relation::Narrower => format!("{label}, une spécialité de « {said} » {what}"),
        Relation::Broader => format!("{label}, qui englobe « {said} » {what}"),
        Relation::Related => format!("{label}, lié à « {said} » {what}"),
        Relation::Sibling => format!("{label}, voisin de « {said} » {what}"),
    }
}

fn concept_en(
    n: &Nomenclature,
    offered: ConceptId,
    offered_said: Option<&str>,
    asked: &Asked,
    relation: Relation,
) -> String {
    let label = match offered_said {
        Some(w) => format!("{} (“{w}”)", n.label_en(offered)),
        None => n.label_en(offered).to_owned(),
    };
    let said = asked_en(n, asked);
    match relation {
        Relation::Exact if asked.said.is_none() => format!("{label}, as asked"),
        Relation::Exact => format!("{label}, close to “{said}” asked"),
        Relation::Narrower => format!("{label}, a speciality of “{said}” asked"),
        Relation::Broader => format!("{label}, which covers “{said}” asked"),
        Relation::Related => format!("{label}, related to “{said}” asked"),
        Relation::Sibling => format!("{label}, next to “{said}” asked"),
    }
}

impl Suggestion {
    /// The reasons in French: « Menuiserie, proche de « travail du bois » demandé ; disponible le
    /// samedi matin ; à 1,2 km ».
    pub fn explain_fr(&self, ctx: Context<'_>) -> String {
        let parts: Vec<String> = self
            .reasons
            .iter()
            .map(|r| match r {
                Reason::Skill {
                    offered,
                    offered_said,
                    asked,
                    relation,
                } => concept_fr(
                    ctx.skills,
                    *offered,
                    offered_said.as_deref(),
                    asked,
                    *relation,
                    "demandé",
                ),
                Reason::Service {
                    offered,
                    asked,
                    relation,
                } => concept_fr(ctx.services, *offered, None, asked, *relation, "demandé"),
                Reason::Time(o) => format!("disponible {}", describe_fr(&o.when)),
                Reason::NoCommonTime => "aucun créneau en commun".to_owned(),
                Reason::Distance(km) => km_fr(*km),
                Reason::PreferredPlace => "lieu choisi".to_owned(),
                Reason::PreferredCommune => "dans une commune choisie".to_owned(),
            })
            .collect();
        parts.join(" ; ")
    }

    /// The reasons in English.
    pub fn explain_en(&self, ctx: Context<'_>) -> String {
        let parts: Vec<String> = self
            .reasons
            .iter()
            .map(|r| match r {
                Reason::Skill {
                    offered,
                    offered_said,
                    asked,
                    relation,
                } => concept_en(
                    ctx.skills,
                    *offered,
                    offered_said.as_deref(),
                    asked,
                    *relation,
                ),
                Reason::Service {
                    offered,
                    asked,
                    relation,
                } => concept_en(ctx.services, *offered, None, asked, *relation),
                Reason::Time(o) => format!("available {}", describe_en(&o.when)),
                Reason::NoCommonTime => "no time in common".to_owned(),
                Reason::Distance(km) => km_en(*km),
                Reason::PreferredPlace => "chosen place".to_owned(),
                Reason::PreferredCommune => "in a chosen commune".to_owned(),
            })
            .collect();
        parts.join("; ")
    }
}
