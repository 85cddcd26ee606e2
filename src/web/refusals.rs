//! Handshakes TLS refused (no common version, suite or curve; a client certificate missing,
//! untrusted, or without an allowed SAN; an alert from the client): logged at WARN once per
//! client address and cause, then at debug, so a misconfigured scraper shows in the log without
//! flooding it. Other failed handshakes (a timeout, plain HTTP, a client gone) stay at debug.

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

/// Handshakes refused by TLS already logged at WARN: (client address, cause). Bounded: when
/// full it starts again, so a client that keeps failing is reported again after a while.
#[derive(Default)]
pub(super) struct Refusals {
    // A std lock: held for one insert, never across an `.await`.
    logged: Mutex<HashSet<(IpAddr, String)>>,
}

const REFUSALS_REMEMBERED: usize = 1024;

impl Refusals {
    pub(super) fn failed(&self, peer: SocketAddr, error: &io::Error) {
        let refused_by_tls = error
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
        if !refused_by_tls {
            tracing::debug!(client = %peer, error = %error, "TLS handshake failed");
            return;
        }
        let cause = error.to_string();
        let first = {
            let mut logged = match self.logged.lock() {
                Ok(logged) => logged,
                Err(poisoned) => poisoned.into_inner(),
            };
            if logged.len() >= REFUSALS_REMEMBERED {
                logged.clear();
            }
            logged.insert((peer.ip(), cause.clone()))
        };
        if first {
            tracing::warn!(client = %peer.ip(), cause, "TLS handshake refused (logged once per client and cause)");
        } else {
            tracing::debug!(client = %peer, cause, "TLS handshake refused");
        }
    }
}
