//! [`App::build`]: the one start-up path, used by `main`, the demo and the tests. It wires the
//! upstream client (or, with `--demo`, an in-process simulator), the collectors and their caches,
//! the self metrics, loads the web configuration (`--web.config.file`) and binds the listeners;
//! [`App::run`] serves both with [`crate::web::serve()`] until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use proxy911_simulator::{Simulator, SimulatorOptions};
use secrecy::SecretString;
use tokio::net::TcpListener;

use crate::collector::{self, RenderContext};
use crate::config::{ApiConfig, Config, ConfigError, Upstream};
use crate::exposition;
use crate::http::admin::{AdminMetrics, AdminState, AlertActions};
use crate::http::{self, MetricsState};
use crate::metrics::{self, SelfMetrics};
use crate::scrape::{HealthMetrics, Scraper};
use crate::upstream::{Client, ClientOptions, UpstreamError, UpstreamMetrics};
use crate::web::{WebConfigError, WebHandle};

/// Why the exporter could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot set up the upstream client: {0}")]
    Client(#[from] UpstreamError),
    #[error("cannot start the demo simulator: {0}")]
    Demo(std::io::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The web configuration file: like a flag error, exit code 2.
    #[error(transparent)]
    WebConfig(#[from] WebConfigError),
}

impl AppError {
    /// A mistake in what the user gave (a flag, a file, a missing CA store) rather than a
    /// failure of the machine: reported in one line, exit code 2, like a flag error.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            AppError::Config(_)
                | AppError::WebConfig(_)
                | AppError::Client(UpstreamError::Trust(_))
        )
    }
}

/// A built exporter: listeners bound, ready to serve.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    /// A separate admin listener and its router, with `--admin.listen-address`.
    admin: Option<(TcpListener, axum::Router)>,
    /// The web configuration of both listeners, reloadable (SIGHUP).
    web: WebHandle,
    ready: Arc<AtomicBool>,
    scraper: Arc<Scraper>,
    simulator: Option<Simulator>,
    /// Where the demo's simulator listens (its `/_simulator/` controls, the leak among them).
    simulator_addr: Option<SocketAddr>,
    demo_admin_token: Option<SecretString>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("listener", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

/// Where the upstream is: the configured API, or with `--demo` a simulator started on loopback
/// (returned, so that it lives as long as its user). Shared by [`App::build`] and `check`.
pub async fn connect_upstream(
    upstream: Upstream,
) -> Result<(Option<Simulator>, reqwest::Url, SecretString), AppError> {
    match upstream {
        Upstream::Demo => {
            let sim = Simulator::new(SimulatorOptions::default());
            let addr = sim
                .clone()
                .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .map_err(AppError::Demo)?;
            let url = format!("http://{addr}")
                .parse()
                .expect("a loopback URL is valid");
            let key = SecretString::from(sim.app_key().to_string());
            Ok((Some(sim), url, key))
        }
        Upstream::Api { url, app_key } => {
            warn_if_cleartext(&url);
            Ok((None, url, app_key))
        }
    }
}

/// The upstream client as the flags describe it: the one builder of [`App::build`] and `check`.
pub fn upstream_client(
    api: &ApiConfig,
    url: reqwest::Url,
    app_key: SecretString,
    metrics: UpstreamMetrics,
) -> Result<Client, UpstreamError> {
    Client::new(
        ClientOptions {
            timeout: api.timeout,
            rate_limit: api.rate_limit,
            rate_burst: api.rate_burst,
            ..ClientOptions::new(url, app_key)
        },
        metrics,
    )
}

impl App {
    pub async fn build(config: Config) -> Result<App, AppError> {
        // Read first: a broken file is a configuration error, reported before anything starts.
        let web_config = WebHandle::load(config.web.web_config_file.as_deref())?;
        let (simulator, url, app_key) = connect_upstream(config.api.upstream.clone()).await?;
        // The demo's simulator listens at the upstream URL's address.
        let simulator_addr = simulator
            .as_ref()
            .and_then(|_| url.socket_addrs(|| None).ok()?.into_iter().next());

        // Each component registers its own metrics under the one prefix chosen here; the
        // registry is sealed once all have.
        let mut registry = metrics::registry();
        let own = registry.sub_registry_with_prefix(exposition::PREFIX);
        let health = HealthMetrics::register(own);
        // Only the endpoints of enabled collectors have series before they are asked.
        let upstream_metrics = UpstreamMetrics::register(own, config.collectors.endpoints());
        let admin_metrics = config.admin.is_some().then(|| AdminMetrics::register(own));
        metrics::BuildInfo::register(own);
        let metrics = Arc::new(SelfMetrics::new(registry));
        let client = upstream_client(&config.api, url, app_key, upstream_metrics)?;
        let collectors = collector::all(
            &client,
            RenderContext {
                timezone: config.api.timezone,
            },
            &config.collectors,
        );
        warn_if_rate_limit_too_low(&collectors, &config);
        let scraper = Arc::new(Scraper::new(collectors, config.cache, health, metrics));

        let web = config.web;
        let listener = TcpListener::bind(web.listen_address)
            .await
            .map_err(|source| AppError::Bind {
                addr: web.listen_address,
                source,
            })?;
        let demo_admin_token = config
            .admin
            .as_ref()
            .filter(|admin| admin.generated)
            .map(|admin| admin.token.clone());
        let (on_metrics_listener, admin) = match config.admin {
            None => (None, None),
            Some(admin) => {
                let router = http::admin::router(AdminState {
                    client: client.clone(),
                    scraper: scraper.clone(),
                    token: admin.token,
                    metrics: admin_metrics.clone().unwrap_or_default(),
                    alert_actions: AlertActions::new(admin.alert_actions),
                });
                match admin.listen_address {
                    None => (Some(router), None),
                    Some(addr) => {
                        let listener = TcpListener::bind(addr)
                            .await
                            .map_err(|source| AppError::Bind { addr, source })?;
                        warn_if_admin_in_clear(addr, &web_config);
                        let router = http::admin_only(router);
                        let router = http::with_web_config(router, web_config.clone(), true);
                        (None, Some((listener, router)))
                    }
                }
            }
        };
        let ready = Arc::new(AtomicBool::new(false));
        let admin_mounted = on_metrics_listener.is_some();
        let router = http::router(
            MetricsState {
                scraper: scraper.clone(),
                telemetry_path: web.telemetry_path,
                scrape_timeout_offset: web.scrape_timeout_offset,
                ready: ready.clone(),
            },
            on_metrics_listener,
        );
        if admin_mounted {
            warn_if_admin_in_clear(web.listen_address, &web_config);
        }
        let router = http::with_web_config(router, web_config.clone(), admin_mounted);
        Ok(App {
            listener,
            router,
            admin,
            web: web_config,
            ready,
            scraper,
            simulator,
            simulator_addr,
            demo_admin_token,
        })
    }

    /// The bound metrics address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The bound address of the separate admin listener, if there is one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// The address of the in-process simulator, in demo mode.
    pub fn simulator_addr(&self) -> Option<SocketAddr> {
        self.simulator_addr
    }

    /// The in-process simulator, in demo mode.
    pub fn simulator(&self) -> Option<&Simulator> {
        self.simulator.as_ref()
    }

    pub fn scraper(&self) -> &Arc<Scraper> {
        &self.scraper
    }

    /// The web configuration of both listeners: `main` reloads it on SIGHUP.
    pub fn web(&self) -> &WebHandle {
        &self.web
    }

    /// The admin token generated for the demo, if one was (printed once by `main`).
    pub fn demo_admin_token(&self) -> Option<&SecretString> {
        self.demo_admin_token.as_ref()
    }

    /// Serves both listeners until `shutdown` completes; then each stops accepting, lets the
    /// requests in progress finish, and drops what is still open after
    /// [`crate::web::serve::DRAIN_TIMEOUT`].
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let tls = self.web.tls_enabled();
        let admin = self.admin.map(|(listener, router)| {
            if let Ok(addr) = listener.local_addr() {
                tracing::info!(address = %addr, tls, "admin API listening");
            }
            tokio::spawn(crate::web::serve(
                listener,
                router,
                self.web.clone(),
                stop_rx.clone(),
            ))
        });
        self.ready.store(true, Ordering::Release);
        tracing::info!(address = %self.listener.local_addr()?, tls, "listening");
        crate::web::serve(self.listener, self.router, self.web, stop_rx).await;
        if let Some(admin) = admin {
            admin.await.map_err(std::io::Error::other)?;
        }
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Plain `http://` to a host that is not loopback carries the app_key in clear (it is in
/// every request's query string). Said once at start-up, naming the host, never the key.
fn warn_if_cleartext(api_url: &reqwest::Url) {
    if let Some(host) = crate::config::cleartext_remote_host(api_url) {
        tracing::warn!(
            host = %host,
            "--api.url is plain http to a host that is not loopback: the app_key travels in clear to {host}; use https://"
        );
    }
}

/// The admin API moves proxy passwords and carries its bearer token in every request;
/// on an address other than loopback without TLS, both travel in clear. Said once at start-up.
fn warn_if_admin_in_clear(addr: SocketAddr, web: &WebHandle) {
    if !addr.ip().is_loopback() && !web.tls_enabled() {
        tracing::warn!(
            address = %addr,
            "the admin API listens on an address other than loopback without TLS: its bearer \
             token and the passwords it sets travel in clear; set tls_server_config in \
             --web.config.file, or listen on 127.0.0.1"
        );
    }
}

/// A start-up WARN when the enabled collectors' TTLs need more upstream requests per second than
/// `--api.rate-limit` allows: refreshes would then queue behind the token bucket, and scrapes
/// would wait or serve older data than the TTLs promise.
fn warn_if_rate_limit_too_low(collectors: &[collector::CollectorSpec], config: &Config) {
    let need = collector::min_requests_per_second(collectors, config.cache.ttl);
    if need > config.api.rate_limit {
        tracing::warn!(
            needed_per_second = format!("{need:.2}"),
            rate_limit = config.api.rate_limit,
            "the collectors' TTLs need at least {need:.2} upstream requests per second (one page of each list), more than --api.rate-limit {} allows: raise --api.rate-limit or the TTLs (--cache.ttl, --collector.NAME.ttl)",
            config.api.rate_limit
        );
    }
}
