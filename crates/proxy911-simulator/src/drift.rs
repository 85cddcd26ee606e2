//! Schema drift: what the `schema-drift` fault (also spelled `drift`) does to a successful answer.
//!
//! Unlike the failures of [`crate::faults`], drift does not replace the answer: it bends the shape
//! of the normal one, the way an upstream that changes without notice would, so that the
//! exporter's lenient decoding, its drift counters and `check` have something to show. On every
//! read endpoint it is applied to:
//!
//! - every list item (and the package summary and user objects) gains the [`extra_fields`], one
//!   unknown field of every JSON type;
//! - one known field per endpoint gets a type that cannot be read, see [`Answer::broken_field`]
//!   (accounts: `created_at`, packages list: `trade_no`, purchased static IPs: `expired_at`,
//!   orders: `created_at`), on every item of that endpoint; no other field changes, so no item
//!   loses what identifies it;
//! - purchased static IPs also carry a second spelling of the country (`country` beside
//!   `country_code`, same value);
//! - every page of a list ends with the 4 [`junk_items`], items that are not objects. The page's
//!   pagination fields (`total_count`, `total_page`, `pagination.total`, `pagination.total_pages`)
//!   are left as they were: they count the real items only, and every real item is still there.
//!
//! This module works on plain JSON values; the crate knows nothing of the exporter's decoding
//! types, so the simulator stays an independent implementation of the API.

use serde_json::{json, Map, Value};

/// The answers drift knows how to bend: one per read endpoint of the upstream API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `whitelist-account/list`: extras on every item; `created_at` becomes an object,
    /// `{"date": "<the timestamp>"}`.
    Accounts,
    /// `user-product/summary`: the summary object gains the extras; nothing else changes (every
    /// one of its fields is a metric value).
    PackageSummary,
    /// `user-product/list`: extras on every item; `trade_no` becomes an array,
    /// `["<the trade number>"]`.
    Packages,
    /// `static-ip-region`: extras on every item, nothing else.
    StaticIpRegions,
    /// `ip/get-static-ip`: extras on every item; `expired_at` becomes an object,
    /// `{"date": "<the timestamp>"}`; and `country` is added beside `country_code`, same value.
    StaticIps,
    /// `user-usage-flow/total`: extras on every item, nothing else.
    Traffic,
    /// `order/list`: extras on every item; `created_at` becomes an object,
    /// `{"date": "<the timestamp>"}`.
    Orders,
    /// `user/info`: the user object gains the extras; nothing else changes.
    UserInfo,
    /// `ip/dynamic-states`: extras on every country, nothing else.
    DynamicStates,
    /// `ip/dynamic-citys`: extras on every country, nothing else.
    DynamicCities,
}

impl Answer {
    /// Every answer drift applies to.
    pub const ALL: [Answer; 10] = [
        Answer::Accounts,
        Answer::PackageSummary,
        Answer::Packages,
        Answer::StaticIpRegions,
        Answer::StaticIps,
        Answer::Traffic,
        Answer::Orders,
        Answer::UserInfo,
        Answer::DynamicStates,
        Answer::DynamicCities,
    ];

    /// The known field whose type drift makes unreadable, on every item of this answer:
    /// accounts → `created_at` (an object), packages list → `trade_no` (an array), purchased
    /// static IPs → `expired_at` (an object), orders → `created_at` (an object); `None` for the
    /// summary, regions, traffic, the user and the dynamic pool, which only gain the extra
    /// fields. Chosen so that every item still shows and no metric value is made up: a defaulted
    /// `created_at` or `expired_at` leaves one sample out (an order's, its part in the oldest
    /// pending time), a defaulted `trade_no` is a label that becomes `unknown`.
    pub const fn broken_field(self) -> Option<&'static str> {
        match self {
            Answer::Accounts | Answer::Orders => Some("created_at"),
            Answer::Packages => Some("trade_no"),
            Answer::StaticIps => Some("expired_at"),
            Answer::PackageSummary
            | Answer::StaticIpRegions
            | Answer::Traffic
            | Answer::UserInfo
            | Answer::DynamicStates
            | Answer::DynamicCities => None,
        }
    }

    /// Whether the answer is a list (`data.list`) rather than one object.
    pub const fn is_list(self) -> bool {
        !matches!(self, Answer::PackageSummary | Answer::UserInfo)
    }
}

/// How many items that are not objects end every page of a drifted list.
pub const JUNK_ITEMS: usize = 4;

/// The items that end every page of a drifted list, in order: a string, a number, `null` and an
/// array.
pub fn junk_items() -> [Value; JUNK_ITEMS] {
    [json!("junk"), json!(42), Value::Null, json!([1])]
}

/// The unknown fields every drifted item gains: one of every JSON type (object, array, string,
/// number, boolean, null).
pub fn extra_fields() -> Map<String, Value> {
    let Value::Object(fields) = json!({
        "x_obj": {"a": 1},
        "x_arr": [1, "two"],
        "x_str": "s",
        "x_num": 1.5,
        "x_bool": true,
        "x_null": null,
    }) else {
        unreachable!("a JSON object literal")
    };
    fields
}

/// Bends `data`, the `data` of a successful answer of `answer`'s endpoint (one page of a list,
/// or the summary object), as described in the module documentation. A `data` of another shape
/// is left alone.
pub fn apply(answer: Answer, data: &mut Value) {
    if !answer.is_list() {
        if let Value::Object(object) = data {
            object.extend(extra_fields());
        }
        return;
    }
    let Some(Value::Array(list)) = data.get_mut("list") else {
        return;
    };
    for item in list.iter_mut() {
        if let Value::Object(fields) = item {
            bend_item(answer, fields);
        }
    }
    list.extend(junk_items());
}

fn bend_item(answer: Answer, fields: &mut Map<String, Value>) {
    fields.extend(extra_fields());
    if let Some(name) = answer.broken_field() {
        if let Some(value) = fields.get_mut(name) {
            let original = value.take();
            *value = match answer {
                Answer::Packages => json!([original]),
                _ => json!({ "date": original }),
            };
        }
    }
    if answer == Answer::StaticIps {
        if let Some(country) = fields.get("country_code").cloned() {
            fields.insert("country".into(), country);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drifted_page_keeps_its_items_and_totals_and_ends_with_four_non_objects() {
        let mut data = json!({
            "list": [{"id": 1, "trade_no": "T1"}, {"id": 2, "trade_no": "T2"}],
            "total_count": 2, "total_page": 1,
        });

        apply(Answer::Packages, &mut data);

        let list = data["list"].as_array().unwrap();
        assert_eq!(list.len(), 2 + JUNK_ITEMS);
        assert_eq!(list[2..], junk_items());
        assert_eq!(list[0]["trade_no"], json!(["T1"]));
        assert_eq!(list[1]["id"], 2);
        assert_eq!(list[1]["x_obj"], json!({"a": 1}));
        assert_eq!(
            (data["total_count"].clone(), data["total_page"].clone()),
            (json!(2), json!(1))
        );
    }

    #[test]
    fn a_drifted_static_ip_spells_its_country_twice_and_hides_its_expiry_in_an_object() {
        let mut data =
            json!({"list": [{"id": 1, "country_code": "US", "expired_at": "2030-01-01 00:00:00"}]});

        apply(Answer::StaticIps, &mut data);

        let item = &data["list"][0];
        assert_eq!(item["country"], "US");
        assert_eq!(item["country_code"], "US");
        assert_eq!(item["expired_at"], json!({"date": "2030-01-01 00:00:00"}));
    }

    #[test]
    fn the_summary_gains_only_the_extra_fields() {
        let mut data = json!({"total": 10, "used": 4});

        apply(Answer::PackageSummary, &mut data);

        let mut expected = json!({"total": 10, "used": 4});
        expected.as_object_mut().unwrap().extend(extra_fields());
        assert_eq!(data, expected);
    }

    #[test]
    fn the_extra_fields_cover_every_json_type() {
        let fields = extra_fields();
        assert!(fields.values().any(Value::is_object));
        assert!(fields.values().any(Value::is_array));
        assert!(fields.values().any(Value::is_string));
        assert!(fields.values().any(Value::is_number));
        assert!(fields.values().any(Value::is_boolean));
        assert!(fields.values().any(Value::is_null));
    }
}
