//! The skills nomenclature as a searchable tree: lookup by label or synonym, ignoring case and
//! accents, and expansion to narrower skills.

use crate::ns;
use oxrdf::vocab::rdf;
use oxrdf::{NamedNode, NamedNodeRef, NamedOrBlankNode, Term};
use std::collections::{BTreeSet, HashMap};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// An error reading a vocabulary file.
#[derive(Debug, Error)]
pub enum VocabError {
    /// The file is not valid Turtle.
    #[error("the vocabulary file does not parse: {0}")]
    Syntax(String),
}

/// One skill of the nomenclature.
#[derive(Clone, Debug)]
pub struct Skill {
    /// The concept's IRI.
    pub iri: NamedNode,
    /// French preferred label.
    pub label_fr: String,
    /// English preferred label.
    pub label_en: String,
    /// Synonyms (`skos:altLabel`), any language.
    pub synonyms: Vec<String>,
    /// Direct broader skills.
    pub broader: Vec<NamedNode>,
    /// Direct narrower skills.
    pub narrower: Vec<NamedNode>,
    /// Related skills (`skos:related`).
    pub related: Vec<NamedNode>,
}

/// How a skill matched a search.
#[derive(Clone, Debug, PartialEq)]
pub enum MatchKind {
    /// The text is the skill's preferred label.
    Label,
    /// The text is one of the skill's synonyms.
    Synonym,
    /// Every word of the text appears in a label or synonym.
    Words,
    /// The skill is narrower than a skill that matched.
    Narrower(NamedNode),
}

/// A skill found by [`SkillScheme::search`].
#[derive(Clone, Debug)]
pub struct SkillMatch {
    /// The skill.
    pub iri: NamedNode,
    /// Between 0 and 1; higher is closer.
    pub score: f32,
    /// The label or synonym that matched.
    pub matched: String,
    /// How it matched.
    pub kind: MatchKind,
}

/// The skills nomenclature, loaded from `skills.ttl`.
#[derive(Clone, Debug)]
pub struct SkillScheme {
    skills: Vec<Skill>,
    index: HashMap<NamedNode, usize>,
    /// Normalised label or synonym → (skill index, is preferred label).
    labels: Vec<(String, usize, bool, String)>,
}

/// Lower case, without accents or punctuation: "Travail du Bois !" → "travail du bois".
pub fn normalize(text: &str) -> String {
    let stripped: String = text
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl SkillScheme {
    /// The nomenclature shipped with Kommon.
    pub fn bundled() -> Result<Self, VocabError> {
        Self::from_turtle(crate::SKILLS_TTL)
    }

    /// The kinds of service a place renders or a request asks for (`kommon:ServiceTypes`, in
    /// the ontology), read as a tree like the skills: orientation matches both the same way.
    pub fn service_types() -> Result<Self, VocabError> {
        Self::from_turtle_in_scheme(crate::ONTOLOGY_TTL, &format!("{}ServiceTypes", ns::KOMMON))
    }

    /// Reads a SKOS concept scheme in Turtle.
    pub fn from_turtle(ttl: &str) -> Result<Self, VocabError> {
        Self::read(ttl, None)
    }

    /// Reads the concepts of one scheme of a Turtle file (`skos:inScheme scheme`): the
    /// communes, the accessibility features of the ontology.
    pub fn from_turtle_in_scheme(ttl: &str, scheme: &str) -> Result<Self, VocabError> {
        Self::read(ttl, Some(scheme))
    }

    /// Reads the concepts of a Turtle file, only those `skos:inScheme` `scheme` when given.
    fn read(ttl: &str, scheme: Option<&str>) -> Result<Self, VocabError> {
        let skos = |l: &str| NamedNode::new_unchecked(format!("{}{l}", ns::SKOS));
        let graph: oxrdf::Graph = oxttl::TurtleParser::new()
            .for_slice(ttl.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| VocabError::Syntax(e.to_string()))?
            .into_iter()
            .collect();
        let mut iris: BTreeSet<NamedNode> = BTreeSet::new();
        for s in graph.subjects_for_predicate_object(rdf::TYPE, &skos("Concept")) {
            if let NamedOrBlankNode::NamedNode(n) = s.into_owned() {
                let in_scheme = scheme.is_none_or(|scheme| {
                    graph.contains(oxrdf::TripleRef::new(
                        &n,
                        &skos("inScheme"),
                        oxrdf::NamedNodeRef::new_unchecked(scheme),
                    ))
                });
                if in_scheme {
                    iris.insert(n);
                }
            }
        }
        let named = |s: &NamedNode, p: &NamedNode| -> Vec<NamedNode> {
            graph
                .objects_for_subject_predicate(s, p)
                .filter_map(|t| match t.into_owned() {
                    Term::NamedNode(n) => Some(n),
                    _ => None,
                })
                .collect()
        };
        let mut skills = Vec::with_capacity(iris.len());
        for iri in iris {
            let mut skill = Skill {
                label_fr: String::new(),
                label_en: String::new(),
                synonyms: Vec::new(),
                broader: named(&iri, &skos("broader")),
                narrower: named(&iri, &skos("narrower")),
                related: named(&iri, &skos("related")),
                iri: iri.clone(),
            };
            for o in graph.objects_for_subject_predicate(&iri, &skos("prefLabel")) {
                if let oxrdf::TermRef::Literal(l) = o {
                    match l.language() {
                        Some("fr") => skill.label_fr = l.value().to_owned(),
                        Some("en") => skill.label_en = l.value().to_owned(),
                        _ => {}
                    }
                }
            }
            for o in graph.objects_for_subject_predicate(&iri, &skos("altLabel")) {
                if let oxrdf::TermRef::Literal(l) = o {
                    skill.synonyms.push(l.value().to_owned());
                }
            }
            skills.push(skill);
        }
        let index: HashMap<NamedNode, usize> = skills
            .iter()
            .enumerate()
            .map(|(i, s)| (s.iri.clone(), i))
            .collect();
        // Make broader/narrower symmetric, whichever direction the file states.
        let mut extra: Vec<(usize, NamedNode, bool)> = Vec::new();
        for (i, s) in skills.iter().enumerate() {
            for b in &s.broader {
                if let Some(&j) = index.get(b) {
                    extra.push((j, s.iri.clone(), false));
                }
            }
            for n in &s.narrower {
                if let Some(&j) = index.get(n) {
                    extra.push((j, skills[i].iri.clone(), true));
                }
            }
        }
        for (j, iri, is_broader) in extra {
            let list = if is_broader {
                &mut skills[j].broader
            } else {
                &mut skills[j].narrower
            };
            if !list.contains(&iri) {
                list.push(iri);
            }
        }
        let mut labels = Vec::new();
        for (i, s) in skills.iter().enumerate() {
            for l in [&s.label_fr, &s.label_en] {
                if !l.is_empty() {
                    labels.push((normalize(l), i, true, l.clone()));
                }
            }
            for l in &s.synonyms {
                labels.push((normalize(l), i, false, l.clone()));
            }
        }
        Ok(Self {
            skills,
            index,
            labels,
        })
    }

    /// Number of skills.
    pub fn len(&self) -> usize {
        self.skills.len()
    }

    /// Whether the scheme is empty.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }

    /// Every skill.
    pub fn iter(&self) -> impl Iterator<Item = &Skill> {
        self.skills.iter()
    }

    /// The skill with this IRI.
    pub fn get(&self, iri: NamedNodeRef<'_>) -> Option<&Skill> {
        self.index.get(&iri.into_owned()).map(|&i| &self.skills[i])
    }

    /// Whether `iri` is a skill of the scheme.
    pub fn contains(&self, iri: NamedNodeRef<'_>) -> bool {
        self.index.contains_key(&iri.into_owned())
    }

    /// The skill and every skill narrower than it, at any depth.
    pub fn with_narrower(&self, iri: NamedNodeRef<'_>) -> Vec<&Skill> {
        self.walk(iri, |s| &s.narrower)
    }

    /// Every skill broader than `iri`, nearest first (the skill itself excluded).
    pub fn ancestors(&self, iri: NamedNodeRef<'_>) -> Vec<&Skill> {
        let mut out = self.walk(iri, |s| &s.broader);
        if !out.is_empty() {
            out.remove(0);
        }
        out
    }

    fn walk(&self, iri: NamedNodeRef<'_>, next: impl Fn(&Skill) -> &Vec<NamedNode>) -> Vec<&Skill> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut queue = std::collections::VecDeque::new();
        if let Some(&i) = self.index.get(&iri.into_owned()) {
            queue.push_back(i);
        }
        while let Some(i) = queue.pop_front() {
            if !seen.insert(i) {
                continue;
            }
            out.push(&self.skills[i]);
            for n in next(&self.skills[i]) {
                if let Some(&j) = self.index.get(n) {
                    queue.push_back(j);
                }
            }
        }
        out
    }

    /// Skills whose label or synonym matches `text` (case and accents ignored), best first,
    /// followed by the skills narrower than the matches: a search for "artisanat" also finds
    /// "céramique", a search for "bois" finds "menuiserie" through its synonym.
    pub fn search(&self, text: &str) -> Vec<SkillMatch> {
        let query = normalize(text);
        if query.is_empty() {
            return Vec::new();
        }
        let words: Vec<&str> = query.split(' ').collect();
        let mut best: HashMap<usize, SkillMatch> = HashMap::new();
        fn consider(best: &mut HashMap<usize, SkillMatch>, i: usize, m: SkillMatch) {
            if best.get(&i).is_none_or(|old| m.score > old.score) {
                best.insert(i, m);
            }
        }
        for (label, i, preferred, original) in &self.labels {
            let label_words: Vec<&str> = label.split(' ').collect();
            let (score, kind) = if *label == query {
                if *preferred {
                    (1.0, MatchKind::Label)
                } else {
                    (0.9, MatchKind::Synonym)
                }
            } else if words.iter().all(|w| label_words.contains(w)) {
                (
                    0.7 * words.len() as f32 / label_words.len() as f32 + 0.1,
                    MatchKind::Words,
                )
            } else if query.len() >= 4 && label_words.iter().any(|lw| lw.starts_with(&query)) {
                (0.4, MatchKind::Words)
            } else {
                continue;
            };
            consider(
                &mut best,
                *i,
                SkillMatch {
                    iri: self.skills[*i].iri.clone(),
                    score,
                    matched: original.clone(),
                    kind,
                },
            );
        }
        let direct: Vec<(usize, SkillMatch)> = best.iter().map(|(i, m)| (*i, m.clone())).collect();
        for (i, m) in direct {
            for narrower in self
                .with_narrower(self.skills[i].iri.as_ref())
                .into_iter()
                .skip(1)
            {
                let j = self.index[&narrower.iri];
                consider(
                    &mut best,
                    j,
                    SkillMatch {
                        iri: narrower.iri.clone(),
                        score: m.score * 0.5,
                        matched: m.matched.clone(),
                        kind: MatchKind::Narrower(self.skills[i].iri.clone()),
                    },
                );
            }
        }
        let mut out: Vec<SkillMatch> = best.into_values().collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.iri.as_str().cmp(b.iri.as_str()))
        });
        out
    }
}
