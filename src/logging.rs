//! Logging set-up: `tracing` to stderr, as text or JSON, filtered by `--log.level`.

use std::io::IsTerminal;

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// Installs the global subscriber. Safe to call more than once (later calls are ignored), so
/// tests and the demo can share the one start-up path.
pub(crate) fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only on a terminal: a log collected from a pipe or a file holds no escape sequence
    // of ours (nor, escaped by `upstream::sanitize`, of the upstream's). And not when NO_COLOR
    // is set (no-color.org): `with_ansi` overrides tracing-subscriber's own NO_COLOR check.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && !no_color);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
