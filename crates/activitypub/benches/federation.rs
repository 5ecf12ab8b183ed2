//! Federation speed, ours side by side with activitypub_federation in the same process:
//!
//! - inbox ingestion (verify the signature and digest, parse, store durably, deduplicate) of
//!   pre-signed posts over loopback HTTP, against activitypub_federation's `receive_activity`
//!   (its RSA verification, parse, an in-memory deduplication: it has no durable store);
//! - delivery fan-out of activities to 100 inboxes on loopback, through our durable queue and
//!   its per-host workers, against activitypub_federation's in-memory queue, both compared with
//!   the RSA-2048 signing rate of the library each signs with, measured here.
//!
//! `cargo bench -p kommon-activitypub --bench federation [-- --activities N --fanout K]`.
//! The delivery targets listen on 127.0.0.1:80 (activitypub_federation refuses explicit ports
//! outside its debug mode, which sends synchronously instead of queueing): run as root, or the
//! fan-out rows are skipped.

use activitypub_federation::config::{Data, FederationConfig, FederationMiddleware};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::FollowType;
use activitypub_federation::protocol::context::WithContext;
use activitypub_federation::traits::{Activity, Actor, Object};
use axum::extract::State;
use axum::routing::post;
use futures::StreamExt;
use http::{HeaderMap, HeaderValue};
use kommon_activitypub::delivery::{
    Deliverer, DeliveryOptions, DeliveryQueue, DeliveryTarget, SigningKeys,
};
use kommon_activitypub::guard::GuardedFetcher;
use kommon_activitypub::inbox::{
    Accepted, ActorKey, ActorKeys, InboxPost, InboxQueue, InboxVerifier, ReceivedActivity,
};
use kommon_http_signatures::{SigningKey, generate_key_pair, sign_request_with};
use kommon_rdf::QuadStore;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use url::Url;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---- activitypub_federation's side: an actor kept in memory and a Follow activity ----------

#[derive(Clone, Debug)]
struct MemActor {
    id: Url,
    public_pem: String,
    private_pem: String,
    inbox: Url,
}

#[derive(Clone)]
struct AppData {
    actor: MemActor,
    seen: Arc<parking_lot::Mutex<HashSet<Url>>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct PersonJson {
    id: Url,
    #[serde(rename = "type")]
    kind: String,
    inbox: Url,
    public_key: activitypub_federation::protocol::public_key::PublicKey,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BenchError(String);

impl From<activitypub_federation::error::Error> for BenchError {
    fn from(e: activitypub_federation::error::Error) -> Self {
        BenchError(e.to_string())
    }
}

#[async_trait::async_trait]
impl Object for MemActor {
    type DataType = AppData;
    type Kind = PersonJson;
    type Error = BenchError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(id: Url, data: &Data<AppData>) -> Result<Option<Self>, BenchError> {
        Ok((id == data.actor.id).then(|| data.actor.clone()))
    }

    async fn into_json(self, _: &Data<AppData>) -> Result<PersonJson, BenchError> {
        Ok(PersonJson {
            id: self.id.clone(),
            kind: "Person".into(),
            inbox: self.inbox.clone(),
            public_key: self.public_key(),
        })
    }

    async fn verify(_: &PersonJson, _: &Url, _: &Data<AppData>) -> Result<(), BenchError> {
        Ok(())
    }

    async fn from_json(_: PersonJson, data: &Data<AppData>) -> Result<Self, BenchError> {
        Ok(data.actor.clone())
    }
}

impl Actor for MemActor {
    fn public_key_pem(&self) -> &str {
        &self.public_pem
    }
    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_pem.clone())
    }
    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Follow {
    id: Url,
    #[serde(rename = "type")]
    kind: FollowType,
    actor: ObjectId<MemActor>,
    object: Url,
}

#[async_trait::async_trait]
impl Activity for Follow {
    type DataType = AppData;
    type Error = BenchError;
    fn id(&self) -> &Url {
        &self.id
    }
    fn actor(&self) -> &Url {
        self.actor.inner()
    }
    async fn verify(&self, _: &Data<AppData>) -> Result<(), BenchError> {
        Ok(())
    }
    async fn receive(self, data: &Data<AppData>) -> Result<(), BenchError> {
        data.seen.lock().insert(self.id);
        Ok(())
    }
}

async fn apf_inbox(
    data: Data<AppData>,
    activity: activitypub_federation::axum::inbox::ActivityData,
) -> http::StatusCode {
    match activitypub_federation::axum::inbox::receive_activity::<
        WithContext<Follow>,
        MemActor,
        AppData,
    >(activity, &data)
    .await
    {
        Ok(()) => http::StatusCode::ACCEPTED,
        Err(_) => http::StatusCode::UNAUTHORIZED,
    }
}

// ---- our side -------------------------------------------------------------------------------

struct OneKey {
    owner: String,
    pem: String,
}

impl ActorKeys for OneKey {
    fn actor_key<'a>(
        &'a self,
        _key_id: &'a str,
        _refresh: bool,
    ) -> futures::future::BoxFuture<'a, Result<Option<ActorKey>, String>> {
        Box::pin(async move {
            Ok(Some(ActorKey {
                owner: self.owner.clone(),
                pem: self.pem.clone(),
            }))
        })
    }
}

#[derive(Clone)]
struct Ours {
    verifier: InboxVerifier,
    queue: InboxQueue,
    base: String,
}

async fn our_inbox(State(s): State<Ours>, request: axum::extract::Request) -> http::StatusCode {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return http::StatusCode::PAYLOAD_TOO_LARGE;
    };
    let target = format!("{}{}", s.base, parts.uri.path());
    let post = InboxPost {
        method: parts.method.as_str(),
        target_uri: &target,
        headers: &parts.headers,
        body: &body,
    };
    let (activity, signer) = match s.verifier.verify(&post).await {
        Ok(v) => v,
        Err(e) => {
            return http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::BAD_REQUEST);
        }
    };
    let received = ReceivedActivity {
        id: activity["id"].as_str().unwrap_or_default().to_owned(),
        signer,
        inbox: target,
        activity,
        received_ms: 0,
    };
    let q = s.queue.clone();
    match tokio::task::spawn_blocking(move || q.accept(&received)).await {
        Ok(Ok(Accepted::Queued | Accepted::Duplicate)) => http::StatusCode::ACCEPTED,
        _ => http::StatusCode::INTERNAL_SERVER_ERROR,
    }
}

// ---- load ---------------------------------------------------------------------------------

/// Pre-signed posts of `n` distinct Follows by `actor` to `http://{host}/inbox`.
fn presign(n: usize, host: &str, actor: &str, key: &SigningKey) -> Vec<(HeaderMap, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let body = serde_json::json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{actor}/follows/{i}"),
                "type": "Follow",
                "actor": actor,
                "object": format!("http://{host}/alice"),
            })
            .to_string()
            .into_bytes();
            let mut h = HeaderMap::new();
            h.insert(
                "content-type",
                HeaderValue::from_static("application/activity+json"),
            );
            sign_request_with(
                "POST",
                "/inbox",
                host,
                &mut h,
                Some(&body),
                &format!("{actor}#main-key"),
                key,
            )
            .expect("signing");
            (h, body)
        })
        .collect()
}

/// Posts everything with `concurrency` requests in flight; (accepted, seconds).
async fn fire(url: &str, posts: Vec<(HeaderMap, Vec<u8>)>, concurrency: usize) -> (usize, f64) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let start = Instant::now();
    let ok = futures::stream::iter(posts)
        .map(|(h, b)| {
            let c = client.clone();
            let url = url.to_owned();
            async move {
                c.post(url)
                    .headers(h)
                    .body(b)
                    .send()
                    .await
                    .map(|r| r.status().as_u16() == 202)
                    .unwrap_or(false)
            }
        })
        .buffer_unordered(concurrency)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    (ok, start.elapsed().as_secs_f64())
}

/// Signatures per second for about a second, on `threads` threads.
/// One signature of a message, by whichever library is measured.
type Sign = Arc<dyn Fn(&[u8]) + Send + Sync>;

fn signing_rate(threads: usize, sign: Sign) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let sign = Arc::clone(&sign);
            std::thread::spawn(move || {
                let mut n = 0u64;
                let t = Instant::now();
                while t.elapsed() < Duration::from_millis(1500) {
                    sign(format!("(request-target): post /inbox/{n}").as_bytes());
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

struct StaticSigner {
    actor: String,
    key: Arc<SigningKey>,
}

impl SigningKeys for StaticSigner {
    fn signing_key(&self, actor: &str) -> Result<Option<(String, Arc<SigningKey>)>, String> {
        Ok((actor == self.actor).then(|| (format!("{actor}#main-key"), Arc::clone(&self.key))))
    }
}

async fn counting_server(listener: tokio::net::TcpListener) -> Arc<AtomicU64> {
    let count = Arc::new(AtomicU64::new(0));
    let c = Arc::clone(&count);
    let app = axum::Router::new().route(
        "/inbox/{i}",
        post(move || {
            let c = Arc::clone(&c);
            async move {
                c.fetch_add(1, Ordering::Relaxed);
                http::StatusCode::ACCEPTED
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    count
}

async fn wait_count(count: &AtomicU64, target: u64, limit: Duration) -> f64 {
    let start = Instant::now();
    while count.load(Ordering::Relaxed) < target && start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    start.elapsed().as_secs_f64()
}

fn main() {
    // activitypub_federation refuses loopback addresses unless told otherwise.
    // SAFETY: set before any thread is started.
    unsafe { std::env::set_var("DANGER_FEDERATION_ALLOW_LOCAL_IP", "1") };
    let n = arg("--activities", 4000);
    let fanout = arg("--fanout", 20);
    let concurrency = arg("--concurrency", 32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        println!("# Federation benchmark ({cores} cores; {n} inbox posts per side, {fanout} activities × 100 inboxes per side)\n");

        let pair = generate_key_pair().expect("key");
        let key = Arc::new(SigningKey::from_pem(&pair.private_pem).expect("key"));
        // Signing rates of both libraries.
        let aws = Arc::clone(&key);
        let aws_1 = signing_rate(1, Arc::new(move |m: &[u8]| { let _ = aws.sign(m); }));
        let aws = Arc::clone(&key);
        let aws_all = signing_rate(cores, Arc::new(move |m: &[u8]| { let _ = aws.sign(m); }));
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::signature::Signer;
        let rsa_key = rsa::RsaPrivateKey::from_pkcs8_pem(&pair.private_pem).expect("rsa key");
        let rsa_signer = Arc::new(rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(rsa_key));
        let rs = Arc::clone(&rsa_signer);
        let rsa_1 = signing_rate(1, Arc::new(move |m: &[u8]| { let _ = rs.sign(m); }));
        let rs = Arc::clone(&rsa_signer);
        let rsa_all = signing_rate(cores, Arc::new(move |m: &[u8]| { let _ = rs.sign(m); }));

        // Ingestion: ours.
        let store = QuadStore::temporary().expect("store");
        let ours_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let ours_port = ours_listener.local_addr().expect("addr").port();
        let remote = "http://peer.example/users/mallory".to_owned();
        let ours = Ours {
            verifier: InboxVerifier::new(
                Arc::new(OneKey { owner: remote.clone(), pem: pair.public_pem.clone() }),
                Arc::new(|c| c == "https://www.w3.org/ns/activitystreams"),
                kommon_activitypub::json::Limits::default(),
            ),
            queue: InboxQueue::new(&store),
            base: format!("http://localhost:{ours_port}"),
        };
        let queue = ours.queue.clone();
        let app = axum::Router::new().route("/inbox", post(our_inbox)).with_state(ours);
        tokio::spawn(async move { axum::serve(ours_listener, app).await.ok() });
        // The remote actor's activities are on its own host: sign as if from peer.example.
        let host = format!("localhost:{ours_port}");
        let posts = tokio::task::spawn_blocking({
            let key = Arc::clone(&key);
            let remote = remote.clone();
            move || presign(n, &host, &remote, &key)
        }).await.expect("presign");
        let replay: Vec<_> = posts.iter().take(n / 4).cloned().collect();
        let (ok_ours, secs_ours) = fire(&format!("http://localhost:{ours_port}/inbox"), posts, concurrency).await;
        let stored = queue.len().expect("queue");
        let (dup_ok, dup_secs) = fire(&format!("http://localhost:{ours_port}/inbox"), replay, concurrency).await;
        assert_eq!(queue.len().expect("queue"), stored, "a redelivery was queued twice");

        // Ingestion: activitypub_federation.
        let apf_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let apf_port = apf_listener.local_addr().expect("addr").port();
        let apf_remote = "http://peer.example/users/mallory".to_owned();
        let app_data = AppData {
            actor: MemActor {
                id: Url::parse(&apf_remote).expect("url"),
                public_pem: pair.public_pem.clone(),
                private_pem: pair.private_pem.clone(),
                inbox: Url::parse("http://peer.example/users/mallory/inbox").expect("url"),
            },
            seen: Arc::new(parking_lot::Mutex::new(HashSet::new())),
        };
        let seen = Arc::clone(&app_data.seen);
        let config = FederationConfig::builder()
            .domain(format!("localhost:{apf_port}"))
            .app_data(app_data.clone())
            .debug(true)
            .http_signature_compat(true)
            .build()
            .await
            .expect("config");
        let app = axum::Router::new()
            .route("/inbox", post(apf_inbox))
            .layer(FederationMiddleware::new(config));
        tokio::spawn(async move { axum::serve(apf_listener, app).await.ok() });
        let host = format!("localhost:{apf_port}");
        let posts = tokio::task::spawn_blocking({
            let key = Arc::clone(&key);
            move || presign(n, &host, &apf_remote, &key)
        }).await.expect("presign");
        let (ok_apf, secs_apf) = fire(&format!("http://localhost:{apf_port}/inbox"), posts, concurrency).await;
        let apf_seen = seen.lock().len();

        println!("| inbox ingestion (verify, parse, store, deduplicate) | posts | accepted | seconds | posts/s |");
        println!("|---|---:|---:|---:|---:|");
        println!("| kommon-activitypub (durable queue) | {n} | {ok_ours} | {secs_ours:.2} | {:.0} |", ok_ours as f64 / secs_ours);
        println!("| kommon-activitypub, redeliveries (deduplicated) | {} | {dup_ok} | {dup_secs:.2} | {:.0} |", n / 4, dup_ok as f64 / dup_secs);
        println!("| activitypub_federation `receive_activity` (in memory) | {n} | {ok_apf} ({apf_seen} seen) | {secs_apf:.2} | {:.0} |", ok_apf as f64 / secs_apf);
        println!("| ratio ours / activitypub_federation | | | | {:.2} |\n", (ok_ours as f64 / secs_ours) / (ok_apf as f64 / secs_apf).max(1e-9));

        println!("| RSA-2048 signing | 1 thread /s | {cores} threads /s |");
        println!("|---|---:|---:|");
        println!("| aws-lc-rs (ours) | {aws_1:.0} | {aws_all:.0} |");
        println!("| rsa 0.9 (activitypub_federation) | {rsa_1:.0} | {rsa_all:.0} |\n");

        // Fan-out to 100 inboxes on 127.0.0.1:80.
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:80").await else {
            println!("(fan-out skipped: 127.0.0.1:80 is not available; run as root)");
            return;
        };
        let count = counting_server(listener).await;
        let inboxes: Vec<String> = (0..100).map(|i| format!("http://localhost/inbox/{i}")).collect();
        let total = (fanout * 100) as u64;

        let actor = "http://localhost/users/alice".to_owned();
        let store = QuadStore::temporary().expect("store");
        let deliverer = Deliverer::new(
            DeliveryQueue::new(&store),
            GuardedFetcher::new(true),
            None,
            Arc::new(StaticSigner { actor: actor.clone(), key: Arc::clone(&key) }),
            DeliveryOptions { per_host: 16, ..DeliveryOptions::default() },
        );
        let targets: Vec<DeliveryTarget> = inboxes.iter().cloned().map(DeliveryTarget::Inbox).collect();
        let start = Instant::now();
        for i in 0..fanout {
            let id = format!("{actor}/activities/{i}");
            let body = serde_json::json!({"id": id, "type": "Announce", "actor": actor, "object": "http://localhost/x"}).to_string();
            let hosts = store
                .transaction(|tx| -> Result<_, kommon_rdf::StoreError> {
                    Ok(DeliveryQueue::enqueue(tx, &id, body.as_bytes(), &actor, &targets))
                })
                .expect("enqueue");
            deliverer.wake(&hosts);
        }
        let secs = wait_count(&count, total, Duration::from_secs(300)).await.max(start.elapsed().as_secs_f64());
        let ours_rate = count.load(Ordering::Relaxed) as f64 / secs;

        count.store(0, Ordering::Relaxed);
        let sender = MemActor {
            id: Url::parse("http://localhost/users/bob").expect("url"),
            public_pem: pair.public_pem.clone(),
            private_pem: pair.private_pem.clone(),
            inbox: Url::parse("http://localhost/users/bob/inbox").expect("url"),
        };
        let config = FederationConfig::builder()
            .domain("kommon.bench")
            .app_data(AppData { actor: sender.clone(), seen: Arc::new(parking_lot::Mutex::new(HashSet::new())) })
            .debug(false)
            .allow_http_urls(true)
            .http_signature_compat(true)
            .build()
            .await
            .expect("config");
        let data = config.to_request_data();
        let urls: Vec<Url> = inboxes.iter().map(|i| Url::parse(i).expect("url")).collect();
        let start = Instant::now();
        for i in 0..fanout {
            let follow = Follow {
                id: Url::parse(&format!("http://localhost/users/bob/activities/{i}")).expect("url"),
                kind: FollowType::Follow,
                actor: ObjectId::from(sender.id.clone()),
                object: Url::parse("http://localhost/x").expect("url"),
            };
            if let Err(e) = activitypub_federation::activity_queue::queue_activity(&follow, &sender, urls.clone(), &data).await {
                println!("(activitypub_federation refused to queue: {e})");
                break;
            }
        }
        let secs_apf = wait_count(&count, total, Duration::from_secs(300)).await.max(start.elapsed().as_secs_f64());
        let apf_rate = count.load(Ordering::Relaxed) as f64 / secs_apf;

        println!("| fan-out to 100 inboxes on loopback | deliveries | seconds | deliveries/s | / its library's signing rate ({cores} threads) |");
        println!("|---|---:|---:|---:|---:|");
        println!("| kommon-activitypub (durable queue, aws-lc-rs) | {total} | {secs:.2} | {ours_rate:.0} | {:.0} % |", 100.0 * ours_rate / aws_all);
        println!("| activitypub_federation (in-memory queue, rsa) | {} | {secs_apf:.2} | {apf_rate:.0} | {:.0} % |", count.load(Ordering::Relaxed), 100.0 * apf_rate / rsa_all);
        println!("| ratio ours / activitypub_federation | | | {:.2} | |", ours_rate / apf_rate.max(1e-9));
    });
}
