//! [`Lifecycle`]: one reload of everything that can be reloaded (the web configuration, and
//! with `--config.file` the targets), for SIGHUP and `POST /-/reload` alike. Files are read off
//! the async workers; each part is logged, a failure at ERROR naming the problem, and a part
//! that fails keeps what runs.

use std::sync::Arc;

use super::Targets;
use crate::web::{Reloaded, WebHandle};

#[derive(Debug, Clone)]
pub struct Lifecycle {
    web: WebHandle,
    targets: Option<Arc<Targets>>,
}

impl Lifecycle {
    pub fn new(web: WebHandle, targets: Option<Arc<Targets>>) -> Self {
        Lifecycle { web, targets }
    }

    /// Reloads both; `cause` (`SIGHUP`, `POST /-/reload`) starts each log line. The error is
    /// one line per part that failed.
    pub async fn reload(&self, cause: &'static str) -> Result<(), String> {
        let mut failures = Vec::new();
        let web = self.web.clone();
        // Reading files (and bcrypt hashes) blocks: off the async workers.
        match tokio::task::spawn_blocking(move || web.reload()).await {
            Ok(Ok(Reloaded::Reloaded)) => tracing::info!(
                file = %self.web.path().map(|p| p.display().to_string()).unwrap_or_default(),
                tls = self.web.tls_enabled(),
                basic_auth = self.web.current().basic_auth().is_some(),
                "{cause}: web configuration reloaded"
            ),
            Ok(Ok(Reloaded::NoFile)) => {
                tracing::info!("{cause}: no --web.config.file is set, nothing to reload")
            }
            Ok(Err(e)) => {
                tracing::error!(
                    error = %e,
                    "{cause}: web configuration not reloaded; the previous one stays in force"
                );
                failures.push(e.to_string());
            }
            Err(e) => {
                tracing::error!(error = %e, "{cause}: web configuration reload failed");
                failures.push(e.to_string());
            }
        }
        if let Some(targets) = &self.targets {
            let targets = targets.clone();
            match tokio::task::spawn_blocking(move || targets.reload()).await {
                Ok(Ok(report)) => tracing::info!(
                    added = %join(&report.added),
                    changed = %join(&report.changed),
                    removed = %join(&report.removed),
                    kept = report.kept,
                    "{cause}: --config.file reloaded"
                ),
                Ok(Err(e)) => {
                    tracing::error!(
                        error = %e,
                        "{cause}: --config.file not reloaded; the previous targets stay in force"
                    );
                    failures.push(e.to_string());
                }
                Err(e) => {
                    tracing::error!(error = %e, "{cause}: --config.file reload failed");
                    failures.push(e.to_string());
                }
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }
}

fn join(names: &[crate::config::TargetName]) -> String {
    names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
