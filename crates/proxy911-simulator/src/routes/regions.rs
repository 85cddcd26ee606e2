//! The dynamic pool's coverage: its states (`ip/dynamic-states`) and its cities
//! (`ip/dynamic-citys`), each a list of countries whose `items` are the places, as the
//! reference shows them.

use std::time::Instant;

use serde::Serialize;

use super::lists::List;
use super::request::KeyOnly;
use crate::state::{Refusal, SimCountry, World};

/// One country and its places.
#[derive(Debug, Serialize)]
pub struct CountryItem<P> {
    name_zh_cn: String,
    name_en: String,
    continent_code: String,
    country_code: String,
    items: Vec<P>,
}

#[derive(Debug, Serialize)]
pub struct StateItem {
    state: String,
    continent_code: String,
    country_code: String,
}

#[derive(Debug, Serialize)]
pub struct CityItem {
    city: String,
    state: String,
    continent_code: String,
    country_code: String,
}

fn country<P>(c: &SimCountry, items: Vec<P>) -> CountryItem<P> {
    CountryItem {
        name_zh_cn: c.name_zh_cn.clone(),
        name_en: c.name_en.clone(),
        continent_code: c.continent_code.clone(),
        country_code: c.code.clone(),
        items,
    }
}

pub fn states(
    _: KeyOnly,
    world: &mut World,
    _: Instant,
) -> Result<List<CountryItem<StateItem>>, Refusal> {
    Ok(world
        .coverage
        .iter()
        .map(|c| {
            let items = c
                .states
                .iter()
                .map(|(state, _)| StateItem {
                    state: state.clone(),
                    continent_code: c.continent_code.clone(),
                    country_code: c.code.clone(),
                })
                .collect();
            country(c, items)
        })
        .collect())
}

pub fn cities(
    _: KeyOnly,
    world: &mut World,
    _: Instant,
) -> Result<List<CountryItem<CityItem>>, Refusal> {
    Ok(world
        .coverage
        .iter()
        .map(|c| {
            let items = c
                .states
                .iter()
                .flat_map(|(state, cities)| {
                    cities.iter().map(move |city| CityItem {
                        city: city.clone(),
                        state: state.clone(),
                        continent_code: c.continent_code.clone(),
                        country_code: c.code.clone(),
                    })
                })
                .collect();
            country(c, items)
        })
        .collect())
}
