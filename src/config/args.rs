//! The command line: clap definitions, every flag with its environment variable. The
//! values are checked by [`super::parse`]'s parsers; [`super::Config::from_args`] turns them into
//! the validated configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::FixedOffset;
use clap::{Args, Parser, Subcommand, ValueEnum};

use super::collectors::{CollectorArgs, CollectorTtlArgs};
use super::parse::{
    parse_api_url, parse_duration, parse_log_level, parse_positive_duration, parse_rate,
    parse_telemetry_path, parse_timezone,
};

#[derive(Debug, Parser)]
#[command(
    name = "proxy911-exporter",
    version,
    about = "Prometheus exporter and account-management API for the 911Proxy OpenAPI"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub exporter: ExporterArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the simulated 911Proxy API on its own, for demos, tests and benchmarks.
    Simulate(SimulateArgs),
    /// Ask every endpoint the collectors use once and report what was read, skipped and
    /// defaulted (for a first run, and for bug reports when the API changes).
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The collectors whose endpoints are asked (`--collector.NAME`, `--no-collector.NAME`).
    #[command(flatten)]
    pub collectors: CollectorArgs,
    /// Report format: a table for people, or JSON for bug reports and scripts.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputFormat,
    /// Check the built-in simulated API instead of the real one (no app_key needed).
    #[arg(long, env = "PROXY911_DEMO")]
    pub demo: bool,
    /// Check the targets of this config file (every one, or the one `--target` names) instead
    /// of the app_key of the flags.
    #[arg(
        long = "config.file",
        env = "PROXY911_CONFIG_FILE",
        value_name = "FILE"
    )]
    pub config_file: Option<PathBuf>,
    /// With `--config.file`: check only this target.
    #[arg(long, value_name = "NAME", requires = "config_file")]
    pub target: Option<String>,
    /// The longest the whole check may take, every target together; endpoints not answered by
    /// then are reported as failed.
    #[arg(long = "check.timeout", env = "PROXY911_CHECK_TIMEOUT", value_name = "DURATION",
          default_value = "5m", value_parser = parse_positive_duration)]
    pub check_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// How to reach the upstream: shared by the exporter and `check`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Base URL of the 911Proxy API.
    #[arg(long = "api.url", env = "PROXY911_API_URL", value_name = "URL",
          default_value = "https://api.911proxy.com", value_parser = parse_api_url)]
    pub url: reqwest::Url,

    /// File holding the app_key (a trailing newline is trimmed). Or set PROXY911_APP_KEY.
    #[arg(
        long = "api.app-key-file",
        env = "PROXY911_APP_KEY_FILE",
        value_name = "FILE"
    )]
    pub app_key_file: Option<PathBuf>,

    /// Timeout of one upstream request.
    #[arg(long = "api.timeout", env = "PROXY911_API_TIMEOUT", value_name = "DURATION",
          default_value = "10s", value_parser = parse_positive_duration)]
    pub timeout: Duration,

    /// Upstream requests per second, all endpoints together (token bucket).
    #[arg(long = "api.rate-limit", env = "PROXY911_API_RATE_LIMIT", value_name = "PER_SECOND",
          default_value = "2", value_parser = parse_rate, allow_hyphen_values = true)]
    pub rate_limit: f64,

    /// Size of the token bucket: requests that may go at once after a quiet spell.
    #[arg(long = "api.rate-burst", env = "PROXY911_API_RATE_BURST", value_name = "N",
          default_value = "10", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rate_burst: u32,

    /// Time zone of the API's `Y-m-d H:i:s` timestamps, as `+08:00`, `-05:00` or `UTC`.
    #[arg(long = "api.timezone", env = "PROXY911_API_TIMEZONE", value_name = "OFFSET",
          default_value = "+08:00", value_parser = parse_timezone)]
    pub timezone: FixedOffset,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to serve the simulated API on.
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// An app_key the simulator accepts, each with a world of its own (repeatable; the first is
    /// the primary, whose world is the classic seed). Any other key gets code 3. Default `demo`
    /// when neither this nor `--app-keys-file` is given.
    #[arg(long = "app-key", value_name = "KEY")]
    pub app_keys: Vec<String>,
    /// A file of more app_keys, one per line (blank lines ignored), after those of `--app-key`.
    #[arg(long = "app-keys-file", value_name = "FILE")]
    pub app_keys_file: Option<PathBuf>,
    /// Number of proxy sub-accounts to seed (packages and static IPs grow in proportion).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub accounts: Option<u32>,
    /// Fault to inject from the start, `ENDPOINT=FAULT` (repeatable), e.g.
    /// `/api-gate-way/whitelist-account/list=http500` or `*=latency:200ms`.
    #[arg(long = "fault", value_name = "ENDPOINT=FAULT")]
    pub faults: Vec<String>,
}

/// What `POST /admin/alertmanager` does with a firing traffic-anomaly alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlertActionMode {
    /// Change nothing: log and audit what would be done.
    Log,
    /// Disable the account the alert names.
    Disable,
}

impl AlertActionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertActionMode::Log => "log",
            AlertActionMode::Disable => "disable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ExporterArgs {
    /// Address of the metrics listener.
    #[arg(
        long = "web.listen-address",
        env = "PROXY911_LISTEN_ADDRESS",
        value_name = "ADDR",
        default_value = "0.0.0.0:9911"
    )]
    pub listen_address: SocketAddr,

    /// Path under which metrics are exposed.
    #[arg(long = "web.telemetry-path", env = "PROXY911_TELEMETRY_PATH", value_name = "PATH",
          default_value = "/metrics", value_parser = parse_telemetry_path)]
    pub telemetry_path: String,

    /// Subtracted from Prometheus' scrape timeout to get the time a scrape may wait for refreshes.
    #[arg(long = "web.scrape-timeout-offset", env = "PROXY911_SCRAPE_TIMEOUT_OFFSET",
          value_name = "DURATION", default_value = "500ms", value_parser = parse_duration)]
    pub scrape_timeout_offset: Duration,

    /// exporter-toolkit web configuration (TLS, client certificates, basic auth, headers) for
    /// both listeners; reloaded when it changes and on SIGHUP.
    #[arg(
        long = "web.config.file",
        env = "PROXY911_WEB_CONFIG_FILE",
        value_name = "FILE"
    )]
    pub web_config_file: Option<PathBuf>,

    /// Answer POST /-/reload (re-read --config.file and --web.config.file, as SIGHUP does);
    /// without it, POST /-/reload is refused with 403.
    #[arg(long = "web.enable-lifecycle", env = "PROXY911_WEB_ENABLE_LIFECYCLE")]
    pub web_enable_lifecycle: bool,

    /// Several 911Proxy accounts in one exporter: a YAML file of `targets:`, each probed at
    /// /probe?target=NAME (see the README, "Several accounts"); reloaded on SIGHUP.
    #[arg(
        long = "config.file",
        env = "PROXY911_CONFIG_FILE",
        value_name = "FILE"
    )]
    pub config_file: Option<PathBuf>,

    #[command(flatten)]
    pub api: ApiArgs,

    #[command(flatten)]
    pub collectors: CollectorArgs,

    #[command(flatten)]
    pub collector_ttl: CollectorTtlArgs,

    /// How long fetched data is served before a scrape refreshes it (0s: refresh on every scrape).
    #[arg(long = "cache.ttl", env = "PROXY911_CACHE_TTL", value_name = "DURATION",
          default_value = "60s", value_parser = parse_duration)]
    pub cache_ttl: Duration,

    /// After failures, how long last-good data is still served; then its series are dropped.
    #[arg(long = "cache.max-stale", env = "PROXY911_CACHE_MAX_STALE", value_name = "DURATION",
          default_value = "15m", value_parser = parse_duration)]
    pub cache_max_stale: Duration,

    /// If set, the admin API is served only on this address (not on the metrics listener).
    #[arg(
        long = "admin.listen-address",
        env = "PROXY911_ADMIN_LISTEN_ADDRESS",
        value_name = "ADDR"
    )]
    pub admin_listen_address: Option<SocketAddr>,

    /// File holding the admin bearer token. Or set PROXY911_ADMIN_TOKEN.
    #[arg(
        long = "admin.token-file",
        env = "PROXY911_ADMIN_TOKEN_FILE",
        value_name = "FILE"
    )]
    pub admin_token_file: Option<PathBuf>,

    /// What POST /admin/alertmanager does with a firing Proxy911AccountTrafficAnomaly alert:
    /// log (change nothing; log and audit what it would do) or disable (disable the account).
    #[arg(
        long = "admin.alert-actions",
        env = "PROXY911_ADMIN_ALERT_ACTIONS",
        value_name = "MODE",
        value_enum,
        default_value = "log"
    )]
    pub admin_alert_actions: AlertActionMode,

    /// Run against the built-in simulated API: no app_key needed.
    #[arg(long = "demo", env = "PROXY911_DEMO")]
    pub demo: bool,

    /// Log format.
    #[arg(
        long = "log.format",
        env = "PROXY911_LOG_FORMAT",
        value_name = "FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Log level or tracing filter directive (error, warn, info, debug, trace).
    #[arg(long = "log.level", env = "PROXY911_LOG_LEVEL", value_name = "LEVEL",
          default_value = "info", value_parser = parse_log_level)]
    pub log_level: String,
}
