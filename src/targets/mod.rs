//! [`Targets`]: the 911Proxy accounts of a multi-target exporter (`--config.file`), each a
//! [`Target`] with everything of its own: upstream client (and so its own token bucket, since
//! the upstream's limit is per app_key), caches, single flight, and the self metrics of its
//! probe (`proxy911_up`, `proxy911_collector_*`, `proxy911_upstream_*`). Nothing is shared
//! between targets but the process, so a target whose upstream hangs, fails or floods cannot
//! delay another's probe.
//!
//! A reload reads the file again: unchanged targets keep running with their caches; added ones
//! are built; changed ones are built afresh (their next probe refreshes with the new key or
//! settings); removed ones leave the map, and their data is freed once the last probe that
//! holds them ends. A file that fails to load keeps everything as it was. The reload state is
//! in [`ReloadMetrics`].

mod lifecycle;
mod metrics;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use prometheus_client::registry::Registry;
use secrecy::SecretString;

use crate::cache::CachePolicy;
use crate::collector::{self, CollectorId, RenderContext, Selection};
use crate::config::{TargetName, TargetSettings, TargetsFile, TargetsFileError};
use crate::exposition;
use crate::metrics::SelfMetrics;
use crate::scrape::{HealthMetrics, Scraper};
use crate::upstream::{Client, ClientOptions, UpstreamError, UpstreamMetrics};

pub use lifecycle::Lifecycle;
pub use metrics::ReloadMetrics;

/// What a target takes from the flags when the file leaves it out.
#[derive(Debug, Clone)]
pub struct TargetDefaults {
    /// `--api.url` (with `--demo`, the demo simulator's address).
    pub api_url: reqwest::Url,
    pub timeout: Duration,
    pub rate_limit: f64,
    pub rate_burst: u32,
    pub timezone: chrono::FixedOffset,
    /// The collectors the flags turn on, with their own TTLs.
    pub selection: Selection,
}

impl TargetDefaults {
    /// The upstream client of a target: its own URL, timeout and rate limit where the file
    /// gives them, else the flags'. The one place a target's settings meet the flags (the
    /// exporter's targets and `check --config.file` both build their clients here).
    pub fn client(
        &self,
        settings: &TargetSettings,
        metrics: UpstreamMetrics,
    ) -> Result<Client, UpstreamError> {
        let url = settings
            .api_url
            .clone()
            .unwrap_or_else(|| self.api_url.clone());
        Client::new(
            ClientOptions {
                timeout: settings.timeout.unwrap_or(self.timeout),
                rate_limit: settings.rate_limit.unwrap_or(self.rate_limit),
                rate_burst: settings.rate_burst.unwrap_or(self.rate_burst),
                ..ClientOptions::new(url, settings.app_key.clone())
            },
            metrics,
        )
    }

    /// The collectors of a target: the file's list (with the flags' TTLs), or the flags'.
    pub fn selection(&self, settings: &TargetSettings) -> Selection {
        let mut selection = self.selection.clone();
        if let Some(ids) = &settings.collectors {
            for id in CollectorId::ALL {
                if ids.contains(&id) {
                    selection.enable(id);
                } else {
                    selection.disable(id);
                }
            }
        }
        selection
    }
}

/// Called with each target's app_key before its client is built (the demo registers the key
/// with its simulator, so that every target has a world of its own).
pub(crate) type KeyHook = Box<dyn Fn(&SecretString) + Send + Sync>;

/// One account: its name, the settings it was built from, its client and its scrape side.
pub struct Target {
    name: TargetName,
    settings: TargetSettings,
    client: Client,
    scraper: Arc<Scraper>,
    /// What a layer above keeps for this target (the admin API keeps its routes here), built
    /// on first use and freed with the target.
    extension: std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Target {
    pub fn name(&self) -> &TargetName {
        &self.name
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn scraper(&self) -> &Arc<Scraper> {
        &self.scraper
    }

    /// The slot a layer above fills once for this target (see the field).
    pub fn extension(&self) -> &std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>> {
        &self.extension
    }

    /// The token that manages this target only, if the file gives one.
    pub fn admin_token(&self) -> Option<&SecretString> {
        self.settings.admin_token.as_ref()
    }

    /// Builds a target: a client, collectors and caches of its own, and a registry of its own
    /// for the self metrics its probe carries.
    fn build(
        name: TargetName,
        settings: TargetSettings,
        defaults: &TargetDefaults,
        cache: CachePolicy,
    ) -> Result<Target, UpstreamError> {
        let selection = defaults.selection(&settings);
        let mut registry = Registry::default();
        let own = registry.sub_registry_with_prefix(exposition::PREFIX);
        let health = HealthMetrics::register(own);
        let upstream_metrics = UpstreamMetrics::register(own, selection.endpoints());
        let url = settings.api_url.as_ref().unwrap_or(&defaults.api_url);
        if let Some(host) = crate::config::cleartext_remote_host(url) {
            tracing::warn!(
                target_name = %name,
                host = %host,
                "the api_url of target {name} is plain http to a host that is not loopback: its app_key travels in clear to {host}; use https://"
            );
        }
        let client = defaults.client(&settings, upstream_metrics)?;
        let collectors = collector::all(
            &client,
            RenderContext {
                timezone: defaults.timezone,
            },
            &selection,
        );
        let policy = CachePolicy {
            ttl: settings.cache_ttl.unwrap_or(cache.ttl),
            ..cache
        };
        let scraper = Arc::new(Scraper::new(
            collectors,
            policy,
            health,
            Arc::new(SelfMetrics::new(registry)),
        ));
        Ok(Target {
            name,
            settings,
            client,
            scraper,
            extension: std::sync::OnceLock::new(),
        })
    }
}

/// The targets by name, as last loaded.
type Map = BTreeMap<TargetName, Arc<Target>>;

/// Why a reload kept the running targets.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    File(#[from] TargetsFileError),
    #[error("--config.file: target {target}: {source}")]
    Client {
        target: TargetName,
        source: UpstreamError,
    },
}

impl ReloadError {
    /// A mistake in the file (or a missing CA store), rather than a failure of the machine.
    pub(crate) fn is_configuration(&self) -> bool {
        match self {
            ReloadError::File(_) => true,
            ReloadError::Client { source, .. } => matches!(source, UpstreamError::Trust(_)),
        }
    }
}

/// What a successful reload changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    pub added: Vec<TargetName>,
    pub changed: Vec<TargetName>,
    pub removed: Vec<TargetName>,
    pub kept: usize,
}

/// Every target, reloadable.
pub struct Targets {
    path: PathBuf,
    defaults: TargetDefaults,
    /// `--cache.ttl` (unless a target has its own) and `--cache.max-stale`.
    cache: CachePolicy,
    on_key: Option<KeyHook>,
    // A std lock: held only to swap or clone an `Arc`, never across an `.await`.
    current: RwLock<Arc<Map>>,
    /// One reload at a time (SIGHUP and `POST /-/reload` may race).
    reloading: Mutex<()>,
    metrics: ReloadMetrics,
}

impl std::fmt::Debug for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Targets")
            .field("path", &self.path)
            .field("targets", &self.current().len())
            .finish_non_exhaustive()
    }
}

impl Targets {
    /// Builds every target of `file` (read from `path`); the reload metrics register in
    /// `registry`, whose prefix the caller chose.
    pub fn new(
        path: &Path,
        file: TargetsFile,
        defaults: TargetDefaults,
        cache: CachePolicy,
        on_key: Option<KeyHook>,
        registry: &mut Registry,
    ) -> Result<Targets, ReloadError> {
        let targets = Targets {
            path: path.to_path_buf(),
            defaults,
            cache,
            on_key,
            current: RwLock::new(Arc::default()),
            reloading: Mutex::new(()),
            metrics: ReloadMetrics::register(registry),
        };
        let map = targets.build_map(file, &Map::new(), &mut ReloadReport::default())?;
        targets.metrics.loaded(map.len());
        *targets.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
        Ok(targets)
    }

    /// The target called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<Arc<Target>> {
        let name = TargetName::parse(name).ok()?;
        self.current().get(&name).cloned()
    }

    /// Every target, as last loaded.
    pub fn current(&self) -> Arc<Map> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file again and applies it; on failure the running targets stay and
    /// `proxy911_config_last_reload_successful` is 0. Blocking (files are read): call it off
    /// the async workers.
    pub fn reload(&self) -> Result<ReloadReport, ReloadError> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let result = TargetsFile::read(&self.path)
            .map_err(ReloadError::from)
            .and_then(|file| {
                let mut report = ReloadReport::default();
                let old = self.current();
                let map = self.build_map(file, &old, &mut report)?;
                report.removed = old
                    .keys()
                    .filter(|n| !map.contains_key(*n))
                    .cloned()
                    .collect();
                Ok((map, report))
            });
        match result {
            Ok((map, report)) => {
                self.metrics.loaded(map.len());
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
                Ok(report)
            }
            Err(e) => {
                self.metrics.failed();
                Err(e)
            }
        }
    }

    /// The targets of `file`: those of `old` whose settings did not change are kept as they
    /// are (caches and all), the others built.
    fn build_map(
        &self,
        file: TargetsFile,
        old: &Map,
        report: &mut ReloadReport,
    ) -> Result<Map, ReloadError> {
        let mut map = Map::new();
        for (name, settings) in file.targets {
            match old.get(&name) {
                Some(running) if running.settings == settings => {
                    report.kept += 1;
                    map.insert(name, running.clone());
                    continue;
                }
                Some(_) => report.changed.push(name.clone()),
                None => report.added.push(name.clone()),
            }
            if let Some(hook) = &self.on_key {
                hook(&settings.app_key);
            }
            let target = Target::build(name.clone(), settings, &self.defaults, self.cache)
                .map_err(|source| ReloadError::Client {
                    target: name.clone(),
                    source,
                })?;
            map.insert(name, Arc::new(target));
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests;
