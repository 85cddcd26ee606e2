//! The binary: parses the command line, then runs the exporter (or the `simulate` subcommand)
//! through the library's one start-up path. Configuration errors exit with code 2.

use std::process::ExitCode;

use clap::Parser;
use proxy911_exporter::app::{shutdown_signal, App, AppError};
use proxy911_exporter::config::{
    ApiConfig, CheckArgs, Cli, Command, Config, OutputFormat, SimulateArgs, Upstream,
};
use proxy911_exporter::telemetry;
use proxy911_exporter::upstream::{Client, ClientOptions, UpstreamMetrics};
use proxy911_simulator::{faults, Simulator, SimulatorOptions};
use secrecy::ExposeSecret;

fn main() -> ExitCode {
    let cli = Cli::parse(); // clap prints its own error and exits with code 2
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
    match cli.command {
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
    }
}

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
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(AppError::Config(e)) => {
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
        println!(
            "demo: serving simulated 911Proxy data on http://{}/metrics",
            app.local_addr()
        );
    }
    match app.run(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

/// `check`: one call per endpoint, the report on stdout; exit 0 when every endpoint answered,
/// 1 when one did not, 2 for a configuration error. No log output: the report says it all.
async fn check(args: CheckArgs) -> ExitCode {
    let api = match ApiConfig::from_args(args.api, |name| std::env::var(name).ok(), false) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("proxy911-exporter check: {e}");
            return ExitCode::from(2);
        }
    };
    let Upstream::Api { url, app_key } = api.upstream else {
        unreachable!("check never runs in demo mode");
    };
    let client = match Client::new(
        ClientOptions {
            timeout: api.timeout,
            rate_limit: api.rate_limit,
            rate_burst: api.rate_burst,
            ..ClientOptions::new(url, app_key)
        },
        UpstreamMetrics::default(),
    ) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("proxy911-exporter check: {e}");
            return ExitCode::from(2);
        }
    };
    let report = proxy911_exporter::check::run(&client).await;
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
