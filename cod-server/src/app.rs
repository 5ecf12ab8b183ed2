//! The HTTP side of cod-server: routes, authentication, and the hand-off to federation,
//! moderation and pages.

use crate::config::ServerConfig;
use crate::federation::Federation;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kommon_activitypub::actor::{ActorDocument, ActorKind};
use kommon_activitypub::collection::{self, PAGE_SIZE, PageCursor};
use kommon_activitypub::inbox::InboxPost;
use kommon_activitypub::{ACTIVITY_JSON, addressing, json as apjson};
use kommon_rdf::QuadStore;
use kommon_solid::auth::{
    Authenticator, Credentials, DevelopmentHeaderVerifier, HttpSignatureVerifier, RequestHead,
};
use kommon_solid::oidc::directory::{DocumentFetch, RemoteIssuerDirectory};
use kommon_solid::oidc::verifier::SolidOidcVerifier;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Everything a request handler needs, shared: every request clones it, so it is one pointer
/// to [`Shared`] rather than a dozen handles each counted on its own.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    /// Federation and the communities.
    pub federation: Federation,
    /// Who sends requests (moderators' Solid-OIDC tokens, HTTP signatures).
    pub auth: Authenticator,
    /// The configuration.
    pub config: Arc<ServerConfig>,
    /// Other issuers and WebIDs (moderators' logins, their tokens).
    pub oidc_directory: Arc<RemoteIssuerDirectory>,
    /// Fetches from other servers, with the private-address guard.
    pub fetcher: kommon_activitypub::guard::GuardedFetcher,
    /// Moderators' logins and sessions.
    pub sessions: Arc<crate::login::Sessions>,
    /// Residents' cards, fetched from their pods.
    pub cards: Arc<crate::cards::Cards>,
    /// The network, when one of the communities is a network.
    pub network: Option<Arc<crate::network::NetworkSite>>,
    /// Emails to moderators.
    pub notifier: Arc<crate::notify::Notifier>,
    /// The places' calls for volunteers, offers of help and service requests.
    pub orientation: Arc<crate::orientation::Orientation>,
    /// Requests answered, by status class, for `/metrics`.
    pub requests: Arc<kommon_activitypub::metrics::RequestCounters>,
    /// The invitations places made from their residents lists.
    pub invitations: kommon_community::InvitationBook,
}

/// The guarded HTTP client, as the OIDC directory fetches documents.
struct GuardedDocuments(kommon_activitypub::guard::GuardedFetcher);

impl DocumentFetch for GuardedDocuments {
    fn fetch<'a>(
        &'a self,
        url: &'a str,
        accept: &'a str,
        max_bytes: usize,
    ) -> futures::future::BoxFuture<'a, Result<(String, Vec<u8>), String>> {
        Box::pin(async move {
            self.0
                .get(url, &[("accept", accept)], max_bytes)
                .await
                .map(|f| (f.content_type, f.body.to_vec()))
                .map_err(|e| e.to_string())
        })
    }
}

impl AppState {
    /// Builds the state of a server over `store`.
    pub fn new(store: QuadStore, config: ServerConfig) -> anyhow::Result<Self> {
        let federation = Federation::new(
            &store,
            &config.base_url,
            config.dev,
            Duration::from_micros(config.delivery_backoff_unit_us.max(1)),
        )?;
        let fetcher = kommon_activitypub::guard::GuardedFetcher::new(config.dev);
        let directory = Arc::new(RemoteIssuerDirectory::new(Arc::new(GuardedDocuments(
            fetcher.clone(),
        ))));
        let mut auth = Authenticator::new()
            .with(Arc::new(HttpSignatureVerifier::new(
                federation.keys.clone(),
            )))
            .with(Arc::new(SolidOidcVerifier::new(directory.clone())));
        if config.dev {
            auth = auth.with(Arc::new(DevelopmentHeaderVerifier));
        }
        let network = crate::network::open(&federation.registry, &config)?;
        let notifier = Arc::new(crate::notify::Notifier::new(&config)?);
        let orientation = Arc::new(crate::orientation::Orientation::new(&store)?);
        Ok(Self(Arc::new(Shared {
            federation,
            auth,
            config: Arc::new(config),
            oidc_directory: directory,
            fetcher,
            sessions: Arc::default(),
            cards: Arc::new(crate::cards::Cards::new()),
            network,
            notifier,
            orientation,
            requests: Arc::default(),
            invitations: kommon_community::InvitationBook::new(&store),
        })))
    }
}

/// Opens (or creates) the store of a server's data folder.
pub fn open_store(config: &ServerConfig) -> anyhow::Result<QuadStore> {
    use anyhow::Context;
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("creating {}", config.data.display()))?;
    QuadStore::open(&config.data, &config.store_options()).with_context(|| {
        format!(
            "opening the store in {} (is a server already running on it?)",
            config.data.display()
        )
    })
}

/// `cod-server serve`: serves until Ctrl-C or SIGTERM, then writes everything to disk.
pub fn serve(config: ServerConfig) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(path) = &config.extra_ca_file {
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        kommon_activitypub::guard::trust_extra_roots(&pem)?;
    }
    let store = open_store(&config)?;
    let listen = config.listen;
    let base = config.base_url.clone();
    let state = AppState::new(store.clone(), config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        eprintln!("cod-server : {base} (écoute sur {listen})");
        state.federation.start(state.clone());
        crate::network::ingest::spawn_reconciliation(
            state.clone(),
            Duration::from_secs(state.config.reconcile_every_s.max(10)),
        );
        crate::orientation::spawn_erasure(state.clone(), Duration::from_secs(3600));
        crate::invitations::spawn_erasure(state.clone(), Duration::from_secs(3600));
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
                }
            })
            .await
            .context("serving")
    })?;
    store.flush()?;
    Ok(())
}

/// The router of a cod-server.
pub fn router(state: AppState) -> Router {
    // The network's public pages and feeds: the same for every visitor, kept until the index
    // changes.
    let public = Router::new()
        .route("/", get(crate::network::site::home))
        .route("/carte", get(crate::network::site::map))
        .route("/annuaire", get(crate::network::site::directory))
        .route("/agenda", get(crate::network::site::agenda))
        .route("/fiche", get(crate::network::site::entry_page))
        .route("/relations", get(crate::network::site::relations))
        .route("/api/geojson", get(crate::network::data::geojson))
        .route("/agenda.ics", get(crate::network::data::ical))
        .route("/agenda.rss", get(crate::network::data::feed))
        .route("/agenda.atom", get(crate::network::data::feed))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::network::cache::public_page,
        ));
    Router::new()
        .merge(public)
        // Orientation answers what one person asks: nothing to keep for the next visitor.
        .route("/benevolat", get(crate::orientation::network::volunteer))
        .route(
            "/coup-de-main",
            get(crate::orientation::network::help).post(crate::orientation::network::send),
        )
        .route("/requetes", get(crate::network::site::queries))
        .route("/donnees", get(crate::network::site::open_data))
        .route("/donnees/{file}", get(crate::network::data::dump))
        .route(
            "/sparql",
            get(crate::network::data::sparql)
                .post(crate::network::data::sparql)
                .options(crate::network::data::sparql),
        )
        .route("/assets/{*path}", get(crate::network::data::asset))
        .route("/embed.js", get(crate::widgets::script))
        .route("/oembed", get(crate::widgets::oembed::answer))
        .route(
            "/embed/{slug}/{view}",
            get(crate::widgets::view)
                .post(crate::widgets::submit)
                .options(crate::widgets::preflight),
        )
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        // No icon yet: an empty answer rather than a 404 in every browser's console.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/inbox", post(shared_inbox))
        .route("/actor", get(instance_actor))
        .route("/actor/inbox", post(shared_inbox))
        .route("/.oidc/client.jsonld", get(crate::login::client_document))
        .route(
            "/.login",
            get(crate::login::login_page).post(crate::login::start),
        )
        .route("/.login/callback", get(crate::login::callback))
        .route("/.logout", post(crate::login::logout))
        .route(
            "/{slug}/admin",
            get(crate::admin_pages::show).post(crate::admin_pages::save),
        )
        .route(
            "/{slug}/reseaux",
            get(crate::network::pages::show).post(crate::network::pages::join),
        )
        .route("/{slug}/photos", post(crate::photos::post))
        .route("/{slug}/photos/{id}", get(crate::photos::serve))
        .route(
            "/{slug}/sources",
            get(crate::network::sources::show).post(crate::network::sources::act),
        )
        .route(
            "/{slug}/ingestion",
            get(crate::network::pages::ingestion).post(crate::network::pages::reconcile),
        )
        .route(
            "/{slug}/orientation",
            get(crate::orientation::queue::show).post(crate::orientation::queue::act),
        )
        .route(
            "/{slug}/benevolat",
            get(crate::orientation::public::volunteer_page)
                .post(crate::orientation::public::volunteer_submit),
        )
        .route(
            "/{slug}/coup-de-main",
            get(crate::orientation::public::service_page)
                .post(crate::orientation::public::service_submit),
        )
        .route(
            "/{slug}/suivi/{token}",
            get(crate::orientation::public::follow_page)
                .post(crate::orientation::public::follow_act),
        )
        .route("/{slug}/export", get(crate::export::download))
        .route(
            "/{slug}/invitations",
            get(crate::invitations::show).post(crate::invitations::act),
        )
        .route(
            "/{slug}/invitation/{token}",
            get(crate::invitations::public_page).post(crate::invitations::public_act),
        )
        .route(
            "/{slug}/moderation",
            get(crate::moderation_pages::show).post(crate::moderation_pages::act),
        )
        .fallback(dispatch)
        .layer(axum::middleware::from_fn_with_state(
            state.requests.clone(),
            kommon_activitypub::metrics::count_requests,
        ))
        .with_state(state)
}

/// `GET /metrics`: Prometheus metrics (requests, inbox and delivery queues, failing hosts).
async fn metrics(State(state): State<AppState>) -> Response {
    let s = state.clone();
    let body = tokio::task::spawn_blocking(move || {
        kommon_activitypub::metrics::render(
            "cod-server",
            &s.requests,
            &s.federation.inbox_queue,
            &s.federation.deliverer,
        )
    })
    .await
    .unwrap_or_default();
    kommon_activitypub::metrics::response(body)
}

/// A plain-text answer.
pub fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// A document in the format the client asks for: Turtle (`text/turtle`), N-Triples, or
/// ActivityStreams JSON-LD (the default); Turtle and N-Triples are the JSON-LD read as RDF with
/// the bundled contexts.
pub fn linked_data(parts: &Parts, body: &Value) -> Response {
    use kommon_rdf::codec::{RdfFormat, serialize_triples};
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (format, media) = if accept.contains("text/turtle") {
        (RdfFormat::Turtle, "text/turtle; charset=utf-8")
    } else if accept.contains("application/n-triples") {
        (RdfFormat::NTriples, "application/n-triples")
    } else {
        return activity_json(StatusCode::OK, body);
    };
    let mut doc = body.clone();
    if doc.get("@context").is_none() {
        doc["@context"] = serde_json::json!(kommon_activitypub::AS_CONTEXT);
    }
    let quads = match kommon_rdf::jsonld::to_rdf(
        &doc.to_string(),
        body.get("id").and_then(Value::as_str),
        &kommon_rdf::jsonld::ContextLoader::bundled(),
        &kommon_rdf::jsonld::JsonLdLimits::default(),
    ) {
        Ok(q) => q,
        Err(e) => {
            tracing::error!(error = %e, "a served document is not JSON-LD");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the document cannot be given as RDF",
            );
        }
    };
    let triples: Vec<kommon_rdf::model::Triple> = quads.into_iter().map(|q| q.into()).collect();
    match serialize_triples(format, &triples, None) {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, media), (header::VARY, "Accept")],
            bytes,
        )
            .into_response(),
        Err(_) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the document cannot be given as RDF",
        ),
    }
}

/// An ActivityStreams answer.
pub fn activity_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, ACTIVITY_JSON),
            (header::VARY, "Accept, Authorization, Signature"),
        ],
        body.to_string(),
    )
        .into_response()
}

fn with_challenges(mut r: Response) -> Response {
    for c in ["DPoP algs=\"ES256 RS256\"", "Bearer scope=\"openid webid\""] {
        r.headers_mut()
            .append(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
    }
    r
}

async fn read_inbox_body(
    state: &AppState,
    parts: &Parts,
    body: Body,
) -> Result<bytes::Bytes, Response> {
    let limit = state.federation.inbox.verifier.limits().max_bytes;
    state
        .federation
        .inbox
        .read_body(&parts.headers, body)
        .await
        .ok_or_else(|| {
            plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is larger than {limit} bytes"),
            )
        })
}

async fn receive(state: &AppState, parts: &Parts, body: Body, inbox: &str) -> Response {
    let body = match read_inbox_body(state, parts, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let target_uri = format!("{}{path_and_query}", state.federation.base);
    let post = InboxPost {
        method: parts.method.as_str(),
        target_uri: &target_uri,
        headers: &parts.headers,
        body: &body,
    };
    let a = state.federation.inbox.receive(&post, inbox).await;
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = plain(status, &a.message);
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Signature realm=\"kommon\",headers=\"(request-target) host date digest\"",
            ),
        );
    }
    r
}

async fn shared_inbox(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let inbox = state.federation.shared_inbox();
    receive(&state, &parts, body, &inbox).await
}

async fn instance_actor(State(state): State<AppState>) -> Response {
    let fed = &state.federation;
    activity_json(
        StatusCode::OK,
        &fed.instance.document(
            &fed.base,
            "Kommon",
            "Le serveur des lieux Kommon / the Kommon places server",
            &fed.shared_inbox(),
        ),
    )
}

fn host(state: &AppState) -> String {
    apjson::authority(&state.federation.base).unwrap_or_default()
}

#[derive(serde::Deserialize)]
struct WebFingerQuery {
    resource: Option<String>,
}

async fn webfinger(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<WebFingerQuery>,
) -> Response {
    use kommon_activitypub::webfinger::{Resource, actor_jrd, parse_resource};
    let Some(resource) = q.resource else {
        return plain(StatusCode::BAD_REQUEST, "resource is missing");
    };
    let fed = &state.federation;
    let slug = match parse_resource(&resource) {
        Ok(Resource::Account { name, host: h }) if h == host(&state) => name,
        Ok(Resource::Account { host: h, .. }) => {
            return plain(StatusCode::NOT_FOUND, &format!("{h} is not this server"));
        }
        Ok(Resource::Url(u)) if u == fed.instance.id => {
            kommon_activitypub::instance::INSTANCE_NAME.to_owned()
        }
        Ok(Resource::Url(u)) => match fed.slug_of(&u) {
            Some(s) => s.to_owned(),
            None => {
                return plain(
                    StatusCode::NOT_FOUND,
                    &format!("{u} is not a community of this server"),
                );
            }
        },
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e),
    };
    let actor = if slug == kommon_activitypub::instance::INSTANCE_NAME {
        fed.instance.id.clone()
    } else {
        match fed.registry.get(&slug) {
            Ok(Some(_)) => fed.community_id(&slug),
            Ok(None) => {
                return plain(
                    StatusCode::NOT_FOUND,
                    &format!("there is no community {slug}"),
                );
            }
            Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
        }
    };
    let jrd = actor_jrd(
        &format!("acct:{slug}@{}", host(&state)),
        &actor,
        Some(&actor),
    );
    (
        [(header::CONTENT_TYPE, "application/jrd+json")],
        jrd.to_string(),
    )
        .into_response()
}

async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    let body = serde_json::json!({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{}/nodeinfo/2.1", state.federation.base)}]});
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn nodeinfo(State(state): State<AppState>) -> Response {
    let communities = state
        .federation
        .registry
        .list()
        .map(|l| l.len())
        .unwrap_or(0);
    let body = serde_json::json!({
        "version": "2.1",
        "software": {"name": "kommon-cod", "version": env!("CARGO_PKG_VERSION"), "repository": "https://git.example/kommon"},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {"users": {"total": communities}, "localPosts": 0},
        "metadata": {"nodeName": "Kommon", "kind": "community pods"},
    });
    (
        [(
            header::CONTENT_TYPE,
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        )],
        body.to_string(),
    )
        .into_response()
}

/// The Group actor of a community.
pub fn community_document(
    state: &AppState,
    community: &kommon_community::Community,
) -> Result<Value, kommon_rdf::StoreError> {
    let fed = &state.federation;
    let id = fed.community_id(&community.slug);
    let key = fed.community_keys.key_pair(&community.slug)?;
    let mut doc = ActorDocument {
        id: id.clone(),
        kind: ActorKind::Group,
        preferred_username: community.slug.clone(),
        name: community.name.clone(),
        summary: (!community.summary.is_empty()).then(|| community.summary.clone()),
        icon: None,
        url: Some(id.clone()),
        inbox: fed.collection(&community.slug, "inbox"),
        outbox: fed.collection(&community.slug, "outbox"),
        followers: fed.collection(&community.slug, "followers"),
        following: fed.collection(&community.slug, "following"),
        shared_inbox: fed.shared_inbox(),
        public_key_pem: key.public_pem,
        // Follows are accepted at once (FEP-1b12); membership is what moderators decide.
        manually_approves_followers: false,
        extra_contexts: vec![],
    }
    .to_json();
    let p = &community.profile;
    if !p.street_address.is_empty() || !p.locality.is_empty() || p.latitude.is_some() {
        let mut place = serde_json::json!({"type": "Place", "name": community.name});
        if !p.street_address.is_empty() || !p.locality.is_empty() {
            place["address"] = serde_json::json!({"type": "PostalAddress", "streetAddress": p.street_address,
                "postalCode": p.postal_code, "addressLocality": p.locality, "addressCountry": "FR"});
            // The same address in PAIR, for the network and Linked Data clients; full IRIs, so
            // peers need no context of ours.
            let pair = |l: &str| format!("{}{l}", kommon_vocab::ns::PAIR);
            let mut address = serde_json::Map::new();
            for (key, value) in [
                ("addressStreet", &p.street_address),
                ("addressZipCode", &p.postal_code),
                ("addressLocality", &p.locality),
            ] {
                if !value.is_empty() {
                    address.insert(pair(key), serde_json::json!(value));
                }
            }
            doc[pair("hasPostalAddress")] = Value::Object(address);
        }
        if let (Some(lat), Some(lon)) = (p.latitude, p.longitude) {
            place["latitude"] = serde_json::json!(lat);
            place["longitude"] = serde_json::json!(lon);
        }
        doc["location"] = place;
    }
    if !p.website.is_empty() {
        doc["url"] = serde_json::json!(p.website);
    }
    // Mastodon shows `PropertyValue` attachments as the profile's table.
    let mut fields = Vec::new();
    for (name, value) in [
        ("Horaires", &p.opening_hours),
        ("Accessibilité", &p.accessibility),
        ("Contact", &p.contact),
        ("Pratiques écologiques", &p.ecological_practices),
        ("Équipements", &p.equipment),
    ] {
        if !value.is_empty() {
            fields.push(serde_json::json!({"type": "PropertyValue", "name": name, "value": value}));
        }
    }
    if !fields.is_empty() {
        doc["attachment"] = serde_json::json!(fields);
    }
    let photos = crate::photos::photos(state, &community.slug);
    if !photos.is_empty() {
        doc["image"] = serde_json::json!(
            photos
                .iter()
                .map(|p| serde_json::json!({
                    "type": "Image", "mediaType": p.media_type, "name": p.alt,
                    "url": crate::photos::url(state, &community.slug, p),
                }))
                .collect::<Vec<_>>()
        );
    }
    // What the place takes for orientation, in full IRIs like its address: the network routes
    // service requests to the places that take them.
    if let Ok(o) = state.orientation.desk.settings(&community.slug) {
        let ids = |iris: &[String]| {
            iris.iter()
                .map(|i| serde_json::json!({"id": i}))
                .collect::<Vec<_>>()
        };
        if !o.services.is_empty() {
            doc[format!("{}acceptsRequestType", kommon_vocab::ns::KOMMON)] =
                serde_json::json!(ids(&o.services));
        }
        if !o.skills.is_empty() {
            doc[format!("{}skills", kommon_vocab::ns::SCHEMA)] = serde_json::json!(ids(&o.skills));
        }
        let schema = |l: &str| format!("{}{l}", kommon_vocab::ns::SCHEMA);
        const DAYS: [&str; 7] = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        let hours: Vec<Value> = o
            .hours
            .iter()
            .filter_map(|s| match s {
                kommon_orientation::Slot::Weekly {
                    days, start, end, ..
                } => Some(serde_json::json!({
                    "type": schema("OpeningHoursSpecification"),
                    schema("dayOfWeek"): days.iter().map(|d| serde_json::json!({"id": schema(DAYS[d.num_days_from_monday() as usize])})).collect::<Vec<_>>(),
                    schema("opens"): start.format("%H:%M:%S").to_string(),
                    schema("closes"): end.format("%H:%M:%S").to_string(),
                })),
                _ => None,
            })
            .collect();
        if !hours.is_empty() {
            doc[schema("openingHoursSpecification")] = serde_json::json!(hours);
        }
    }
    doc["attributedTo"] = serde_json::json!(
        community
            .admins
            .iter()
            .chain(&community.moderators)
            .collect::<Vec<_>>()
    );
    Ok(doc)
}

/// A residency as Linked Data: a `kommon:Residency` (a `pair:MembershipAssociation`, an
/// `org:Membership`) with its resident, place, role and period.
pub fn residency_document(r: &kommon_community::Residency) -> Value {
    let mut doc = serde_json::json!({
        "@context": [kommon_activitypub::AS_CONTEXT, kommon_vocab::CONTEXT_IRI],
        "id": r.id,
        "type": "kommon:Residency",
        "pair:membershipActor": r.member,
        "pair:membershipOrganization": r.community,
        "pair:membershipRole": r.role,
        "org:member": r.member,
        "schema:startDate": kommon_solid::storage::xsd_datetime(r.start_ms),
    });
    if let Some(end) = r.end_ms {
        doc["schema:endDate"] = serde_json::json!(kommon_solid::storage::xsd_datetime(end));
    }
    doc
}

fn wants_html(parts: &Parts) -> bool {
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("text/html") && !accept.contains("activity+json") && !accept.contains("ld+json")
}

/// Whether the requester moderates the community.
fn moderates(community: &kommon_community::Community, credentials: Option<&Credentials>) -> bool {
    credentials.is_some_and(|c| community.may_moderate(&c.agent))
}

fn without_context(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("@context");
    }
    v
}

/// Every path under `/{slug}`.
async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let slug = segments.next().unwrap_or_default().to_owned();
    let tail = segments.next().unwrap_or_default().to_owned();
    let fed = state.federation.clone();
    let community = match fed.registry.get(&slug) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return plain(
                StatusCode::NOT_FOUND,
                &format!("there is no community {slug}"),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "reading communities");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
        }
    };
    if tail == "inbox" && parts.method == Method::POST {
        let inbox = fed.collection(&slug, "inbox");
        return receive(&state, &parts, body, &inbox).await;
    }
    let bytes = match to_bytes(body, 1024 * 1024 + 1).await {
        Ok(b) if b.len() <= 1024 * 1024 => b,
        _ => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the body is larger than 1048576 bytes",
            );
        }
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let url = format!("{}{path}", fed.base);
    let head = RequestHead {
        method: &parts.method,
        path_and_query: &path_and_query,
        url: &url,
        headers: &parts.headers,
        body: &bytes,
    };
    let credentials = match state.auth.authenticate(&head).await {
        Ok(c) => c,
        Err(e) => {
            let mut r = plain(StatusCode::UNAUTHORIZED, &e.message);
            for c in e.challenges() {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    r.headers_mut().append(header::WWW_AUTHENTICATE, v);
                }
            }
            return r;
        }
    };
    match (parts.method.clone(), tail.as_str()) {
        (Method::GET | Method::HEAD, "") => {
            if wants_html(&parts) {
                return crate::pages::community(&state, &community).await;
            }
            match community_document(&state, &community) {
                Ok(doc) => linked_data(&parts, &doc),
                Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
            }
        }
        (Method::POST, "outbox") => {
            match crate::moderation::post(&state, &slug, &bytes, credentials.as_ref()).await {
                Ok(id) => {
                    let mut r = plain(StatusCode::CREATED, "created");
                    if let Ok(v) = HeaderValue::from_str(&id) {
                        r.headers_mut().insert(header::LOCATION, v);
                    }
                    r
                }
                Err(crate::moderation::Refusal(status, message)) => {
                    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
                    let r = plain(status, &message);
                    if status == StatusCode::UNAUTHORIZED {
                        with_challenges(r)
                    } else {
                        r
                    }
                }
            }
        }
        (Method::GET | Method::HEAD, "agenda") => crate::pages::agenda(&state, &community).await,
        (Method::GET | Method::HEAD, "residents/card") => {
            let of = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "of")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            crate::pages::resident_card(&state, &community, &of).await
        }
        (Method::GET | Method::HEAD, "residencies") => {
            let community_id = fed.community_id(&slug);
            match fed.records.residencies(&community_id) {
                Ok(list) => {
                    let items: Vec<Value> = list
                        .iter()
                        .map(|r| {
                            let mut d = residency_document(r);
                            if let Some(o) = d.as_object_mut() {
                                o.remove("@context");
                            }
                            d
                        })
                        .collect();
                    let doc = serde_json::json!({
                        "@context": [kommon_activitypub::AS_CONTEXT, kommon_vocab::CONTEXT_IRI],
                        "id": url, "type": "OrderedCollection", "totalItems": items.len(),
                        "attributedTo": community_id, "orderedItems": items,
                    });
                    linked_data(&parts, &doc)
                }
                Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
            }
        }
        (Method::GET | Method::HEAD, t) if t.starts_with("residencies/") => {
            let community_id = fed.community_id(&slug);
            let current = fed
                .records
                .residencies(&community_id)
                .ok()
                .and_then(|l| l.into_iter().find(|r| r.id == url));
            match current.or_else(|| fed.records.past_residency(&url).ok().flatten()) {
                Some(r) if r.community == community_id => {
                    linked_data(&parts, &residency_document(&r))
                }
                _ => plain(StatusCode::NOT_FOUND, "no such residency"),
            }
        }
        (Method::GET | Method::HEAD, t)
            if t.starts_with("events/")
                || t.starts_with("news/")
                || t.starts_with("projects/")
                || t.starts_with("calls/") =>
        {
            match crate::publications::object(&fed, &url) {
                Ok(Some(o)) if wants_html(&parts) && crate::publications::is_call(&o) => {
                    crate::orientation::public::call_page(&state, &community, &o)
                }
                Ok(Some(o)) if wants_html(&parts) => crate::pages::object_page(&community, &o),
                Ok(Some(mut o)) if crate::publications::is_call(&o) => {
                    // A call's terms, inline: any peer reads it without a context of ours.
                    o["@context"] = kommon_orientation::call::context();
                    linked_data(&parts, &o)
                }
                Ok(Some(mut o)) => {
                    // Kommon's context too: copies keep the PAIR and Kommon terms of their
                    // originals, which mean nothing without it.
                    o["@context"] = serde_json::json!([
                        kommon_activitypub::AS_CONTEXT,
                        kommon_vocab::CONTEXT_IRI
                    ]);
                    linked_data(&parts, &o)
                }
                Ok(None) => plain(StatusCode::NOT_FOUND, "no such object"),
                Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
            }
        }
        (
            Method::GET | Method::HEAD,
            which @ ("inbox" | "outbox" | "followers" | "following" | "residents" | "pending"
            | "decisions" | "events" | "news" | "projects" | "calls"),
        ) => {
            let private = matches!(which, "inbox" | "pending" | "decisions");
            if private && !moderates(&community, credentials.as_ref()) {
                return match credentials {
                    None => with_challenges(plain(
                        StatusCode::UNAUTHORIZED,
                        "for the place's moderators: authenticate",
                    )),
                    Some(_) => plain(StatusCode::FORBIDDEN, "for the place's moderators only"),
                };
            }
            collection_page(
                &parts,
                &state,
                &slug,
                which,
                parts.uri.query(),
                credentials.as_ref(),
                private,
            )
            .await
        }
        (Method::GET | Method::HEAD, t) if t.starts_with("activities/") => match fed.activity(&url)
        {
            Ok(Some(a))
                if addressing::is_addressed_publicly(&a)
                    || moderates(&community, credentials.as_ref())
                    || credentials
                        .as_ref()
                        .is_some_and(|c| addressing::addressees(&a).contains(&c.agent)) =>
            {
                activity_json(StatusCode::OK, &a)
            }
            Ok(Some(_)) if credentials.is_none() => with_challenges(plain(
                StatusCode::UNAUTHORIZED,
                "this activity is not public: authenticate",
            )),
            Ok(Some(_)) => plain(
                StatusCode::FORBIDDEN,
                "this activity is not addressed to you",
            ),
            Ok(None) => plain(StatusCode::NOT_FOUND, "no such activity"),
            Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
        },
        (
            _,
            "inbox" | "outbox" | "followers" | "following" | "residents" | "pending" | "decisions"
            | "",
        ) => plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "this is read with GET (moderators post to the outbox)",
        ),
        _ => plain(StatusCode::NOT_FOUND, "no such resource"),
    }
}

async fn collection_page(
    parts: &Parts,
    state: &AppState,
    slug: &str,
    which: &str,
    query: Option<&str>,
    credentials: Option<&Credentials>,
    private: bool,
) -> Response {
    let fed = state.federation.clone();
    let cursor = match PageCursor::from_query(query) {
        Ok(c) => c,
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e),
    };
    let id = fed.collection(slug, which);
    let owner = fed.community_id(slug);
    let which = which.to_owned();
    let agent = credentials.map(|c| c.agent.clone());
    let work = move || -> Result<Value, kommon_rdf::StoreError> {
        if cursor == PageCursor::Summary {
            return Ok(collection::collection_document(
                &id,
                fed.collections.len(&id)?,
                Some(&owner),
            ));
        }
        let page = fed.collections.page(&id, cursor, PAGE_SIZE)?;
        let mut items = Vec::new();
        for (_, item) in &page.items {
            match which.as_str() {
                "inbox" | "outbox" | "pending" => {
                    if let Some(a) = fed.activity(item)?
                        && (private
                            || addressing::is_addressed_publicly(&a)
                            || agent
                                .as_deref()
                                .is_some_and(|g| addressing::addressees(&a).iter().any(|x| x == g)))
                    {
                        items.push(without_context(a));
                    }
                }
                "events" | "news" | "projects" | "calls" => {
                    if let Some(o) = crate::publications::object(&fed, item)? {
                        items.push(o);
                    }
                }
                "decisions" => {
                    if let Some(d) = fed.records.decision(item)? {
                        items.push(serde_json::to_value(d).unwrap_or(Value::Null));
                    }
                }
                _ => items.push(Value::String(item.clone())),
            }
        }
        Ok(collection::page_document(&id, cursor, &page, items))
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(doc)) => linked_data(parts, &doc),
        _ => plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
    }
}
