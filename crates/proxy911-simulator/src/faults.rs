//! Fault injection for the simulator: per endpoint (or `*` for all), an optional added latency,
//! an optional failure and optional schema drift, set at start (`--fault ENDPOINT=FAULT`) or at
//! run time (`POST /_simulator/faults`).

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

/// A failure the simulator answers with instead of the real answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 500 with a plain body.
    Http500,
    /// HTTP 429 with `Retry-After: 1`.
    Http429,
    /// HTTP 200 with a truncated JSON body.
    MalformedJson,
    /// Envelope code 3: invalid app_key.
    Code3,
    /// Envelope code 156: account not real-name authenticated.
    Code156,
}

/// What is injected on one endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fault {
    pub latency: Option<Duration>,
    pub failure: Option<Failure>,
    /// `schema-drift`: a successful answer keeps its data but changes shape (extra fields of
    /// every JSON type, one known field of an unreadable type, items that are not objects at
    /// the end of every page); see [`crate::drift`]. A failure, when also set, wins.
    pub schema_drift: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FaultParseError {
    #[error("expected ENDPOINT=FAULT, e.g. /api-gate-way/whitelist-account/list=http500 or *=latency:200ms")]
    MissingEndpoint,
    #[error("unknown fault {0:?}: expected latency:DURATION, http500, http429, malformed, code3, code156, schema-drift or none")]
    UnknownFault(String),
}

impl Fault {
    /// Parses `latency:200ms`, `http500`, `http429`, `malformed`, `code3`, `code156`,
    /// `schema-drift` (or `drift`), `none`, or several of them joined by `+` (e.g.
    /// `latency:1s+http500`, `latency:10ms+schema-drift`).
    pub fn parse(spec: &str) -> Result<Fault, FaultParseError> {
        let mut fault = Fault::default();
        for part in spec.split('+').map(str::trim) {
            let unknown = || FaultParseError::UnknownFault(part.to_string());
            match part.to_ascii_lowercase().as_str() {
                "none" | "" => {}
                "http500" | "500" => fault.failure = Some(Failure::Http500),
                "http429" | "429" => fault.failure = Some(Failure::Http429),
                "malformed" | "malformed_json" => fault.failure = Some(Failure::MalformedJson),
                "code3" => fault.failure = Some(Failure::Code3),
                "code156" => fault.failure = Some(Failure::Code156),
                "schema-drift" | "schema_drift" | "drift" => fault.schema_drift = true,
                other => {
                    let duration = other.strip_prefix("latency:").ok_or_else(unknown)?;
                    fault.latency =
                        Some(humantime::parse_duration(duration).map_err(|_| unknown())?);
                }
            }
        }
        Ok(fault)
    }
}

/// Parses a `--fault ENDPOINT=FAULT` value.
pub fn parse_assignment(value: &str) -> Result<(String, Fault), FaultParseError> {
    let (target, spec) = value
        .split_once('=')
        .ok_or(FaultParseError::MissingEndpoint)?;
    Ok((target.trim().to_string(), Fault::parse(spec)?))
}

/// Faults by target: an endpoint path, or `*` for every endpoint.
#[derive(Debug, Default, Clone)]
pub struct FaultTable {
    by_target: HashMap<String, Fault>,
}

impl FaultTable {
    pub fn set(&mut self, target: &str, fault: Fault) {
        if fault == Fault::default() {
            self.by_target.remove(target);
        } else {
            self.by_target.insert(target.to_string(), fault);
        }
    }

    pub fn clear(&mut self) {
        self.by_target.clear();
    }

    /// The fault for a path: its own if set, else the `*` one.
    pub fn for_path(&self, path: &str) -> Fault {
        self.find(path).unwrap_or_default()
    }

    /// The fault set for a path (its own, else the `*` one), if any.
    pub fn find(&self, path: &str) -> Option<Fault> {
        self.by_target
            .get(path)
            .or_else(|| self.by_target.get("*"))
            .copied()
    }
}

/// Body of `POST /_simulator/faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    pub endpoint: String,
    pub fault: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs_parse() {
        assert_eq!(
            Fault::parse("latency:8s+http500").unwrap(),
            Fault {
                latency: Some(Duration::from_secs(8)),
                failure: Some(Failure::Http500),
                schema_drift: false,
            }
        );
        assert_eq!(
            Fault::parse("code156").unwrap().failure,
            Some(Failure::Code156)
        );
        assert!(Fault::parse("explode").is_err());
        assert!(parse_assignment("http500").is_err());
        let (target, fault) = parse_assignment("*=malformed").unwrap();
        assert_eq!(target, "*");
        assert_eq!(fault.failure, Some(Failure::MalformedJson));
    }

    #[test]
    fn schema_drift_parses_alone_with_its_short_name_and_after_a_latency() {
        let drift = Fault {
            schema_drift: true,
            ..Fault::default()
        };
        assert_eq!(Fault::parse("schema-drift").unwrap(), drift);
        assert_eq!(Fault::parse("drift").unwrap(), drift);
        assert_eq!(Fault::parse("Schema-Drift").unwrap(), drift);
        assert_eq!(
            Fault::parse("latency:10ms+schema-drift").unwrap(),
            Fault {
                latency: Some(Duration::from_millis(10)),
                ..drift
            }
        );
        let (target, fault) = parse_assignment("*=schema-drift").unwrap();
        assert_eq!((target.as_str(), fault), ("*", drift));
        let (target, fault) =
            parse_assignment("/api-gate-way/ip/get-static-ip=drift+latency:1s").unwrap();
        assert_eq!(target, "/api-gate-way/ip/get-static-ip");
        assert_eq!(fault.latency, Some(Duration::from_secs(1)));
        assert!(fault.schema_drift);
        assert!(Fault::parse("schema-drift-please").is_err());
    }

    #[test]
    fn an_endpoint_fault_overrides_the_wildcard() {
        let mut table = FaultTable::default();
        table.set("*", Fault::parse("http500").unwrap());
        table.set("/a", Fault::parse("code3").unwrap());
        assert_eq!(table.for_path("/a").failure, Some(Failure::Code3));
        assert_eq!(table.for_path("/b").failure, Some(Failure::Http500));
        table.clear();
        assert_eq!(table.for_path("/b"), Fault::default());
    }
}
