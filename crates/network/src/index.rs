//! The network's in-memory index of its entries, for the map, the directory and the agenda:
//! a word index (folded words to sorted entry numbers, prefixes by range), a start-time index,
//! and the points of member places, which entries without a point of their own borrow.
//!
//! Why in memory: a national network is about 650,000 entries of a few hundred bytes, and the
//! targets (a directory search under 50 ms, a map viewport under 100 ms) are met by scanning
//! compact structures, not by SPARQL. The store keeps the entries; the index is rebuilt from it
//! at start.

use crate::entry::{Entry, Kind, Point};
use crate::text;
use parking_lot::RwLock;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// What a search, a map or an agenda keeps. Empty lists mean "any".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Words to find (all of them; the last one may be the start of a word).
    pub text: String,
    /// Kinds.
    pub kinds: Vec<Kind>,
    /// Skills: an entry matches when it has one of them (give narrower skills too).
    pub skills: Vec<String>,
    /// Member places (actor IRIs).
    pub places: Vec<String>,
    /// Communes (IRIs).
    pub communes: Vec<String>,
    /// Themes (tags).
    pub themes: Vec<String>,
}

impl Filter {
    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
            && self.kinds.is_empty()
            && self.skills.is_empty()
            && self.places.is_empty()
            && self.communes.is_empty()
            && self.themes.is_empty()
    }
}

/// A rectangle of the map: south, west, north, east.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    /// Southern latitude.
    pub south: f64,
    /// Western longitude.
    pub west: f64,
    /// Northern latitude.
    pub north: f64,
    /// Eastern longitude.
    pub east: f64,
}

impl BBox {
    /// Parses `south,west,north,east` (Leaflet's `toBBoxString` order is west,south,east,north:
    /// this takes that order, as the GeoJSON API documents).
    pub fn parse(s: &str) -> Option<BBox> {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        let [west, south, east, north] = v.as_slice() else {
            return None;
        };
        let b = BBox {
            south: *south,
            west: *west,
            north: *north,
            east: *east,
        };
        let ok = v.iter().all(|x| x.is_finite())
            && (-90.0..=90.0).contains(&b.south)
            && (-90.0..=90.0).contains(&b.north)
            && (-180.0..=180.0).contains(&b.west)
            && (-180.0..=180.0).contains(&b.east)
            && b.south <= b.north
            && b.west <= b.east;
        ok.then_some(b)
    }

    fn contains(&self, p: Point) -> bool {
        p.lat >= self.south && p.lat <= self.north && p.lon >= self.west && p.lon <= self.east
    }
}

/// How many entries of each value a result set holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facets {
    /// Per kind.
    pub kinds: Vec<(Kind, usize)>,
    /// Per skill IRI, most frequent first.
    pub skills: Vec<(String, usize)>,
    /// Per member place.
    pub places: Vec<(String, usize)>,
    /// Per commune IRI.
    pub communes: Vec<(String, usize)>,
}

/// One page of a directory search.
#[derive(Clone, Debug, Default)]
pub struct SearchPage {
    /// How many entries match.
    pub total: usize,
    /// The entries of the page, by name.
    pub items: Vec<Arc<Entry>>,
    /// Counts over every match.
    pub facets: Facets,
}

/// A group of entries too close to show apart at this scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// Their mean position.
    pub point: Point,
    /// How many.
    pub count: usize,
}

/// What a map viewport shows: the entries with their points, or clusters when too many.
#[derive(Clone, Debug, Default)]
pub struct MapView {
    /// How many entries match in the viewport.
    pub total: usize,
    /// The entries and where they are shown (empty when clustered).
    pub points: Vec<(Arc<Entry>, Point)>,
    /// Clusters (empty when the entries fit).
    pub clusters: Vec<Cluster>,
}

/// The size of a map grid cell, in degrees: a city viewport reads a few cells, not the country.
const CELL: f64 = 0.25;

fn cell_of(p: Point) -> (i32, i32) {
    ((p.lat / CELL).floor() as i32, (p.lon / CELL).floor() as i32)
}

#[derive(Default)]
struct Inner {
    slots: Vec<Option<Arc<Entry>>>,
    /// Where each entry is shown (its own point, or its place's), kept with the slots.
    points: Vec<Option<Point>>,
    /// Each entry's folded name, the directory's sort key.
    keys: Vec<String>,
    /// The entries shown in each grid cell.
    grid: HashMap<(i32, i32), Vec<u32>>,
    by_id: HashMap<String, u32>,
    free: Vec<u32>,
    words: BTreeMap<String, Vec<u32>>,
    by_start: BTreeSet<(i64, u32)>,
    /// The entries each member place lists.
    by_place: HashMap<String, Vec<u32>>,
    /// How many entries of each kind.
    counts: HashMap<Kind, usize>,
    /// The entries of each kind, by folded name.
    by_kind: HashMap<Kind, BTreeSet<(String, u32)>>,
    /// The entries of each kind, by when they were stored.
    recent: HashMap<Kind, BTreeSet<(u64, u32)>>,
    /// How many entries carry each theme.
    themes: HashMap<String, usize>,
    longest_ms: i64,
    place_points: HashMap<String, Point>,
}

/// The index. Cloning is cheap; readers never wait for each other.
#[derive(Clone, Default)]
pub struct NetworkIndex {
    inner: Arc<RwLock<Inner>>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

fn entry_words(e: &Entry) -> Vec<String> {
    let mut w = text::words(&e.label);
    w.extend(text::words(&e.summary));
    w.extend(text::words(&e.address));
    for t in &e.themes {
        w.extend(text::words(t));
    }
    // The description is long: its first words are enough to find it.
    w.extend(text::words(&e.description).into_iter().take(60));
    w.sort();
    w.dedup();
    w
}

impl Inner {
    fn unplace(&mut self, slot: u32) {
        if let Some(p) = self.points.get_mut(slot as usize).and_then(Option::take) {
            let c = cell_of(p);
            if let Some(list) = self.grid.get_mut(&c) {
                if let Some(i) = list.iter().position(|s| *s == slot) {
                    list.swap_remove(i);
                }
                if list.is_empty() {
                    self.grid.remove(&c);
                }
            }
        }
    }

    fn place(&mut self, slot: u32) {
        self.unplace(slot);
        let point = match self.slots.get(slot as usize).and_then(Option::as_ref) {
            Some(e) => self.point_of(e),
            None => None,
        };
        if let Some(p) = point {
            self.points[slot as usize] = Some(p);
            self.grid.entry(cell_of(p)).or_default().push(slot);
        }
    }

    /// A place moved (or arrived, or left): the entries shown at its point follow.
    fn replace_dependents(&mut self, place: &str) {
        let dependents: Vec<u32> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let e = s.as_ref()?;
                (e.point.is_none()
                    && (e.location.as_deref() == Some(place)
                        || e.places.iter().any(|p| p == place)))
                .then_some(i as u32)
            })
            .collect();
        for s in dependents {
            self.place(s);
        }
    }

    fn remove_slot(&mut self, slot: u32) {
        self.unplace(slot);
        let Some(old) = self.slots.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        self.by_id.remove(&old.id);
        for w in entry_words(&old) {
            if let Some(list) = self.words.get_mut(&w) {
                if let Ok(i) = list.binary_search(&slot) {
                    list.remove(i);
                }
                if list.is_empty() {
                    self.words.remove(&w);
                }
            }
        }
        if let Some(s) = old.start_ms() {
            self.by_start.remove(&(s, slot));
        }
        for p in &old.places {
            if let Some(list) = self.by_place.get_mut(p) {
                if let Some(i) = list.iter().position(|s| *s == slot) {
                    list.swap_remove(i);
                }
                if list.is_empty() {
                    self.by_place.remove(p);
                }
            }
        }
        if let Some(n) = self.counts.get_mut(&old.kind) {
            *n = n.saturating_sub(1);
        }
        let key = std::mem::take(&mut self.keys[slot as usize]);
        if let Some(set) = self.by_kind.get_mut(&old.kind) {
            set.remove(&(key, slot));
        }
        if let Some(set) = self.recent.get_mut(&old.kind) {
            set.remove(&(old.updated_ms, slot));
        }
        for t in &old.themes {
            if let Some(n) = self.themes.get_mut(t) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.themes.remove(t);
                }
            }
        }
        if old.kind == Kind::Place && self.place_points.remove(&old.id).is_some() {
            self.replace_dependents(&old.id);
        }
        self.free.push(slot);
    }

    fn insert(&mut self, e: Entry) {
        if let Some(slot) = self.by_id.get(&e.id).copied() {
            self.remove_slot(slot);
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.points.push(None);
                self.keys.push(String::new());
                (self.slots.len() - 1) as u32
            }
        };
        self.keys[slot as usize] = text::fold(&e.label);
        for w in entry_words(&e) {
            let list = self.words.entry(w).or_default();
            if let Err(i) = list.binary_search(&slot) {
                list.insert(i, slot);
            }
        }
        for p in &e.places {
            self.by_place.entry(p.clone()).or_default().push(slot);
        }
        *self.counts.entry(e.kind).or_default() += 1;
        self.by_kind
            .entry(e.kind)
            .or_default()
            .insert((self.keys[slot as usize].clone(), slot));
        self.recent
            .entry(e.kind)
            .or_default()
            .insert((e.updated_ms, slot));
        for t in &e.themes {
            *self.themes.entry(t.clone()).or_default() += 1;
        }
        if let Some(s) = e.start_ms() {
            self.by_start.insert((s, slot));
            if let Some(end) = e.end_ms() {
                self.longest_ms = self.longest_ms.max(end - s);
            }
        }
        let moved_place = if e.kind == Kind::Place {
            let old = match e.point {
                Some(p) => self.place_points.insert(e.id.clone(), p),
                None => self.place_points.remove(&e.id),
            };
            (old != e.point).then(|| e.id.clone())
        } else {
            None
        };
        self.by_id.insert(e.id.clone(), slot);
        self.slots[slot as usize] = Some(Arc::new(e));
        self.place(slot);
        if let Some(place) = moved_place {
            self.replace_dependents(&place);
        }
    }

    fn point_of(&self, e: &Entry) -> Option<Point> {
        e.point
            .or_else(|| {
                e.location
                    .as_ref()
                    .and_then(|l| self.place_points.get(l).copied())
            })
            .or_else(|| {
                e.places
                    .iter()
                    .find_map(|p| self.place_points.get(p).copied())
            })
    }

    fn matches(&self, e: &Entry, f: &Filter) -> bool {
        (f.kinds.is_empty() || f.kinds.contains(&e.kind))
            && (f.skills.is_empty() || e.skills.iter().any(|s| f.skills.contains(s)))
            && (f.places.is_empty()
                || e.places.iter().any(|p| f.places.contains(p))
                || (e.kind == Kind::Place && f.places.contains(&e.id)))
            && (f.communes.is_empty() || e.commune.as_ref().is_some_and(|c| f.communes.contains(c)))
            && (f.themes.is_empty() || e.themes.iter().any(|t| f.themes.contains(t)))
    }

    /// The entry numbers that have every word of `q` (the last as a prefix); `None` when `q`
    /// has no words.
    fn text_candidates(&self, q: &str) -> Option<Vec<u32>> {
        let words = text::words(q);
        let (last, whole) = words.split_last()?;
        let mut sets: Vec<Vec<u32>> = Vec::new();
        for w in whole {
            sets.push(self.words.get(w).cloned().unwrap_or_default());
        }
        // The last word as typed so far: every indexed word it starts, merged.
        let mut prefixed: Vec<u32> = Vec::new();
        for (_, list) in self
            .words
            .range(last.clone()..)
            .take_while(|(k, _)| k.starts_with(last.as_str()))
            .take(500)
        {
            prefixed.extend_from_slice(list);
        }
        prefixed.sort_unstable();
        prefixed.dedup();
        sets.push(prefixed);
        sets.sort_by_key(Vec::len);
        let mut result = sets.remove(0);
        for s in &sets {
            result.retain(|x| s.binary_search(x).is_ok());
        }
        Some(result)
    }
}

fn counted<K: std::hash::Hash + Eq + Ord + Clone>(m: HashMap<K, usize>) -> Vec<(K, usize)> {
    let mut v: Vec<(K, usize)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

impl NetworkIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an entry.
    pub fn insert(&self, e: Entry) {
        self.inner.write().insert(e);
        self.changed();
    }

    fn changed(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// A number that changes whenever the index does: what was computed from the index under
    /// one generation holds until the next (the site's page cache relies on it).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Adds or replaces many entries under one lock (at start).
    pub fn extend(&self, entries: impl IntoIterator<Item = Entry>) {
        // Places first, so that what is shown at a place finds its point at once.
        let (places, others): (Vec<Entry>, Vec<Entry>) =
            entries.into_iter().partition(|e| e.kind == Kind::Place);
        let mut inner = self.inner.write();
        for e in places.into_iter().chain(others) {
            inner.insert(e);
        }
        drop(inner);
        self.changed();
    }

    /// Removes an entry; `true` when it was there.
    pub fn remove(&self, id: &str) -> bool {
        let mut inner = self.inner.write();
        match inner.by_id.get(id).copied() {
            Some(slot) => {
                inner.remove_slot(slot);
                drop(inner);
                self.changed();
                true
            }
            None => false,
        }
    }

    /// The entry `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Entry>> {
        let inner = self.inner.read();
        let slot = *inner.by_id.get(id)?;
        inner.slots.get(slot as usize).cloned().flatten()
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.inner.read().by_id.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where an entry is shown: its own point, its location's, or its first place's.
    pub fn point_of(&self, e: &Entry) -> Option<Point> {
        self.inner.read().point_of(e)
    }

    /// Every entry of a kind, by name (for a list of the places).
    pub fn all_of(&self, kind: Kind) -> Vec<Arc<Entry>> {
        let inner = self.inner.read();
        inner
            .by_kind
            .get(&kind)
            .into_iter()
            .flatten()
            .filter_map(|(_, s)| inner.slots.get(*s as usize).cloned().flatten())
            .collect()
    }

    /// Entries listed by a member place (its residents, projects and events).
    pub fn listed_by(&self, place: &str) -> Vec<Arc<Entry>> {
        let inner = self.inner.read();
        inner
            .by_place
            .get(place)
            .into_iter()
            .flatten()
            .filter_map(|s| inner.slots.get(*s as usize).cloned().flatten())
            .collect()
    }

    /// How many entries of `kind` a member place lists.
    pub fn count_listed_by(&self, place: &str, kind: Kind) -> usize {
        let inner = self.inner.read();
        inner
            .by_place
            .get(place)
            .into_iter()
            .flatten()
            .filter(|s| {
                inner
                    .slots
                    .get(**s as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|e| e.kind == kind)
            })
            .count()
    }

    /// How many entries of `kind` there are.
    pub fn count(&self, kind: Kind) -> usize {
        self.inner.read().counts.get(&kind).copied().unwrap_or(0)
    }

    /// A directory search: the entries matching `f`, by name, `limit` from `offset`, with
    /// facet counts over every match.
    pub fn search(&self, f: &Filter, offset: usize, limit: usize) -> SearchPage {
        let inner = self.inner.read();
        let slots: Vec<u32> = match inner.text_candidates(&f.text) {
            Some(t) => t,
            None => (0..inner.slots.len() as u32).collect(),
        };
        let mut matches: Vec<(u32, &Arc<Entry>)> = slots
            .into_iter()
            .filter_map(|s| {
                let e = inner.slots.get(s as usize)?.as_ref()?;
                inner.matches(e, f).then_some((s, e))
            })
            .collect();
        // Counted on borrowed keys: a facet over 100,000 matches allocates nothing per match.
        let mut kinds: HashMap<Kind, usize> = HashMap::new();
        let mut skills: HashMap<&str, usize> = HashMap::new();
        let mut places: HashMap<&str, usize> = HashMap::new();
        let mut communes: HashMap<&str, usize> = HashMap::new();
        for (_, e) in &matches {
            *kinds.entry(e.kind).or_default() += 1;
            for k in &e.skills {
                *skills.entry(k.as_str()).or_default() += 1;
            }
            for p in &e.places {
                *places.entry(p.as_str()).or_default() += 1;
            }
            if let Some(c) = &e.commune {
                *communes.entry(c.as_str()).or_default() += 1;
            }
        }
        let total = matches.len();
        let key = |m: &(u32, &Arc<Entry>)| (m.1.kind, inner.keys[m.0 as usize].as_str());
        let end = (offset + limit).min(total);
        if offset < total {
            if end < total {
                matches.select_nth_unstable_by(end, |a, b| key(a).cmp(&key(b)));
            }
            matches.truncate(end);
            matches.sort_by(|a, b| key(a).cmp(&key(b)));
        }
        let owned = |m: HashMap<&str, usize>, keep: usize| -> Vec<(String, usize)> {
            let mut v: Vec<(&str, usize)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            v.truncate(keep);
            v.into_iter().map(|(k, n)| (k.to_owned(), n)).collect()
        };
        SearchPage {
            total,
            items: matches
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|(_, e)| Arc::clone(e))
                .collect(),
            facets: Facets {
                kinds: counted(kinds),
                skills: owned(skills, 50),
                places: owned(places, 200),
                communes: owned(communes, 200),
            },
        }
    }

    /// What the map shows in `bbox`: the matching entries with their points, or, when there
    /// are more than `max`, clusters on a grid of about 24 × 24 cells over the viewport.
    pub fn map(&self, f: &Filter, bbox: Option<BBox>, max: usize) -> MapView {
        let inner = self.inner.read();
        let mut points: Vec<(&Arc<Entry>, Point)> = Vec::new();
        let text = inner.text_candidates(&f.text);
        let slots: Box<dyn Iterator<Item = u32> + '_> = match (&text, bbox) {
            (Some(t), _) => Box::new(t.iter().copied()),
            (None, Some(b)) => {
                let (s, w) = cell_of(Point {
                    lat: b.south,
                    lon: b.west,
                });
                let (n, e) = cell_of(Point {
                    lat: b.north,
                    lon: b.east,
                });
                let cells = (n - s + 1) as i64 * (e - w + 1) as i64;
                if cells < inner.grid.len() as i64 {
                    Box::new(
                        (s..=n)
                            .flat_map(move |la| (w..=e).map(move |lo| (la, lo)))
                            .filter_map(|c| inner.grid.get(&c))
                            .flatten()
                            .copied(),
                    )
                } else {
                    Box::new(inner.grid.values().flatten().copied())
                }
            }
            // Only some kinds, anywhere: their own lists are shorter than the whole grid.
            (None, None) if !f.kinds.is_empty() => Box::new(
                f.kinds
                    .iter()
                    .filter_map(|k| inner.by_kind.get(k))
                    .flatten()
                    .map(|(_, s)| *s),
            ),
            (None, None) => Box::new(inner.grid.values().flatten().copied()),
        };
        for slot in slots {
            let (Some(Some(e)), Some(Some(p))) = (
                inner.slots.get(slot as usize),
                inner.points.get(slot as usize),
            ) else {
                continue;
            };
            if bbox.is_none_or(|b| b.contains(*p)) && inner.matches(e, f) {
                points.push((e, *p));
            }
        }
        let total = points.len();
        if total <= max {
            points.sort_by(|a, b| a.0.id.cmp(&b.0.id));
            return MapView {
                total,
                points: points
                    .into_iter()
                    .map(|(e, p)| (Arc::clone(e), p))
                    .collect(),
                clusters: Vec::new(),
            };
        }
        let b = bbox.unwrap_or(BBox {
            south: -90.0,
            west: -180.0,
            north: 90.0,
            east: 180.0,
        });
        let cell_lat = ((b.north - b.south) / 24.0).max(1e-6);
        let cell_lon = ((b.east - b.west) / 24.0).max(1e-6);
        let mut cells: HashMap<(i64, i64), (f64, f64, usize)> = HashMap::new();
        for (_, p) in &points {
            let k = (
                ((p.lat - b.south) / cell_lat) as i64,
                ((p.lon - b.west) / cell_lon) as i64,
            );
            let c = cells.entry(k).or_insert((0.0, 0.0, 0));
            c.0 += p.lat;
            c.1 += p.lon;
            c.2 += 1;
        }
        let mut clusters: Vec<Cluster> = cells
            .into_values()
            .map(|(lat, lon, n)| Cluster {
                point: Point {
                    lat: lat / n as f64,
                    lon: lon / n as f64,
                },
                count: n,
            })
            .collect();
        clusters.sort_by_key(|c| std::cmp::Reverse(c.count));
        MapView {
            total,
            points: Vec::new(),
            clusters,
        }
    }

    /// The dated entries (events, calls, projects with dates) that overlap `[from_ms, to_ms)`
    /// and match `f`, by start.
    pub fn agenda(&self, f: &Filter, from_ms: i64, to_ms: i64, limit: usize) -> Vec<Arc<Entry>> {
        let inner = self.inner.read();
        let allowed: Option<HashSet<u32>> = inner
            .text_candidates(&f.text)
            .map(|v| v.into_iter().collect());
        let mut out = Vec::new();
        let earliest = from_ms.saturating_sub(inner.longest_ms);
        for (_, slot) in inner.by_start.range((earliest, 0)..(to_ms, 0)) {
            if allowed.as_ref().is_some_and(|a| !a.contains(slot)) {
                continue;
            }
            let Some(e) = inner.slots.get(*slot as usize).and_then(Option::as_ref) else {
                continue;
            };
            if e.end_ms().unwrap_or(i64::MIN) < from_ms || !inner.matches(e, f) {
                continue;
            }
            out.push(Arc::clone(e));
            if out.len() >= limit {
                break;
            }
        }
        out
    }

    /// The most recently stored entries of a kind, newest first.
    pub fn newest(&self, kind: Kind, limit: usize) -> Vec<Arc<Entry>> {
        let inner = self.inner.read();
        inner
            .recent
            .get(&kind)
            .into_iter()
            .flat_map(|set| set.iter().rev())
            .take(limit)
            .filter_map(|(_, s)| inner.slots.get(*s as usize).cloned().flatten())
            .collect()
    }

    /// Every theme in use, most frequent first.
    pub fn themes(&self) -> Vec<(String, usize)> {
        counted(self.inner.read().themes.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, label: &str, start: &str, place: &str) -> Entry {
        let mut e = Entry::new(id, Kind::Event, label);
        e.start = Some(start.into());
        e.places = vec![place.into()];
        e
    }

    #[test]
    fn search_map_and_agenda_agree_after_updates_and_removals() {
        let idx = NetworkIndex::new();
        let mut place = Entry::new("https://c/le6b", Kind::Place, "Le 6B");
        place.point = Some(Point {
            lat: 48.93,
            lon: 2.35,
        });
        idx.insert(place);
        let mut r = Entry::new("https://p/amina", Kind::Resident, "Amina Benali");
        r.summary = "Céramiste".into();
        r.skills = vec!["https://w3id.org/kommon/skills/ceramique".into()];
        r.places = vec!["https://c/le6b".into()];
        idx.insert(r);
        idx.insert(event(
            "https://c/e1",
            "Portes ouvertes",
            "2027-06-12T14:00:00+02:00",
            "https://c/le6b",
        ));
        let f = Filter {
            text: "ceram".into(),
            ..Filter::default()
        };
        let page = idx.search(&f, 0, 10);
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].label, "Amina Benali");
        // The resident is shown at the place's point.
        let map = idx.map(
            &Filter {
                kinds: vec![Kind::Resident],
                ..Filter::default()
            },
            BBox::parse("2.3,48.9,2.4,49.0"),
            100,
        );
        assert_eq!(map.total, 1);
        assert_eq!(map.points[0].1.lat, 48.93);
        let june = |d: &str| crate::entry::parse_datetime_ms(d).unwrap();
        let agenda = idx.agenda(
            &Filter::default(),
            june("2027-06-01T00:00:00+02:00"),
            june("2027-07-01T00:00:00+02:00"),
            100,
        );
        assert_eq!(agenda.len(), 1);
        assert_eq!(idx.count(Kind::Resident), 1);
        assert_eq!(idx.listed_by("https://c/le6b").len(), 2);
        assert_eq!(idx.count_listed_by("https://c/le6b", Kind::Event), 1);
        // Renamed: the old words no longer find it; removed: nothing does.
        let mut r2 = Entry::new("https://p/amina", Kind::Resident, "Amina B.");
        r2.places = vec!["https://c/le6b".into()];
        idx.insert(r2);
        assert_eq!(idx.search(&f, 0, 10).total, 0);
        assert!(idx.remove("https://p/amina"));
        assert_eq!(
            idx.search(
                &Filter {
                    text: "amina".into(),
                    ..Filter::default()
                },
                0,
                10
            )
            .total,
            0
        );
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.count(Kind::Resident), 0);
        assert_eq!(idx.listed_by("https://c/le6b").len(), 1);
    }

    #[test]
    fn many_points_become_clusters() {
        let idx = NetworkIndex::new();
        for i in 0..1000 {
            let mut e = Entry::new(&format!("https://c/p{i}"), Kind::Place, "Lieu");
            e.point = Some(Point {
                lat: 48.0 + (i % 30) as f64 * 0.05,
                lon: 2.0 + (i / 30) as f64 * 0.05,
            });
            idx.insert(e);
        }
        let view = idx.map(&Filter::default(), BBox::parse("1.9,47.9,4.0,49.6"), 200);
        assert_eq!(view.total, 1000);
        assert!(view.points.is_empty());
        assert_eq!(view.clusters.iter().map(|c| c.count).sum::<usize>(), 1000);
    }

    #[test]
    fn bad_bounding_boxes_are_refused() {
        for bad in [
            "",
            "1,2,3",
            "a,b,c,d",
            "10,10,0,0",
            "0,-100,1,1",
            "NaN,0,1,1",
        ] {
            assert!(BBox::parse(bad).is_none(), "{bad}");
        }
    }
}
