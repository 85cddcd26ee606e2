//! Several app_keys through the router: each key its own world, its own faults and its own
//! request counts; keys added at run time; `?app_key=` on the control endpoints; the primary
//! world untouched by the others.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::tests::call;
use crate::{Endpoint, Fault, Simulator, SimulatorOptions};

const PRIMARY: &str = "k";
const TEAM_B: &str = "team-b";

fn simulator() -> Simulator {
    Simulator::new(SimulatorOptions {
        app_key: PRIMARY.into(),
        more_app_keys: vec![TEAM_B.into()],
        ..SimulatorOptions::default()
    })
}

/// One GET of `endpoint` carrying `key`: the status and the body.
async fn get_as(sim: &Simulator, key: &str, endpoint: Endpoint) -> (StatusCode, Value) {
    let uri = format!("{}?app_key={key}", endpoint.path());
    call(sim, Method::GET, &uri, Value::Null).await
}

/// The usernames listed through `key`.
async fn usernames(sim: &Simulator, key: &str) -> Vec<String> {
    let (status, body) = get_as(sim, key, Endpoint::AccountList).await;
    assert_eq!((status, &body["code"]), (StatusCode::OK, &json!(200)));
    body["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn two_app_keys_see_two_different_worlds() {
    let sim = simulator();

    let primary = usernames(&sim, PRIMARY).await;
    let team_b = usernames(&sim, TEAM_B).await;
    let (_, primary_user) = get_as(&sim, PRIMARY, Endpoint::UserInfo).await;
    let (_, team_b_user) = get_as(&sim, TEAM_B, Endpoint::UserInfo).await;

    assert!(primary.contains(&"alice".to_string()), "{primary:?}");
    assert!(
        team_b.iter().all(|name| !primary.contains(name)),
        "{team_b:?}"
    );
    assert!(team_b.iter().any(|name| name.starts_with("alice")));
    assert_ne!(primary_user["data"]["email"], team_b_user["data"]["email"]);
    assert_ne!(sim.passwords(), sim.passwords_of(TEAM_B).unwrap());
    assert_ne!(sim.personal_data(), sim.personal_data_of(TEAM_B).unwrap());
}

#[tokio::test]
async fn the_primary_world_is_the_classic_one_whatever_keys_are_added() {
    let alone = Simulator::new(SimulatorOptions {
        app_key: PRIMARY.into(),
        ..SimulatorOptions::default()
    });
    let sim = simulator();
    sim.add_app_key("team-c", None);

    assert_eq!(
        usernames(&sim, PRIMARY).await,
        usernames(&alone, PRIMARY).await
    );
    assert_eq!(sim.passwords(), alone.passwords());
    assert_eq!(sim.personal_data(), alone.personal_data());
    assert_eq!(
        sim.with_world(|w| w.billing.balance),
        alone.with_world(|w| w.billing.balance)
    );
}

#[tokio::test]
async fn an_account_added_through_one_key_is_not_listed_through_the_other() {
    let sim = simulator();
    let body = json!({"app_key": TEAM_B, "accounts": "newbie:Pass1", "product_type": "9"});

    let (_, added) = call(&sim, Method::POST, Endpoint::AccountAdd.path(), body).await;

    assert_eq!(added["code"], 200);
    assert!(usernames(&sim, TEAM_B).await.contains(&"newbie".into()));
    assert!(!usernames(&sim, PRIMARY).await.contains(&"newbie".into()));
    assert!(sim.passwords_of(TEAM_B).unwrap().contains(&"Pass1".into()));
    assert!(!sim.passwords().contains(&"Pass1".into()));
}

#[tokio::test]
async fn a_leak_through_one_key_changes_only_that_keys_world() {
    let sim = simulator();
    let name = sim
        .with_world_of(TEAM_B, |w| w.accounts[0].username.clone())
        .unwrap();
    let pace = |key: &str| {
        sim.with_world_of(key, |w| w.accounts[0].usage_rate)
            .unwrap()
    };
    let primary_before = pace(PRIMARY);

    let (status, _) = call(
        &sim,
        Method::POST,
        &format!("/_simulator/leak?app_key={TEAM_B}"),
        json!({"username": name, "gb_per_hour": 36}),
    )
    .await;
    let (primary_status, _) = call(
        &sim,
        Method::POST,
        "/_simulator/leak",
        json!({"username": name, "gb_per_hour": 36}),
    )
    .await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(pace(TEAM_B), 10485.76);
    assert_eq!(
        primary_status,
        StatusCode::NOT_FOUND,
        "not a primary account"
    );
    assert_eq!(pace(PRIMARY), primary_before);
}

#[tokio::test]
async fn a_fault_set_for_one_key_applies_only_to_requests_carrying_it() {
    let sim = simulator();
    let fault = json!({"endpoint": Endpoint::AccountList.path(), "fault": "http500"});

    let (set, _) = call(
        &sim,
        Method::POST,
        &format!("/_simulator/faults?app_key={TEAM_B}"),
        fault,
    )
    .await;
    let (team_b, _) = get_as(&sim, TEAM_B, Endpoint::AccountList).await;
    let (primary, _) = get_as(&sim, PRIMARY, Endpoint::AccountList).await;
    let (cleared, _) = call(
        &sim,
        Method::DELETE,
        &format!("/_simulator/faults?app_key={TEAM_B}"),
        Value::Null,
    )
    .await;
    let (after, _) = get_as(&sim, TEAM_B, Endpoint::AccountList).await;

    assert_eq!(set, StatusCode::NO_CONTENT);
    assert_eq!(team_b, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(primary, StatusCode::OK);
    assert_eq!((cleared, after), (StatusCode::NO_CONTENT, StatusCode::OK));
}

#[tokio::test]
async fn one_keys_upstream_can_hang_while_anothers_answers() {
    let sim = simulator();
    assert!(sim.set_fault_of(TEAM_B, "*", Fault::parse("latency:1h").unwrap()));

    let hung = tokio::time::timeout(
        Duration::from_millis(100),
        get_as(&sim, TEAM_B, Endpoint::TrafficDaily),
    )
    .await;
    let answered = tokio::time::timeout(
        Duration::from_secs(10),
        get_as(&sim, PRIMARY, Endpoint::TrafficDaily),
    )
    .await;

    assert!(hung.is_err(), "the key with the fault hangs");
    assert_eq!(answered.unwrap().1["code"], 0);
    assert!(!sim.set_fault_of("nobody", "*", Fault::default()));
}

#[tokio::test]
async fn a_keys_own_fault_wins_over_the_common_one_and_clear_faults_clears_both() {
    let sim = simulator();
    sim.set_fault("*", Fault::parse("http500").unwrap());
    sim.set_fault_of(TEAM_B, "*", Fault::parse("http429").unwrap());

    let (primary, _) = get_as(&sim, PRIMARY, Endpoint::TrafficDaily).await;
    let (team_b, _) = get_as(&sim, TEAM_B, Endpoint::TrafficDaily).await;
    sim.clear_faults();
    let (after, _) = get_as(&sim, TEAM_B, Endpoint::TrafficDaily).await;

    assert_eq!(primary, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(team_b, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(after, StatusCode::OK);
}

#[tokio::test]
async fn requests_are_counted_per_key_and_all_together() {
    let sim = simulator();
    get_as(&sim, PRIMARY, Endpoint::TrafficDaily).await;
    get_as(&sim, PRIMARY, Endpoint::TrafficDaily).await;
    get_as(&sim, TEAM_B, Endpoint::TrafficDaily).await;
    get_as(&sim, "wrong", Endpoint::TrafficDaily).await;

    let (_, team_b) = call(
        &sim,
        Method::GET,
        &format!("/_simulator/requests?app_key={TEAM_B}"),
        Value::Null,
    )
    .await;
    let (_, all) = call(&sim, Method::GET, "/_simulator/requests", Value::Null).await;

    let path = Endpoint::TrafficDaily.path();
    assert_eq!(team_b, json!({path: {"total": 1, "variants": {}}}));
    assert_eq!(all, json!({path: {"total": 4, "variants": {}}}));
    assert_eq!(
        sim.request_count_of(PRIMARY, Endpoint::TrafficDaily),
        Some(2)
    );
    assert_eq!(sim.request_count(Endpoint::TrafficDaily), 4);

    let (reset, _) = call(
        &sim,
        Method::DELETE,
        &format!("/_simulator/requests?app_key={TEAM_B}"),
        Value::Null,
    )
    .await;

    assert_eq!(reset, StatusCode::NO_CONTENT);
    assert_eq!(sim.request_counts_of(TEAM_B), Some(Default::default()));
    assert_eq!(sim.request_count(Endpoint::TrafficDaily), 3);
    sim.reset_request_counts();
    assert_eq!(sim.request_counts(), Default::default());
}

#[tokio::test]
async fn an_app_key_added_at_run_time_is_accepted_with_a_world_of_its_own() {
    let sim = simulator();
    let (_, before) = get_as(&sim, "team-c", Endpoint::AccountList).await;

    let added = sim.add_app_key("team-c", Some(25));
    let listed = usernames(&sim, "team-c").await;

    assert_eq!(before["code"], 3);
    assert!(added);
    assert_eq!(listed.len(), 25);
    let primary = usernames(&sim, PRIMARY).await;
    assert!(listed.iter().all(|name| !primary.contains(name)));
    assert_eq!(sim.app_keys(), [PRIMARY, TEAM_B, "team-c"]);
    assert!(!sim.add_app_key("team-c", None), "already accepted");
    assert!(!sim.add_app_key(PRIMARY, None), "the primary is kept");
    assert!(!sim.add_app_key("", None), "an empty key is never accepted");
    assert_eq!(sim.app_keys().len(), 3);
}

#[tokio::test]
async fn an_unknown_key_gets_code_3_though_several_are_accepted() {
    let sim = simulator();

    for endpoint in [Endpoint::AccountList, Endpoint::TrafficDaily] {
        let (status, body) = get_as(&sim, "team-z", endpoint).await;

        assert_eq!((status, &body["code"]), (StatusCode::OK, &json!(3)));
    }
    let (_, missing) = call(&sim, Method::GET, Endpoint::AccountList.path(), Value::Null).await;
    assert_eq!(missing["code"], 3);
}

#[tokio::test]
async fn a_control_endpoint_answers_404_for_an_unknown_key_without_repeating_it() {
    let sim = simulator();
    let secret = "s3cret-key-nobody-has";

    for (method, path, body) in [
        (Method::GET, "requests", Value::Null),
        (Method::DELETE, "requests", Value::Null),
        (Method::DELETE, "faults", Value::Null),
        (
            Method::POST,
            "faults",
            json!({"endpoint": "*", "fault": "http500"}),
        ),
        (
            Method::POST,
            "leak",
            json!({"username": "alice", "gb_per_hour": 1}),
        ),
    ] {
        let uri = format!("/_simulator/{path}?app_key={secret}");
        let request = axum::http::Request::builder()
            .method(method.clone())
            .uri(&uri)
            .body(axum::body::Body::from(match body {
                Value::Null => String::new(),
                body => body.to_string(),
            }))
            .unwrap();
        let response = tower::ServiceExt::oneshot(sim.router(), request)
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();

        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert!(!String::from_utf8_lossy(&bytes).contains(secret));
    }
    let (status, _) = get_as(&sim, PRIMARY, Endpoint::AccountList).await;
    assert_eq!(status, StatusCode::OK, "no fault was set for anyone");
}

/// The benchmark's simulator (its seeding time is measured by scripts/bench/multi_target.sh,
/// never asserted here).
#[test]
fn a_thousand_keys_of_a_hundred_accounts_each_get_a_world_of_their_own() {
    let sim = Simulator::new(SimulatorOptions {
        app_key: PRIMARY.into(),
        more_app_keys: (1..1000).map(|i| format!("target-{i:04}")).collect(),
        accounts: Some(100),
        ..SimulatorOptions::default()
    });

    assert_eq!(sim.app_keys().len(), 1000);
    assert_eq!(
        sim.with_world_of("target-0999", |w| w.accounts.len()),
        Some(100)
    );
}
