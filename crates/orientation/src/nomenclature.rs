//! A concept tree (the skills nomenclature, or the service types) prepared for matching: dense
//! numbers for concepts, the closeness of every pair (same, narrower, broader, related, sibling),
//! and the concepts named in a free text ("je sais travailler le bois" → menuiserie).

use kommon_vocab::{SkillScheme, normalize};
use oxrdf::NamedNodeRef;
use std::collections::HashMap;
use thiserror::Error;

/// A concept's number in a [`Nomenclature`].
pub type ConceptId = u16;

/// A concept IRI that is not in the nomenclature.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("« {0} » n'est pas dans le référentiel / is not in the nomenclature")]
pub struct UnknownConcept(pub String);

/// How an offered concept stands to the one asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The very concept asked for.
    Exact,
    /// A narrower concept: asked "artisanat", offered "céramique".
    Narrower,
    /// A broader concept: asked "céramique", offered "artisanat".
    Broader,
    /// A concept the nomenclature marks as related (`skos:related`).
    Related,
    /// Another concept under the same broader one.
    Sibling,
}

/// One concept asked for, with what the person wrote when it came from text.
#[derive(Clone, Debug, PartialEq)]
pub struct Asked {
    /// The concept.
    pub concept: ConceptId,
    /// The words the person used ("travail du bois"), when it came from free text.
    pub said: Option<String>,
}

/// A concept tree ready for matching.
#[derive(Clone, Debug)]
pub struct Nomenclature {
    iris: Vec<String>,
    labels_fr: Vec<String>,
    labels_en: Vec<String>,
    ids: HashMap<String, ConceptId>,
    /// `closeness[asked * n + offered]`.
    closeness: Vec<(f32, Option<Relation>)>,
    /// For each asked concept, the offered concepts with any closeness, closest first.
    neighbours: Vec<Vec<(ConceptId, f32)>>,
    /// Normalised, stemmed words of each label or synonym, with its concept and original text.
    phrases: Vec<(Vec<String>, ConceptId, String)>,
}

/// Words too common to name a concept on their own when they are a one-word synonym.
const STOP_WORDS: &[&str] = &[
    "de", "du", "des", "le", "la", "les", "et", "un", "une", "en", "a", "au", "aux", "pour", "je",
    "j", "l", "d",
];

fn stem(word: &str) -> String {
    let w = word
        .strip_suffix("aux")
        .map(|s| format!("{s}al"))
        .unwrap_or_else(|| word.to_owned());
    if w.len() > 3
        && let Some(s) = w.strip_suffix('s').or_else(|| w.strip_suffix('x'))
    {
        return s.to_owned();
    }
    w
}

/// Normalised, stemmed words; a hyphenated word stays one ("grille-pain" is not "pain").
fn words_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        let parts: Vec<String> = chunk.split('-').map(normalize).collect();
        let one_word = |p: &String| !p.is_empty() && !p.contains(' ');
        if parts.len() > 1 && parts.iter().all(one_word) {
            out.push(parts.iter().map(|p| stem(p)).collect::<Vec<_>>().join("-"));
        } else {
            out.extend(normalize(chunk).split_whitespace().map(stem));
        }
    }
    out
}

/// The concepts reached from `start` by following `next`, each with its depth (1 for a direct
/// neighbour), nearest first.
fn by_depth(
    scheme: &SkillScheme,
    start: &kommon_vocab::Skill,
    next: impl Fn(&kommon_vocab::Skill) -> &Vec<oxrdf::NamedNode>,
) -> Vec<(oxrdf::NamedNode, usize)> {
    let mut out: Vec<(oxrdf::NamedNode, usize)> = Vec::new();
    let mut seen = std::collections::HashSet::from([start.iri.clone()]);
    let mut frontier: Vec<&kommon_vocab::Skill> = vec![start];
    let mut depth = 0;
    while !frontier.is_empty() {
        depth += 1;
        let mut following = Vec::new();
        for c in frontier {
            for n in next(c) {
                if seen.insert(n.clone())
                    && let Some(found) = scheme.get(n.as_ref())
                {
                    out.push((n.clone(), depth));
                    following.push(found);
                }
            }
        }
        frontier = following;
    }
    out
}

impl Nomenclature {
    /// Prepares a concept tree.
    pub fn new(scheme: &SkillScheme) -> Self {
        let concepts: Vec<_> = scheme.iter().collect();
        let n = concepts.len();
        let ids: HashMap<String, ConceptId> = concepts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.iri.as_str().to_owned(), i as ConceptId))
            .collect();
        let id = |iri: &str| ids.get(iri).copied();
        let mut closeness = vec![(0.0f32, None); n * n];
        for (a, concept) in concepts.iter().enumerate() {
            let set = |closeness: &mut Vec<(f32, Option<Relation>)>, b: usize, score: f32, rel| {
                if closeness[a * n + b].0 < score {
                    closeness[a * n + b] = (score, Some(rel));
                }
            };
            set(&mut closeness, a, 1.0, Relation::Exact);
            // Depth along the tree, not position in a list: two children are equally narrower.
            for (b, depth) in by_depth(scheme, concept, |c| &c.narrower) {
                if let Some(b) = id(b.as_str()) {
                    let score = (0.9 - 0.05 * depth as f32).max(0.7);
                    set(&mut closeness, b as usize, score, Relation::Narrower);
                }
            }
            for (b, depth) in by_depth(scheme, concept, |c| &c.broader) {
                if let Some(b) = id(b.as_str()) {
                    let score = (0.7 - 0.1 * depth as f32).max(0.4);
                    set(&mut closeness, b as usize, score, Relation::Broader);
                }
            }
            for related in &concept.related {
                if let Some(b) = id(related.as_str()) {
                    set(&mut closeness, b as usize, 0.55, Relation::Related);
                }
            }
            for broader in &concept.broader {
                if let Some(parent) = scheme.get(broader.as_ref()) {
                    for sibling in &parent.narrower {
                        if let Some(b) = id(sibling.as_str()) {
                            set(&mut closeness, b as usize, 0.3, Relation::Sibling);
                        }
                    }
                }
            }
        }
        // skos:related is symmetric even when the file states one direction.
        for a in 0..n {
            for b in 0..n {
                if closeness[a * n + b].1 == Some(Relation::Related)
                    && closeness[b * n + a].0 < 0.55
                {
                    closeness[b * n + a] = (0.55, Some(Relation::Related));
                }
            }
        }
        let neighbours = (0..n)
            .map(|a| {
                let mut list: Vec<(ConceptId, f32)> = (0..n)
                    .filter(|&b| closeness[a * n + b].0 > 0.0)
                    .map(|b| (b as ConceptId, closeness[a * n + b].0))
                    .collect();
                list.sort_by(|x, y| y.1.total_cmp(&x.1));
                list
            })
            .collect();
        let mut phrases = Vec::new();
        for (i, c) in concepts.iter().enumerate() {
            for label in [&c.label_fr, &c.label_en]
                .into_iter()
                .chain(c.synonyms.iter())
            {
                let words = words_of(label);
                let alone_is_common = words.len() == 1 && STOP_WORDS.contains(&words[0].as_str());
                if !words.is_empty() && !alone_is_common {
                    phrases.push((words, i as ConceptId, label.to_string()));
                }
            }
        }
        // Longest phrases first, so "travail du bois" wins over "bois".
        phrases.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        Nomenclature {
            iris: concepts.iter().map(|c| c.iri.as_str().to_owned()).collect(),
            labels_fr: concepts.iter().map(|c| c.label_fr.clone()).collect(),
            labels_en: concepts.iter().map(|c| c.label_en.clone()).collect(),
            ids,
            closeness,
            neighbours,
            phrases,
        }
    }

    /// Number of concepts.
    pub fn len(&self) -> usize {
        self.iris.len()
    }

    /// Whether there is no concept.
    pub fn is_empty(&self) -> bool {
        self.iris.is_empty()
    }

    /// The number of a concept IRI.
    pub fn id(&self, iri: &str) -> Option<ConceptId> {
        self.ids.get(iri).copied()
    }

    /// Numbers of concept IRIs, refusing the first unknown one.
    pub fn ids(&self, iris: &[String]) -> Result<Vec<ConceptId>, UnknownConcept> {
        let mut out = Vec::with_capacity(iris.len());
        for iri in iris {
            let id = self
                .id(iri)
                .ok_or_else(|| UnknownConcept(iri.chars().take(120).collect()))?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Numbers of the concept IRIs that are known, skipping the others (for data already
    /// validated elsewhere, such as the network's index).
    pub fn known_ids<'a>(&self, iris: impl IntoIterator<Item = &'a str>) -> Vec<ConceptId> {
        let mut out = Vec::new();
        for id in iris.into_iter().filter_map(|i| self.id(i)) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }

    /// The IRI of a concept.
    pub fn iri(&self, id: ConceptId) -> &str {
        &self.iris[id as usize]
    }

    /// The concept's IRI as a node.
    pub fn node(&self, id: ConceptId) -> NamedNodeRef<'_> {
        NamedNodeRef::new_unchecked(self.iri(id))
    }

    /// French label.
    pub fn label_fr(&self, id: ConceptId) -> &str {
        &self.labels_fr[id as usize]
    }

    /// English label (the French one when there is none).
    pub fn label_en(&self, id: ConceptId) -> &str {
        let en = &self.labels_en[id as usize];
        if en.is_empty() { self.label_fr(id) } else { en }
    }

    /// How close `offered` is to `asked`, between 0 and 1, and how.
    pub fn closeness(&self, asked: ConceptId, offered: ConceptId) -> (f32, Option<Relation>) {
        self.closeness[asked as usize * self.len() + offered as usize]
    }

    /// The concepts that are any close to `asked`, closest first (itself included).
    pub fn neighbours(&self, asked: ConceptId) -> &[(ConceptId, f32)] {
        &self.neighbours[asked as usize]
    }

    /// The concepts a free text names, with the words that named them: a label or a synonym
    /// found as whole words, case, accents and plurals ignored; longer phrases first, and a
    /// shorter one inside a longer match does not count again.
    pub fn find_in_text(&self, text: &str) -> Vec<Asked> {
        let words: Vec<String> = words_of(&text.chars().take(4000).collect::<String>());
        let mut used = vec![false; words.len()];
        let mut out: Vec<Asked> = Vec::new();
        for (phrase, concept, original) in &self.phrases {
            if phrase.len() > words.len() {
                continue;
            }
            for start in 0..=words.len() - phrase.len() {
                let span = start..start + phrase.len();
                if used[span.clone()].iter().any(|u| *u) || words[span.clone()] != phrase[..] {
                    continue;
                }
                used[span].iter_mut().for_each(|u| *u = true);
                if !out.iter().any(|a| a.concept == *concept) {
                    out.push(Asked {
                        concept: *concept,
                        said: Some(original.clone()),
                    });
                }
            }
        }
        out
    }

    /// What a person asks for: the concepts they ticked, then those their text names.
    pub fn asked(&self, iris: &[String], text: &str) -> Result<Vec<Asked>, UnknownConcept> {
        let mut out: Vec<Asked> = self
            .ids(iris)?
            .into_iter()
            .map(|concept| Asked {
                concept,
                said: None,
            })
            .collect();
        for found in self.find_in_text(text) {
            if !out.iter().any(|a| a.concept == found.concept) {
                out.push(found);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skills() -> Nomenclature {
        Nomenclature::new(&SkillScheme::bundled().unwrap())
    }

    const K: &str = "https://w3id.org/kommon/skills/";

    #[test]
    fn closeness_follows_the_tree() {
        let n = skills();
        let id = |s: &str| n.id(&format!("{K}{s}")).unwrap();
        assert_eq!(
            n.closeness(id("menuiserie"), id("menuiserie")),
            (1.0, Some(Relation::Exact))
        );
        assert_eq!(
            n.closeness(id("artisanat"), id("ceramique")).1,
            Some(Relation::Narrower)
        );
        assert_eq!(
            n.closeness(id("ceramique"), id("artisanat")).1,
            Some(Relation::Broader)
        );
        assert_eq!(
            n.closeness(id("menuiserie"), id("reemploi")).1,
            Some(Relation::Related)
        );
        assert_eq!(
            n.closeness(id("reemploi"), id("menuiserie")).1,
            Some(Relation::Related)
        );
        assert!(
            n.closeness(id("artisanat"), id("ceramique")).0
                > n.closeness(id("menuiserie"), id("reemploi")).0
        );
    }

    #[test]
    fn free_text_names_skills_through_synonyms() {
        let n = skills();
        let found = n.find_in_text("Je sais faire du travail du bois, et un peu de Céramique !");
        let iris: Vec<&str> = found.iter().map(|a| n.iri(a.concept)).collect();
        assert!(
            iris.contains(&format!("{K}menuiserie").as_str()),
            "{iris:?}"
        );
        assert!(iris.contains(&format!("{K}ceramique").as_str()), "{iris:?}");
        let wood = found
            .iter()
            .find(|a| n.iri(a.concept).ends_with("menuiserie"))
            .unwrap();
        assert_eq!(wood.said.as_deref(), Some("travail du bois"));
        assert!(n.find_in_text("").is_empty());
    }

    #[test]
    fn an_unknown_iri_is_refused_by_name() {
        let n = skills();
        let err = n
            .asked(&["https://evil.example/skill".into()], "")
            .unwrap_err();
        assert!(err.to_string().contains("evil.example"));
    }
}
