//! Property-based tests of the lenient upstream decoder (issue 10 point 5), through its
//! public API only: for every item type, a valid item drifted in every way the upstream has been
//! seen to drift (extra fields of any JSON type and depth, known fields of a type no reader can
//! read, second spellings, duplicate keys, escaped keys, keys and values with lone surrogate
//! escapes, items that are not objects) keeps every
//! item, defaults exactly the fields that were broken and counts exactly what it skipped; and no
//! input at all, bytes or JSON, makes a decoder panic.
//!
//! The number of cases is bounded for CI: 256 per property, or `PROPTEST_CASES`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use chrono::{NaiveDate, NaiveDateTime};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proxy911_exporter::upstream::decode::{
    data_list, data_object, envelope, ApiTime, Decode, Drift,
};
use proxy911_exporter::upstream::model::{
    Account, DailyFlow, DynamicCountry, DynamicPlace, Order, Package, PackageSummary, StaticIp,
    StaticIpRegion, UserInfo,
};
use proxy911_exporter::upstream::page::data_page;
use proxy911_exporter::upstream::ProductType;
use serde_json::Value;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary JSON
// ---------------------------------------------------------------------------------------------

/// A scalar `serde_json::Value` of any type.
fn value_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::String),
    ]
    .boxed()
}

/// A key of a nested object: short and colliding, or anything.
fn object_key() -> BoxedStrategy<String> {
    prop_oneof!["[a-c]{0,2}", any::<String>()].boxed()
}

/// A `serde_json::Value` of any type and depth.
fn json_value() -> BoxedStrategy<Value> {
    value_leaf()
        .prop_recursive(4, 24, 5, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..5).prop_map(Value::Array),
                vec((object_key(), inner), 0..5)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
        .boxed()
}

/// Valid JSON scalars that a `serde_json::Value` cannot hold or that readers treat specially:
/// out-of-range and signed-zero numbers, lone surrogates, control characters, empty and PHP zero
/// dates.
const ODD_SCALARS: &[&str] = &[
    "1e400",
    "-1e400",
    "-0",
    "-0.0",
    "0e0",
    "1E+2",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "5e-324",
    "1e-400",
    r#""\ud800""#,
    r#""\udfff\ud800x""#,
    r#""\u0000""#,
    r#""\u001b[31m\n""#,
    r#""\u2028""#,
    r#""0000-00-00 00:00:00""#,
    r#""""#,
    r#"" 7 ""#,
    "true",
    "false",
    "null",
];

fn scalar_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => value_leaf().prop_map(|v| v.to_string()),
        1 => select(ODD_SCALARS).prop_map(str::to_owned),
    ]
    .boxed()
}

/// A key as JSON text inside a nested value: anything a `String` holds, an escaped spelling,
/// a lone surrogate (valid JSON text that no `String` can hold), and a short one that collides.
fn nested_key_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => object_key().prop_map(|k| Value::String(k).to_string()),
        1 => select(&[r#""a""#, r#""\u0061""#, r#""\ud800""#, r#""status""#][..])
            .prop_map(str::to_owned),
    ]
    .boxed()
}

fn array_text(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

fn object_text(entries: &[(String, String)]) -> String {
    let entries: Vec<String> = entries.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("{{{}}}", entries.join(","))
}

/// Valid JSON text of any type and depth, beyond what a `Value` holds: duplicate keys, lone
/// surrogates, numbers out of range.
fn json_text() -> BoxedStrategy<String> {
    prop_oneof![
        2 => json_value().prop_map(|v| v.to_string()),
        1 => scalar_text().prop_recursive(4, 24, 5, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..5).prop_map(|items| array_text(&items)),
                vec((nested_key_text(), inner), 0..5).prop_map(|entries| object_text(&entries)),
            ]
        }),
    ]
    .boxed()
}

/// A value no field reader can read: an object or an array, empty or not.
fn unreadable_structure() -> BoxedStrategy<String> {
    prop_oneof![
        vec(json_text(), 0..4).prop_map(|items| array_text(&items)),
        vec((nested_key_text(), json_text()), 0..4).prop_map(|entries| object_text(&entries)),
    ]
    .boxed()
}

/// A list element that is not an object.
fn non_object_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => scalar_text(),
        1 => vec(json_text(), 0..4).prop_map(|items| array_text(&items)),
    ]
    .boxed()
}

/// Whitespace the JSON grammar allows between tokens.
fn whitespace() -> impl Strategy<Value = String> {
    "[ \t\r\n]{0,2}"
}

// ---------------------------------------------------------------------------------------------
// The model types as field specifications
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Text,
    Amount,
    /// A whole, non-negative count (read as an amount).
    Count,
    /// A documented 0/1 status: the numbers only.
    Switch,
    /// A yes/no: `true`/`false`, or 0/1 as a number or its text.
    Flag,
    Time,
    /// A calendar day, read as its `YYYY-MM-DD` text.
    Day,
}

/// 2^53: past it no value is read (a float no longer holds every integer).
const MAX_EXACT: i64 = 1 << 53;

/// A value the decoder should produce for one field.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Int(i64),
    Text(String),
    Amount(f64),
    Flag(bool),
    Time(ApiTime),
}

struct Field {
    /// The primary spelling.
    name: &'static str,
    kind: Kind,
    /// The other spellings, in the model's order of precedence.
    alternates: &'static [&'static str],
}

const fn field(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        alternates: &[],
    }
}

const fn spelled(name: &'static str, kind: Kind, alternates: &'static [&'static str]) -> Field {
    Field {
        name,
        kind,
        alternates,
    }
}

/// A model type described field by field, and how to build the value it should decode to.
trait Subject: Decode + Debug + PartialEq + 'static {
    const SPEC: &'static [Field];
    /// The item expected from one value (or `None`) per field of [`Subject::SPEC`].
    fn expected(values: &[Option<Val>]) -> Self;
}

fn int(value: &Option<Val>) -> Option<i64> {
    value.as_ref().map(|v| match v {
        Val::Int(n) => *n,
        other => panic!("not an int: {other:?}"),
    })
}

fn text(value: &Option<Val>) -> Option<String> {
    value.as_ref().map(|v| match v {
        Val::Text(s) => s.clone(),
        other => panic!("not a text: {other:?}"),
    })
}

fn amount(value: &Option<Val>) -> Option<f64> {
    value.as_ref().map(|v| match v {
        Val::Amount(f) => *f,
        other => panic!("not an amount: {other:?}"),
    })
}

fn flag(value: &Option<Val>) -> Option<bool> {
    value.as_ref().map(|v| match v {
        Val::Flag(b) => *b,
        other => panic!("not a flag: {other:?}"),
    })
}

fn time(value: &Option<Val>) -> Option<ApiTime> {
    value.as_ref().map(|v| match v {
        Val::Time(t) => *t,
        other => panic!("not a time: {other:?}"),
    })
}

impl Subject for Account {
    const SPEC: &'static [Field] = &[
        field("id", Kind::Int),
        field("username", Kind::Text),
        field("created_at", Kind::Time),
        field("remark", Kind::Text),
        field("product_type", Kind::Int),
        field("usage_flow", Kind::Amount),
        field("limit_flow", Kind::Amount),
        field("status", Kind::Switch),
    ];
    fn expected(v: &[Option<Val>]) -> Self {
        Account {
            id: int(&v[0]),
            username: text(&v[1]),
            created_at: time(&v[2]),
            remark: text(&v[3]),
            product_type: int(&v[4]).map(ProductType::from_code),
            usage_flow: amount(&v[5]),
            limit_flow: amount(&v[6]),
            enabled: flag(&v[7]),
        }
    }
}

impl Subject for PackageSummary {
    const SPEC: &'static [Field] = &[
        field("total", Kind::Amount),
        field("total_count", Kind::Count),
        field("effective", Kind::Amount),
        field("effective_count", Kind::Count),
        field("temporary", Kind::Amount),
        field("temporary_count", Kind::Count),
        field("expired", Kind::Amount),
        field("expired_count", Kind::Count),
        field("used", Kind::Amount),
    ];
    fn expected(v: &[Option<Val>]) -> Self {
        PackageSummary {
            total: amount(&v[0]),
            total_count: amount(&v[1]),
            effective: amount(&v[2]),
            effective_count: amount(&v[3]),
            temporary: amount(&v[4]),
            temporary_count: amount(&v[5]),
            expired: amount(&v[6]),
            expired_count: amount(&v[7]),
            used: amount(&v[8]),
        }
    }
}

impl Subject for Package {
    const SPEC: &'static [Field] = &[
        field("id", Kind::Int),
        field("created_at", Kind::Time),
        field("expired_at", Kind::Time),
        field("product_type", Kind::Int),
        field("trade_no", Kind::Text),
    ];
    fn expected(v: &[Option<Val>]) -> Self {
        Package {
            id: int(&v[0]),
            created_at: time(&v[1]),
            expired_at: time(&v[2]),
            product_type: int(&v[3]).map(ProductType::from_code),
            trade_no: text(&v[4]),
        }
    }
}

impl Subject for StaticIpRegion {
    const SPEC: &'static [Field] = &[field("code", Kind::Text), field("number", Kind::Count)];
    fn expected(v: &[Option<Val>]) -> Self {
        StaticIpRegion {
            code: text(&v[0]),
            number: amount(&v[1]),
        }
    }
}

impl Subject for StaticIp {
    const SPEC: &'static [Field] = &[
        field("ip", Kind::Text),
        spelled(
            "country_code",
            Kind::Text,
            &["country", "cc", "region", "country_code_iso"],
        ),
        spelled("product_type", Kind::Int, &["type"]),
        spelled("status", Kind::Int, &["state", "ip_status"]),
        spelled("expired_at", Kind::Time, &["expire_at", "expired_time"]),
    ];
    fn expected(v: &[Option<Val>]) -> Self {
        StaticIp {
            ip: text(&v[0]),
            country_code: text(&v[1]),
            product_type: int(&v[2]).map(ProductType::from_code),
            status: int(&v[3]),
            expired_at: time(&v[4]),
        }
    }
}

impl Subject for DailyFlow {
    const SPEC: &'static [Field] = &[
        spelled("day", Kind::Day, &["date"]),
        field("flow", Kind::Amount),
    ];
    fn expected(v: &[Option<Val>]) -> Self {
        DailyFlow {
            day: text(&v[0]),
            flow: amount(&v[1]),
        }
    }
}

impl Subject for Order {
    const SPEC: &'static [Field] = &[
        field("id", Kind::Int),
        field("product_type", Kind::Int),
        field("status", Kind::Int),
        field("pay_fee", Kind::Amount),
        field("created_at", Kind::Time),
    ];
    fn expected(v: &[Option<Val>]) -> Self {
        Order {
            id: int(&v[0]),
            product_type: int(&v[1]).map(ProductType::from_code),
            status: int(&v[2]),
            pay_fee: amount(&v[3]),
            created_at: time(&v[4]),
        }
    }
}

impl Subject for UserInfo {
    const SPEC: &'static [Field] = &[
        field("balance", Kind::Amount),
        field("is_real_name", Kind::Flag),
    ];
    fn expected(v: &[Option<Val>]) -> Self {
        UserInfo {
            balance: amount(&v[0]),
            real_name_verified: flag(&v[1]),
        }
    }
}

/// A country's `items` (its places) is a list, not a field of a kind: the drifted items here
/// have none, and the places of a country are drifted on their own
/// (`every_drifted_place_of_a_country_is_kept_with_exactly_its_broken_fields_defaulted`).
impl Subject for DynamicCountry {
    const SPEC: &'static [Field] = &[field("country_code", Kind::Text)];
    fn expected(v: &[Option<Val>]) -> Self {
        DynamicCountry {
            country_code: text(&v[0]),
            places: None,
        }
    }
}

impl Subject for DynamicPlace {
    const SPEC: &'static [Field] = &[field("state", Kind::Text), field("city", Kind::Text)];
    fn expected(v: &[Option<Val>]) -> Self {
        DynamicPlace {
            state: text(&v[0]),
            city: text(&v[1]),
        }
    }
}

/// Every spelling the type reads or deliberately ignores.
fn is_known<T: Decode>(name: &str) -> bool {
    T::FIELDS.contains(&name) || T::IGNORED.contains(&name)
}

// ---------------------------------------------------------------------------------------------
// Valid values, and values a given reader cannot read
// ---------------------------------------------------------------------------------------------

fn cut(s: &str) -> String {
    s.chars().take(256).collect()
}

fn naive_datetime() -> impl Strategy<Value = NaiveDateTime> {
    (
        1970i32..2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_map(|(y, mo, d, h, mi, s)| {
            NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|date| date.and_hms_opt(h, mi, s))
                .expect("a valid date")
        })
}

/// Lone surrogate escapes inside a JSON string, and the text they are read as.
const LONE_SURROGATES: &[(&str, &str)] = &[
    (r"\ud800", "\u{fffd}"),
    (r"a\udc00", "a\u{fffd}"),
    (r"\udfff\ud800x", "\u{fffd}\u{fffd}x"),
    (r"\ud83d\ude00\ud83d", "\u{1f600}\u{fffd}"),
];

/// A value the reader of `kind` reads, as JSON text, and what it reads.
fn valid(kind: Kind) -> BoxedStrategy<(String, Val)> {
    match kind {
        Kind::Int => prop_oneof![
            (-MAX_EXACT..=MAX_EXACT).prop_map(|n| (n.to_string(), Val::Int(n))),
            (-MAX_EXACT..=MAX_EXACT).prop_map(|n| (format!("\"{n}\""), Val::Int(n))),
            (-MAX_EXACT..=MAX_EXACT).prop_map(|n| (format!("{n}.0"), Val::Int(n))),
        ]
        .boxed(),
        Kind::Count => prop_oneof![
            (0..=MAX_EXACT).prop_map(|n| (n.to_string(), Val::Amount(n as f64))),
            (0..=MAX_EXACT).prop_map(|n| (format!("\"{n}\""), Val::Amount(n as f64))),
            (0..=MAX_EXACT).prop_map(|n| (format!("{n}.0"), Val::Amount(n as f64))),
        ]
        .boxed(),
        Kind::Switch => prop_oneof![
            any::<bool>().prop_map(|b| (u8::from(b).to_string(), Val::Flag(b))),
            any::<bool>().prop_map(|b| (format!("\"{}\"", u8::from(b)), Val::Flag(b))),
        ]
        .boxed(),
        Kind::Flag => prop_oneof![
            any::<bool>().prop_map(|b| (b.to_string(), Val::Flag(b))),
            any::<bool>().prop_map(|b| (u8::from(b).to_string(), Val::Flag(b))),
            any::<bool>().prop_map(|b| (format!("\"{}\"", u8::from(b)), Val::Flag(b))),
        ]
        .boxed(),
        Kind::Day => prop_oneof![
            naive_datetime().prop_map(|t| (
                format!("\"{}\"", t.format("%Y-%m-%d")),
                Val::Text(t.format("%Y-%m-%d").to_string())
            )),
            naive_datetime().prop_map(|t| (
                format!("\"{}\"", t.format("%Y-%m-%d %H:%M:%S")),
                Val::Text(t.format("%Y-%m-%d").to_string())
            )),
        ]
        .boxed(),
        Kind::Text => prop_oneof![
            3 => any::<String>().prop_map(|s| (Value::String(s.clone()).to_string(), Val::Text(cut(&s)))),
            1 => "\\PC{250,300}".prop_map(|s| (Value::String(s.clone()).to_string(), Val::Text(cut(&s)))),
            1 => any::<u32>().prop_map(|n| (n.to_string(), Val::Text(n.to_string()))),
            // A lone surrogate escape is valid JSON text; it is read as U+FFFD.
            1 => select(LONE_SURROGATES).prop_map(|(json, text)| {
                (format!("\"{json}\""), Val::Text(text.to_owned()))
            }),
        ]
        .boxed(),
        Kind::Amount => prop_oneof![
            any::<f64>().prop_map(|f| {
                let f = if f.is_finite() && f.abs() <= MAX_EXACT as f64 { f.abs() } else { 0.0 };
                (Value::from(f).to_string(), Val::Amount(f))
            }),
            any::<u32>().prop_map(|n| (n.to_string(), Val::Amount(f64::from(n)))),
            any::<u32>().prop_map(|n| (format!("\"{n}\""), Val::Amount(f64::from(n)))),
            Just(("-0".to_owned(), Val::Amount(0.0))),
        ]
        .boxed(),
        Kind::Time => prop_oneof![
            naive_datetime().prop_map(|t| (
                format!("\"{}\"", t.format("%Y-%m-%d %H:%M:%S")),
                Val::Time(ApiTime::Local(t))
            )),
            naive_datetime().prop_map(|t| (
                format!("\"{}\"", t.format("%Y-%m-%dT%H:%M:%S")),
                Val::Time(ApiTime::Local(t))
            )),
            naive_datetime().prop_map(|t| (
                format!("\"{}\"", t.format("%Y-%m-%d")),
                Val::Time(ApiTime::Local(t.date().and_hms_opt(0, 0, 0).unwrap()))
            )),
            naive_datetime().prop_map(|t| (
                format!("\"{}Z\"", t.format("%Y-%m-%dT%H:%M:%S")),
                Val::Time(ApiTime::Unix(t.and_utc().timestamp()))
            )),
            (0i64..4_102_444_800).prop_map(|n| (n.to_string(), Val::Time(ApiTime::Unix(n)))),
        ]
        .boxed(),
    }
}

/// A value the reader of `kind` cannot read: a structure, or a scalar of the wrong kind.
fn unreadable(kind: Kind) -> BoxedStrategy<String> {
    let scalars: &'static [&'static str] = match kind {
        Kind::Int => &[
            "4.5",
            "1e300",
            "1e400",
            r#""x""#,
            r#""""#,
            r#""\ud800""#,
            "true",
            "false",
            "9007199254740993",
            "-9007199254740993",
        ],
        Kind::Count => &[
            "1.5",
            "-1",
            "1e300",
            "true",
            r#""x""#,
            r#""""#,
            "9007199254740993",
        ],
        Kind::Switch => &["2", "-1", "0.5", "true", "false", r#""yes""#, r#""""#],
        Kind::Flag => &["2", "-1", "0.5", r#""true""#, r#""yes""#, r#""""#],
        Kind::Day => &[
            r#""2026-13-45""#,
            r#""2026-02-30""#,
            r#""x000000001""#,
            r#""2026-12-01junk""#,
            "20261201",
            "true",
        ],
        Kind::Text => &["true", "false"],
        Kind::Amount => &[
            "-1",
            "-1e-300",
            "1e400",
            r#""-5""#,
            r#""NaN""#,
            r#""inf""#,
            r#""""#,
            "true",
            "18446744073709551616",
        ],
        Kind::Time => &[r#""soon""#, "-5", "1.5", "1e400", "true", r#""2026-13-01""#],
    };
    prop_oneof![
        unreadable_structure(),
        select(scalars).prop_map(str::to_owned)
    ]
    .boxed()
}

/// A value the reader of `kind` treats as missing although it is present (not `null`).
fn present_but_missing(kind: Kind) -> Option<&'static [&'static str]> {
    match kind {
        Kind::Time => Some(&[r#""""#, r#""  ""#, r#""0000-00-00 00:00:00""#]),
        Kind::Day => Some(&[r#""""#, r#""  ""#]),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Property 1: a valid item, drifted
// ---------------------------------------------------------------------------------------------

/// What happens to one field of one item.
#[derive(Debug, Clone)]
struct FieldPlan {
    valid: (String, Val),
    /// Broken: the primary spelling holds an object or an array.
    broken: Option<String>,
    /// Second spellings with arbitrary values; when the field is broken, each is wrapped in an
    /// array or an object so that it cannot be read either.
    alternates: Vec<Option<String>>,
    /// An earlier occurrence of the primary key, with any value: the last one wins.
    earlier_duplicate: Option<String>,
    /// The primary key written with `\uXXXX` escapes.
    escaped_key: bool,
}

fn field_plan(field: &Field) -> BoxedStrategy<FieldPlan> {
    let n = field.alternates.len();
    (
        valid(field.kind),
        prop::option::weighted(0.3, unreadable_structure()),
        vec(prop::option::of(json_text()), n),
        prop::option::weighted(0.15, json_text()),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(valid, broken, alternates, earlier_duplicate, escaped_key)| FieldPlan {
                valid,
                broken,
                alternates,
                earlier_duplicate,
                escaped_key,
            },
        )
        .boxed()
}

/// A field name other than the type's: plain, arbitrary, or a near miss of a known one.
fn extra_name() -> BoxedStrategy<String> {
    prop_oneof![
        2 => "[a-z_]{1,12}",
        1 => any::<String>(),
        1 => (
            select(&["status", "id", "flow", "country_code", "type", "list", "data"][..]),
            select(&["_", "s", " ", "X", "\u{0}"][..]),
            any::<bool>(),
        )
            .prop_map(|(name, affix, before)| if before {
                format!("{affix}{name}")
            } else {
                format!("{name}{affix}")
            }),
        1 => select(&["Status", "ID", "Username", "password_hash", "list"][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

/// One drifted item: its JSON text and what decoding it must give.
#[derive(Debug, Clone)]
struct Item {
    text: String,
    /// Per field of the spec: the value read, `None` for a broken field.
    values: Vec<Option<Val>>,
    /// Primary spellings of the broken fields.
    broken: Vec<&'static str>,
    /// Names of the extra fields.
    extra_names: Vec<String>,
}

fn key_text(name: &str, escaped: bool) -> String {
    if escaped {
        let escapes: String = name
            .encode_utf16()
            .map(|unit| format!("\\u{unit:04x}"))
            .collect();
        format!("\"{escapes}\"")
    } else {
        Value::String(name.to_owned()).to_string()
    }
}

fn item<T: Subject>() -> BoxedStrategy<Item> {
    let fields: Vec<BoxedStrategy<FieldPlan>> = T::SPEC.iter().map(field_plan).collect();
    (
        fields,
        vec((extra_name(), json_text()), 0..5),
        vec((select(LONE_SURROGATES), json_text()), 0..2),
        vec(prop::option::of(json_text()), T::IGNORED.len()),
        vec(any::<u32>(), 32),
        whitespace(),
    )
        .prop_map(|(plans, extras, surrogate_extras, ignored, order, ws)| {
            build_item::<T>(plans, extras, surrogate_extras, ignored, &order, &ws)
        })
        .boxed()
}

fn build_item<T: Subject>(
    plans: Vec<FieldPlan>,
    extras: Vec<(String, String)>,
    surrogate_extras: Vec<((&str, &str), String)>,
    ignored: Vec<Option<String>>,
    order: &[u32],
    ws: &str,
) -> Item {
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut earlier: Vec<(String, String)> = Vec::new();
    let mut values = Vec::new();
    let mut broken = Vec::new();
    for (field, plan) in T::SPEC.iter().zip(plans) {
        let key = key_text(field.name, plan.escaped_key);
        if let Some(value) = plan.earlier_duplicate {
            earlier.push((key_text(field.name, false), value));
        }
        match plan.broken {
            Some(bad) => {
                entries.push((key, bad));
                broken.push(field.name);
                values.push(None);
                for (i, (alternate, value)) in
                    field.alternates.iter().zip(plan.alternates).enumerate()
                {
                    if let Some(value) = value {
                        let unreadable = if i % 2 == 0 {
                            format!("[{value}]")
                        } else {
                            format!(r#"{{"v":{value}}}"#)
                        };
                        entries.push((key_text(alternate, false), unreadable));
                    }
                }
            }
            None => {
                let (json, value) = plan.valid;
                entries.push((key, json));
                values.push(Some(value));
                for (alternate, value) in field.alternates.iter().zip(plan.alternates) {
                    if let Some(value) = value {
                        entries.push((key_text(alternate, false), value));
                    }
                }
            }
        }
    }
    let mut extra_names = Vec::new();
    for (name, value) in extras {
        if !is_known::<T>(&name) {
            entries.push((key_text(&name, false), value));
            extra_names.push(name);
        }
    }
    // Keys with a lone surrogate escape: still an object, the key read with U+FFFD.
    for ((json, name), value) in surrogate_extras {
        entries.push((format!("\"{json}\""), value));
        extra_names.push(name.to_owned());
    }
    for (name, value) in T::IGNORED.iter().zip(ignored) {
        if let Some(value) = value {
            entries.push((key_text(name, false), value));
        }
    }
    // Any order of the fields; the earlier duplicates come before every other occurrence.
    let mut shuffled: Vec<(u32, usize, (String, String))> = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| (order[i % order.len()], i, entry))
        .collect();
    shuffled.sort_by_key(|(rank, i, _)| (*rank, *i));
    let all: Vec<String> = earlier
        .into_iter()
        .chain(shuffled.into_iter().map(|(_, _, entry)| entry))
        .map(|(k, v)| format!("{ws}{k}{ws}:{ws}{v}{ws}"))
        .collect();
    Item {
        text: format!("{{{}}}", all.join(",")),
        values,
        broken,
        extra_names,
    }
}

/// A drifted list: items, with values that are not objects inserted anywhere.
#[derive(Debug, Clone)]
struct ListCase {
    items: Vec<Item>,
    non_objects: u64,
    /// The list's JSON text (an array).
    list: String,
    ws: String,
}

fn list_case<T: Subject>() -> BoxedStrategy<ListCase> {
    (
        vec(item::<T>(), 0..6),
        vec((any::<Index>(), non_object_text()), 0..5),
        whitespace(),
    )
        .prop_map(|(items, inserted, ws)| {
            let mut elements: Vec<String> = items.iter().map(|item| item.text.clone()).collect();
            for (at, value) in &inserted {
                elements.insert(at.index(elements.len() + 1), value.clone());
            }
            let list = format!("[{ws}{}{ws}]", elements.join(&format!("{ws},{ws}")));
            ListCase {
                items,
                non_objects: inserted.len() as u64,
                list,
                ws,
            }
        })
        .boxed()
}

/// Checks decoded items and their drift against the items they were made from. `extra_unknown`
/// are further unknown names the decoder has seen (around the list).
fn check_items<T: Subject>(
    got: &[T],
    drift: &Drift,
    items: &[Item],
    non_objects: u64,
    extra_unknown: &[String],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), items.len(), "the item count dropped");
    prop_assert_eq!(drift.skipped, non_objects);
    let mut defaulted: BTreeMap<&'static str, u64> = BTreeMap::new();
    for item in items {
        for field in &item.broken {
            *defaulted.entry(*field).or_default() += 1;
        }
    }
    prop_assert_eq!(&drift.defaulted, &defaulted);
    for (got, item) in got.iter().zip(items) {
        prop_assert_eq!(got, &T::expected(&item.values), "item {}", item.text);
    }
    // Unknown names: never a known one, bounded, and every plain one kept while there is room.
    prop_assert!(drift.unknown_fields.len() <= 32);
    for name in &drift.unknown_fields {
        prop_assert!(!is_known::<T>(name), "{} reported as unknown", name);
        prop_assert!(!name.chars().any(char::is_control), "{:?}", name);
    }
    let names: BTreeSet<&String> = items
        .iter()
        .flat_map(|item| &item.extra_names)
        .chain(extra_unknown)
        .collect();
    if !names.is_empty() {
        prop_assert!(!drift.unknown_fields.is_empty());
    }
    if names.len() <= 32 {
        for name in names {
            let plain = name.chars().count() <= 64
                && !name
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}'));
            if plain {
                prop_assert!(drift.unknown_fields.contains(name.as_str()), "{:?}", name);
            }
        }
    }
    Ok(())
}

/// `data_list` of a drifted list, bare or in its `{"list": ...}` object.
fn check_data_list<T: Subject>(case: &ListCase, wrapped: bool) -> Result<(), TestCaseError> {
    let ws = &case.ws;
    let data = if wrapped {
        format!(
            r#"{{{ws}"page"{ws}:{ws}1,"list"{ws}:{ws}{}{ws},"x_total":{{"a":[1]}}}}"#,
            case.list
        )
    } else {
        case.list.clone()
    };
    let mut drift = Drift::default();
    let got = data_list::<T>(Some(&data), &mut drift).expect("a list is read");
    check_items(&got, &drift, &case.items, case.non_objects, &[])
}

/// `data_page` of a drifted list, bare or in a page object with pagination and an unknown field.
fn check_data_page<T: Subject>(
    case: &ListCase,
    wrapped: bool,
    page_extra: &str,
) -> Result<(), TestCaseError> {
    let ws = &case.ws;
    let data = if wrapped {
        format!(
            r#"{{{ws}"list"{ws}:{ws}{}{ws},"page":2,"page_size":"10","total_count":{},"x_page_extra":{page_extra}}}"#,
            case.list,
            case.items.len()
        )
    } else {
        case.list.clone()
    };
    let mut drift = Drift::default();
    let page = data_page::<T>(Some(&data), &mut drift).expect("a page is read");
    let unknown = if wrapped {
        vec!["x_page_extra".to_owned()]
    } else {
        vec![]
    };
    check_items(&page.list, &drift, &case.items, case.non_objects, &unknown)?;
    if wrapped {
        prop_assert_eq!(page.page_size, Some(10));
        prop_assert_eq!(page.total_count, Some(case.items.len() as i64));
    }
    Ok(())
}

/// `data_object` of one drifted item, through an envelope.
fn check_data_object<T: Subject>(item: &Item) -> Result<(), TestCaseError> {
    let answer = format!(r#"{{"code":200,"msg":"ok","data":{}}}"#, item.text);
    let envelope = envelope(&answer).expect("an envelope");
    prop_assert_eq!(envelope.code, Some(200));
    let mut drift = Drift::default();
    let got = data_object::<T>(envelope.data, &mut drift).expect("an object is read");
    check_items(
        std::slice::from_ref(&got),
        &drift,
        std::slice::from_ref(item),
        0,
        &[],
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_drifted_account_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<Account>(), wrapped in any::<bool>()
    ) {
        check_data_list::<Account>(&case, wrapped)?;
    }

    #[test]
    fn a_drifted_package_summary_keeps_every_readable_field_and_defaults_exactly_the_broken_ones(
        item in item::<PackageSummary>()
    ) {
        check_data_object::<PackageSummary>(&item)?;
    }

    #[test]
    fn every_drifted_package_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<Package>(), wrapped in any::<bool>()
    ) {
        check_data_list::<Package>(&case, wrapped)?;
    }

    #[test]
    fn every_drifted_package_on_a_page_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<Package>(), wrapped in any::<bool>(), extra in json_text()
    ) {
        check_data_page::<Package>(&case, wrapped, &extra)?;
    }

    #[test]
    fn every_drifted_static_ip_region_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<StaticIpRegion>(), wrapped in any::<bool>()
    ) {
        check_data_list::<StaticIpRegion>(&case, wrapped)?;
    }

    #[test]
    fn every_drifted_static_ip_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<StaticIp>(), wrapped in any::<bool>()
    ) {
        check_data_list::<StaticIp>(&case, wrapped)?;
    }

    #[test]
    fn every_drifted_static_ip_on_a_page_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<StaticIp>(), wrapped in any::<bool>(), extra in json_text()
    ) {
        check_data_page::<StaticIp>(&case, wrapped, &extra)?;
    }

    #[test]
    fn every_drifted_daily_flow_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<DailyFlow>(), wrapped in any::<bool>()
    ) {
        check_data_list::<DailyFlow>(&case, wrapped)?;
    }

    #[test]
    fn every_drifted_order_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<Order>(), wrapped in any::<bool>()
    ) {
        check_data_list::<Order>(&case, wrapped)?;
    }

    #[test]
    fn every_drifted_order_on_a_page_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<Order>(), wrapped in any::<bool>(), extra in json_text()
    ) {
        check_data_page::<Order>(&case, wrapped, &extra)?;
    }

    #[test]
    fn a_drifted_user_info_keeps_every_readable_field_and_defaults_exactly_the_broken_ones(
        item in item::<UserInfo>()
    ) {
        check_data_object::<UserInfo>(&item)?;
    }

    #[test]
    fn every_drifted_dynamic_country_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<DynamicCountry>(), wrapped in any::<bool>()
    ) {
        check_data_list::<DynamicCountry>(&case, wrapped)?;
    }

    #[test]
    fn every_drifted_dynamic_place_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<DynamicPlace>(), wrapped in any::<bool>()
    ) {
        check_data_list::<DynamicPlace>(&case, wrapped)?;
    }

    #[test]
    fn every_drifted_place_of_a_country_is_kept_with_exactly_its_broken_fields_defaulted(
        case in list_case::<DynamicPlace>(), code in valid(Kind::Text)
    ) {
        let (code_json, code) = code;
        let ws = &case.ws;
        let data = format!(
            r#"[{{{ws}"items"{ws}:{ws}{}{ws},"country_code":{code_json}}}]"#,
            case.list
        );
        let mut drift = Drift::default();
        let got = data_list::<DynamicCountry>(Some(&data), &mut drift).expect("a list is read");
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(&got[0].country_code, &text(&Some(code)));
        let places = got[0].places.as_deref().expect("`items` is a list: it is read");
        check_items::<DynamicPlace>(places, &drift, &case.items, case.non_objects, &[])?;
    }

    #[test]
    fn a_country_whose_items_are_not_a_list_is_kept_with_items_defaulted(
        items in prop_oneof![
            scalar_text(),
            vec((nested_key_text(), json_text()), 0..4).prop_map(|e| object_text(&e)),
        ],
        code in valid(Kind::Text)
    ) {
        let (code_json, code) = code;
        let data = format!(r#"[{{"country_code":{code_json},"items":{items}}}]"#);
        let mut drift = Drift::default();
        let got = data_list::<DynamicCountry>(Some(&data), &mut drift).expect("a list is read");
        prop_assert_eq!(got.len(), 1);
        let expected = if items == "null" {
            BTreeMap::new()
        } else {
            BTreeMap::from([("items", 1)])
        };
        let country = DynamicCountry { country_code: text(&Some(code)), places: None };
        prop_assert_eq!(&got[0], &country);
        prop_assert_eq!(&drift.defaulted, &expected, "{}", data);
        prop_assert_eq!(drift.skipped, 0);
    }

    #[test]
    fn any_drifted_item_read_as_a_single_object_gives_the_same_as_in_a_list(
        account in item::<Account>(),
        package in item::<Package>(),
        region in item::<StaticIpRegion>(),
        ip in item::<StaticIp>(),
        day in item::<DailyFlow>(),
        order in item::<Order>(),
        country in item::<DynamicCountry>(),
        place in item::<DynamicPlace>(),
    ) {
        check_data_object::<Account>(&account)?;
        check_data_object::<Package>(&package)?;
        check_data_object::<StaticIpRegion>(&region)?;
        check_data_object::<StaticIp>(&ip)?;
        check_data_object::<DailyFlow>(&day)?;
        check_data_object::<Order>(&order)?;
        check_data_object::<DynamicCountry>(&country)?;
        check_data_object::<DynamicPlace>(&place)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Property 1, the precise rules: spellings, precedence, missing versus defaulted
// ---------------------------------------------------------------------------------------------

/// What one spelling of one field holds.
#[derive(Debug, Clone)]
enum Spelling {
    Absent,
    Null,
    /// Present, but read as missing (an empty timestamp).
    PresentButMissing(String),
    Unreadable(String),
    Readable(String, Val),
}

fn spelling(kind: Kind) -> BoxedStrategy<Spelling> {
    let missing = match present_but_missing(kind) {
        Some(values) => select(values)
            .prop_map(|v| Spelling::PresentButMissing(v.to_owned()))
            .boxed(),
        None => Just(Spelling::Null).boxed(),
    };
    prop_oneof![
        2 => Just(Spelling::Absent),
        1 => Just(Spelling::Null),
        1 => missing,
        2 => unreadable(kind).prop_map(Spelling::Unreadable),
        2 => valid(kind).prop_map(|(json, value)| Spelling::Readable(json, value)),
    ]
    .boxed()
}

/// Per field of `T`, one [`Spelling`] per spelling (primary first).
fn spellings<T: Subject>() -> BoxedStrategy<Vec<Vec<Spelling>>> {
    let fields: Vec<BoxedStrategy<Vec<Spelling>>> = T::SPEC
        .iter()
        .map(|f| vec(spelling(f.kind), 1 + f.alternates.len()).boxed())
        .collect();
    fields.boxed()
}

/// The documented rule, independently: the first readable spelling wins; if none can be read,
/// the field is defaulted under the first spelling that is present with an unreadable value;
/// absent, `null` and an empty timestamp are missing.
fn check_precedence<T: Subject>(
    spellings: &[Vec<Spelling>],
    order: &[u32],
) -> Result<(), TestCaseError> {
    let mut entries = Vec::new();
    let mut values = Vec::new();
    let mut defaulted: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (field, states) in T::SPEC.iter().zip(spellings) {
        let names = std::iter::once(&field.name).chain(field.alternates);
        let mut value = None;
        let mut first_unreadable = None;
        for (name, state) in names.zip(states) {
            let json = match state {
                Spelling::Absent => continue,
                Spelling::Null => "null".to_owned(),
                Spelling::PresentButMissing(json) => json.clone(),
                Spelling::Unreadable(json) => {
                    first_unreadable.get_or_insert(*name);
                    json.clone()
                }
                Spelling::Readable(json, read) => {
                    if value.is_none() {
                        value = Some(read.clone());
                    }
                    json.clone()
                }
            };
            entries.push(format!("{}:{json}", key_text(name, false)));
        }
        if value.is_none() {
            if let Some(name) = first_unreadable {
                *defaulted.entry(name).or_default() += 1;
            }
        }
        values.push(value);
    }
    // The order of the keys in the object does not matter, only the order of precedence.
    let mut ranked: Vec<(u32, usize, String)> = entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| (order[i % order.len()], i, e))
        .collect();
    ranked.sort_by_key(|(rank, i, _)| (*rank, *i));
    let entries: Vec<String> = ranked.into_iter().map(|(_, _, e)| e).collect();
    let text = format!("[{{{}}}]", entries.join(","));

    let mut drift = Drift::default();
    let got = data_list::<T>(Some(&text), &mut drift).expect("a list is read");
    prop_assert_eq!(got.len(), 1);
    prop_assert_eq!(&got[0], &T::expected(&values), "{}", text);
    prop_assert_eq!(&drift.defaulted, &defaulted, "{}", text);
    prop_assert_eq!(drift.skipped, 0);
    prop_assert!(drift.unknown_fields.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_account_field_is_read_missing_or_defaulted_exactly_as_documented(
        s in spellings::<Account>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<Account>(&s, &order)?;
    }

    #[test]
    fn a_package_summary_field_is_read_missing_or_defaulted_exactly_as_documented(
        s in spellings::<PackageSummary>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<PackageSummary>(&s, &order)?;
    }

    #[test]
    fn a_package_field_is_read_missing_or_defaulted_exactly_as_documented(
        s in spellings::<Package>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<Package>(&s, &order)?;
    }

    #[test]
    fn a_static_ip_region_field_is_read_missing_or_defaulted_exactly_as_documented(
        s in spellings::<StaticIpRegion>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<StaticIpRegion>(&s, &order)?;
    }

    #[test]
    fn the_first_readable_spelling_of_a_static_ip_field_wins_and_only_an_unreadable_one_is_defaulted(
        s in spellings::<StaticIp>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<StaticIp>(&s, &order)?;
    }

    #[test]
    fn day_wins_over_date_when_readable_and_only_an_unreadable_one_is_defaulted(
        s in spellings::<DailyFlow>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<DailyFlow>(&s, &order)?;
    }

    #[test]
    fn an_order_field_is_read_missing_or_defaulted_exactly_as_documented(
        s in spellings::<Order>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<Order>(&s, &order)?;
    }

    #[test]
    fn a_user_info_field_is_read_missing_or_defaulted_exactly_as_documented(
        s in spellings::<UserInfo>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<UserInfo>(&s, &order)?;
    }

    #[test]
    fn a_dynamic_country_field_is_read_missing_or_defaulted_exactly_as_documented(
        s in spellings::<DynamicCountry>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<DynamicCountry>(&s, &order)?;
    }

    #[test]
    fn a_dynamic_place_field_is_read_missing_or_defaulted_exactly_as_documented(
        s in spellings::<DynamicPlace>(), order in vec(any::<u32>(), 16)
    ) {
        check_precedence::<DynamicPlace>(&s, &order)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Property 2: no input makes a decoder panic
// ---------------------------------------------------------------------------------------------

/// Every decoder of every type on `data`, directly and inside an envelope; errors are fine.
fn decode_everything(data: &str) {
    fn all<T: Decode + Debug>(data: Option<&str>) {
        let mut drift = Drift::default();
        let _ = data_list::<T>(data, &mut drift);
        let _ = data_page::<T>(data, &mut drift);
        let _ = data_object::<T>(data, &mut drift);
    }
    let _ = envelope(data);
    all::<Account>(Some(data));
    all::<PackageSummary>(Some(data));
    all::<Package>(Some(data));
    all::<StaticIpRegion>(Some(data));
    all::<StaticIp>(Some(data));
    all::<DailyFlow>(Some(data));
    all::<Order>(Some(data));
    all::<UserInfo>(Some(data));
    all::<DynamicCountry>(Some(data));
    all::<DynamicPlace>(Some(data));
    let answer = format!(r#"{{"code":0,"data":{data}}}"#);
    if let Some(e) = envelope(&answer) {
        all::<Account>(e.data);
        all::<PackageSummary>(e.data);
        all::<Package>(e.data);
        all::<StaticIpRegion>(e.data);
        all::<StaticIp>(e.data);
        all::<DailyFlow>(e.data);
        all::<Order>(e.data);
        all::<UserInfo>(e.data);
        all::<DynamicCountry>(e.data);
        all::<DynamicPlace>(e.data);
    }
}

/// The array `data` read as a list and as a page (bare and in `{"list": ...}`) of every type:
/// exactly the `objects` are items, and items and skips add up to `len`.
fn check_array_counts(data: &str, len: usize, objects: usize) -> Result<(), TestCaseError> {
    fn counts<T: Decode>(data: &str) -> Vec<(usize, u64)> {
        let mut out = Vec::new();
        let mut drift = Drift::default();
        let items = data_list::<T>(Some(data), &mut drift).expect("an array is a list");
        out.push((items.len(), drift.skipped));
        let mut drift = Drift::default();
        let page = data_page::<T>(Some(data), &mut drift).expect("an array is a page");
        out.push((page.list.len(), drift.skipped));
        let wrapped = format!(r#"{{"list":{data}}}"#);
        let mut drift = Drift::default();
        let items = data_list::<T>(Some(&wrapped), &mut drift).expect("a list in an object");
        out.push((items.len(), drift.skipped));
        let mut drift = Drift::default();
        let page = data_page::<T>(Some(&wrapped), &mut drift).expect("a page in an object");
        out.push((page.list.len(), drift.skipped));
        out
    }
    let all = [
        counts::<Account>(data),
        counts::<PackageSummary>(data),
        counts::<Package>(data),
        counts::<StaticIpRegion>(data),
        counts::<StaticIp>(data),
        counts::<DailyFlow>(data),
        counts::<Order>(data),
        counts::<UserInfo>(data),
        counts::<DynamicPlace>(data),
    ];
    for (items, skipped) in all.into_iter().flatten() {
        prop_assert_eq!(items as u64 + skipped, len as u64, "{}", data);
        prop_assert_eq!(items, objects, "{}", data);
    }
    Ok(())
}

/// JSON text with one byte deleted, one inserted or the rest cut: mostly invalid, close to valid.
fn corrupted_answer() -> impl Strategy<Value = String> {
    (
        list_case::<DailyFlow>(),
        any::<Index>(),
        select(
            &[
                "", "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "-", "e", "1",
            ][..],
        ),
        0u8..3,
    )
        .prop_map(|(case, at, insert, how)| {
            let text = format!(r#"{{"code":200,"data":{{"list":{}}}}}"#, case.list);
            let mut at = at.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match how {
                0 => text[..at].to_owned(),
                1 => format!("{}{insert}{}", &text[..at], &text[at..]),
                _ => {
                    let mut text = text;
                    if at < text.len() {
                        text.remove(at);
                    }
                    text
                }
            }
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_make_a_decoder_panic(bytes in vec(any::<u8>(), 0..512)) {
        // The client replaces invalid UTF-8 before decoding; the decoders take text.
        decode_everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_strings_never_make_a_decoder_panic(
        text in any::<String>(),
        jsonish in "[\\[\\]{}\",:0-9a-z\\\\ .eE+\\-]{0,64}",
    ) {
        decode_everything(&text);
        decode_everything(&jsonish);
    }

    #[test]
    fn an_answer_cut_or_corrupted_anywhere_never_makes_a_decoder_panic(
        text in corrupted_answer()
    ) {
        decode_everything(&text);
    }

    #[test]
    fn arbitrary_valid_json_never_makes_a_decoder_panic_and_an_object_is_an_envelope(
        value in json_value()
    ) {
        let text = value.to_string();
        decode_everything(&text);
        prop_assert_eq!(envelope(&text).is_some(), value.is_object());
        let mut drift = Drift::default();
        let has_a_field_it_reads = value
            .as_object()
            .is_some_and(|o| o.keys().any(|k| Account::FIELDS.contains(&k.as_str())));
        prop_assert_eq!(
            data_object::<Account>(Some(&text), &mut drift).is_ok(),
            has_a_field_it_reads
        );
    }

    #[test]
    fn arbitrary_json_text_never_makes_a_decoder_panic_and_an_object_is_an_envelope(
        text in json_text()
    ) {
        decode_everything(&text);
        prop_assert_eq!(envelope(&text).is_some(), text.starts_with('{'), "{}", text);
    }

    #[test]
    fn an_array_of_arbitrary_values_keeps_every_object_and_skips_the_rest(
        values in vec(json_value(), 0..8)
    ) {
        let objects = values.iter().filter(|v| v.is_object()).count();
        let text = Value::Array(values.clone()).to_string();
        check_array_counts(&text, values.len(), objects)?;
    }

    #[test]
    fn an_array_of_arbitrary_json_text_is_read_and_its_items_and_skips_add_up(
        values in vec(json_text(), 0..8)
    ) {
        let text = array_text(&values);
        let objects = values.iter().filter(|v| v.starts_with('{')).count();
        check_array_counts(&text, values.len(), objects)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Property 3: numbers
// ---------------------------------------------------------------------------------------------

/// The JSON text of a number: any `f64` in either notation, any mantissa with an exponent far
/// out of range, signed zeros.
fn number_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<f64>()
            .prop_filter("a JSON number is finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        any::<f64>()
            .prop_filter("a JSON number is finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        (
            any::<bool>(),
            "[1-9][0-9]{0,20}",
            prop::option::of("[0-9]{1,20}"),
            -800i32..800
        )
            .prop_map(|(negative, int, frac, exp)| {
                let sign = if negative { "-" } else { "" };
                let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
                format!("{sign}{int}{frac}e{exp}")
            }),
        select(
            &["-0", "-0.0", "0", "0.0", "-0e5", "1e400", "-1e400", "1e308", "2e308", "1e-400"][..]
        )
        .prop_map(str::to_owned),
    ]
    .boxed()
}

fn check_amount(field: &str, json: &str, oracle: &str) -> Result<(), TestCaseError> {
    let text = format!(r#"[{{"id":1,"{field}":{json}}}]"#);
    let mut drift = Drift::default();
    let got = data_list::<Account>(Some(&text), &mut drift).expect("a list");
    prop_assert_eq!(got.len(), 1);
    let value = match field {
        "usage_flow" => got[0].usage_flow,
        _ => got[0].limit_flow,
    };
    let parsed: f64 = oracle.parse().expect("a number");
    let readable = parsed.is_finite() && parsed >= 0.0 && parsed <= MAX_EXACT as f64;
    match value {
        Some(v) => {
            prop_assert!(readable, "{} read as {}", json, v);
            prop_assert!(v.is_finite() && v >= 0.0 && v.is_sign_positive(), "{}", v);
            prop_assert_eq!(v, parsed);
            prop_assert_eq!(drift.defaulted_total(), 0);
        }
        None => {
            prop_assert!(!readable, "{} not read", json);
            prop_assert_eq!(drift.defaulted.get(field).copied(), Some(1));
            prop_assert_eq!(drift.defaulted_total(), 1);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_traffic_amount_is_its_exact_finite_non_negative_value_or_defaulted(
        number in number_text(),
        quoted in any::<bool>(),
        field in select(&["usage_flow", "limit_flow"][..]),
    ) {
        let json = if quoted { format!("\"{number}\"") } else { number.clone() };
        check_amount(field, &json, &number)?;
    }

    #[test]
    fn an_integer_is_read_exactly_or_defaulted_never_rounded(
        n in any::<i128>().prop_map(|n| n >> (n as u8 % 100)),
        integral_float in any::<bool>(),
    ) {
        let json = if integral_float { format!("{n}.0") } else { n.to_string() };
        let text = format!(r#"[{{"id":{json}}}]"#);
        let mut drift = Drift::default();
        let got = data_list::<Account>(Some(&text), &mut drift).expect("a list");
        let exact = i64::try_from(n)
            .ok()
            .filter(|n| n.unsigned_abs() <= MAX_EXACT as u64);
        prop_assert_eq!(got[0].id, exact);
        prop_assert_eq!(drift.defaulted.get("id").copied(), exact.is_none().then_some(1));
    }
}

#[test]
fn absent_and_null_amounts_are_missing_not_defaulted() {
    let mut drift = Drift::default();
    let got = data_list::<Account>(
        Some(r#"[{"id":1},{"id":2,"usage_flow":null,"limit_flow":null}]"#),
        &mut drift,
    )
    .unwrap();
    assert_eq!(got.len(), 2);
    assert!(got
        .iter()
        .all(|a| a.usage_flow.is_none() && a.limit_flow.is_none()));
    assert_eq!(drift, Drift::default());
}

#[test]
fn nesting_far_deeper_than_a_recursion_limit_in_an_unknown_field_keeps_the_item() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let text = format!(r#"[{{"id":7,"deep":{deep}}},{deep}]"#);
    let mut drift = Drift::default();
    let got = data_list::<Account>(Some(&text), &mut drift).expect("a list");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, Some(7));
    assert_eq!(drift.skipped, 1);
}

// ---------------------------------------------------------------------------------------------
// Lone surrogates in keys
// ---------------------------------------------------------------------------------------------

/// A key with a lone surrogate escape (`"\ud800"`) is valid JSON text: the object stays an
/// object (an item, an envelope, a page), the key read with U+FFFD.
#[test]
fn an_object_with_a_lone_surrogate_in_a_key_is_still_an_item_an_envelope_and_a_page() {
    let mut drift = Drift::default();
    let items = data_list::<Account>(Some(r#"[{"id":1,"\ud800":0}]"#), &mut drift).unwrap();
    assert_eq!(drift.skipped, 0);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, Some(1));
    assert!(drift.unknown_fields.contains("\u{fffd}"));
    let answer = envelope(r#"{"code":200,"data":{"list":[{"ip":"a"}],"\udc00":1},"\ud800":0}"#)
        .expect("an envelope");
    let page = data_page::<StaticIp>(answer.data, &mut Drift::default()).expect("a page");
    assert_eq!(page.list.len(), 1);
}
