//! Residents' cards for the résidentothèque: what each resident's pod publishes about them (the
//! actor's name, description and picture; the public profile's skills and links), fetched with
//! the server's guarded client and kept for ten minutes. A resident whose profile is private
//! shows their name only: the place never holds more than the pod gives everyone.

use crate::app::AppState;
use kommon_rdf::codec::{ParseLimits, RdfFormat, parse_graph};
use kommon_rdf::jsonld::ContextLoader;
use kommon_rdf::model::Term;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// One resident as the résidentothèque shows them.
#[derive(Clone, Debug, Default)]
pub struct Card {
    /// The actor.
    pub id: String,
    /// Their name.
    pub name: String,
    /// Their short description.
    pub summary: String,
    /// Their picture's URL.
    pub icon: Option<String>,
    /// Their skills, French labels of the nomenclature.
    pub skills: Vec<String>,
    /// Their disciplines: the fields of the nomenclature their skills belong to (its top
    /// concepts: « Artisanat », « Spectacle et événementiel »…), French labels.
    pub disciplines: Vec<String>,
    /// Their links (websites).
    pub links: Vec<String>,
}

const TTL: Duration = Duration::from_secs(600);

/// The cache of cards (per server).
pub struct Cards {
    cache: quick_cache::sync::Cache<String, (Card, Instant)>,
}

impl Default for Cards {
    fn default() -> Self {
        Self::new()
    }
}

impl Cards {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(10_000),
        }
    }
}

fn skills() -> &'static Option<kommon_vocab::SkillScheme> {
    static SCHEME: OnceLock<Option<kommon_vocab::SkillScheme>> = OnceLock::new();
    SCHEME.get_or_init(|| kommon_vocab::SkillScheme::bundled().ok())
}

/// The card of `member`.
pub async fn card(state: &AppState, member: &str) -> Card {
    if let Some((c, at)) = state.cards.cache.get(member)
        && at.elapsed() < TTL
    {
        return c;
    }
    let fallback = || Card {
        id: member.to_owned(),
        name: member.rsplit('/').next().unwrap_or(member).to_owned(),
        ..Card::default()
    };
    let mut card = fallback();
    if let Ok(actor) = state.federation.actors.actor(member, false).await {
        let doc = &actor.document;
        if let Some(n) = doc["name"].as_str().filter(|n| !n.is_empty()) {
            card.name = n.chars().take(200).collect();
        }
        card.summary = doc["summary"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(500)
            .collect();
        card.icon = doc["icon"]["url"]
            .as_str()
            .or_else(|| doc["icon"].as_str())
            .filter(|u| kommon_activitypub::json::is_http_url(u))
            .map(str::to_owned);
        if let Some(profile) = doc["url"]
            .as_str()
            .filter(|u| kommon_activitypub::json::is_http_url(u))
            && let Ok(f) = state
                .fetcher
                .get(profile, &[("accept", "text/turtle")], 256 * 1024)
                .await
            && let Ok(triples) = parse_graph(
                RdfFormat::Turtle,
                &f.body,
                Some(profile),
                &ParseLimits::default(),
                &ContextLoader::bundled(),
            )
        {
            for t in triples {
                let Term::NamedNode(o) = &t.object else {
                    continue;
                };
                match t.predicate.as_str() {
                    "http://schema.org/skills" | "https://schema.org/skills" => {
                        let label = skills()
                            .as_ref()
                            .and_then(|s| s.get(o.as_ref()).map(|k| k.label_fr.clone()))
                            .unwrap_or_else(|| {
                                o.as_str().rsplit('/').next().unwrap_or_default().to_owned()
                            });
                        // The field a skill belongs to: its top concept (itself when top).
                        if let Some(scheme) = skills().as_ref()
                            && let Some(skill) = scheme.get(o.as_ref())
                        {
                            let top = scheme
                                .ancestors(o.as_ref())
                                .last()
                                .map(|t| t.label_fr.clone())
                                .unwrap_or_else(|| skill.label_fr.clone());
                            if !card.disciplines.contains(&top) {
                                card.disciplines.push(top);
                            }
                        }
                        if !card.skills.contains(&label) {
                            card.skills.push(label);
                        }
                    }
                    "http://virtual-assembly.org/ontologies/pair#homePage"
                        if card.links.len() < 5 =>
                    {
                        card.links.push(o.as_str().to_owned());
                    }
                    _ => {}
                }
            }
        }
    }
    state
        .cards
        .cache
        .insert(member.to_owned(), (card.clone(), Instant::now()));
    card
}

/// Cards of several residents, fetched a few at a time.
pub async fn cards(state: &AppState, members: Vec<String>) -> Vec<Card> {
    use futures::StreamExt;
    let state = Arc::new(state.clone());
    futures::stream::iter(members)
        .map(|m| {
            let s = Arc::clone(&state);
            async move { card(&s, &m).await }
        })
        .buffered(8)
        .collect()
        .await
}
