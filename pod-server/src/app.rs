//! The HTTP side of pod-server: routes, authentication, and the hand-off to the LDP layer.

use crate::config::ServerConfig;
use crate::pages;
use crate::pod::{PodLayout, Pods};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kommon_rdf::jsonld::ContextLoader;
use kommon_rdf::{QuadStore, ReadableGraphs};
use kommon_solid::auth::{
    Authenticator, Credentials, DevelopmentHeaderVerifier, HttpSignatureVerifier, RequestHead,
};
use kommon_solid::http::{LdpOptions, LdpRequest, handle};
use kommon_solid::oidc::verifier::SolidOidcVerifier;
use kommon_solid::resource::{ResourceKind, is_container, slash_twin};
use kommon_solid::storage::ResourceStore;
use kommon_solid::wac::{self, AccessMode};
use kommon_sparql_protocol::{EndpointOptions, SparqlEndpoint};
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
    /// The pods.
    pub pods: Pods,
    /// The pods' resources as clients' LDP requests write them: each write also records its
    /// activity in the owner's outbox, in the same transaction.
    pub ldp_resources: ResourceStore,
    /// How LDP answers.
    pub ldp: Arc<LdpOptions>,
    /// Who sends requests.
    pub auth: Authenticator,
    /// The configuration.
    pub config: Arc<ServerConfig>,
    /// The pod's SPARQL endpoint settings.
    pub sparql: SparqlEndpoint,
    /// Bounds the requests working on the store at once: beyond a few per core, more threads
    /// only fight over the cores and the writer lock and lengthen the slowest answers, so the
    /// others wait their turn in the (cheap) async queue.
    pub store_slots: Arc<tokio::sync::Semaphore>,
    /// The turn of small writes, which run on the async workers one at a time (see
    /// `dispatch`): at most one worker is ever inside the store's writer for them.
    pub inline_writes: Arc<tokio::sync::Semaphore>,
    /// The OpenID provider.
    pub oidc: Arc<crate::oidc::Provider>,
    /// Notification channels.
    pub notifications: crate::notifications::NotificationHub,
    /// The number of pods, for NodeInfo.
    pub pod_count: crate::nodeinfo::PodCount,
    /// Registered ActivityPods apps.
    pub apps: crate::apps::AppRegistry,
    /// Reads apps' documents.
    pub app_reader: Arc<crate::apps::AppReader>,
    /// Fetches and posts to other servers, with the private-address guard.
    pub fetcher: crate::fetch::GuardedFetcher,
    /// ActivityPub federation: inboxes, outboxes, collections, delivery.
    pub federation: crate::federation::Federation,
    /// Requests answered, by status class, for `/metrics`.
    pub requests: Arc<kommon_activitypub::metrics::RequestCounters>,
}

/// The path of the server's own JSON-LD context.
pub const CONTEXT_PATH: &str = "/.well-known/context.jsonld";

impl AppState {
    /// Builds the state of a server over `store`.
    pub fn new(store: QuadStore, config: ServerConfig) -> anyhow::Result<Self> {
        let layout = PodLayout::new(&config.base_url);
        // ACL documents kept parsed: a few KiB each, so this bounds the cache to tens of MiB.
        let resources = ResourceStore::new(store.clone(), 10_000);
        let pods = Pods::new(&store, resources, layout.clone());
        let context_iri = format!("{}{CONTEXT_PATH}", layout.base());
        let contexts =
            ContextLoader::bundled().with_context(&context_iri, kommon_vocab::CONTEXT_JSONLD)?;
        let storage_layout = layout.clone();
        let protected_layout = layout.clone();
        let owner_layout = layout.clone();
        let default_context = vec![
            "https://www.w3.org/ns/activitystreams".to_owned(),
            "https://w3id.org/security/v1".to_owned(),
            context_iri.clone(),
        ];
        let inline_context = contexts.inline(
            &default_context
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        let ldp = LdpOptions {
            max_rdf_bytes: config.max_rdf_bytes,
            max_binary_bytes: config.max_binary_bytes,
            contexts,
            // The security context gives the `publicKey`, `owner` and `publicKeyPem` keys that
            // fediverse servers and ActivityPods read without JSON-LD processing.
            default_context,
            inline_context,
            owner: Arc::new(move |url| {
                owner_layout
                    .split(url)
                    .map(|(name, _)| owner_layout.webid(name))
            }),
            storage_description: format!("{}/.well-known/solid", layout.base()),
            storage_root: Arc::new(move |url| storage_layout.storage_root(url)),
            protected: Arc::new(move |url| protected_layout.is_protected(url)),
        };
        let oidc = Arc::new(crate::oidc::Provider::new(
            &store,
            layout.base(),
            config.dev,
        )?);
        let directory = crate::oidc::Directory::new(Arc::clone(&oidc), pods.clone(), config.dev);
        let federation = crate::federation::Federation::new(
            &store,
            pods.clone(),
            &ldp.contexts,
            config.dev,
            Duration::from_micros(config.delivery_backoff_unit_us.max(1)),
        )?;
        let ldp_resources =
            pods.resources
                .observed_by(Arc::new(crate::federation::outbox::OutboxRecorder::new(
                    federation.clone(),
                    pods.resources.clone(),
                )));
        let mut auth = Authenticator::new()
            .with(Arc::new(HttpSignatureVerifier::new(
                federation.keys.clone(),
            )))
            .with(Arc::new(SolidOidcVerifier::new(Arc::new(directory))));
        if config.dev {
            auth = auth.with(Arc::new(DevelopmentHeaderVerifier));
        }
        // The SPARQL endpoint takes the store; the registries keep their keyspaces in it too.
        let keyspaces_store = store.clone();
        let sparql = SparqlEndpoint::new(store).with_options(EndpointOptions {
            timeout: Some(Duration::from_secs(30)),
            readable: Arc::new(|parts| {
                parts
                    .extensions
                    .get::<ReadableGraphs>()
                    .cloned()
                    // Never reached: the handler always sets them; reading nothing is the safe side.
                    .unwrap_or(ReadableGraphs::Only {
                        graphs: Vec::new(),
                        default_graph: false,
                    })
            }),
            ..EndpointOptions::default()
        });
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self(Arc::new(Shared {
            store_slots: Arc::new(tokio::sync::Semaphore::new(cores * 2)),
            inline_writes: Arc::new(tokio::sync::Semaphore::new(1)),
            pods,
            ldp_resources,
            ldp: Arc::new(ldp),
            auth,
            pod_count: crate::nodeinfo::PodCount::default(),
            apps: crate::apps::AppRegistry::new(&keyspaces_store),
            app_reader: Arc::new(crate::apps::AppReader::new(
                crate::fetch::GuardedFetcher::new(config.dev),
            )),
            fetcher: crate::fetch::GuardedFetcher::new(config.dev),
            notifications: crate::notifications::NotificationHub::new(
                &keyspaces_store,
                layout.base(),
                config.dev,
            ),
            oidc,
            config: Arc::new(config),
            sparql,
            federation,
            requests: Arc::default(),
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

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

/// `pod-server serve`: serves until Ctrl-C or SIGTERM, then writes everything to disk.
pub fn serve(config: ServerConfig) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(path) = &config.extra_ca_file {
        let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let n = crate::fetch::trust_extra_roots(&pem)?;
        tracing::info!(certificates = n, file = %path.display(), "extra roots trusted");
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
        eprintln!("pod-server : {base} (écoute sur {listen})");
        state.federation.start(state.clone());
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")
    })?;
    store.flush()?;
    Ok(())
}

/// The router of a pod-server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/health", get(|| async { "ok" }))
        .route(CONTEXT_PATH, get(context))
        .route("/.well-known/solid", get(storage_description))
        .route(
            "/.account/signup",
            get(pages::signup_form).post(pages::signup_submit),
        )
        .route(
            "/.well-known/openid-configuration",
            get(crate::oidc::routes::discovery),
        )
        .route("/.oidc/jwks", get(crate::oidc::routes::jwks))
        .route("/.well-known/nodeinfo", get(crate::nodeinfo::links))
        .route("/.well-known/webfinger", get(crate::nodeinfo::webfinger))
        .route(
            "/.well-known/app-status",
            get(crate::apps::routes::app_status),
        )
        .route(
            "/.auth-agent/register-app",
            post(crate::apps::routes::register_app),
        )
        .route(
            "/.auth-agent/remove-app",
            post(crate::apps::routes::remove_app),
        )
        .route(
            "/.account/login",
            get(crate::account::login_page).post(crate::account::login),
        )
        .route("/.account/logout", post(crate::account::logout))
        .route("/.account/pod", get(crate::account::pod))
        .route("/.account/photo", get(crate::account::photo))
        .route(
            "/.account/profile",
            post(crate::account::profile)
                .layer(axum::extract::DefaultBodyLimit::max(6 * 1024 * 1024)),
        )
        .route("/.account/apps/revoke", post(crate::account::revoke))
        .route(
            "/.account/credentials",
            post(crate::account::create_credentials),
        )
        .route(
            "/.account/credentials/delete",
            post(crate::account::delete_credentials),
        )
        .route("/.account/export", get(crate::account::export))
        .route("/.account/join", post(crate::account::join))
        .route("/.account/delete", post(crate::account::delete))
        .route(
            "/.account/authorize",
            get(crate::apps::routes::authorize).post(crate::apps::routes::authorize),
        )
        .route("/inbox", post(crate::federation::routes::shared_inbox))
        .route("/actor", get(crate::federation::routes::instance_actor))
        .route(
            "/actor/inbox",
            post(crate::federation::routes::shared_inbox),
        )
        .route(
            "/actor/{which}",
            get(crate::federation::routes::instance_collection),
        )
        .route(
            "/.well-known/host-meta",
            get(crate::federation::routes::host_meta),
        )
        .route(
            "/.well-known/host-meta.json",
            get(crate::federation::routes::host_meta_json),
        )
        .route("/nodeinfo/2.1", get(crate::nodeinfo::v21))
        .route("/nodeinfo/2.0", get(crate::nodeinfo::v20))
        .route(
            "/.notifications/{channel_type}",
            get(crate::notifications::channels).post(crate::notifications::channels),
        )
        .route(
            "/.notifications/WebSocketChannel2023/socket/{id}",
            get(crate::notifications::websocket),
        )
        .route(
            "/.notifications/WebhookChannel2023/{id}",
            get(crate::notifications::webhook_channel)
                .delete(crate::notifications::webhook_channel),
        )
        .route("/.oidc/auth", get(crate::oidc::routes::authorize))
        .route(
            "/.oidc/auth/{interaction}",
            post(crate::oidc::routes::interact),
        )
        .route("/.oidc/token", post(crate::oidc::routes::token))
        .route("/.oidc/token/revocation", post(crate::oidc::routes::revoke))
        .route("/.oidc/reg", post(crate::oidc::routes::register))
        .route(
            "/.oidc/session/end",
            get(crate::oidc::routes::end_session).post(crate::oidc::routes::end_session),
        )
        .route("/metrics", get(metrics))
        .fallback(dispatch)
        .layer(axum::middleware::from_fn(cors))
        .layer(axum::middleware::from_fn_with_state(
            state.requests.clone(),
            kommon_activitypub::metrics::count_requests,
        ))
        .with_state(state)
}

/// `GET /metrics`: Prometheus metrics (requests, inbox and delivery queues, failing hosts).
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    let s = state.clone();
    let body = tokio::task::spawn_blocking(move || {
        kommon_activitypub::metrics::render(
            "pod-server",
            &s.requests,
            &s.federation.inbox_queue,
            &s.federation.deliverer,
        )
    })
    .await
    .unwrap_or_default();
    kommon_activitypub::metrics::response(body)
}

const EXPOSED_HEADERS: &str = "Accept-Patch, Accept-Post, Accept-Put, Allow, Content-Range, ETag, Last-Modified, Link, Location, Preference-Applied, Updates-Via, Vary, WAC-Allow, WWW-Authenticate";

/// CORS as the Solid Protocol asks: the request's origin echoed with credentials and
/// `Vary: Origin`, the headers clients need exposed by name, preflights answered here; a plain
/// OPTIONS (no preflight) reaches the resource, which answers with `Allow` and `Accept-*`.
async fn cors(request: Request, next: axum::middleware::Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let requested_headers = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned();
    let mut response = if preflight {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            requested_headers.unwrap_or_else(|| {
                HeaderValue::from_static(
                    "Accept, Authorization, Content-Type, DPoP, Slug, Link, If-Match, If-None-Match, Prefer, JsonLdContext, Signature, Digest, Date",
                )
            }),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("3600"),
        );
        r
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    match origin {
        Some(origin) => {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        None => {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
    }
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
    if !h
        .get_all(header::VARY)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("Origin")))
    {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

async fn context() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/ld+json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        kommon_vocab::CONTEXT_JSONLD,
    )
        .into_response()
}

async fn storage_description(State(state): State<AppState>) -> Response {
    let base = state.pods.layout.base();
    let body = serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", format!("{base}{CONTEXT_PATH}")],
        "id": format!("{base}/.well-known/solid"),
        "type": "pim:Storage",
        "notify:subscription": state.notifications.subscription_services(),
    });
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        body.to_string(),
    )
        .into_response()
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

/// Refuses paths that could name something else once decoded or normalised.
fn check_path(path: &str) -> Result<(), &'static str> {
    if path.len() > 2048 {
        return Err("the path is longer than 2048 bytes");
    }
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f")
        || lower.contains("%5c")
        || lower.contains("%00")
        || path.contains('\\')
    {
        return Err("encoded slashes, backslashes and NUL are not allowed in paths");
    }
    for seg in path.split('/').skip(1) {
        let decoded = seg.replace("%2e", ".").replace("%2E", ".");
        if decoded == "." || decoded == ".." {
            return Err("the path may not contain . or .. segments");
        }
    }
    if path.contains("//") {
        return Err("the path may not contain empty segments (//)");
    }
    Ok(())
}

/// Every request that is not one of the fixed routes: pod resources.
async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if let Err(e) = check_path(&path) {
        return plain(StatusCode::BAD_REQUEST, e);
    }
    let url = format!("{}{}", state.pods.layout.base(), path);
    let Some((name, tail)) = state.pods.layout.split(&url) else {
        return plain(StatusCode::NOT_FOUND, "no such pod");
    };
    let (name, tail) = (name.to_owned(), tail.to_owned());
    match state.pods.accounts.exists(&name) {
        Ok(true) => {}
        Ok(false) => {
            return plain(
                StatusCode::NOT_FOUND,
                &format!("there is no pod named {name}"),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "reading accounts");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
        }
    }
    if tail == "/inbox" && parts.method == Method::POST {
        let body = match crate::federation::routes::read_inbox_body(&state, &parts, body).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        return crate::federation::routes::receive(&state, &parts, &body, Some(&name)).await;
    }
    let limit = state
        .config
        .max_binary_bytes
        .max(state.config.max_rdf_bytes)
        + 1;
    if let Some(len) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len >= limit
    {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is larger than {} bytes", limit - 1),
        );
    }
    let bytes = match to_bytes(body, limit).await {
        Ok(b) if b.len() < limit => b,
        Ok(_) | Err(_) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is larger than {} bytes", limit - 1),
            );
        }
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
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
            return unauthorized(&e);
        }
    };
    if tail == "/sparql" {
        return sparql(state, parts, bytes, credentials, &name).await;
    }
    if tail == "/proxy" {
        return crate::proxy::proxy(state, parts, bytes, credentials, &name).await;
    }
    if let Some(which) = tail.strip_prefix('/')
        && matches!(
            which,
            "inbox" | "outbox" | "followers" | "following" | "liked"
        )
    {
        return match parts.method {
            Method::GET | Method::HEAD => {
                crate::federation::routes::collection_get(
                    &state,
                    &name,
                    which,
                    parts.uri.query(),
                    credentials.as_ref(),
                )
                .await
            }
            Method::POST if which == "outbox" => {
                crate::federation::outbox::post(&state, &name, &bytes, credentials.as_ref()).await
            }
            Method::OPTIONS => {
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::NO_CONTENT;
                r.headers_mut().insert(
                    header::ALLOW,
                    HeaderValue::from_static(if which == "outbox" {
                        "GET, HEAD, OPTIONS, POST"
                    } else {
                        "GET, HEAD, OPTIONS"
                    }),
                );
                r
            }
            _ => {
                let mut r = plain(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "collections are read with GET; activities are posted to the outbox",
                );
                r.headers_mut().insert(
                    header::ALLOW,
                    HeaderValue::from_static(if which == "outbox" {
                        "GET, HEAD, POST"
                    } else {
                        "GET, HEAD"
                    }),
                );
                r
            }
        };
    }
    if tail.starts_with("/activities/") {
        return match parts.method {
            Method::GET | Method::HEAD => {
                crate::federation::routes::activity_get(&state, &url, credentials.as_ref()).await
            }
            _ => plain(StatusCode::METHOD_NOT_ALLOWED, "activities are read-only"),
        };
    }
    let bytes_len = bytes.len();
    let method = parts.method.clone();
    let is_read = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    // The first read of a WebID may generate the actor's RSA key (tens of milliseconds).
    let is_webid_read = tail.is_empty();
    let bounded_write = match method {
        Method::POST => true,
        Method::PUT | Method::DELETE => !is_container(&url),
        _ => false,
    };
    let st = state.clone();
    let work = move || -> Response {
        // The WebID carries the actor's key: make it on first read.
        if tail.is_empty()
            && (parts.method == Method::GET || parts.method == Method::HEAD)
            && let Err(e) = st.pods.actor_key(&name)
        {
            tracing::error!(error = %e, pod = %name, "making the actor key");
        }
        if tail.is_empty()
            && (parts.method == Method::GET || parts.method == Method::HEAD)
            && let Err(e) = st.pods.upgrade(&name)
        {
            tracing::error!(error = %e, pod = %name, "upgrading the pod's layout");
        }
        let resources = &st.pods.resources;
        // `/x` where `/x/` is a container (ActivityPods writes `/alice/data`): redirect.
        if !is_container(&url)
            && matches!(parts.method, Method::GET | Method::HEAD | Method::POST)
            && resources.meta(&url).ok().flatten().is_none()
            && resources
                .meta(&slash_twin(&url))
                .ok()
                .flatten()
                .is_some_and(|m| m.kind == ResourceKind::Container)
        {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::PERMANENT_REDIRECT;
            if let Ok(v) = HeaderValue::from_str(&slash_twin(&url)) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return r;
        }
        let request = LdpRequest {
            method: &parts.method,
            url: &url,
            headers: &parts.headers,
            body: &bytes,
            credentials: credentials.as_ref(),
        };
        // Through `ldp_resources`: a write records its outbox activity in its own transaction
        // (ActivityPods apps learn of a pod's changes from its outbox).
        let response = handle(&st.ldp_resources, &st.ldp, &request);
        if !is_read {
            let header_text = |name| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v: &HeaderValue| v.to_str().ok())
            };
            let changes = crate::notifications::changes_of(
                &parts.method,
                &url,
                response.status(),
                header_text(header::LOCATION),
                header_text(header::ETAG),
            );
            st.notifications.publish(&changes);
        }
        let mut response = response;
        if is_read
            && tail == "/data/auth-agent"
            && let Some(c) = &credentials
        {
            // SAI agent-registration discovery: the app finds its registration here.
            let app = c.application.as_deref().unwrap_or(&c.agent);
            if let Ok(Some(r)) = st.apps.get(&name, app)
                && let Ok(v) = HeaderValue::from_str(&format!(
                    "<{app}>; anchor=\"{}\"; rel=\"http://www.w3.org/ns/solid/interop#registeredAgent\"",
                    r.registration
                ))
            {
                response.headers_mut().append(header::LINK, v);
            }
        }
        let (p, b) = response.into_parts();
        Response::from_parts(p, Body::from(b))
    };
    // Small requests take microseconds in the store: handing them to another thread would cost
    // more than doing them here. Large bodies (parsing megabytes) go to the blocking pool, a few
    // at a time, so they never hold up the threads that serve everyone else.
    if is_read && bytes_len <= INLINE_BODY_BYTES && !is_webid_read {
        return answer_here(work);
    }
    // Small writes too, one at a time: the store takes one writer at a time anyway, so they
    // wait their turn here, without holding a thread, and the one whose turn it is finds the
    // writer lock free. In the blocking pool, each write cost two thread hand-offs and the
    // writers queued on the lock, each hand-off of it a wake-up (PUT: 8,600 → 11,000 req/s,
    // and a write's own time at the 99th percentile from about 2 ms to 0.25 ms). Only writes
    // whose cost the body bounds (`bounded_write`): a PATCH may carry a query with joins, and
    // a container's PUT or DELETE reads all its members; those go to the blocking pool.
    if bounded_write && bytes_len <= INLINE_WRITE_BYTES && !is_webid_read {
        let response = {
            // The semaphore is never closed, so acquiring only waits.
            let _turn = state.inline_writes.clone().acquire_owned().await.ok();
            answer_here(work)
        };
        // Releasing the turn woke the next writer into this worker's next-task slot, which the
        // other worker cannot steal: yield so that it writes now, while this response is sent
        // by whichever worker is free, instead of the writes waiting for each response.
        tokio::task::yield_now().await;
        return response;
    }
    // The semaphore is never closed, so acquiring only waits.
    let slot = state.store_slots.clone().acquire_owned().await.ok();
    let response = tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "request handler failed");
        plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed")
    });
    drop(slot);
    response
}

/// The 401 for refused credentials, with the challenges that tell the client what to do. The
/// credentials themselves are never logged.
pub fn unauthorized(e: &kommon_solid::auth::AuthError) -> Response {
    tracing::debug!(reason = %e.message, "credentials refused");
    let mut r = plain(StatusCode::UNAUTHORIZED, &e.message);
    for c in e.challenges() {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::WWW_AUTHENTICATE, v);
        }
    }
    r
}

/// Runs a request's work on this async worker; a panic in it answers 500, as it does from the
/// blocking pool, instead of dropping the connection.
fn answer_here(work: impl FnOnce() -> Response) -> Response {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| {
        tracing::error!("request handler panicked");
        plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed")
    })
}

/// Bodies up to this size are handled on the async worker that received them.
const INLINE_BODY_BYTES: usize = 64 * 1024;

/// Writes with bodies up to this size run on the async workers: parsing a few KiB of Turtle
/// takes tens of microseconds, where 64 KiB would hold a worker for milliseconds.
const INLINE_WRITE_BYTES: usize = 8 * 1024;

/// The pod's SPARQL endpoint: the owner (and applications acting for the owner) query the
/// documents of the pod they may read.
async fn sparql(
    state: AppState,
    mut parts: axum::http::request::Parts,
    body: bytes::Bytes,
    credentials: Option<Credentials>,
    name: &str,
) -> Response {
    let owner = state.pods.layout.webid(name);
    let Some(credentials) = credentials else {
        if parts.method == Method::OPTIONS {
            return kommon_sparql_protocol::handle(
                &state.sparql,
                Request::from_parts(parts, Body::from(body)),
            )
            .await;
        }
        let mut r = plain(
            StatusCode::UNAUTHORIZED,
            "the pod's SPARQL endpoint is for its owner: authenticate",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer scope=\"openid webid\""),
        );
        return r;
    };
    if credentials.agent != owner {
        return plain(
            StatusCode::FORBIDDEN,
            "the pod's SPARQL endpoint is for its owner only",
        );
    }
    let pods = state.pods.clone();
    let name = name.to_owned();
    let readable =
        tokio::task::spawn_blocking(move || readable_graphs(&pods, &name, &credentials)).await;
    let readable = match readable {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "listing readable graphs");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
        }
        Err(e) => {
            tracing::error!(error = %e, "listing readable graphs");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed");
        }
    };
    parts.extensions.insert(readable);
    kommon_sparql_protocol::handle(&state.sparql, Request::from_parts(parts, Body::from(body)))
        .await
}

/// The documents of a pod the requester may read.
fn readable_graphs(
    pods: &Pods,
    name: &str,
    credentials: &Credentials,
) -> Result<ReadableGraphs, kommon_solid::storage::StorageError> {
    let l = &pods.layout;
    let webid = l.webid(name);
    let mut graphs = Vec::new();
    let requester = credentials.requester();
    let candidates = [webid.clone(), format!("{webid}.acl")];
    let mut urls: Vec<(String, kommon_solid::resource::ResourceMeta)> = Vec::new();
    for c in candidates {
        if let Some(m) = pods.resources.meta(&c)? {
            urls.push((c, m));
        }
    }
    for entry in pods.resources.resources_under(&format!("{webid}/")) {
        urls.push(entry?);
    }
    for (url, meta) in urls {
        if !matches!(meta.kind, ResourceKind::Rdf | ResourceKind::Container) {
            continue;
        }
        let (target, mode) = match url.strip_suffix(".acl") {
            Some(subject) => (subject.to_owned(), AccessMode::Control),
            None => (url.clone(), AccessMode::Read),
        };
        if wac::allows(&target, requester, mode, &pods.resources)
            && let Ok(n) = oxrdf::NamedNode::new(&url)
        {
            graphs.push(n);
        }
    }
    Ok(ReadableGraphs::Only {
        graphs,
        default_graph: false,
    })
}
