//! Transport to the 911Proxy API: app_key placement (query for GET, JSON body for POST), the
//! shared token bucket, the response envelope (`code` 200 or 0; `msg` or `message`), retries
//! with backoff and `Retry-After` for GET on 429/5xx (never for POST), per-request metrics, and
//! redaction: no error or log line carries a URL, and any echo of the app_key is replaced.

use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::budget::{OverBudget, Reservation, MAX_ANSWER_BYTES};
use super::decode::{self, Drift, ShapeError};
use super::drift_log::DriftLog;
use super::rate_limit::TokenBucket;
use super::sanitize;
use super::UpstreamMetrics;
use super::{Endpoint, Outcome, UpstreamError};

/// Reads an answer's `data` (absent or `null` is `None`) into a value, counting drift.
pub(crate) type Decoder<T> = fn(Option<&str>, &mut Drift) -> Result<T, ShapeError>;

/// Longest `Retry-After` the client waits for; a longer one fails the request instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Longest upstream message kept in an error text.
const MAX_MESSAGE_CHARS: usize = 200;

/// How to reach the upstream and how gently.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub base_url: reqwest::Url,
    pub app_key: SecretString,
    pub timeout: Duration,
    pub rate_limit: f64,
    pub rate_burst: u32,
    /// Attempts per GET, the first included.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt unless the upstream sends `Retry-After`.
    pub backoff: Duration,
}

impl ClientOptions {
    pub fn new(base_url: reqwest::Url, app_key: SecretString) -> Self {
        ClientOptions {
            base_url,
            app_key,
            timeout: Duration::from_secs(10),
            rate_limit: 2.0,
            rate_burst: 10,
            max_attempts: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

/// A cheap-to-clone handle to the upstream API.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    options: ClientOptions,
    limiter: TokenBucket,
    metrics: UpstreamMetrics,
    drift_log: DriftLog,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.options.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// One failed attempt, with the delay the upstream asked for, if any.
struct Failure {
    error: UpstreamError,
    retry_after: Option<Duration>,
}

impl From<UpstreamError> for Failure {
    fn from(error: UpstreamError) -> Self {
        Failure {
            error,
            retry_after: None,
        }
    }
}

enum Method<'a> {
    Get(&'a [(&'a str, String)]),
    Post(&'a serde_json::Map<String, serde_json::Value>),
}

impl Client {
    pub fn new(
        mut options: ClientOptions,
        metrics: UpstreamMetrics,
    ) -> Result<Self, UpstreamError> {
        install_crypto_provider();
        // `https://gw.example/911` and `https://gw.example/911/` both keep their prefix: the
        // endpoint paths are joined below it, never in place of it.
        if !options.base_url.path().ends_with('/') {
            let path = format!("{}/", options.base_url.path());
            options.base_url.set_path(&path);
        }
        let tls = super::trust::client_config(&options.base_url).map_err(UpstreamError::Trust)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("proxy911-exporter/", env!("CARGO_PKG_VERSION")))
            // A redirect would carry the app_key (in the query, a `Referer`, or a re-sent POST
            // body) to whatever host the answer names: never follow one, never send a Referer.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            // A refresh opens a connection per list it reads at once (about 9); keeping them all
            // idle between refreshes cost 263 KiB per target at 1,000 targets (BENCHMARKS.md,
            // "Several targets"). One stays for the next refresh; the others are opened again
            // then, once per TTL.
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| UpstreamError::Transport(sanitize_reqwest(e)))?;
        Ok(Client {
            inner: Arc::new(Inner {
                limiter: TokenBucket::new(options.rate_limit, options.rate_burst),
                http,
                options,
                metrics,
                drift_log: DriftLog::default(),
            }),
        })
    }

    /// GET with the app_key in the query; decodes `data` with `decoder`. Retries 429 and 5xx.
    /// The drift is the caller's to record (once per list, not per page: see
    /// [`Client::record_drift`]).
    pub(crate) async fn get<T>(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
        decoder: Decoder<T>,
    ) -> Result<(T, Drift), UpstreamError> {
        let mut attempt = 1;
        loop {
            match self.attempt(endpoint, Method::Get(query), decoder).await {
                Ok(data) => return Ok(data),
                Err(failure) => {
                    let delay = self.retry_delay(attempt, &failure);
                    match delay {
                        Some(delay) => {
                            tracing::debug!(endpoint = endpoint.label(), attempt, error = %failure.error, ?delay, "retrying upstream request");
                            tokio::time::sleep(delay).await;
                            attempt += 1;
                        }
                        None => return Err(failure.error),
                    }
                }
            }
        }
    }

    /// POST with the app_key in the JSON body. Never retried: a management call that timed out
    /// may still have been applied upstream.
    pub(crate) async fn post(
        &self,
        endpoint: Endpoint,
        mut body: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), UpstreamError> {
        body.insert(
            "app_key".into(),
            self.inner.options.app_key.expose_secret().into(),
        );
        self.attempt(endpoint, Method::Post(&body), |_, _| Ok(()))
            .await
            .map(|_| ())
            .map_err(|failure| failure.error)
    }

    fn retry_delay(&self, attempt: u32, failure: &Failure) -> Option<Duration> {
        let options = &self.inner.options;
        if attempt >= options.max_attempts || !failure.error.is_retryable() {
            return None;
        }
        match failure.retry_after {
            Some(wait) if wait > MAX_RETRY_AFTER => None,
            Some(wait) => Some(wait),
            None => Some(options.backoff * 2u32.saturating_pow(attempt - 1)),
        }
    }

    async fn attempt<T>(
        &self,
        endpoint: Endpoint,
        method: Method<'_>,
        decoder: Decoder<T>,
    ) -> Result<(T, Drift), Failure> {
        self.inner.limiter.acquire().await;
        let started = Instant::now();
        let result = self.exchange(endpoint, method, decoder).await;
        let outcome = match &result {
            Ok(_) => Outcome::Success,
            Err(failure) => {
                if let Some(reason) = failure.error.api_reason() {
                    self.inner.metrics.api_error(endpoint, reason);
                }
                failure.error.outcome()
            }
        };
        self.inner
            .metrics
            .observe(endpoint, outcome, started.elapsed());
        tracing::debug!(
            endpoint = endpoint.label(),
            outcome = outcome.as_str(),
            "upstream request"
        );
        result
    }

    async fn exchange<T>(
        &self,
        endpoint: Endpoint,
        method: Method<'_>,
        decoder: Decoder<T>,
    ) -> Result<(T, Drift), Failure> {
        let options = &self.inner.options;
        let url = options
            .base_url
            .join(endpoint.path().trim_start_matches('/'))
            .map_err(|e| UpstreamError::Transport(format!("invalid upstream URL: {e}")))?;
        let request = match method {
            Method::Get(query) => self
                .inner
                .http
                .get(url)
                .query(&[("app_key", options.app_key.expose_secret())])
                .query(query),
            Method::Post(body) => self.inner.http.post(url).json(body),
        };
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if status.is_redirection() {
            let target = redirect_target(response.headers());
            return Err(UpstreamError::Redirect {
                status: status.as_u16(),
                target,
            }
            .into());
        }
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(Failure {
                error: UpstreamError::Http {
                    status: status.as_u16(),
                },
                retry_after,
            });
        }
        // The reservation is held until the answer is decoded.
        let (body, _reservation) = self.read_body(response).await?;
        // Invalid UTF-8 becomes U+FFFD rather than failing the answer; a valid
        // answer is borrowed, not copied.
        let text = String::from_utf8_lossy(&body);
        let http_error = || UpstreamError::Http {
            status: status.as_u16(),
        };
        let envelope = match decode::envelope(&text) {
            Some(envelope) => envelope,
            None if !status.is_success() => return Err(http_error().into()),
            None => {
                return Err(UpstreamError::Decode(format!(
                    "the answer is not a JSON object: {}",
                    decode::describe_answer(&body)
                ))
                .into())
            }
        };
        match envelope.code {
            Some(200) | Some(0) => {}
            Some(code) => {
                let message = envelope.message.unwrap_or_default();
                return Err(UpstreamError::from_code(code, self.redact(&message)).into());
            }
            None if !status.is_success() => return Err(http_error().into()),
            None => return Err(UpstreamError::Decode("the answer carries no `code`".into()).into()),
        }
        let mut drift = Drift::default();
        let value = decoder(envelope.data, &mut drift)
            .map_err(|e| UpstreamError::Decode(format!("`data`: {e}")))?;
        Ok((value, drift))
    }

    /// Reads the answer within the memory budget ([`super::budget`]): one larger than a single
    /// answer may be, or one for which the budget has no room, is refused rather than held.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
    ) -> Result<(Vec<u8>, Reservation), Failure> {
        let over = |e: OverBudget| Failure::from(UpstreamError::Decode(e.to_string()));
        let declared = response.content_length();
        let mut reservation = match declared {
            Some(bytes) => Reservation::declared(usize::try_from(bytes).unwrap_or(usize::MAX))
                .await
                .map_err(over)?,
            None => Reservation::default(),
        };
        // Sized once from the declared length: a vector grown by doubling would hold up to twice
        // the answer, and copy it at each step (25 MB at 100,000 accounts).
        let mut body = Vec::with_capacity(reservation.bytes());
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            let needed = body.len() + chunk.len();
            if needed > body.capacity() {
                // More than declared (or nothing was): the buffer grows in doubling steps, each
                // reserved before it is allocated, so what the budget counts is what is held.
                let capacity = (body.capacity() * 2)
                    .max(needed)
                    .max(64 << 10)
                    .min(MAX_ANSWER_BYTES.max(needed));
                if capacity > reservation.bytes() {
                    reservation
                        .grow(capacity - reservation.bytes())
                        .map_err(over)?;
                }
                body.reserve_exact(capacity - body.len());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, reservation))
    }

    fn transport_error(&self, error: reqwest::Error) -> Failure {
        if error.is_timeout() {
            UpstreamError::Timeout(self.inner.options.timeout).into()
        } else {
            UpstreamError::Transport(self.redact(&sanitize_reqwest(error))).into()
        }
    }

    /// Replaces any echo of the app_key (as written, URL-encoded or JSON-escaped), escapes control
    /// characters (upstream text must not
    /// forge a log line) and bounds the length of an upstream-provided text.
    fn redact(&self, text: &str) -> String {
        let key = self.inner.options.app_key.expose_secret();
        sanitize::for_log(&sanitize::redact(text, &[key]), MAX_MESSAGE_CHARS)
    }

    /// Counts one endpoint's drift (all pages of one list together) and logs it when it appears,
    /// changes or goes ([`DriftLog`]).
    /// `query` tells apart the calls of one endpoint in one refresh (the summary of each
    /// product type), so that drift in one of them does not flap the log of the other.
    pub(crate) fn record_drift(&self, endpoint: Endpoint, query: &[(&str, String)], drift: &Drift) {
        self.inner.metrics.drift(endpoint, drift);
        let _ = self.inner.drift_log.record(endpoint, query, drift);
    }
}

/// The host a redirect points to, for the log: never the path or query (which could hold a
/// secret the upstream echoes), and only a well-formed host name.
fn redirect_target(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| reqwest::Url::parse(v).ok())
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "the same host".to_owned())
}

/// reqwest's `Display` includes the request URL, and with it the app_key in the query string:
/// describe the error from its URL-less form and its sources instead.
fn sanitize_reqwest(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// reqwest is built without a default TLS crypto provider (to avoid aws-lc's build); install
/// ring's once per process. A second install is refused harmlessly.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
