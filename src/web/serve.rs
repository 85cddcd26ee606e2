//! The server loop of both listeners, in place of `axum::serve`, which has neither a header-read
//! timeout nor a bound on graceful shutdown:
//!
//! - accept, then in a task per connection: the web configuration read again if its file
//!   changed; the TLS handshake when it asks for TLS (10 s to finish it; plain HTTP on a TLS port
//!   is answered 400 in clear and closed, never served); then HTTP/2 when the client chose it by
//!   ALPN (offered unless `http2: false`, as Go's server does), closed gracefully after 10 s
//!   without a request in progress, else HTTP/1.1 with a header-read timeout that closes a
//!   connection that has not sent its request headers within 10 s;
//! - each request gets the peer address as axum's `ConnectInfo<SocketAddr>` (the admin audit);
//! - on stop: the listener is closed, every connection is asked to finish gracefully (the
//!   request in progress completes, then the connection closes), and whatever is still open
//!   after `DRAIN_TIMEOUT` is dropped, so the process exits within its 10 s bound whatever the
//!   clients do;
//! - a handshake that TLS refused (no common version, suite or curve, a client certificate
//!   missing or not trusted) is logged at WARN once per client address and cause, then at debug;
//!   other failed handshakes and connections are logged at debug; none stops the loop; an
//!   accept error other than a vanished peer (EMFILE, ENFILE) backs off briefly instead of
//!   spinning.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::http_conn::{serve_http1, serve_http2, until_stopped};
use super::refusals::Refusals;
use super::WebHandle;

/// How long a client has to complete the TLS handshake.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in progress may take after stop; then their connections are dropped.
/// Below the 10 s stop bound, leaving room for the rest of the exit.
pub(crate) const DRAIN_TIMEOUT: Duration = Duration::from_secs(9);
/// The pause after an accept error that is not about one vanished peer.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The first byte of a TLS handshake record; anything else on a TLS port is not TLS.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// What Go's TLS server answers to plain HTTP, so `curl http://` says what went wrong.
const PLAINTEXT_REFUSAL: &[u8] = b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n\
Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// Serves `router` on `listener` until `stop` turns true (or its sender is dropped), then drains
/// the connections as the module doc says. Never fails: errors are per connection.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    web: WebHandle,
    stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let mut accept_errors = AcceptErrors::default();
    let refusals = Arc::new(Refusals::default());
    // A second receiver to wait on, as the branch's borrow lasts through the handlers, which
    // hand `stop` to each connection.
    let mut stopped = stop.clone();
    loop {
        tokio::select! {
            _ = until_stopped(&mut stopped) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let accepted = Accepted { stream, peer, web: web.clone(), refusals: refusals.clone() };
                    connections.spawn(connection(accepted, router.clone(), stop.clone()));
                }
                Err(e) => accept_errors.failed(e).await,
            },
        }
    }
    drop(listener);
    if connections.is_empty() {
        return;
    }
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "closing connections still open {}s after shutdown began",
            DRAIN_TIMEOUT.as_secs()
        );
        connections.shutdown().await;
    }
}

/// Accept errors, logged at most once a second.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<Instant>,
    suppressed: u64,
}

impl AcceptErrors {
    async fn failed(&mut self, error: io::Error) {
        use io::ErrorKind::*;
        if matches!(
            error.kind(),
            ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
        ) {
            // The peer gave up before we accepted: nothing is wrong with the listener.
            tracing::debug!(error = %error, "accept: connection gone");
            return;
        }
        if self
            .last_logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            tracing::warn!(error = %error, suppressed = self.suppressed, "accept failed; backing off");
            self.last_logged = Some(Instant::now());
            self.suppressed = 0;
        } else {
            self.suppressed += 1;
        }
        // Out of descriptors, say: accepting again at once would fail again and spin a core.
        tokio::time::sleep(ACCEPT_BACKOFF).await;
    }
}

/// One accepted connection and what serving it needs.
struct Accepted {
    stream: TcpStream,
    peer: SocketAddr,
    web: WebHandle,
    refusals: Arc<Refusals>,
}

async fn connection(accepted: Accepted, router: Router, stop: watch::Receiver<bool>) {
    let Accepted {
        stream,
        peer,
        web,
        refusals,
    } = accepted;
    let _ = stream.set_nodelay(true);
    let tls = web.refresh().await.tls_acceptor();
    let served = match tls {
        None => serve_http1(stream, peer, router, stop).await,
        Some(acceptor) => match handshake(acceptor, stream, stop.clone()).await {
            Ok(Some(stream)) => {
                let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                if h2 {
                    serve_http2(stream, peer, router, stop).await
                } else {
                    serve_http1(stream, peer, router, stop).await
                }
            }
            Ok(None) => return,
            Err(e) => {
                refusals.failed(peer, &e);
                return;
            }
        },
    };
    if let Err(e) = served {
        tracing::debug!(client = %peer, error = %e, "connection ended with an error");
    }
}

/// The TLS handshake, bounded by [`HANDSHAKE_TIMEOUT`]; `None` when stopped meanwhile.
async fn handshake(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    mut stop: watch::Receiver<bool>,
) -> io::Result<Option<tokio_rustls::server::TlsStream<TcpStream>>> {
    let attempt = async move {
        let mut first = [0u8; 1];
        if stream.peek(&mut first).await? == 1
            && first[0] != TLS_HANDSHAKE_RECORD
            && first[0].is_ascii_alphabetic()
        {
            let mut stream = stream;
            let _ = stream.write_all(PLAINTEXT_REFUSAL).await;
            let _ = stream.shutdown().await;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "plain HTTP on a TLS listener",
            ));
        }
        acceptor.accept(stream).await
    };
    tokio::select! {
        result = tokio::time::timeout(HANDSHAKE_TIMEOUT, attempt) => match result {
            Ok(stream) => stream.map(Some),
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")),
        },
        _ = until_stopped(&mut stop) => Ok(None),
    }
}
