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

use prometheus_client::registry::Registry;
use secrecy::ExposeSecret;

use crate::collector::{self, RenderContext};
use crate::config::{AlertActionMode, ApiConfig, Config, ConfigError, Upstream};
use crate::exposition;
use crate::http::admin::{AdminMetrics, AdminSetup, AdminState, AlertActions};
use crate::http::{self, MetricsState};
use crate::metrics::{self, SelfMetrics};
use crate::scrape::{HealthMetrics, Scraper};
use crate::targets::{KeyHook, Lifecycle, ReloadError, TargetDefaults, Targets};
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
    /// A target of `--config.file` whose client cannot be built.
    #[error(transparent)]
    Targets(#[from] ReloadError),
}

impl AppError {
    /// A mistake in what the user gave (a flag, a file, a missing CA store) rather than a
    /// failure of the machine: reported in one line, exit code 2, like a flag error.
    pub(crate) fn is_configuration(&self) -> bool {
        match self {
            AppError::Targets(e) => e.is_configuration(),
            _ => matches!(
                self,
                AppError::Config(_)
                    | AppError::WebConfig(_)
                    | AppError::Client(UpstreamError::Trust(_))
            ),
        }
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
    /// What SIGHUP reloads: the web configuration and, with `--config.file`, the targets.
    lifecycle: Lifecycle,
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
/// (returned, so that it lives as long as its user); and the process's own app_key, which only
/// a multi-target exporter may lack. Shared by [`App::build`] and `check`.
pub(crate) async fn connect_upstream(
    upstream: Upstream,
) -> Result<(Option<Simulator>, reqwest::Url, Option<SecretString>), AppError> {
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
            Ok((Some(sim), url, Some(key)))
        }
        Upstream::Api { url, app_key } => {
            warn_if_cleartext(&url);
            Ok((None, url, Some(app_key)))
        }
        Upstream::TargetsOnly { url } => Ok((None, url, None)),
    }
}

/// The upstream client as the flags describe it: the one builder of [`App::build`] and `check`.
pub(crate) fn upstream_client(
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
    /// The start-up, step by step: read the web configuration, connect the upstream, build the
    /// accounts (the exporter's own and the targets') with every component's metrics under the
    /// one prefix, the admin API, then bind the listeners and route them.
    pub async fn build(mut config: Config) -> Result<App, AppError> {
        // Read first: a broken file is a configuration error, reported before anything starts.
        let web_config = WebHandle::load(config.web.web_config_file.as_deref())?;
        let (simulator, url, own_key) = connect_upstream(config.api.upstream.clone()).await?;
        // The demo's simulator listens at the upstream URL's address.
        let simulator_addr = simulator
            .as_ref()
            .and_then(|_| url.socket_addrs(|| None).ok()?.into_iter().next());
        let accounts = build_accounts(&mut config, url, own_key, simulator.as_ref())?;
        let admin_router = admin_router(&config, &accounts);
        let listener = bind(config.web.listen_address).await?;
        let (on_metrics_listener, admin) = match (
            admin_router,
            config.admin.as_ref().and_then(|a| a.listen_address),
        ) {
            (Some(router), Some(addr)) => {
                let listener = bind(addr).await?;
                warn_if_admin_in_clear(addr, &web_config);
                let router = http::admin_only(router);
                let router = http::with_web_config(router, web_config.clone(), true);
                (None, Some((listener, router)))
            }
            (router, _) => (router, None),
        };
        let ready = Arc::new(AtomicBool::new(false));
        let lifecycle = Lifecycle::new(web_config.clone(), accounts.targets.clone());
        let admin_mounted = on_metrics_listener.is_some();
        if admin_mounted {
            warn_if_admin_in_clear(config.web.listen_address, &web_config);
        }
        let web = config.web;
        let router = http::router(
            MetricsState {
                scraper: accounts.scraper.clone(),
                telemetry_path: web.telemetry_path,
                scrape_timeout_offset: web.scrape_timeout_offset,
                ready: ready.clone(),
                targets: accounts.targets.clone(),
                lifecycle: web.enable_lifecycle.then(|| lifecycle.clone()),
            },
            on_metrics_listener,
        );
        let router = http::with_web_config(router, web_config.clone(), admin_mounted);
        Ok(App {
            listener,
            router,
            admin,
            web: web_config,
            ready,
            scraper: accounts.scraper,
            lifecycle,
            simulator,
            simulator_addr,
            demo_admin_token: config
                .admin
                .filter(|admin| admin.generated)
                .map(|admin| admin.token),
        })
    }

    /// What SIGHUP reloads: the web configuration, and the targets.
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
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
    pub(crate) fn simulator_addr(&self) -> Option<SocketAddr> {
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
    pub(crate) fn demo_admin_token(&self) -> Option<&SecretString> {
        self.demo_admin_token.as_ref()
    }

    /// Serves both listeners until `shutdown` completes; then each stops accepting, lets the
    /// requests in progress finish, and drops what is still open after
    /// `crate::web::serve::DRAIN_TIMEOUT`.
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

/// What serves data: the scrape side of `/metrics` (the exporter's own account, or nothing but
/// the process metrics), its client, the targets, and the admin API's counters.
struct Accounts {
    scraper: Arc<Scraper>,
    client: Option<Client>,
    targets: Option<Arc<Targets>>,
    admin_metrics: Option<AdminMetrics>,
}

/// Registers every component's metrics under the one prefix chosen here (the registry is sealed
/// once all have), and builds the targets of `--config.file` and the exporter's own account.
fn build_accounts(
    config: &mut Config,
    url: reqwest::Url,
    own_key: Option<SecretString>,
    simulator: Option<&Simulator>,
) -> Result<Accounts, AppError> {
    let mut registry = metrics::registry();
    let own = registry.sub_registry_with_prefix(exposition::PREFIX);
    metrics::BuildInfo::register(own);
    let admin_metrics =
        (config.admin.is_some() || config.targets.is_some()).then(|| AdminMetrics::register(own));
    let targets = match config.targets.take() {
        Some(file) => Some(Arc::new(Targets::new(
            &file.path,
            file.file,
            target_defaults(config, &url),
            config.cache,
            demo_key_hook(simulator),
            own,
        )?)),
        None => None,
    };
    let account = match own_key {
        Some(key) => Some(own_account(config, url, key, own)?),
        None => None,
    };
    let metrics = Arc::new(SelfMetrics::new(registry));
    let (client, scraper) = match account {
        Some((client, collectors, health)) => (
            Some(client),
            Scraper::new(collectors, config.cache, health, metrics),
        ),
        // Only the process metrics and the targets' reload state on `/metrics`.
        None => (
            None,
            Scraper::new(Vec::new(), config.cache, HealthMetrics::default(), metrics),
        ),
    };
    Ok(Accounts {
        scraper: Arc::new(scraper),
        client,
        targets,
        admin_metrics,
    })
}

/// The admin API, when something can be managed: the exporter's own account with the global
/// token, and the targets (each with the global token or its own).
fn admin_router(config: &Config, accounts: &Accounts) -> Option<axum::Router> {
    let metrics = accounts.admin_metrics.clone()?;
    let global = config.admin.as_ref();
    Some(http::admin::router(AdminSetup {
        own: accounts
            .client
            .clone()
            .zip(global)
            .map(|(client, admin)| AdminState {
                client,
                scraper: accounts.scraper.clone(),
                metrics: metrics.clone(),
                alert_actions: AlertActions::new(admin.alert_actions),
                target: None,
            }),
        targets: accounts.targets.clone(),
        global_token: global.map(|admin| admin.token.clone()),
        metrics,
        alert_mode: global.map_or(AlertActionMode::Log, |admin| admin.alert_actions),
    }))
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::Bind { addr, source })
}

/// The exporter's own account: its client, collectors and health metrics, registered in `own`.
fn own_account(
    config: &Config,
    url: reqwest::Url,
    key: SecretString,
    own: &mut Registry,
) -> Result<(Client, Vec<collector::CollectorSpec>, HealthMetrics), AppError> {
    let health = HealthMetrics::register(own);
    // Only the endpoints of enabled collectors have series before they are asked.
    let upstream_metrics = UpstreamMetrics::register(own, config.collectors.endpoints());
    let client = upstream_client(&config.api, url, key, upstream_metrics)?;
    let collectors = collector::all(
        &client,
        RenderContext {
            timezone: config.api.timezone,
        },
        &config.collectors,
    );
    warn_if_rate_limit_too_low(&collectors, config);
    Ok((client, collectors, health))
}

/// What the targets take from the flags: `url` is `--api.url`, or the demo's simulator.
fn target_defaults(config: &Config, url: &reqwest::Url) -> TargetDefaults {
    TargetDefaults {
        api_url: url.clone(),
        timeout: config.api.timeout,
        rate_limit: config.api.rate_limit,
        rate_burst: config.api.rate_burst,
        timezone: config.api.timezone,
        selection: config.collectors.clone(),
    }
}

/// With `--demo`, each target's app_key gets a world of its own in the demo's simulator.
fn demo_key_hook(simulator: Option<&Simulator>) -> Option<KeyHook> {
    let simulator = simulator?.clone();
    Some(Box::new(move |key: &SecretString| {
        simulator.add_app_key(key.expose_secret(), None);
    }))
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
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
