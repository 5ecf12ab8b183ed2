//! Free ports on 127.0.0.1 for the servers the tests start, shared by the test suites of
//! pod-server, cod-server and the demonstrator (each includes this file with `#[path]`).

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

const LOW: u32 = 20_000;
const SPAN: u32 = 12_000;

/// The first of `n` consecutive ports free on 127.0.0.1. They are taken below Linux's
/// ephemeral range (32768–60999): a port from `bind(0)` could be taken by any test's outgoing
/// connection between this check and the server's own bind (seen as "Address already in
/// use"). Each call in a process gets other ports, from a starting point of its own.
pub fn free_ports(n: u32) -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = (std::process::id() % 1000) * 12;
    for _ in 0..SPAN {
        let first = LOW + (start + NEXT.fetch_add(n, Ordering::Relaxed)) % (SPAN - n);
        if (first..first + n).all(|p| TcpListener::bind(("127.0.0.1", p as u16)).is_ok()) {
            return first as u16;
        }
    }
    panic!(
        "no {n} free ports on 127.0.0.1 between {LOW} and {}",
        LOW + SPAN
    )
}

/// One port free on 127.0.0.1 (see [`free_ports`]).
#[allow(dead_code)]
pub fn free_port() -> u16 {
    free_ports(1)
}
