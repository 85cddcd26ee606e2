//! What the binary runs once it has parsed its command line ([`run`]): the exporter (logging,
//! [`App::build`], the SIGHUP reload, serving until SIGTERM or Ctrl-C), or the `check` and
//! `simulate` subcommands. Exit codes: 0 done, 1 a failure at run time, 2 a configuration
//! error.

use std::process::ExitCode;

use proxy911_simulator::{faults, Simulator, SimulatorOptions};
use secrecy::ExposeSecret;

use crate::app::{connect_upstream, shutdown_signal, upstream_client, App};
use crate::collector::Selection;
use crate::config::{
    ApiConfig, CheckArgs, Cli, Command, Config, LogFormat, OutputFormat, SimulateArgs,
};
use crate::logging;
use crate::upstream::UpstreamMetrics;
use crate::web::{Reloaded, WebHandle};

/// Runs what `cli` asks for; the environment is the process's.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Simulate(args)) => simulate(args).await,
        Some(Command::Check(args)) => check(args).await,
        None => match Config::from_args(cli.exporter, |name| std::env::var(name).ok()) {
            Ok(config) => serve(config).await,
            Err(e) => {
                eprintln!("proxy911-exporter: {e}");
                ExitCode::from(2)
            }
        },
    }
}

async fn serve(config: Config) -> ExitCode {
    logging::init(config.log.format, &config.log.level);
    // Before anything else, so that a SIGHUP during start-up cannot kill the process.
    let hangups = hangup_signals();
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(e) if e.is_configuration() => {
            eprintln!("proxy911-exporter: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    if let Some(token) = app.demo_admin_token() {
        // The demo's generated admin token is printed once, on purpose, so it can be used.
        println!("demo: admin API token: {}", token.expose_secret());
    }
    if app.simulator().is_some() {
        let scheme = if app.web().tls_enabled() {
            "https"
        } else {
            "http"
        };
        println!(
            "demo: serving simulated 911Proxy data on {scheme}://{}/metrics",
            app.local_addr()
        );
        if let Some(addr) = app.simulator_addr() {
            // The simulator's controls, e.g. a leak: POST /_simulator/leak (README, Simulator).
            println!("demo: simulator controls on http://{addr}/_simulator/");
        }
    }
    if let Some(hangups) = hangups {
        tokio::spawn(reload_on_hangup(hangups, app.web().clone()));
    }
    match app.run(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

#[cfg(unix)]
type Hangups = tokio::signal::unix::Signal;
#[cfg(not(unix))]
type Hangups = std::convert::Infallible;

/// The SIGHUP stream; `None` (logged) if it cannot be installed, or off Unix.
fn hangup_signals() -> Option<Hangups> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        signal(SignalKind::hangup())
            .inspect_err(|e| tracing::error!(error = %e, "cannot listen for SIGHUP"))
            .ok()
    }
    #[cfg(not(unix))]
    None
}

/// SIGHUP reloads the web configuration: logged either way; a file that does not
/// load keeps the configuration in force; the process never stops for it.
async fn reload_on_hangup(mut hangups: Hangups, web: WebHandle) {
    #[cfg(not(unix))]
    match hangups {}
    #[cfg(unix)]
    while hangups.recv().await.is_some() {
        let handle = web.clone();
        // Reading files (and bcrypt hashes) blocks: off the async workers.
        match tokio::task::spawn_blocking(move || handle.reload()).await {
            Ok(Ok(Reloaded::Reloaded)) => tracing::info!(
                file = %web.path().map(|p| p.display().to_string()).unwrap_or_default(),
                tls = web.tls_enabled(),
                basic_auth = web.current().basic_auth().is_some(),
                "SIGHUP: web configuration reloaded"
            ),
            Ok(Ok(Reloaded::NoFile)) => {
                tracing::info!("SIGHUP: no --web.config.file is set, nothing to reload")
            }
            Ok(Err(e)) => tracing::error!(
                error = %e,
                "SIGHUP: web configuration not reloaded; the previous one stays in force"
            ),
            Err(e) => tracing::error!(error = %e, "SIGHUP: web configuration reload failed"),
        }
    }
}

/// `check`: one call per endpoint, the report on stdout; exit 0 when every endpoint answered,
/// 1 when one did not, 2 for a configuration error. No log output: the report says it all.
async fn check(args: CheckArgs) -> ExitCode {
    let api = match ApiConfig::from_args(args.api, |name| std::env::var(name).ok(), args.demo) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("proxy911-exporter check: {e}");
            return ExitCode::from(2);
        }
    };
    // `_simulator` keeps the demo's simulator serving until the report is done.
    let (_simulator, url, app_key) = match connect_upstream(api.upstream.clone()).await {
        Ok(upstream) => upstream,
        Err(e) => {
            eprintln!("proxy911-exporter check: {e}");
            return ExitCode::FAILURE;
        }
    };
    let client = match upstream_client(&api, url, app_key, UpstreamMetrics::default()) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("proxy911-exporter check: {e}");
            return ExitCode::from(2);
        }
    };
    let collectors = args.collectors.apply(Selection::default());
    let report = crate::check::run_for(&client, &collectors).await;
    match args.output {
        OutputFormat::Text => print!("{}", report.to_text()),
        OutputFormat::Json => println!("{}", report.to_json()),
    }
    ExitCode::from(report.exit_code())
}

async fn simulate(args: SimulateArgs) -> ExitCode {
    logging::init(LogFormat::Text, "info");
    let mut fault_list = Vec::new();
    for value in &args.faults {
        match faults::parse_assignment(value) {
            Ok(fault) => fault_list.push(fault),
            Err(e) => {
                eprintln!("proxy911-exporter simulate: --fault {value:?}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let simulator = Simulator::new(SimulatorOptions {
        app_key: args.app_key,
        accounts: args.accounts,
        faults: fault_list,
        ..SimulatorOptions::default()
    });
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("proxy911-exporter simulate: --listen {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    println!("simulated 911Proxy API listening on http://{addr}");
    match simulator.serve(listener, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proxy911-exporter simulate: {e}");
            ExitCode::FAILURE
        }
    }
}
