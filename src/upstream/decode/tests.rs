//! The drift cases found against an independent and a hostile implementation of the API, each
//! as a table row: what the upstream sent, what is read, what is counted.

use super::*;
use crate::upstream::model::{Account, DailyFlow, StaticIp, UserInfo};
use crate::upstream::ProductType;

fn accounts(raw: &str) -> (Vec<Account>, Drift) {
    let mut drift = Drift::default();
    let items = data_list::<Account>(Some(raw), &mut drift).expect("a list");
    (items, drift)
}

#[test]
fn extra_fields_of_any_type_and_second_spellings_drop_no_static_ip() {
    let raw = r#"{"list":[
        {"ip":"1.1.1.1","country_code":"US","country":"us","product_type":25,"status":1,
         "meta":{"a":[1,2]},"tags":["x",{"y":null}],"n":1.5,"b":true,"z":null},
        {"ip":"1.1.1.2","country":"DE","type":"14","state":"3","extra":[[[]]]},
        {"ip":"1.1.1.3","country_code":{"iso":"FR"},"cc":"FR","status":2}
    ]}"#;
    let mut drift = Drift::default();
    let ips = data_list::<StaticIp>(Some(raw), &mut drift).unwrap();
    assert_eq!(ips.len(), 3);
    assert_eq!(ips[0].country_code.as_deref(), Some("US"));
    assert_eq!(ips[1].country_code.as_deref(), Some("DE"));
    assert_eq!(ips[1].product_type, Some(ProductType::StaticDatacenterIp));
    assert_eq!(ips[1].status, Some(3));
    // The first readable spelling wins: `cc` is read where `country_code` cannot be.
    assert_eq!(ips[2].country_code.as_deref(), Some("FR"));
    assert_eq!(drift.skipped, 0);
    assert_eq!(drift.defaulted_total(), 0);
    for name in ["meta", "tags", "n", "b", "z", "extra"] {
        assert!(drift.unknown_fields.contains(name), "{name}");
    }
}

#[test]
fn a_status_of_an_unexpected_type_is_unknown_not_disabled() {
    let (items, drift) = accounts(
        r#"[{"id":1,"username":"a","status":{"on":true}},
                                      {"id":2,"username":"b","status":7},
                                      {"id":3,"username":"c","status":"1"}]"#,
    );
    assert_eq!(items[0].enabled, None);
    assert_eq!(items[1].enabled, None);
    assert_eq!(items[2].enabled, Some(true));
    assert_eq!(drift.defaulted.get("status"), Some(&2));
}

#[test]
fn a_flow_that_is_an_array_is_left_out_not_zero() {
    let mut drift = Drift::default();
    let days = data_list::<DailyFlow>(
        Some(r#"{"list":[{"day":"2026-01-01","flow":[1,2]},{"date":"2026-01-02","flow":"5"}]}"#),
        &mut drift,
    )
    .unwrap();
    assert_eq!(days[0].flow, None);
    assert_eq!(days[1].day.as_deref(), Some("2026-01-02"));
    assert_eq!(days[1].flow, Some(5.0));
    assert_eq!(drift.defaulted.get("flow"), Some(&1));
}

#[test]
fn a_negative_limit_or_an_overflowing_number_is_defaulted_not_unlimited() {
    let (items, drift) = accounts(
        r#"[{"id":1,"username":"a","limit_flow":-5,"usage_flow":1e400},
            {"id":2,"username":"b","limit_flow":0}]"#,
    );
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].limit_bytes(), None);
    assert_eq!(items[0].used_bytes(), None);
    assert_eq!(items[1].limit_bytes(), Some(f64::INFINITY));
    assert_eq!(drift.defaulted.get("limit_flow"), Some(&1));
    assert_eq!(drift.defaulted.get("usage_flow"), Some(&1));
}

#[test]
fn a_duplicate_key_keeps_the_item_and_the_last_value_wins() {
    let (items, drift) = accounts(r#"[{"id":1,"username":"first","username":"last"}]"#);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].username.as_deref(), Some("last"));
    assert_eq!(drift, Drift::default());
}

#[test]
fn items_that_are_not_objects_are_skipped_and_the_rest_kept() {
    let (items, drift) = accounts(r#"[{"id":1},"junk",42,null,[1],true,{"id":2}]"#);
    assert_eq!(items.len(), 2);
    assert_eq!(drift.skipped, 5);
}

#[test]
fn absent_and_null_fields_are_missing_not_defaulted() {
    let (items, drift) = accounts(r#"[{"id":1,"username":null,"created_at":""}]"#);
    assert_eq!(items[0].username, None);
    assert_eq!(items[0].created_at, None);
    assert_eq!(items[0].enabled, None);
    assert_eq!(drift.defaulted_total(), 0);
}

#[test]
fn a_lone_surrogate_is_replaced_in_a_value_and_in_a_key_and_the_item_kept() {
    let (items, drift) = accounts(r#"[{"id":1,"username":"a","remark":"x\ud800","\udc00":1}]"#);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].remark.as_deref(), Some("x\u{fffd}"));
    assert_eq!(drift.skipped, 0);
    assert_eq!(drift.defaulted_total(), 0);
    assert!(drift.unknown_fields.contains("\u{fffd}"));
}

#[test]
fn data_that_is_null_empty_or_without_its_list_is_an_error_not_an_empty_list() {
    let mut drift = Drift::default();
    for data in [
        None,
        Some("null"),
        Some(" null "),
        Some("{}"),
        Some(r#"{"list":null}"#),
    ] {
        let error = data_list::<Account>(data, &mut drift).unwrap_err();
        assert!(
            error.0.contains("`data`") || error.0.contains("`list`"),
            "{data:?}: {error}"
        );
    }
    assert!(data_object::<UserInfo>(None, &mut drift).is_err());
    assert!(data_object::<UserInfo>(Some("null"), &mut drift).is_err());
    assert_eq!(drift, Drift::default(), "nothing was read, nothing drifted");
}

#[test]
fn a_list_of_the_wrong_type_is_an_error_not_an_empty_list() {
    let mut drift = Drift::default();
    assert!(data_list::<Account>(Some(r#"{"list":{"a":1}}"#), &mut drift).is_err());
    assert!(data_list::<Account>(Some(r#""nothing""#), &mut drift).is_err());
    assert!(data_list::<Account>(Some(r#"{"list":[]}"#), &mut drift)
        .unwrap()
        .is_empty());
    assert!(data_list::<Account>(Some("[]"), &mut drift)
        .unwrap()
        .is_empty());
    let renamed = data_list::<Account>(Some(r#"{"items":[{"id":1}]}"#), &mut drift).unwrap_err();
    assert!(renamed.0.contains("items"), "{renamed}");
}

#[test]
fn text_after_an_object_means_it_is_not_one_object() {
    assert!(envelope(r#"{"code":200,"data":[]} <html>"#).is_none());
    let mut drift = Drift::default();
    assert!(object::<Account>(r#"{"id":1} x"#, &mut drift).is_err());
}

#[test]
fn the_envelope_reads_either_message_spelling() {
    let e = envelope(r#"{"code":"3","msg":"bad key","data":null}"#).unwrap();
    assert_eq!(e.code, Some(3));
    assert_eq!(e.message.as_deref(), Some("bad key"));
    assert_eq!(e.data, None);
    let e = envelope(r#"{"code":0,"message":"ok","msg":"other","data":{"a":1}}"#).unwrap();
    assert_eq!(e.message.as_deref(), Some("ok"));
    assert_eq!(e.data, Some(r#"{"a":1}"#));
    assert!(envelope("[1]").is_none());
}

#[test]
fn unknown_field_names_are_escaped_and_bounded() {
    let many: Vec<String> = (0..100).map(|i| format!("\"f{i}\":1")).collect();
    let raw = format!(r#"[{{"bad\nname":1,{}}}]"#, many.join(","));
    let (_, drift) = accounts(&raw);
    assert!(drift.unknown_fields.len() <= 32);
    assert!(drift.unknown_fields.iter().all(|n| !n.contains('\n')));
}

fn by_the_rule(items: Vec<Account>) -> (Vec<Account>, Drift) {
    let mut drift = Drift::default();
    let mut list = ListBuilder::default();
    list.extend(items, &mut drift).unwrap();
    (list.finish(), drift)
}

#[test]
fn an_item_with_none_of_its_identifying_fields_is_skipped_and_counted() {
    let (items, _) = accounts(r#"[{},{"remark":"x"},{"id":1},{"username":"u"}]"#);

    let (items, drift) = by_the_rule(items);

    assert_eq!(items.len(), 2);
    assert_eq!(drift.skipped, 2);
}

#[test]
fn a_repeated_item_is_skipped_and_counted_the_first_kept() {
    let (items, _) = accounts(
        r#"[{"id":1,"username":"a","remark":"first"},{"id":2,"username":"b"},{"id":1,"username":"a","remark":"again"}]"#,
    );

    let (items, drift) = by_the_rule(items);

    assert_eq!(items.len(), 2);
    assert_eq!(items[0].remark.as_deref(), Some("first"));
    assert_eq!(drift.skipped, 1);
}

#[test]
fn a_list_past_the_item_cap_fails_naming_the_cap() {
    let mut text = String::from("[");
    for i in 0..=super::MAX_LIST_ITEMS {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(r#"{{"id":{i}}}"#));
    }
    text.push(']');
    let mut drift = Drift::default();

    let error = list::<Account>(&text, &mut drift).unwrap_err();

    assert!(
        error.0.contains(&super::MAX_LIST_ITEMS.to_string()),
        "{error}"
    );
}

#[test]
fn three_million_empty_items_fail_at_the_cap_before_they_are_all_read() {
    let text = format!("[{}{{}}]", "{},".repeat(3_000_000));
    let mut drift = Drift::default();

    let error = list::<Account>(&text, &mut drift).unwrap_err();

    assert!(error.0.contains("more than"), "{error}");
}

#[test]
fn an_answer_that_is_not_an_object_is_described_by_what_it_is() {
    assert_eq!(describe_answer(b""), "an empty body");
    assert_eq!(describe_answer(b"  \n"), "an empty body");
    assert_eq!(
        describe_answer(&[0x1f, 0x8b, 8, 0, 1, 2]),
        "gzip-compressed bytes, not JSON"
    );
    assert_eq!(
        describe_answer(b"<!DOCTYPE html><html>502 Bad Gateway</html>"),
        "HTML or XML, not JSON"
    );
    assert_eq!(
        describe_answer(br#"{"code":200,"#),
        "invalid JSON at byte 11"
    );
    assert_eq!(
        describe_answer(b"{\n  \"a\": tru }"),
        "invalid JSON at byte 12"
    );
    assert_eq!(describe_answer(b"[1,2]"), "JSON a list, not an object");
    assert_eq!(describe_answer(b"42"), "JSON a number, not an object");
}

#[test]
fn a_list_that_is_not_valid_json_says_where_it_breaks_not_that_it_is_a_list() {
    let mut drift = Drift::default();
    let error = list::<Account>("[{\"id\": 1}, {\"id\": ]", &mut drift)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("not valid JSON") && error.contains("column"),
        "{error}"
    );
    assert!(!error.contains("got a list"), "{error}");
    let error = list::<Account>("{\"id\": 1}", &mut drift)
        .unwrap_err()
        .to_string();
    assert!(error.contains("expected a list, got an object"), "{error}");
}
