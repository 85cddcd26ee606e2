//! Transport to the 911Proxy API: app_key placement (query for GET, JSON body for POST), the
//! shared token bucket, the response envelope (`code` 200 or 0; `msg` or `message`), retries
//! with backoff and `Retry-After` for GET on 429/5xx (never for POST), per-request metrics, and
//! redaction: no error or log line carries a URL, and any echo of the app_key is replaced.

use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::time::Instant;

use super::lenient;
use super::rate_limit::TokenBucket;
use super::{Endpoint, Outcome, UpstreamError};
use crate::metrics::UpstreamMetrics;

/// Longest `Retry-After` the client waits for; a longer one fails the request instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Largest answer read from the upstream (an account list of 100,000 accounts is ~25 MiB).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;
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
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.options.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// The envelope every answer comes in. `data` stays raw until the code says it is a success.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    code: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    msg: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    message: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
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
    pub fn new(options: ClientOptions, metrics: UpstreamMetrics) -> Result<Self, UpstreamError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("proxy911-exporter/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| UpstreamError::Transport(sanitize_reqwest(e)))?;
        Ok(Client {
            inner: Arc::new(Inner {
                limiter: TokenBucket::new(options.rate_limit, options.rate_burst),
                http,
                options,
                metrics,
            }),
        })
    }

    /// GET with the app_key in the query; decodes `data` into `T`. Retries 429 and 5xx.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
    ) -> Result<T, UpstreamError> {
        let mut attempt = 1;
        loop {
            match self.attempt(endpoint, Method::Get(query)).await {
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
        self.attempt::<serde::de::IgnoredAny>(endpoint, Method::Post(&body))
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

    async fn attempt<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        method: Method<'_>,
    ) -> Result<T, Failure> {
        self.inner.limiter.acquire().await;
        let started = Instant::now();
        let result = self.exchange(endpoint, method).await;
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

    async fn exchange<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        method: Method<'_>,
    ) -> Result<T, Failure> {
        let options = &self.inner.options;
        let url = options
            .base_url
            .join(endpoint.path())
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
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(Failure {
                error: UpstreamError::Http {
                    status: status.as_u16(),
                },
                retry_after,
            });
        }
        let body = self.read_body(response).await?;
        let http_error = || UpstreamError::Http {
            status: status.as_u16(),
        };
        let envelope: Envelope = match serde_json::from_slice(&body) {
            Ok(envelope) => envelope,
            Err(_) if !status.is_success() => return Err(http_error().into()),
            Err(e) => return Err(UpstreamError::Decode(self.redact(&e.to_string())).into()),
        };
        match envelope.code {
            Some(200) | Some(0) => {}
            Some(code) => {
                let message = envelope.message.or(envelope.msg).unwrap_or_default();
                return Err(UpstreamError::from_code(code, self.redact(&message)).into());
            }
            None if !status.is_success() => return Err(http_error().into()),
            None => return Err(UpstreamError::Decode("the answer carries no `code`".into()).into()),
        }
        let data = envelope
            .data
            .map(RawValue::get)
            .filter(|raw| raw.trim() != "null")
            .unwrap_or("{}");
        serde_json::from_str(data)
            .map_err(|e| UpstreamError::Decode(self.redact(&e.to_string())).into())
    }

    /// Reads the answer, refusing one larger than [`MAX_ANSWER_BYTES`] rather than holding it.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, Failure> {
        let too_large = || {
            Failure::from(UpstreamError::Decode(format!(
                "the answer is larger than {} MiB",
                MAX_ANSWER_BYTES / (1024 * 1024)
            )))
        };
        if response.content_length().unwrap_or(0) > MAX_ANSWER_BYTES as u64 {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, error: reqwest::Error) -> Failure {
        if error.is_timeout() {
            UpstreamError::Timeout(self.inner.options.timeout).into()
        } else {
            UpstreamError::Transport(self.redact(&sanitize_reqwest(error))).into()
        }
    }

    /// Replaces any echo of the app_key and bounds the length of an upstream-provided text.
    fn redact(&self, text: &str) -> String {
        let key = self.inner.options.app_key.expose_secret();
        let text = if key.is_empty() {
            text.to_owned()
        } else {
            text.replace(key, "[REDACTED]")
        };
        match text.char_indices().nth(MAX_MESSAGE_CHARS) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        }
    }
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
