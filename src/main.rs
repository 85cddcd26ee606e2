//! The binary: parses the command line, then runs the exporter (or the `simulate` subcommand)
//! through the library's one start-up path. Configuration errors exit with code 2. Signals:
//! SIGTERM and Ctrl-C stop the exporter (within 10 s), SIGHUP reloads the web configuration.

use std::process::ExitCode;

use clap::Parser;
use proxy911_exporter::app::{connect_upstream, shutdown_signal, upstream_client, App};
use proxy911_exporter::collector::Selection;
use proxy911_exporter::config::{
    ApiConfig, CheckArgs, Cli, Command, Config, OutputFormat, SimulateArgs,
};
use proxy911_exporter::telemetry;
use proxy911_exporter::upstream::UpstreamMetrics;
use proxy911_exporter::version;
use proxy911_exporter::web::{Reloaded, WebHandle};
use proxy911_simulator::{faults, Simulator, SimulatorOptions};
use secrecy::ExposeSecret;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line, naming the flag: clap's first line. Its usage hint is left out.
            let message = e.render().to_string();
            eprintln!("{}", message.lines().next().unwrap_or("invalid arguments"));
            return ExitCode::from(2);
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => {
            print!("{}", version::print("proxy911-exporter"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print(); // --help
            return ExitCode::SUCCESS;
        }
    };
    limit_malloc_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("proxy911-exporter: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match cli.command {
        Some(Command::Simulate(args)) => runtime.block_on(simulate(args)),
        Some(Command::Check(args)) => runtime.block_on(check(args)),
        None => {
            let config = match Config::from_args(cli.exporter, |name| std::env::var(name).ok()) {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("proxy911-exporter: {e}");
                    return ExitCode::from(2);
                }
            };
            runtime.block_on(serve(config))
        }
    };
    // Dropping the runtime would wait for every blocking task, and a reload can block for as
    // long as its file does (a FIFO, a hung mount): once the server has stopped, what is still
    // blocked is abandoned, so SIGTERM exits in time whatever a reload is doing.
    runtime.shutdown_timeout(ABANDON_BLOCKING_AFTER);
    code
}

/// How long the blocking tasks still running at exit are waited for.
const ABANDON_BLOCKING_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// glibc gives each thread that allocates its own malloc arena, and keeps freed memory in it;
/// with the blocking threads that render refreshes, that held several times the live memory.
/// Two arenas keep resident memory close to what is in use, at no measurable cost here.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

async fn serve(config: Config) -> ExitCode {
    telemetry::init(config.log.format, &config.log.level);
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

/// SIGHUP reloads the web configuration (SPEC §8, §11): logged either way; a file that does not
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
    let report = proxy911_exporter::check::run_for(&client, &collectors).await;
    match args.output {
        OutputFormat::Text => print!("{}", report.to_text()),
        OutputFormat::Json => println!("{}", report.to_json()),
    }
    ExitCode::from(report.exit_code())
}

async fn simulate(args: SimulateArgs) -> ExitCode {
    telemetry::init(proxy911_exporter::config::LogFormat::Text, "info");
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
