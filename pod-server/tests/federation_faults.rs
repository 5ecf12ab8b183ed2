//! Delivery under faults, across real processes on loopback: a receiver that is down and comes
//! back, a sender killed with SIGKILL in the middle of its deliveries, a peer that answers 500
//! forever. Retry schedules are shrunk (`KOMMON_POD_DELIVERY_UNIT_US`) so a week of backoff
//! passes in seconds.

mod common;

use common::{Server, get_json, post_outbox};
use serde_json::json;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

async fn inbox_total(s: &Server, name: &str) -> u64 {
    get_json(&s.url(&format!("/{name}/inbox")), Some(&s.webid(name))).await["totalItems"]
        .as_u64()
        .unwrap_or(0)
}

/// Every item of a pod's inbox, following the pages.
async fn inbox_ids(s: &Server, name: &str) -> Vec<String> {
    let mut url = s.url(&format!("/{name}/inbox?page=true"));
    let mut ids = Vec::new();
    loop {
        let page = get_json(&url, Some(&s.webid(name))).await;
        for a in page["orderedItems"].as_array().into_iter().flatten() {
            ids.push(a["id"].as_str().unwrap_or_default().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return ids,
        }
    }
}

async fn wait_until(what: &str, secs: u64, mut f: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !f().await {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_down_at_first_gets_every_activity_once_when_it_comes_up() {
    let mut bob = Server::prepare(&["bob"], &[]);
    let alice = Server::start_env(&["alice"], &[("KOMMON_POD_DELIVERY_UNIT_US", "2000")]);
    let bob_id = bob.webid("bob");
    let mut sent = Vec::new();
    for i in 0..20 {
        sent.push(
            post_outbox(
                &alice,
                "alice",
                json!({"type": "Announce", "object": format!("https://example.org/things/{i}"), "to": [bob_id]}),
            )
            .await,
        );
    }
    // Let the first attempts fail against the closed port.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        alice.log_text().contains("delivery failed; will retry"),
        "the first attempts should have failed"
    );
    bob.restart();
    wait_until("the 20 activities at bob", 60, async || {
        inbox_total(&bob, "bob").await >= 20
    })
    .await;
    // Nothing more arrives later: each arrived once.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut ids = inbox_ids(&bob, "bob").await;
    assert_eq!(inbox_total(&bob, "bob").await, 20);
    ids.sort();
    sent.sort();
    assert_eq!(ids, sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sender_killed_mid_delivery_delivers_all_after_restart_and_none_twice() {
    let names: Vec<String> = (0..20).map(|i| format!("r{i}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    // The receivers are down while the first 500 are posted: those wait in the sender's queue,
    // one entry per recipient (their inboxes cannot be looked up yet).
    let mut receivers = Server::prepare(&name_refs, &[]);
    let mut alice = Server::start_env(&["alice"], &[("KOMMON_POD_DELIVERY_UNIT_US", "200")]);
    let to: Vec<String> = names.iter().map(|n| receivers.webid(n)).collect();
    let mut sent = Vec::new();
    let announce = |i: usize| json!({"type": "Announce", "object": format!("https://example.org/things/{i}"), "to": to});
    for i in 0..500 {
        sent.push(post_outbox(&alice, "alice", announce(i)).await);
    }
    receivers.restart();
    wait_until("deliveries to start", 60, async || {
        inbox_total(&receivers, "r19").await > 20
    })
    .await;
    // SIGKILL in the middle of delivering.
    alice.kill9();
    let at_kill = inbox_total(&receivers, "r19").await;
    assert!(at_kill < 500, "delivery was already over ({at_kill})");
    alice.restart();
    for i in 500..1000 {
        sent.push(post_outbox(&alice, "alice", announce(i)).await);
    }
    for n in &names {
        wait_until(
            &format!("1000 activities in {n}'s inbox"),
            240,
            async || inbox_total(&receivers, n).await >= 1000,
        )
        .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    sent.sort();
    for n in ["r0", "r7", "r19"] {
        let mut ids = inbox_ids(&receivers, n).await;
        ids.sort();
        assert_eq!(ids, sent, "{n}");
    }
    for n in &names {
        assert_eq!(inbox_total(&receivers, n).await, 1000, "{n}");
    }
    assert!(
        alice
            .log_text()
            .contains("resuming deliveries left from before"),
        "the restarted sender should have found its queue"
    );
}

/// A peer that answers every request with 500; counts them.
fn failing_peer() -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            h.fetch_add(1, Ordering::SeqCst);
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\nfail",
            );
        }
    });
    (port, hits)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_peer_answering_500_forever_ends_unavailable_without_blocking_others() {
    let (bad_port, hits) = failing_peer();
    let bad_actor = format!("http://localhost:{bad_port}/users/x");
    let bob = Server::start(&["bob"]);
    let alice = Server::start_env(&["alice"], &[("KOMMON_POD_DELIVERY_UNIT_US", "20")]);
    for i in 0..3 {
        post_outbox(
            &alice,
            "alice",
            json!({"type": "Announce", "object": format!("https://example.org/things/{i}"),
                   "to": [bad_actor, bob.webid("bob")]}),
        )
        .await;
    }
    // The good host is served at once, while the bad one is still being retried.
    wait_until("bob to get the three activities", 20, async || {
        inbox_total(&bob, "bob").await == 3
    })
    .await;
    assert!(!alice.log_text().contains("host marked unavailable"));
    wait_until("the failing host marked unavailable", 120, async || {
        alice.log_text().contains("host marked unavailable")
    })
    .await;
    let log = alice.log_text();
    assert!(
        log.contains("delivery given up after 16 attempts"),
        "{}",
        &log[log.len().saturating_sub(3000)..]
    );
    assert!(
        hits.load(Ordering::SeqCst) >= 16,
        "{} attempts",
        hits.load(Ordering::SeqCst)
    );
    // Once unavailable, it is only probed now and then: a new activity for it does not start
    // another run of sixteen attempts while bob still gets his at once.
    let before = hits.load(Ordering::SeqCst);
    post_outbox(
        &alice,
        "alice",
        json!({"type": "Announce", "object": "https://example.org/things/late", "to": [bad_actor, bob.webid("bob")]}),
    )
    .await;
    wait_until("bob's fourth activity", 20, async || {
        inbox_total(&bob, "bob").await == 4
    })
    .await;
    // Probes come once per probe interval (3600 schedule units: 72 ms here, an hour in
    // production) instead of the 16-attempt run: at most about 2 s / 72 ms of them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let probes = hits.load(Ordering::SeqCst) - before;
    assert!(
        probes <= 2000 / 72 + 4,
        "the unavailable host was hammered: {probes} requests in 2 s"
    );
}
