//! `proxy911-exporter check`: asks every endpoint the enabled collectors use once (all
//! pages, through the rate limit) and reports, per endpoint, whether it answered, how many items
//! were read, skipped or had fields defaulted, and the names of fields the exporter does not
//! know. The report is what a user pastes into a bug report when the API changes: it holds no
//! secret (errors are redacted by the client) and no value from the answers, only counts and
//! names (the user's e-mail address and phone number are not even read).

use std::collections::BTreeSet;
use std::fmt::Write;
use std::time::Duration;

use tokio::time::Instant;

use serde::Serialize;

use crate::collector::{Call, Selection};
use crate::upstream::Client;

/// The whole report: `ok` when every endpoint answered.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub endpoints: Vec<EndpointReport>,
}

/// One endpoint, all its calls together (both product types of the summary, both IP types of
/// the regions).
#[derive(Debug, Clone, Serialize)]
pub struct EndpointReport {
    pub endpoint: &'static str,
    pub ok: bool,
    /// Items decoded (for an object answer, 1 per call); skipped ones are not included.
    pub items: u64,
    pub skipped: u64,
    /// JSON names of the fields defaulted at least once.
    pub defaulted: Vec<&'static str>,
    /// Names (never values) of fields the exporter does not read.
    pub unknown_fields: Vec<String>,
    pub latency_seconds: f64,
    pub error: Option<String>,
}

/// The default of `--check.timeout`: the whole of `check`, every target together. A list of many
/// pages at the default rate limit takes minutes; an upstream that answers slowly without end
/// must not hold a terminal or a CI job for longer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Asks every endpoint of the collectors on by default once; see [`run_for`].
pub async fn run(client: &Client) -> Report {
    run_for(
        client,
        &Selection::default(),
        Instant::now() + DEFAULT_TIMEOUT,
        None,
    )
    .await
}

/// Says which collector is being asked (on a terminal: `check` can take minutes).
pub(crate) type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Asks every endpoint of the `collectors` once, one call after the other (so latencies are the
/// endpoint's own), until `deadline`: the endpoints not answered by then are failed rows saying
/// so, and the rest are not asked.
pub async fn run_for(
    client: &Client,
    collectors: &Selection,
    deadline: Instant,
    progress: Option<Progress<'_>>,
) -> Report {
    let mut rows: Vec<EndpointReport> = Vec::new();
    for id in collectors.ids() {
        let definition = id.definition();
        if let Some(say) = progress {
            say(definition.flags.name);
        }
        // The calls are the collector's own, from its definition.
        match tokio::time::timeout_at(deadline, (definition.check)(client)).await {
            Ok(calls) => calls.into_iter().for_each(|call| add(&mut rows, call)),
            Err(_) => {
                for endpoint in definition.endpoints {
                    out_of_time(&mut rows, endpoint.label());
                }
            }
        }
    }
    Report {
        ok: rows.iter().all(|e| e.ok),
        endpoints: rows,
    }
}

/// An endpoint `check` had no time left for: failed, saying why (unless a call of it already
/// answered, or failed on its own).
fn out_of_time(rows: &mut Vec<EndpointReport>, label: &'static str) {
    let index = row_of(rows, label);
    let row = &mut rows[index];
    row.ok = false;
    row.error
        .get_or_insert_with(|| "not answered within --check.timeout".to_string());
}

/// The row of the endpoint `label`, added if it is the first call of it.
fn row_of(rows: &mut Vec<EndpointReport>, label: &'static str) -> usize {
    match rows.iter().position(|r| r.endpoint == label) {
        Some(index) => index,
        None => {
            rows.push(EndpointReport {
                endpoint: label,
                ok: true,
                items: 0,
                skipped: 0,
                defaulted: Vec::new(),
                unknown_fields: Vec::new(),
                latency_seconds: 0.0,
                error: None,
            });
            rows.len() - 1
        }
    }
}

/// Folds one call into its endpoint's row.
fn add(rows: &mut Vec<EndpointReport>, call: Call) {
    let Call {
        endpoint,
        took,
        result,
    } = call;
    let index = row_of(rows, endpoint.label());
    let row = &mut rows[index];
    row.latency_seconds += took.as_secs_f64();
    match result {
        Ok((items, drift)) => {
            row.items += items;
            row.skipped += drift.skipped;
            let defaulted: BTreeSet<_> = row
                .defaulted
                .iter()
                .copied()
                .chain(drift.defaulted.keys().copied())
                .collect();
            row.defaulted = defaulted.into_iter().collect();
            let unknown: BTreeSet<_> = row
                .unknown_fields
                .drain(..)
                .chain(drift.unknown_fields)
                .collect();
            row.unknown_fields = unknown.into_iter().collect();
        }
        Err(error) => {
            row.ok = false;
            row.error.get_or_insert_with(|| error.to_string());
        }
    }
}

impl Report {
    /// The exit code of `check`: 0 when every endpoint answered, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.ok {
            0
        } else {
            1
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and numbers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A table for people: one line per endpoint, then the verdict.
    pub fn to_text(&self) -> String {
        let list = |items: &[String]| {
            if items.is_empty() {
                "-".to_string()
            } else {
                items.join(",")
            }
        };
        let mut rows = vec![[
            "ENDPOINT".to_string(),
            "OK".into(),
            "ITEMS".into(),
            "SKIPPED".into(),
            "LATENCY".into(),
            "DEFAULTED".into(),
            "UNKNOWN FIELDS".into(),
        ]];
        for e in &self.endpoints {
            let defaulted: Vec<String> = e.defaulted.iter().map(|s| s.to_string()).collect();
            rows.push([
                e.endpoint.to_string(),
                if e.ok { "yes" } else { "NO" }.into(),
                e.items.to_string(),
                e.skipped.to_string(),
                format!("{:.3}s", e.latency_seconds),
                list(&defaulted),
                list(&e.unknown_fields),
            ]);
        }
        let widths: Vec<usize> = (0..7)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &rows {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            let _ = writeln!(out, "{}", line.join("  ").trim_end());
        }
        for e in self.endpoints.iter().filter(|e| !e.ok) {
            let _ = writeln!(
                out,
                "error: {}: {}",
                e.endpoint,
                e.error.as_deref().unwrap_or("failed")
            );
        }
        let failed = self.endpoints.iter().filter(|e| !e.ok).count();
        let drifting = self
            .endpoints
            .iter()
            .filter(|e| e.skipped > 0 || !e.defaulted.is_empty())
            .count();
        let _ = match failed {
            0 => writeln!(out, "ok: all {} endpoints answered", self.endpoints.len()),
            n => writeln!(
                out,
                "FAILED: {n} of {} endpoints did not answer",
                self.endpoints.len()
            ),
        };
        if drifting > 0 {
            let _ = writeln!(
                out,
                "drift: {drifting} endpoint(s) sent items or fields the exporter could not read \
                 (skipped items are left out; defaulted fields show as `unknown` or leave their \
                 sample out)"
            );
        }
        out
    }
}
