//! `kommon-store serve`: the store's SPARQL endpoint over HTTP, with the Kommon JSON-LD context
//! and a health check.

use anyhow::{Context, Result};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use kommon_rdf::{QuadStore, StoreOptions, UpdateOptions};
use kommon_sparql_protocol::{EndpointOptions, SparqlEndpoint, UpdateRefusal, router};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Starts the server and runs until interrupted.
pub async fn run(
    data: &Path,
    listen: SocketAddr,
    update_token: Option<String>,
    timeout_secs: u64,
) -> Result<()> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let store = QuadStore::open(data, &StoreOptions::default())
        .with_context(|| format!("opening the store in {}", data.display()))?;
    let mut options = EndpointOptions {
        timeout: Some(Duration::from_secs(timeout_secs)),
        ..EndpointOptions::default()
    };
    if let Some(token) = update_token {
        // Updates only with the administrator's token; comparing in constant time is not needed
        // for a token that is checked before any work and never logged.
        let expected = format!("Bearer {token}");
        options.update_authorizer = Arc::new(move |parts| {
            match parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
            {
                Some(v) if v == expected => Ok(UpdateOptions {
                    timeout: Some(Duration::from_secs(timeout_secs)),
                    ..UpdateOptions::default()
                }),
                Some(_) => Err(UpdateRefusal::Forbidden("wrong token".into())),
                None => Err(UpdateRefusal::Unauthenticated {
                    challenge: "Bearer".into(),
                }),
            }
        });
    }
    let app = router(SparqlEndpoint::new(store.clone()).with_options(options))
        .route("/health", get(|| async { "ok" }))
        .route(
            kommon_vocab::CONTEXT_PATH,
            get(|| async {
                (
                    StatusCode::OK,
                    [
                        (header::CONTENT_TYPE, "application/ld+json"),
                        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                    ],
                    kommon_vocab::CONTEXT_JSONLD,
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    eprintln!(
        "SPARQL : http://{listen}/sparql  (données : {})",
        data.display()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    store.flush()?;
    Ok(())
}
