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
//!   after [`DRAIN_TIMEOUT`] is dropped, so the process exits within its 10 s bound whatever the
//!   clients do;
//! - a handshake that TLS refused (no common version, suite or curve, a client certificate
//!   missing or not trusted) is logged at WARN once per client address and cause, then at debug;
//!   other failed handshakes and connections are logged at debug; none stops the loop; an
//!   accept error other than a vanished peer (EMFILE, ENFILE) backs off briefly instead of
//!   spinning.

use std::collections::HashSet;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::WebHandle;

/// How long a client has to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in progress may take after stop; then their connections are dropped.
/// Below the 10 s stop bound, leaving room for the rest of the exit.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(9);
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

/// Completes when `stop` turns true or its sender is gone (the watch guard is not kept: it is
/// not `Send`).
async fn until_stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
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

/// Handshakes refused by TLS already logged at WARN: (client address, cause). Bounded: when
/// full it starts again, so a client that keeps failing is reported again after a while.
#[derive(Default)]
struct Refusals {
    // A std lock: held for one insert, never across an `.await`.
    logged: Mutex<HashSet<(IpAddr, String)>>,
}

const REFUSALS_REMEMBERED: usize = 1024;

impl Refusals {
    fn failed(&self, peer: SocketAddr, error: &io::Error) {
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

/// The router as a hyper service, with the peer address as axum's `ConnectInfo`.
fn service(
    router: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        // A `Router` is always ready (its `poll_ready` returns `Ready` at once), so it is
        // called without polling readiness first, as `axum::serve` does.
        tower_service::Service::call(&mut router.clone(), request)
    })
}

/// HTTP/1.1 on one connection until the client closes it, the header timeout fires, or stop
/// (then gracefully: the request in progress completes first).
async fn serve_http1<I>(
    io: I,
    peer: SocketAddr,
    router: Router,
    stop: watch::Receiver<bool>,
) -> Result<(), hyper::Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    const MAX_CONNECTION_BUFFER: usize = 64 * 1024;
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // hyper queues an answer's chunks until this many bytes wait for the socket (400 KB by
        // default): for a plain answer inflated as it is sent, that is memory per connection.
        // 64 KiB holds one inflated chunk; request headers beyond it are refused (431).
        .max_buf_size(MAX_CONNECTION_BUFFER);
    let connection = builder.serve_connection(TokioIo::new(io), service(router, peer));
    drive(connection, stop, None, |c| c.graceful_shutdown()).await
}

/// HTTP/2 on one connection (the client chose it by ALPN), until either side closes it, stop,
/// or [`HEADER_READ_TIMEOUT`] without a request in progress (HTTP/2 has no header-read timeout:
/// this bounds what an idle client holds, as the HTTP/1.1 timeout does); the last two end it
/// gracefully: GOAWAY, the streams in progress complete.
async fn serve_http2<I>(
    io: I,
    peer: SocketAddr,
    router: Router,
    stop: watch::Receiver<bool>,
) -> Result<(), hyper::Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let idle = Arc::new(Idle::default());
    let inner = service(router, peer);
    let tracked = idle.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let busy = tracked.begin();
        let answer = hyper::service::Service::call(&inner, request);
        async move {
            let answer = answer.await;
            drop(busy);
            answer
        }
    });
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder.timer(TokioTimer::new());
    let connection = builder.serve_connection(TokioIo::new(io), service);
    drive(connection, stop, Some(idle), |c| c.graceful_shutdown()).await
}

/// Requests in progress on one HTTP/2 connection, and when the last one ended.
struct Idle {
    // A std lock: held for a counter update, never across an `.await`.
    state: Mutex<(usize, tokio::time::Instant)>,
}

impl Default for Idle {
    fn default() -> Self {
        Idle {
            state: Mutex::new((0, tokio::time::Instant::now())),
        }
    }
}

impl Idle {
    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, tokio::time::Instant)> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn begin(self: &Arc<Self>) -> Busy {
        self.lock().0 += 1;
        Busy(self.clone())
    }

    /// How long no request has been in progress (zero while one is).
    fn idle_for(&self) -> Duration {
        let (in_flight, since) = *self.lock();
        if in_flight > 0 {
            Duration::ZERO
        } else {
            since.elapsed()
        }
    }
}

/// One request in progress; its end is recorded when dropped (also when cancelled).
struct Busy(Arc<Idle>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.0 = state.0.saturating_sub(1);
        state.1 = tokio::time::Instant::now();
    }
}

/// Runs `connection` until it ends, or until stop (or `idle` for [`HEADER_READ_TIMEOUT`]), then
/// shuts it down gracefully and lets it finish.
async fn drive<C>(
    connection: C,
    mut stop: watch::Receiver<bool>,
    idle: Option<Arc<Idle>>,
    graceful_shutdown: fn(Pin<&mut C>),
) -> Result<(), hyper::Error>
where
    C: Future<Output = Result<(), hyper::Error>>,
{
    tokio::pin!(connection);
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    let idled = loop {
        tokio::select! {
            result = connection.as_mut() => return result,
            _ = until_stopped(&mut stop) => break false,
            _ = ticks.tick(), if idle.is_some() => {
                if idle.as_ref().is_some_and(|i| i.idle_for() >= HEADER_READ_TIMEOUT) {
                    break true;
                }
            }
        }
    };
    graceful_shutdown(connection.as_mut());
    if !idled {
        // Bounded by the serve loop's drain timeout.
        return connection.await;
    }
    // hyper defers an HTTP/2 graceful shutdown until the client's preface: a client that never
    // sent one would keep the connection; a second of grace, then it is dropped.
    match tokio::time::timeout(IDLE_CLOSE_GRACE, connection).await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}

/// How long an idle HTTP/2 connection has to close gracefully before it is dropped.
const IDLE_CLOSE_GRACE: Duration = Duration::from_secs(1);
