//! Community pods' speed: the moderation page with 10,000 pending requests (server time to
//! render it), and a moderator's decision to the `Add` received by a follower on loopback.
//!
//! `cargo bench -p cod-server --bench moderation [-- --pending 10000 --decisions 30]`

use axum::routing::post;
use cod_server::app::AppState;
use cod_server::config::ServerConfig;
use kommon_community::membership::{self, MembershipRequest};
use kommon_solid::auth::{AuthMethod, Credentials};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let pending = arg("--pending", 10_000);
    let decisions = arg("--decisions", 30);
    let dir = tempfile::tempdir()?;
    let config = {
        use clap::Parser;
        #[derive(Parser)]
        struct C {
            #[command(flatten)]
            c: ServerConfig,
        }
        let mut c = C::parse_from(["x", "--dev"]).c;
        c.data = dir.path().to_owned();
        c.listen = ([127, 0, 0, 1], 9).into();
        c.resolve()
    };
    let store = cod_server::app::open_store(&config)?;
    let state = AppState::new(store.clone(), config)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let fed = state.federation.clone();
        let moderator = "http://localhost:1/mo";
        fed.registry.create("le-6b", "Le 6B", moderator, 0)?;
        fed.community_keys.key_pair("le-6b")?;
        let community = fed.community_id("le-6b");
        // 10,000 pending requests (written directly: this measures the page, not the inbox).
        store.transaction(|tx| -> Result<(), kommon_rdf::StoreError> {
            for i in 0..pending {
                membership::receive_join(tx, &MembershipRequest {
                    id: format!("http://localhost:2/p{i}/activities/join"),
                    actor: format!("http://localhost:2/p{i}"),
                    community: community.clone(),
                    message: format!("Bonjour, je suis la personne n°{i} et je voudrais un atelier."),
                    received_ms: i as u64,
                })
                .map_err(kommon_rdf::StoreError::from)?;
            }
            Ok(())
        })?;
        let session = cod_server::login::Session::new(moderator);
        let c = fed.registry.get("le-6b")?.expect("community");
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let r = cod_server::moderation_pages::render(&state, "le-6b", &session, &c, None, None).await;
            let body = axum::body::to_bytes(r.into_body(), usize::MAX).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            size = body.len();
        }
        times.sort_by(f64::total_cmp);
        println!("# cod-server moderation benchmark\n");
        println!("| measure | median | p95 | target |");
        println!("|---|---:|---:|---:|");
        println!("| moderation page, {pending} pending ({} KiB) | {:.1} ms | {:.1} ms | < 100 ms |", size / 1024, percentile(&times, 0.5), percentile(&times, 0.95));

        // A follower on loopback that notes when each Add arrives.
        let arrivals = Arc::new(tokio::sync::Notify::new());
        let a2 = Arc::clone(&arrivals);
        let app = axum::Router::new().route(
            "/inbox",
            post(move |body: axum::body::Bytes| {
                let a = Arc::clone(&a2);
                async move {
                    if body.windows(5).any(|w| w == b"\"Add\"") {
                        a.notify_one();
                    }
                    axum::http::StatusCode::ACCEPTED
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let follower = format!("http://localhost:{port}/users/f");
        store.keyspace("ap-actor-inboxes").insert(follower.as_bytes(), format!("http://localhost:{port}/inbox").as_bytes())?;
        store.transaction(|tx| kommon_activitypub::collection::add(tx, &fed.collection("le-6b", "followers"), &follower, 1).map(|_| ()))?;
        fed.deliverer.resume();
        let credentials = Credentials { agent: moderator.to_owned(), application: None, method: AuthMethod::SolidOidc };
        let mut times = Vec::new();
        for i in 0..decisions {
            let join = format!("http://localhost:2/p{i}/activities/join");
            let body = serde_json::json!({"type": "Accept", "object": join}).to_string();
            let t = Instant::now();
            let notified = arrivals.notified();
            cod_server::moderation::post(&state, "le-6b", body.as_bytes(), Some(&credentials))
                .await
                .map_err(|e| anyhow::anyhow!("{} {}", e.0, e.1))?;
            tokio::time::timeout(Duration::from_secs(10), notified).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("| decision → follower's Add ({decisions} decisions) | {:.1} ms | {:.1} ms | median < 200 ms |", percentile(&times, 0.5), percentile(&times, 0.95));
        anyhow::Ok(())
    })?;
    Ok(())
}
