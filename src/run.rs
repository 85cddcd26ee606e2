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
    ApiConfig, CheckArgs, Cli, Command, Config, LogFormat, OutputFormat, SimulateArgs, TargetsFile,
};
use crate::logging;
use crate::targets::{Lifecycle, TargetDefaults};
use crate::upstream::UpstreamMetrics;

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
        tokio::spawn(reload_on_hangup(hangups, app.lifecycle().clone()));
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

/// SIGHUP reloads the web configuration and the targets of `--config.file`: logged either
/// way; a file that does not load keeps the configuration in force; the process never stops
/// for it.
async fn reload_on_hangup(mut hangups: Hangups, lifecycle: Lifecycle) {
    #[cfg(not(unix))]
    match hangups {}
    #[cfg(unix)]
    while hangups.recv().await.is_some() {
        // Each part is logged by the reload itself.
        let _ = lifecycle.reload("SIGHUP").await;
    }
}

/// `check`: one call per endpoint, the report on stdout; exit 0 when every endpoint answered,
/// 1 when one did not, 2 for a configuration error. No log output: the report says it all.
/// With `--config.file`, a report per target (or for the one `--target` names).
async fn check(args: CheckArgs) -> ExitCode {
    let fail = |e: &dyn std::fmt::Display, code: u8| {
        eprintln!("proxy911-exporter check: {e}");
        ExitCode::from(code)
    };
    let env = |name: &str| std::env::var(name).ok();
    let api = match ApiConfig::from_args(args.api, env, args.demo, args.config_file.is_some()) {
        Ok(api) => api,
        Err(e) => return fail(&e, 2),
    };
    let targets = match &args.config_file {
        Some(path) => match TargetsFile::read(path) {
            Ok(file) => Some(file),
            Err(e) => return fail(&e, 2),
        },
        None => None,
    };
    // `_simulator` keeps the demo's simulator serving until the report is done.
    let (_simulator, url, own_key) = match connect_upstream(api.upstream.clone()).await {
        Ok(upstream) => upstream,
        Err(e) => return fail(&e, 1),
    };
    let collectors = args.collectors.apply(Selection::default());
    let deadline = tokio::time::Instant::now() + args.check_timeout;
    // On a terminal, what is being asked (a check of many pages takes minutes); never in a pipe,
    // where stdout is the report and stderr is for errors.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let say = |what: &str| eprintln!("checking {what}…");
    let progress: Option<crate::check::Progress<'_>> = terminal.then_some(&say);
    let Some(file) = targets else {
        let Some(key) = own_key else {
            return fail(&"no app_key given", 2);
        };
        let client = match upstream_client(&api, url, key, UpstreamMetrics::default()) {
            Ok(client) => client,
            Err(e) => return fail(&e, 2),
        };
        let report = crate::check::run_for(&client, &collectors, deadline, progress).await;
        match args.output {
            OutputFormat::Text => print!("{}", report.to_text()),
            OutputFormat::Json => println!("{}", report.to_json()),
        }
        return ExitCode::from(report.exit_code());
    };
    let chosen: Vec<_> = file
        .targets
        .into_iter()
        .filter(|(name, _)| args.target.as_deref().is_none_or(|t| t == name.as_str()))
        .collect();
    if let (Some(wanted), true) = (&args.target, chosen.is_empty()) {
        return fail(
            &format!("--target {wanted:?}: no such target in --config.file"),
            2,
        );
    }
    // The targets' clients and collectors as the exporter builds them.
    let defaults = TargetDefaults {
        api_url: url,
        timeout: api.timeout,
        rate_limit: api.rate_limit,
        rate_burst: api.rate_burst,
        timezone: api.timezone,
        selection: collectors,
    };
    let mut reports = Vec::new();
    for (name, settings) in chosen {
        if let (Some(simulator), None) = (&_simulator, &settings.api_url) {
            simulator.add_app_key(settings.app_key.expose_secret(), None);
        }
        let client = match defaults.client(&settings, UpstreamMetrics::default()) {
            Ok(client) => client,
            Err(e) => return fail(&format!("target {name}: {e}"), 2),
        };
        let selection = defaults.selection(&settings);
        let report = crate::check::run_for(&client, &selection, deadline, progress).await;
        reports.push((name, report));
    }
    match args.output {
        OutputFormat::Text => {
            for (name, report) in &reports {
                println!("== target {name} ==");
                print!("{}", report.to_text());
                println!();
            }
        }
        OutputFormat::Json => {
            let by_target: serde_json::Map<String, serde_json::Value> = reports
                .iter()
                .map(|(name, report)| {
                    let value =
                        serde_json::from_str(&report.to_json()).unwrap_or(serde_json::Value::Null);
                    (name.to_string(), value)
                })
                .collect();
            println!("{}", serde_json::json!({ "targets": by_target }));
        }
    }
    let code = reports
        .iter()
        .map(|(_, r)| r.exit_code())
        .max()
        .unwrap_or(0);
    ExitCode::from(code)
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
    let mut keys = args.app_keys;
    if let Some(path) = &args.app_keys_file {
        match std::fs::read_to_string(path) {
            Ok(text) => keys.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(String::from),
            ),
            Err(e) => {
                eprintln!(
                    "proxy911-exporter simulate: --app-keys-file {}: {e}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        }
    }
    let mut keys = keys.into_iter();
    let app_key = keys.next().unwrap_or_else(|| "demo".into());
    let simulator = Simulator::new(SimulatorOptions {
        app_key,
        more_app_keys: keys.collect(),
        accounts: args.accounts,
        faults: fault_list,
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
