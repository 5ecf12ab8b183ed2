//! Network mode: a community whose members are places (POT KOMMON, or any other network).
//! Places join it as residents join a place; it then follows each member place, ingests what
//! the place approved ([`ingest`]), and serves the public site ([`site`]) and the open data
//! ([`data`]) of the whole ecosystem.

pub mod cache;
pub mod data;
pub mod import;
pub mod ingest;
pub mod pages;
pub mod site;
pub mod sources;
pub mod tour;

use kommon_network::{NetworkIndex, NetworkRecords, Normalizer, RecordedRefusal};
use kommon_rdf::QuadStore;
use kommon_sparql_protocol::{EndpointOptions, SparqlEndpoint};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// How many refusals of non-members the admin page remembers (in memory: anyone may send
/// them, so they must not fill the disk).
const OUTSIDERS_KEPT: usize = 100;

/// Everything network mode needs, shared by the inbox worker, the moderation hook and the
/// public site.
pub struct NetworkSite {
    /// The network community's slug.
    pub slug: String,
    /// Reads, maps and validates what members send.
    pub normalizer: Normalizer,
    /// The public store's records.
    pub records: NetworkRecords,
    /// The in-memory index of the entries.
    pub index: NetworkIndex,
    /// The skills nomenclature (labels and hierarchy for the filters).
    pub skills: kommon_vocab::SkillScheme,
    /// The public SPARQL endpoint over the public store.
    pub sparql: SparqlEndpoint,
    /// Recent activities from actors that are not members, refused.
    pub outsiders: parking_lot::Mutex<VecDeque<RecordedRefusal>>,
    /// The public pages, kept until the index changes.
    pub pages: cache::PageCache,
    /// The guided tour of the home page (`--tour`), in a demonstrator.
    pub tour: Option<tour::Tour>,
}

impl NetworkSite {
    /// Opens the network of community `slug` over its public store, loading the vocabulary
    /// into it and the entries into the index.
    pub fn open(slug: &str, public: QuadStore) -> anyhow::Result<Self> {
        let normalizer =
            Normalizer::bundled()?.tolerating(kommon_activitypub::json::TOLERATED_CONTEXTS);
        let records = NetworkRecords::new(&public);
        records.publish_vocabulary(normalizer.vocabulary())?;
        let index = NetworkIndex::new();
        let mut entries = Vec::new();
        for e in records.entries() {
            entries.push(e?);
        }
        let loaded = entries.len();
        index.extend(entries);
        tracing::info!(network = %slug, entries = loaded, "network index loaded");
        let sparql = SparqlEndpoint::new(public).with_options(EndpointOptions {
            timeout: Some(Duration::from_secs(10)),
            max_results: Some(10_000),
            ..EndpointOptions::default()
        });
        Ok(Self {
            slug: slug.to_owned(),
            normalizer,
            records,
            index,
            skills: kommon_vocab::SkillScheme::bundled()?,
            sparql,
            outsiders: parking_lot::Mutex::new(VecDeque::new()),
            pages: cache::PageCache::default(),
            tour: None,
        })
    }

    /// Remembers an activity refused because its sender is not a member.
    pub fn refuse_outsider(&self, r: RecordedRefusal) {
        let mut q = self.outsiders.lock();
        if q.len() >= OUTSIDERS_KEPT {
            q.pop_back();
        }
        q.push_front(r);
    }

    /// The skills a filter on `iri` matches: the skill and every narrower one.
    pub fn skill_and_narrower(&self, iri: &str) -> Vec<String> {
        match oxrdf::NamedNodeRef::new(iri) {
            Ok(n) if self.skills.contains(n) => self
                .skills
                .with_narrower(n)
                .into_iter()
                .map(|s| s.iri.as_str().to_owned())
                .collect(),
            _ => vec![iri.to_owned()],
        }
    }
}

/// The folder of the network's public store, next to the server's data folder.
pub fn public_store_path(data: &std::path::Path) -> std::path::PathBuf {
    let name = data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cod-data".into());
    data.with_file_name(format!("{name}-network"))
}

/// Opens the network of this server, if one of its communities is a network.
pub fn open(
    registry: &kommon_community::CommunityRegistry,
    config: &crate::config::ServerConfig,
) -> anyhow::Result<Option<Arc<NetworkSite>>> {
    use anyhow::Context;
    let Some(network) = registry.list()?.into_iter().find(|c| c.network) else {
        return Ok(None);
    };
    let path = public_store_path(&config.data);
    std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
    let public = QuadStore::open(&path, &config.store_options())
        .with_context(|| format!("opening the network's public store in {}", path.display()))?;
    let mut site = NetworkSite::open(&network.slug, public)?;
    if let Some(path) = &config.tour {
        site.tour = Some(tour::read(path)?);
    }
    Ok(Some(Arc::new(site)))
}

/// The network of community `slug`, or the 404 of a community that is not the network.
pub fn of_community(
    state: &crate::app::AppState,
    slug: &str,
) -> Result<Arc<NetworkSite>, axum::response::Response> {
    state
        .network
        .clone()
        .filter(|n| n.slug == slug)
        .ok_or_else(|| {
            crate::app::plain(
                axum::http::StatusCode::NOT_FOUND,
                "this community is not a network",
            )
        })
}
