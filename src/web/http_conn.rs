//! HTTP on one connection, TLS or not: HTTP/1.1 with a header-read timeout, or HTTP/2 when the
//! client chose it by ALPN, closed after the same timeout without a request in progress; either
//! finished gracefully on stop. Each request gets the peer address as axum's
//! `ConnectInfo<SocketAddr>` (the admin audit).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

/// How long a client has to send its request headers.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Completes when `stop` turns true or its sender is gone (the watch guard is not kept: it is
/// not `Send`).
pub(super) async fn until_stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
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
pub(super) async fn serve_http1<I>(
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
pub(super) async fn serve_http2<I>(
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
