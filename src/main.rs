//! The binary: parses the command line, sets the allocator and the runtime up, and runs what
//! the command line asks through the library ([`proxy911_exporter::run`]). Signals: SIGTERM and
//! Ctrl-C stop the exporter (within 10 s), SIGHUP reloads the web configuration.

use std::process::ExitCode;

use clap::Parser;
use proxy911_exporter::config::Cli;
use proxy911_exporter::{run, version};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line, naming the flag: clap's first line. Its usage hint is left out.
            eprintln!("{}", proxy911_exporter::config::flag_error_line(&e));
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
    let code = runtime.block_on(run::run(cli));
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
