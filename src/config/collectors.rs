//! The collector flags, in node_exporter's style: `--collector.NAME` turns a collector on,
//! `--no-collector.NAME` off (the later of the two wins), `PROXY911_COLLECTOR_NAME=true|false`
//! in the environment (a flag wins over it); and `--collector.NAME.ttl`
//! (`PROXY911_COLLECTOR_NAME_TTL`), how long that collector's data is served, when it should
//! differ from `--cache.ttl`. Their spellings are in each collector's definition; they are built
//! from the table, so a new collector gets its flags with its line there.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use super::parse::parse_duration;
use crate::collector::{CollectorId, Flags, Selection};

const HEADING: &str = "Collectors";

/// The spellings of a collector's flags, from its definition.
fn names(id: CollectorId) -> Flags {
    id.definition().flags
}

/// Collectors turned on or off on the command line or in the environment; the others keep the
/// default they are applied to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectorArgs {
    choices: BTreeMap<CollectorId, bool>,
}

impl CollectorArgs {
    /// `base` (the defaults, or every collector for the demo) with the choices made.
    pub fn apply(&self, mut base: Selection) -> Selection {
        for (&id, &on) in &self.choices {
            if on {
                base.enable(id);
            } else {
                base.disable(id);
            }
        }
        base
    }
}

impl FromArgMatches for CollectorArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut choices = BTreeMap::new();
        for id in CollectorId::ALL {
            let names = names(id);
            // `overrides_with` leaves only the later of the two flags; the environment fills
            // `--collector.NAME` when it is not given, so an explicit `--no-` beats it.
            let off = matches
                .try_get_one::<bool>(names.off)
                .ok()
                .flatten()
                .copied()
                .unwrap_or(false);
            let on = matches
                .try_get_one::<bool>(names.on)
                .ok()
                .flatten()
                .copied();
            if let Some(on) = if off { Some(false) } else { on } {
                choices.insert(id, on);
            }
        }
        Ok(CollectorArgs { choices })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for CollectorArgs {
    fn augment_args(mut command: Command) -> Command {
        for id in CollectorId::ALL {
            let names = names(id);
            let default = if id.enabled_by_default() { "on" } else { "off" };
            command = command
                .arg(
                    Arg::new(names.on)
                        .long(names.on)
                        .env(names.env)
                        .value_name("BOOL")
                        .num_args(0..=1)
                        .require_equals(true)
                        .default_missing_value("true")
                        .value_parser(clap::value_parser!(bool))
                        .overrides_with(names.off)
                        .help(format!("Turn the {id} collector on ({default} by default)"))
                        .help_heading(HEADING),
                )
                .arg(
                    Arg::new(names.off)
                        .long(names.off)
                        .action(ArgAction::SetTrue)
                        .overrides_with(names.on)
                        .help(format!("Turn the {id} collector off"))
                        .help_heading(HEADING),
                );
        }
        command
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

/// Per-collector TTLs given on the command line or in the environment (the exporter's only:
/// `check` refreshes nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectorTtlArgs {
    ttl: BTreeMap<CollectorId, Duration>,
}

impl CollectorTtlArgs {
    /// Sets the TTLs given on `selection`; the others keep their default.
    pub fn apply(&self, mut selection: Selection) -> Selection {
        for (&id, &ttl) in &self.ttl {
            selection.set_ttl(id, Some(ttl));
        }
        selection
    }
}

impl FromArgMatches for CollectorTtlArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let ttl = CollectorId::ALL
            .into_iter()
            .filter_map(|id| {
                let ttl = matches.try_get_one::<Duration>(names(id).ttl).ok()??;
                Some((id, *ttl))
            })
            .collect();
        Ok(CollectorTtlArgs { ttl })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for CollectorTtlArgs {
    fn augment_args(mut command: Command) -> Command {
        for id in CollectorId::ALL {
            let names = names(id);
            // The defaults live in `Selection`; the help only says them.
            let default = id.default_ttl().map_or_else(
                || "--cache.ttl".to_string(),
                |ttl| humantime::format_duration(ttl).to_string(),
            );
            let arg = Arg::new(names.ttl)
                .long(names.ttl)
                .env(names.ttl_env)
                .value_name("DURATION")
                .value_parser(parse_duration)
                .help(format!(
                    "How long the {id} collector's data is served before a scrape refreshes it \
                     [default: {default}]"
                ))
                .help_heading(HEADING);
            command = command.arg(arg);
        }
        command
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        collectors: CollectorArgs,
        #[command(flatten)]
        ttl: CollectorTtlArgs,
    }

    fn selection(argv: &[&str]) -> Selection {
        let probe = Probe::try_parse_from(std::iter::once("probe").chain(argv.iter().copied()))
            .expect("the flags parse");
        probe
            .ttl
            .apply(probe.collectors.apply(Selection::default()))
    }

    #[test]
    fn every_collector_has_its_flags_spelled_from_its_name() {
        for id in CollectorId::ALL {
            let names = names(id);
            let upper = id.as_str().to_uppercase();
            assert_eq!(names.on, format!("collector.{id}"));
            assert_eq!(names.off, format!("no-collector.{id}"));
            assert_eq!(names.env, format!("PROXY911_COLLECTOR_{upper}"));
            assert_eq!(names.ttl, format!("collector.{id}.ttl"));
            assert_eq!(names.ttl_env, format!("PROXY911_COLLECTOR_{upper}_TTL"));
        }
    }

    #[test]
    fn without_flags_the_spec_defaults_hold() {
        let selection = selection(&[]);

        assert_eq!(selection, Selection::default());
        assert!(!selection.contains(CollectorId::User));
    }

    #[test]
    fn a_collector_turns_on_and_off_and_the_later_flag_wins() {
        let selection = selection(&[
            "--collector.user",
            "--no-collector.orders",
            "--no-collector.regions",
            "--collector.regions",
            "--collector.traffic",
            "--no-collector.traffic",
            "--collector.accounts=false",
        ]);

        assert!(selection.contains(CollectorId::User));
        assert!(!selection.contains(CollectorId::Orders));
        assert!(selection.contains(CollectorId::Regions));
        assert!(!selection.contains(CollectorId::Traffic));
        assert!(!selection.contains(CollectorId::Accounts));
        assert!(selection.contains(CollectorId::Packages));
    }

    #[test]
    fn a_collector_ttl_is_a_duration_and_regions_default_to_an_hour() {
        let selection = selection(&["--collector.orders.ttl", "5m"]);

        assert_eq!(
            selection.ttl(CollectorId::Orders),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            selection.ttl(CollectorId::Regions),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(selection.ttl(CollectorId::Accounts), None);
        assert!(Probe::try_parse_from(["probe", "--collector.user.ttl", "soon"]).is_err());
        assert!(Probe::try_parse_from(["probe", "--collector.user=maybe"]).is_err());
        assert!(Probe::try_parse_from(["probe", "--collector.nope"]).is_err());
    }
}
