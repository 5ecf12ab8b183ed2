//! What operators read. Prometheus metrics of a federating server (`GET /metrics`, text exposition format 0.0.4):
//! HTTP requests by status class, the durable inbox and delivery queues' depths, deliveries
//! done, retried and given up, and the failures of each remote host that has entries waiting.
//!
//! Written by hand rather than with a metrics crate: a dozen counters and gauges, read from
//! what the queues already keep, in a format of a few lines.

use crate::delivery::Deliverer;
use crate::inbox::InboxQueue;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests answered, by status class (1xx … 5xx).
#[derive(Debug, Default)]
pub struct RequestCounters {
    by_class: [AtomicU64; 5],
}

impl RequestCounters {
    /// Counts one answer.
    pub fn count(&self, status: u16) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }
}

/// A middleware that counts every answer of the router it wraps.
pub async fn count_requests(
    axum::extract::State(counters): axum::extract::State<Arc<RequestCounters>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    counters.count(response.status().as_u16());
    response
}

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The metrics of a server, in Prometheus' text format. `server` names the role
/// (`pod-server`, `cod-server`).
pub fn render(
    server: &str,
    requests: &RequestCounters,
    inbox: &InboxQueue,
    deliverer: &Deliverer,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP kommon_http_requests_total HTTP requests answered, by status class."
    );
    let _ = writeln!(out, "# TYPE kommon_http_requests_total counter");
    for (i, c) in requests.by_class.iter().enumerate() {
        let _ = writeln!(
            out,
            "kommon_http_requests_total{{server=\"{}\",code=\"{}xx\"}} {}",
            label(server),
            i + 1,
            c.load(Ordering::Relaxed)
        );
    }
    let gauge = |out: &mut String, name: &str, help: &str, value: Option<usize>| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        match value {
            Some(v) => {
                let _ = writeln!(out, "{name}{{server=\"{}\"}} {v}", label(server));
            }
            None => {
                let _ = writeln!(out, "{name}{{server=\"{}\"}} NaN", label(server));
            }
        }
    };
    gauge(
        &mut out,
        "kommon_inbox_queue_depth",
        "Activities received and not yet processed.",
        inbox.len().ok(),
    );
    let queue = deliverer.queue();
    gauge(
        &mut out,
        "kommon_delivery_queue_depth",
        "Deliveries waiting (to be tried or retried).",
        queue.len().ok(),
    );
    gauge(
        &mut out,
        "kommon_delivery_dead_letters",
        "Deliveries given up and kept for inspection.",
        queue.dead_count().ok(),
    );
    let stats = deliverer.stats();
    for (name, help, value) in [
        (
            "kommon_deliveries_total",
            "Deliveries answered with success.",
            &stats.delivered,
        ),
        (
            "kommon_delivery_retries_total",
            "Delivery attempts that failed and will be retried.",
            &stats.retried,
        ),
        (
            "kommon_deliveries_given_up_total",
            "Deliveries given up after every retry.",
            &stats.given_up,
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} counter");
        let _ = writeln!(
            out,
            "{name}{{server=\"{}\"}} {}",
            label(server),
            value.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP kommon_delivery_host_failures Failed attempts since the last success, per remote host with deliveries waiting."
    );
    let _ = writeln!(out, "# TYPE kommon_delivery_host_failures gauge");
    let _ = writeln!(
        out,
        "# HELP kommon_delivery_host_unavailable 1 when the host is considered down and only probed now and then."
    );
    let _ = writeln!(out, "# TYPE kommon_delivery_host_unavailable gauge");
    for host in queue.hosts_with_entries().unwrap_or_default() {
        if let Ok(h) = queue.health(&host) {
            let _ = writeln!(
                out,
                "kommon_delivery_host_failures{{server=\"{s}\",host=\"{h_}\"}} {}\nkommon_delivery_host_unavailable{{server=\"{s}\",host=\"{h_}\"}} {}",
                h.failures,
                u8::from(h.unavailable),
                s = label(server),
                h_ = label(&host),
            );
        }
    }
    out
}

/// The answer to `GET /metrics`.
pub fn response(body: String) -> Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Starts the server's logs on standard error, filtered by `KOMMON_LOG` (`default_filter`
/// otherwise): human-readable lines, or one JSON object per event with `KOMMON_LOG_FORMAT=json`
/// (for journald, Loki or any log collector: the level, the target, the message and each
/// field of the event are keys).
pub fn init_logs(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KOMMON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("KOMMON_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
