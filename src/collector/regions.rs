//! The `regions` collector (off by default; refreshed hourly unless `--collector.regions.ttl`
//! says otherwise): `GET /api-gate-way/ip/dynamic-states` and `GET /api-gate-way/ip/dynamic-citys`
//! → `proxy911_dynamic_locations{country, level}`, the states and the cities the dynamic pool
//! offers in each country.
//!
//! A location counts once however often it is listed: a state by its name, a city by its name
//! within its state (two Springfields are two cities). An item that names no location is not
//! one. A country whose `items` could not be read has no sample for that level (never 0); one
//! listed with an empty `items` offers 0.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::future::BoxFuture;

use super::{CollectorId, RenderContext, UNKNOWN, flags, refresh, Call, Definition};
use crate::exposition::DataFamily;
use crate::upstream::model::DynamicCountry;
use crate::upstream::{Client, Endpoint, UpstreamError};

pub const ID: CollectorId = CollectorId::Regions;

/// Which list a location comes from: the `level` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Level {
    State,
    City,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::State => "state",
            Level::City => "city",
        }
    }
}

/// The regions collector, as the table lists it.
pub(crate) const DEFINITION: Definition = Definition {
    id: ID,
    flags: flags!("regions", "REGIONS"),
    // Off by default: coverage of the dynamic pool, not of the account; it changes rarely, so
    // once an hour is plenty.
    enabled_by_default: false,
    default_ttl: Some(Duration::from_secs(3600)),
    endpoints: &[Endpoint::DynamicStates, Endpoint::DynamicCities],
    min_requests: 2,
    refresh: refresh!(),
    check,
};

/// `check`'s calls: each endpoint once, one after the other.
fn check(client: &Client) -> BoxFuture<'_, Vec<Call>> {
    Box::pin(async move {
        vec![
            Call::listed(Endpoint::DynamicStates, client.dynamic_states()).await,
            Call::listed(Endpoint::DynamicCities, client.dynamic_cities()).await,
        ]
    })
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub states: Vec<DynamicCountry>,
    pub cities: Vec<DynamicCountry>,
}

pub async fn fetch(client: &Client) -> Result<Snapshot, UpstreamError> {
    let (states, cities) = tokio::try_join!(client.dynamic_states(), client.dynamic_cities())?;
    Ok(Snapshot {
        states: states.items,
        cities: cities.items,
    })
}

pub fn families(snapshot: &Snapshot, _ctx: &RenderContext) -> Vec<DataFamily> {
    let mut locations = DataFamily::gauge(
        "dynamic_locations",
        "States or cities the dynamic proxy pool offers in the country, by level",
        None,
    );
    for (level, countries) in [
        (Level::State, &snapshot.states),
        (Level::City, &snapshot.cities),
    ] {
        for (country, names) in count(level, countries) {
            locations.push(
                vec![("country", country.into()), ("level", level.label().into())],
                names.len() as f64,
            );
        }
    }
    vec![locations]
}

/// The distinct locations of each country whose `items` could be read: a state's name, or a
/// city's state and name.
fn count(
    level: Level,
    countries: &[DynamicCountry],
) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut by_country: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for entry in countries {
        let Some(places) = &entry.places else {
            continue;
        };
        let country = match entry.country_code.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => code.to_uppercase(),
            _ => UNKNOWN.to_string(),
        };
        let names = by_country.entry(country).or_default();
        for place in places {
            let named = |name: &Option<String>| {
                name.as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
            };
            let key = match level {
                Level::State => named(&place.state).map(|state| (state, String::new())),
                Level::City => {
                    named(&place.city).map(|city| (named(&place.state).unwrap_or_default(), city))
                }
            };
            names.extend(key);
        }
    }
    by_country
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::model::DynamicPlace;

    fn place(state: Option<&str>, city: Option<&str>) -> DynamicPlace {
        DynamicPlace {
            state: state.map(str::to_string),
            city: city.map(str::to_string),
        }
    }

    fn country(code: &str, places: Option<Vec<DynamicPlace>>) -> DynamicCountry {
        DynamicCountry {
            country_code: Some(code.to_string()),
            places,
        }
    }

    #[test]
    fn cities_count_per_state_states_once_and_unnamed_items_not_at_all() {
        let cities = vec![
            country(
                "us",
                Some(vec![
                    place(Some("IL"), Some("Springfield")),
                    place(Some("MA"), Some("Springfield")),
                    place(Some("MA"), Some("Springfield")),
                    place(Some("MA"), None),
                ]),
            ),
            country("DE", Some(Vec::new())),
            country("FR", None),
        ];
        let states = vec![country(
            "US",
            Some(vec![place(Some("IL"), None), place(Some("IL"), None)]),
        )];

        let cities = count(Level::City, &cities);
        let states = count(Level::State, &states);

        assert_eq!(cities["US"].len(), 2);
        assert_eq!(cities["DE"].len(), 0);
        assert!(!cities.contains_key("FR"), "unreadable items: no sample");
        assert_eq!(states["US"].len(), 1);
    }
}
