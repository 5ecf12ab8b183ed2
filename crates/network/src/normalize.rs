//! From what a member place federates to what the network may show: the document is read as
//! JSON-LD with the bundled contexts, its ActivityStreams terms are mapped to PAIR (the mapping
//! written at the top of `vocab/shapes.ttl`), the result is validated with the vocabulary's
//! shapes, and an [`Entry`] is read from it. What fails is a [`Refusal`] that says why, in
//! French and English, so a place's admins can fix their data.

use crate::entry::{Entry, Kind, Point};
use kommon_rdf::codec::{ParseLimits, RdfFormat, parse_graph};
use kommon_rdf::jsonld::ContextLoader;
use kommon_shacl::Shapes;
use kommon_vocab::ns;
use oxrdf::vocab::{rdf, xsd};
use oxrdf::{Graph, Literal, NamedNode, NamedOrBlankNode, Term, TermRef, Triple};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use thiserror::Error;

/// Why the network keeps something out.
#[derive(Clone, Debug, Error, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// The document could not be read.
    #[error("document illisible / unreadable document: {0}")]
    Unreadable(String),
    /// The document is not what it was announced as (an event that is a note…).
    #[error("{fr} / {en}")]
    Unexpected {
        /// Why, in French.
        fr: String,
        /// Why, in English.
        en: String,
    },
    /// The document breaks the vocabulary's shapes.
    #[error("{}", .0.iter().map(|v| format!("{} / {}", v.fr, v.en)).collect::<Vec<_>>().join(" ; "))]
    Invalid(Vec<Violation>),
}

/// One violated constraint, as the shapes word it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The property, when the constraint is on one.
    pub path: Option<String>,
    /// What is wrong, in French.
    pub fr: String,
    /// What is wrong, in English.
    pub en: String,
}

/// What a document became: its entry, and the PAIR graph the network publishes for it.
#[derive(Clone, Debug)]
pub struct Normalized {
    /// The entry for the map, directory and agenda.
    pub entry: Entry,
    /// The mapped document (original triples plus their PAIR equivalents).
    pub triples: Vec<Triple>,
}

/// A commune of the vocabulary.
#[derive(Clone, Debug)]
pub struct Commune {
    /// Its IRI (`kommon:commune-saint-denis`).
    pub iri: String,
    /// Its French name.
    pub label: String,
    /// Its Insee code.
    pub insee: String,
    /// Its other spellings, folded.
    folded_names: Vec<String>,
}

/// Reads, maps and validates documents. Build one per process: it parses the vocabulary.
pub struct Normalizer {
    shapes: Shapes,
    vocab: Graph,
    /// The vocabulary's triples about each of its subjects (a skill, a commune…), so that a
    /// document is validated with only the part of the vocabulary it refers to.
    vocab_about: HashMap<String, Vec<Triple>>,
    /// Every `rdfs:subClassOf` of the vocabulary (the shapes' targets follow them).
    subclasses: Vec<Triple>,
    contexts: ContextLoader,
    communes: Vec<Commune>,
    limits: ParseLimits,
    tolerated: Vec<String>,
}

fn nn(s: &str) -> NamedNode {
    NamedNode::new_unchecked(s)
}

fn pair(local: &str) -> NamedNode {
    nn(&format!("{}{local}", ns::PAIR))
}

fn as_(local: &str) -> NamedNode {
    nn(&format!("{}{local}", ns::AS))
}

fn kommon(local: &str) -> NamedNode {
    nn(&format!("{}{local}", ns::KOMMON))
}

/// Errors building a normalizer: only a broken vocabulary in the binary.
#[derive(Debug, Error)]
#[error("the bundled vocabulary is broken: {0}")]
pub struct VocabularyError(String);

impl Normalizer {
    /// A normalizer with the bundled vocabulary, shapes and contexts.
    pub fn bundled() -> Result<Self, VocabularyError> {
        let turtle = |text: &str| -> Result<Graph, VocabularyError> {
            let triples = parse_graph(
                RdfFormat::Turtle,
                text.as_bytes(),
                None,
                &ParseLimits::default(),
                &ContextLoader::bundled(),
            )
            .map_err(|e| VocabularyError(e.to_string()))?;
            Ok(triples.into_iter().collect())
        };
        let shapes = Shapes::from_graph(&turtle(kommon_vocab::SHAPES_TTL)?)
            .map_err(|e| VocabularyError(e.to_string()))?;
        let mut vocab = turtle(kommon_vocab::ONTOLOGY_TTL)?;
        vocab.extend(&turtle(kommon_vocab::SKILLS_TTL)?);
        let contexts = ContextLoader::bundled()
            .with_context(kommon_vocab::CONTEXT_IRI, kommon_vocab::CONTEXT_JSONLD)
            .map_err(|e| VocabularyError(e.to_string()))?;
        let communes = communes(&vocab);
        let mut vocab_about: HashMap<String, Vec<Triple>> = HashMap::new();
        let mut subclasses = Vec::new();
        for t in vocab.iter() {
            if t.predicate == oxrdf::vocab::rdfs::SUB_CLASS_OF {
                subclasses.push(t.into_owned());
            }
            if let oxrdf::NamedOrBlankNodeRef::NamedNode(s) = t.subject {
                vocab_about
                    .entry(s.as_str().to_owned())
                    .or_default()
                    .push(t.into_owned());
            }
        }
        Ok(Normalizer {
            shapes,
            vocab,
            vocab_about,
            subclasses,
            contexts,
            communes,
            limits: ParseLimits {
                max_bytes: 512 * 1024,
                ..ParseLimits::default()
            },
            tolerated: Vec::new(),
        })
    }

    /// The same normalizer, dropping these context IRIs from documents instead of refusing
    /// them: contexts of proofs, keys and platform extensions (Fedify's data integrity,
    /// Mobilizon's terms…) whose terms the network does not read. Their terms are then
    /// undefined, and JSON-LD expansion leaves them out.
    #[must_use]
    pub fn tolerating(mut self, contexts: &[&str]) -> Self {
        self.tolerated = contexts.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// The vocabulary graph (ontology and skills), which the network also publishes.
    pub fn vocabulary(&self) -> &Graph {
        &self.vocab
    }

    /// The communes of the vocabulary.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    /// The contexts the network reads JSON-LD with (the bundled ones and Kommon's).
    pub fn contexts(&self) -> &ContextLoader {
        &self.contexts
    }

    /// Reads the JSON-LD document `json` fetched at `id`, with `extra` triples (a resident's
    /// public profile), expecting something of kind `expected`, and returns its entry.
    pub fn document(
        &self,
        id: &str,
        json: &serde_json::Value,
        extra: &[Triple],
        expected: Kind,
    ) -> Result<Normalized, Refusal> {
        let mut json = json.clone();
        self.alias_server_contexts(&mut json);
        let text = serde_json::to_string(&json).map_err(|e| Refusal::Unreadable(e.to_string()))?;
        let mut triples = parse_graph(
            RdfFormat::JsonLd,
            text.as_bytes(),
            Some(id),
            &self.limits,
            &self.contexts,
        )
        .map_err(|e| Refusal::Unreadable(e.to_string()))?;
        triples.extend_from_slice(extra);
        self.triples(id, triples, expected)
    }

    /// Pods (Kommon's and ActivityPods') name their server's own copy of the context, at
    /// `/.well-known/context.jsonld`; it is read as Kommon's, which holds the prefixes
    /// ActivityPods clients use. Nothing is ever fetched.
    fn alias_server_contexts(&self, json: &mut serde_json::Value) {
        fn alias(v: &mut serde_json::Value, known: &ContextLoader, tolerated: &[String]) {
            match v {
                serde_json::Value::String(s)
                    if s.ends_with(kommon_vocab::CONTEXT_PATH) && !known.knows(s) =>
                {
                    *s = kommon_vocab::CONTEXT_IRI.to_owned();
                }
                serde_json::Value::Array(items) => {
                    items.retain(|i| {
                        !i.as_str()
                            .is_some_and(|s| !known.knows(s) && tolerated.iter().any(|t| t == s))
                    });
                    for i in items {
                        alias(i, known, tolerated);
                    }
                }
                _ => {}
            }
        }
        if let Some(ctx) = json.get_mut("@context") {
            alias(ctx, &self.contexts, &self.tolerated);
        }
    }

    /// The same as [`Normalizer::document`] for a document already read as triples.
    pub fn triples(
        &self,
        id: &str,
        triples: Vec<Triple>,
        expected: Kind,
    ) -> Result<Normalized, Refusal> {
        let subject = NamedNode::new(id)
            .map_err(|_| Refusal::Unreadable(format!("<{id}> is not an absolute IRI")))?;
        let mut graph: Graph = triples.into_iter().collect();
        let me = NamedOrBlankNode::from(subject.clone());
        let types: HashSet<String> = graph
            .objects_for_subject_predicate(&me, rdf::TYPE)
            .filter_map(|t| match t {
                TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect();
        if types.is_empty() {
            return Err(Refusal::Unexpected {
                fr: format!("le document <{id}> ne décrit pas l'objet qu'il nomme (pas de type)"),
                en: format!("the document <{id}> does not describe the object it names (no type)"),
            });
        }
        let kind = kind_of(&types, expected).ok_or_else(|| Refusal::Unexpected {
            fr: format!(
                "<{id}> n'est pas {} (types : {})",
                article_fr(expected),
                sorted(&types)
            ),
            en: format!(
                "<{id}> is not {} (types: {})",
                article_en(expected),
                sorted(&types)
            ),
        })?;
        map_to_pair(&mut graph, &subject, kind);
        // The document, the class hierarchy, and what the vocabulary says of the terms the
        // document uses (a skill's scheme and types, a commune's type): what `sh:class` and
        // `sh:node` look up, without copying the whole vocabulary for each document.
        let mut data = graph.clone();
        for t in &self.subclasses {
            data.insert(t);
        }
        let mentioned: HashSet<String> = graph
            .iter()
            .filter_map(|t| match t.object {
                TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect();
        for iri in &mentioned {
            for t in self.vocab_about.get(iri).into_iter().flatten() {
                data.insert(t);
            }
        }
        let report = self.shapes.validate(&data);
        if !report.conforms() {
            let mut seen = HashSet::new();
            let violations: Vec<Violation> = report
                .results
                .into_iter()
                .map(|r| Violation {
                    path: r.path.clone(),
                    fr: r.message_fr,
                    en: r.message_en,
                })
                .filter(|v| seen.insert(v.fr.clone()))
                .collect();
            return Err(Refusal::Invalid(violations));
        }
        let entry = self.entry(&graph, &subject, kind);
        Ok(Normalized {
            entry,
            triples: graph.iter().map(|t| t.into_owned()).collect(),
        })
    }

    fn entry(&self, g: &Graph, subject: &NamedNode, kind: Kind) -> Entry {
        let me = NamedOrBlankNode::from(subject.clone());
        let label = text(g, &me, &pair("label")).unwrap_or_default();
        let mut e = Entry::new(subject.as_str(), kind, &label);
        e.summary = text(g, &me, &pair("comment")).unwrap_or_default();
        e.description = text(g, &me, &pair("description")).unwrap_or_default();
        e.website = url(g, &me, &pair("homePage")).filter(|w| w != subject.as_str());
        e.image = iri(g, &me, &pair("image"));
        e.derived_from = iri(g, &me, &nn(&format!("{}wasDerivedFrom", ns::PROV)));
        e.start = literal(g, &me, &pair("startDate"));
        e.end = literal(g, &me, &pair("endDate"));
        e.commune = iri(g, &me, &kommon("commune"));
        e.skills = iris(g, &me, &nn(&format!("{}skills", ns::SCHEMA)));
        e.services = iris(g, &me, &kommon("acceptsRequestType"));
        e.themes = g
            .objects_for_subject_predicate(&me, &as_("tag"))
            .filter_map(|t| match t {
                TermRef::BlankNode(b) => text(g, &b.into_owned().into(), &as_("name")),
                TermRef::Literal(l) => Some(l.value().to_owned()),
                TermRef::NamedNode(_) => None,
            })
            .map(|t| t.trim_start_matches('#').to_owned())
            .filter(|t| !t.is_empty())
            .take(20)
            .collect();
        e.point = point(g, &me);
        for location in g.objects_for_subject_predicate(&me, &pair("hasLocation")) {
            match location {
                TermRef::NamedNode(n) => e.location = Some(n.as_str().to_owned()),
                TermRef::BlankNode(b) => {
                    let node = NamedOrBlankNode::from(b.into_owned());
                    if e.point.is_none() {
                        e.point = point(g, &node);
                    }
                    if e.address.is_empty() {
                        e.address = address(g, &node);
                    }
                }
                TermRef::Literal(_) => {}
            }
        }
        if let Some(TermRef::BlankNode(b)) =
            g.object_for_subject_predicate(&me, &pair("hasPostalAddress"))
        {
            e.address = address(g, &b.into_owned().into());
        }
        if e.commune.is_none() {
            // A commune given by its Insee code, or found in the address.
            let code = literal(g, &me, &kommon("commune")).unwrap_or_default();
            e.commune = self
                .communes
                .iter()
                .find(|c| !code.is_empty() && c.insee == code)
                .or_else(|| self.commune_of(&e.address))
                .map(|c| c.iri.clone());
        }
        e
    }

    /// Reads a document already validated (a network's own dump being restored, a bulk
    /// import an operator vouches for): mapped and read into an entry, not checked against
    /// the shapes.
    pub fn read_trusted(
        &self,
        id: &str,
        triples: Vec<Triple>,
        kind: Kind,
    ) -> Result<Normalized, Refusal> {
        let subject = NamedNode::new(id)
            .map_err(|_| Refusal::Unreadable(format!("<{id}> is not an absolute IRI")))?;
        let mut graph: Graph = triples.into_iter().collect();
        map_to_pair(&mut graph, &subject, kind);
        let entry = self.entry(&graph, &subject, kind);
        Ok(Normalized {
            entry,
            triples: graph.iter().map(|t| t.into_owned()).collect(),
        })
    }

    /// What a document's types make it, for an import that does not know in advance.
    pub fn kind_of_types<'a>(&self, types: impl IntoIterator<Item = &'a str>) -> Option<Kind> {
        let types: HashSet<String> = types.into_iter().map(str::to_owned).collect();
        let has = |iri: String| types.contains(&iri);
        let places = [
            format!("{}PhysicalPlace", ns::PAIR),
            format!("{}Place", ns::PAIR),
            format!("{}Place", ns::SCHEMA),
        ];
        // A place says so; an organisation without a place type is a resident organisation.
        if places.into_iter().any(has) {
            return Some(Kind::Place);
        }
        [Kind::Event, Kind::Call, Kind::Project, Kind::Resident]
            .into_iter()
            .find(|k| kind_of(&types, *k).is_some())
    }

    /// The commune an address names (by its name or its postcode's city name).
    pub fn commune_of(&self, address: &str) -> Option<&Commune> {
        let folded = crate::text::fold(address);
        // Longest names first, so "L'Île-Saint-Denis" is not read as "Saint-Denis".
        let mut best: Option<(&Commune, usize)> = None;
        for c in &self.communes {
            for n in &c.folded_names {
                if contains_words(&folded, n) && best.is_none_or(|(_, l)| n.len() > l) {
                    best = Some((c, n.len()));
                }
            }
        }
        best.map(|(c, _)| c)
    }

    /// The commune with IRI `iri`.
    pub fn commune(&self, iri: &str) -> Option<&Commune> {
        self.communes.iter().find(|c| c.iri == iri)
    }
}

fn contains_words(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + needle.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

fn communes(vocab: &Graph) -> Vec<Commune> {
    let class = kommon("Commune");
    let mut out: Vec<Commune> = vocab
        .subjects_for_predicate_object(rdf::TYPE, &class)
        .filter_map(|s| {
            let s = s.into_owned();
            let NamedOrBlankNode::NamedNode(iri) = &s else {
                return None;
            };
            let skos = |l: &str| nn(&format!("{}{l}", ns::SKOS));
            let label = vocab
                .objects_for_subject_predicate(&s, &skos("prefLabel"))
                .find_map(|t| match t {
                    TermRef::Literal(l) if l.language() == Some("fr") => Some(l.value().to_owned()),
                    _ => None,
                })?;
            let insee = literal(vocab, &s, &skos("notation")).unwrap_or_default();
            let mut folded_names = vec![crate::text::fold(&label)];
            for t in vocab.objects_for_subject_predicate(&s, &skos("altLabel")) {
                if let TermRef::Literal(l) = t {
                    folded_names.push(crate::text::fold(l.value()));
                }
            }
            Some(Commune {
                iri: iri.as_str().to_owned(),
                label,
                insee,
                folded_names,
            })
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

fn sorted(types: &HashSet<String>) -> String {
    let mut v: Vec<&str> = types.iter().map(String::as_str).collect();
    v.sort_unstable();
    v.join(", ")
}

fn article_fr(k: Kind) -> &'static str {
    match k {
        Kind::Place => "un lieu",
        Kind::Resident => "une personne ou une structure",
        Kind::Project => "un projet",
        Kind::Event => "un événement",
        Kind::Call => "un appel à participation",
    }
}

fn article_en(k: Kind) -> &'static str {
    match k {
        Kind::Place => "a place",
        Kind::Resident => "a person or an organisation",
        Kind::Project => "a project",
        Kind::Event => "an event",
        Kind::Call => "a call for participation",
    }
}

/// The kind the types say, when it is compatible with what was announced.
fn kind_of(types: &HashSet<String>, expected: Kind) -> Option<Kind> {
    let has = |list: &[&str]| list.iter().any(|t| types.contains(*t));
    let a = |l: &str| format!("{}{l}", ns::AS);
    let p = |l: &str| format!("{}{l}", ns::PAIR);
    let s = |l: &str| format!("{}{l}", ns::SCHEMA);
    let k = |l: &str| format!("{}{l}", ns::KOMMON);
    let event = [a("Event"), p("Event"), s("Event")];
    let project = [p("Project"), s("Project")];
    let call = [k("CallForVolunteers"), s("JobPosting")];
    let actor = [
        a("Person"),
        a("Organization"),
        a("Group"),
        a("Service"),
        p("Person"),
        p("Organization"),
        p("Group"),
    ];
    let place = [
        a("Group"),
        a("Organization"),
        p("PhysicalPlace"),
        p("Place"),
        p("Organization"),
        s("Place"),
    ];
    let refs = |l: &[String]| -> bool { has(&l.iter().map(String::as_str).collect::<Vec<_>>()) };
    let ok = match expected {
        Kind::Event => refs(&event),
        Kind::Project => refs(&project),
        Kind::Call => refs(&call),
        Kind::Resident => refs(&actor),
        Kind::Place => refs(&place),
    };
    ok.then_some(expected)
}

/// Adds the PAIR terms a document written with ActivityStreams (or vCard, FOAF) lacks.
fn map_to_pair(g: &mut Graph, subject: &NamedNode, kind: Kind) {
    let me = NamedOrBlankNode::from(subject.clone());
    let mut add: Vec<Triple> = Vec::new();
    let class = match kind {
        Kind::Event => pair("Event"),
        Kind::Project => pair("Project"),
        Kind::Call => kommon("CallForVolunteers"),
        Kind::Place => pair("PhysicalPlace"),
        Kind::Resident => {
            let person = g
                .objects_for_subject_predicate(&me, rdf::TYPE)
                .any(|t| t == as_("Person").as_ref().into());
            if person {
                pair("Person")
            } else {
                pair("Organization")
            }
        }
    };
    let pair_types = [
        pair("Person"),
        pair("Organization"),
        pair("Group"),
        pair("Event"),
        pair("Project"),
        pair("PhysicalPlace"),
    ];
    let has_pair_type = g
        .objects_for_subject_predicate(&me, rdf::TYPE)
        .any(|t| pair_types.iter().any(|p| t == p.as_ref().into()));
    if !has_pair_type {
        add.push(Triple::new(me.clone(), rdf::TYPE, class));
    }
    // One-to-one renamings, applied when the PAIR term is absent.
    let renamings: Vec<(Vec<NamedNode>, NamedNode)> = vec![
        (
            vec![
                as_("name"),
                nn(&format!("{}name", ns::FOAF)),
                nn(&format!("{}fn", ns::VCARD)),
                nn(&format!("{}name", ns::SCHEMA)),
            ],
            pair("label"),
        ),
        (
            vec![as_("summary"), nn(&format!("{}note", ns::VCARD))],
            pair("comment"),
        ),
        (
            vec![as_("content"), nn(&format!("{}description", ns::SCHEMA))],
            pair("description"),
        ),
        (
            vec![as_("startTime"), nn(&format!("{}startDate", ns::SCHEMA))],
            pair("startDate"),
        ),
        (
            vec![as_("endTime"), nn(&format!("{}endDate", ns::SCHEMA))],
            pair("endDate"),
        ),
        (
            vec![as_("location"), nn(&format!("{}location", ns::SCHEMA))],
            pair("hasLocation"),
        ),
        (
            vec![nn(&format!("{}address", ns::SCHEMA))],
            pair("hasPostalAddress"),
        ),
    ];
    for (from, to) in renamings {
        if g.object_for_subject_predicate(&me, &to).is_some() {
            continue;
        }
        let value = from.iter().find_map(|p| {
            g.object_for_subject_predicate(&me, p)
                .map(TermRef::into_owned)
        });
        if let Some(v) = value {
            let v = match (&to, v) {
                // A label or a comment is plain text: HTML from the fediverse is flattened, and a
                // Mastodon summary longer than PAIR allows is cut at a word.
                (t, Term::Literal(l)) if *t == pair("comment") || *t == pair("description") => {
                    let plain = crate::text::strip_html(l.value());
                    let plain = if *t == pair("comment") {
                        crate::text::truncate_words(&plain, 280)
                    } else {
                        plain
                    };
                    Term::Literal(Literal::new_simple_literal(plain))
                }
                (t, Term::Literal(l)) if *t == pair("label") => {
                    Term::Literal(Literal::new_simple_literal(crate::text::truncate_words(
                        &crate::text::strip_html(l.value()),
                        200,
                    )))
                }
                (_, v) => v,
            };
            add.push(Triple::new(me.clone(), to, v));
        }
    }
    // The website: `url` when it is on another host (on the same host, it is the actor's
    // profile page on its own server, not their site).
    let host = |iri: &str| iri.split('/').nth(2).map(str::to_owned);
    if g.object_for_subject_predicate(&me, &pair("homePage"))
        .is_none()
        && let Some(TermRef::NamedNode(u)) = g.objects_for_subject_predicate(&me, &as_("url")).find(
            |t| matches!(t, TermRef::NamedNode(n) if host(n.as_str()) != host(subject.as_str())),
        )
    {
        add.push(Triple::new(me.clone(), pair("homePage"), u.into_owned()));
    }
    // A picture: `icon` or `image`, an IRI or an `Image` with a `url`.
    if g.object_for_subject_predicate(&me, &pair("image"))
        .is_none()
    {
        let picture = [as_("icon"), as_("image")].iter().find_map(|p| {
            g.objects_for_subject_predicate(&me, p)
                .find_map(|t| match t {
                    TermRef::NamedNode(n) => Some(n.into_owned()),
                    TermRef::BlankNode(b) => {
                        match g.object_for_subject_predicate(
                            &NamedOrBlankNode::from(b.into_owned()),
                            &as_("url"),
                        ) {
                            Some(TermRef::NamedNode(n)) => Some(n.into_owned()),
                            _ => None,
                        }
                    }
                    TermRef::Literal(_) => None,
                })
        });
        if let Some(p) = picture {
            add.push(Triple::new(me.clone(), pair("image"), p));
        }
    }
    // A place's coordinates: on the place itself in PAIR, on its `location` in ActivityStreams.
    if kind == Kind::Place
        && g.object_for_subject_predicate(&me, &pair("latitude"))
            .is_none()
    {
        let located = g
            .objects_for_subject_predicate(&me, &as_("location"))
            .find_map(|t| match t {
                TermRef::BlankNode(b) => Some(NamedOrBlankNode::from(b.into_owned())),
                TermRef::NamedNode(n) => Some(NamedOrBlankNode::from(n.into_owned())),
                TermRef::Literal(_) => None,
            });
        if let Some(loc) = located {
            for (from, to) in [("latitude", "latitude"), ("longitude", "longitude")] {
                if let Some(TermRef::Literal(l)) = g.object_for_subject_predicate(&loc, &as_(from))
                    && let Ok(v) = l.value().parse::<f64>()
                {
                    add.push(Triple::new(
                        me.clone(),
                        pair(to),
                        Literal::new_typed_literal(v.to_string(), xsd::DECIMAL),
                    ));
                }
            }
        }
    }
    // Skills written with PAIR's `hasSkill` are Kommon's `schema:skills`.
    let skills = nn(&format!("{}skills", ns::SCHEMA));
    for t in g.objects_for_subject_predicate(&me, &pair("hasSkill")) {
        add.push(Triple::new(me.clone(), skills.clone(), t.into_owned()));
    }
    for t in add {
        g.insert(&t);
    }
}

fn literal(g: &Graph, s: &NamedOrBlankNode, p: &NamedNode) -> Option<String> {
    g.objects_for_subject_predicate(s, p).find_map(|t| match t {
        TermRef::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    })
}

/// A text value, in French when there is a choice.
fn text(g: &Graph, s: &NamedOrBlankNode, p: &NamedNode) -> Option<String> {
    let mut best: Option<(u8, String)> = None;
    for t in g.objects_for_subject_predicate(s, p) {
        if let TermRef::Literal(l) = t {
            let rank = match l.language() {
                Some("fr") => 3,
                None => 2,
                Some(_) => 1,
            };
            if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                best = Some((rank, l.value().to_owned()));
            }
        }
    }
    best.map(|(_, v)| v)
}

fn iri(g: &Graph, s: &NamedOrBlankNode, p: &NamedNode) -> Option<String> {
    g.objects_for_subject_predicate(s, p).find_map(|t| match t {
        TermRef::NamedNode(n) if n.as_str().starts_with("http") => Some(n.as_str().to_owned()),
        _ => None,
    })
}

/// A web address, written as an IRI or as a text (`pair:homePage` is either).
fn url(g: &Graph, s: &NamedOrBlankNode, p: &NamedNode) -> Option<String> {
    g.objects_for_subject_predicate(s, p).find_map(|t| {
        let v = match t {
            TermRef::NamedNode(n) => n.as_str(),
            TermRef::Literal(l) => l.value(),
            TermRef::BlankNode(_) => return None,
        };
        (v.starts_with("https://") || v.starts_with("http://")).then(|| v.to_owned())
    })
}

fn iris(g: &Graph, s: &NamedOrBlankNode, p: &NamedNode) -> Vec<String> {
    let mut out: Vec<String> = g
        .objects_for_subject_predicate(s, p)
        .filter_map(|t| match t {
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn point(g: &Graph, s: &NamedOrBlankNode) -> Option<Point> {
    let number = |local: &str| -> Option<f64> {
        [
            pair(local),
            as_(local),
            nn(&format!("{}{local}", ns::SCHEMA)),
        ]
        .iter()
        .find_map(|p| literal(g, s, p))
        .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let lat = number("latitude")?;
    let lon = number("longitude")?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && lat.is_finite())
        .then_some(Point { lat, lon })
}

fn address(g: &Graph, node: &NamedOrBlankNode) -> String {
    let mut parts: Vec<String> = Vec::new();
    let pa = |l: &str| pair(l);
    let sc = |l: &str| nn(&format!("{}{l}", ns::SCHEMA));
    let street =
        literal(g, node, &pa("addressStreet")).or_else(|| literal(g, node, &sc("streetAddress")));
    let zip =
        literal(g, node, &pa("addressZipCode")).or_else(|| literal(g, node, &sc("postalCode")));
    let city = literal(g, node, &pa("addressLocality"))
        .or_else(|| literal(g, node, &sc("addressLocality")));
    if let Some(s) = street {
        parts.push(s);
    }
    let town = [zip.unwrap_or_default(), city.unwrap_or_default()]
        .join(" ")
        .trim()
        .to_owned();
    if !town.is_empty() {
        parts.push(town);
    }
    if parts.is_empty() {
        // An `address` given as one line.
        if let Some(line) =
            literal(g, node, &sc("address")).or_else(|| literal(g, node, &as_("name")))
        {
            parts.push(line);
        }
    }
    parts.join(", ")
}
