//! `POST /admin/alertmanager`: Alertmanager's webhook, acting on the traffic-anomaly alert. For
//! each *firing* `Proxy911AccountTrafficAnomaly` alert it disables the account the labels name
//! (`--admin.alert-actions=disable`), or only logs and audits that it would (`log`, the default).
//!
//! Its safety rules, each a [`Reason`] to skip: never a resolved alert (enabling again is a
//! person's decision); never an account whose username several accounts share (upstream would
//! disable them all); never one the labels do not name exactly (a username and the `account_id`
//! of the one account of that name); never more than [`MAX_PER_HOUR`] actions in any hour,
//! whatever arrives. Every alert of that name gets one audit line and one count of
//! `proxy911_admin_alert_actions_total{action}`; other alerts are ignored.
//!
//! - [`webhook`]: the body, typed. `budget`: the hourly limit. `route`: the handler.
//! - this file: the decision for one alert, a pure function of the alert and the account list.

mod budget;
pub(super) mod route;
pub mod webhook;

use std::collections::HashSet;

use serde::Serialize;
use utoipa::ToSchema;

pub use budget::MAX_PER_HOUR;
pub use route::{alertmanager, AlertActionsAnswer};

use super::types::Username;
use crate::config::AlertActionMode;
use crate::upstream::model::Account;
use webhook::{Alert, AlertStatus};

/// The alert the route acts on.
pub(crate) const ANOMALY_ALERT: &str = "Proxy911AccountTrafficAnomaly";

/// The route's mode and its hourly budget. Cheap to clone: the budget is shared.
#[derive(Debug, Clone)]
pub struct AlertActions {
    mode: AlertActionMode,
    budget: budget::Budget,
}

impl AlertActions {
    pub fn new(mode: AlertActionMode) -> Self {
        AlertActions {
            mode,
            budget: budget::Budget::default(),
        }
    }
}

/// What was done about one alert: the answer's `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The account was disabled (`disable` mode).
    Disabled,
    /// The account would have been disabled (`log` mode): nothing changed.
    WouldDisable,
    /// Nothing was done; `reason` says why.
    Skipped,
}

/// Why: the answer's `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A firing anomaly alert, acted on (`disabled`).
    FiringAnomaly,
    /// A firing anomaly alert in `log` mode (`would_disable`).
    LogMode,
    /// The alert is resolved: enabling again is a person's decision.
    Resolved,
    /// The labels do not name an account: no valid `account`, or no numeric `account_id`.
    InvalidLabels,
    /// The same username came earlier in this notification.
    Duplicate,
    /// No account has that username.
    NotFound,
    /// Several accounts share the username, and upstream would disable every one of them.
    SharedUsername,
    /// The account of that username has another id than the alert's (replaced since?).
    AccountIdMismatch,
    /// The account is disabled already.
    AlreadyDisabled,
    /// The hourly limit of actions was reached.
    RateLimited,
    /// 911Proxy refused the disable or did not answer.
    UpstreamError,
    /// The alert's `target` label is not the target of this route: a target's alerts are acted
    /// on only at `/admin/targets/NAME/alertmanager`, and `/admin/alertmanager` takes only
    /// alerts without a `target` (the exporter's own account).
    OtherTarget,
}

/// The `action` label of `proxy911_admin_alert_actions_total`: the action, and for a skip its
/// reason. A closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertOutcome(pub Action, pub Reason);

impl AlertOutcome {
    /// Every label value, so each series exists at 0 from the start.
    pub const ALL: [AlertOutcome; 12] = [
        AlertOutcome(Action::Disabled, Reason::FiringAnomaly),
        AlertOutcome(Action::WouldDisable, Reason::LogMode),
        AlertOutcome(Action::Skipped, Reason::Resolved),
        AlertOutcome(Action::Skipped, Reason::InvalidLabels),
        AlertOutcome(Action::Skipped, Reason::Duplicate),
        AlertOutcome(Action::Skipped, Reason::NotFound),
        AlertOutcome(Action::Skipped, Reason::SharedUsername),
        AlertOutcome(Action::Skipped, Reason::AccountIdMismatch),
        AlertOutcome(Action::Skipped, Reason::AlreadyDisabled),
        AlertOutcome(Action::Skipped, Reason::RateLimited),
        AlertOutcome(Action::Skipped, Reason::UpstreamError),
        AlertOutcome(Action::Skipped, Reason::OtherTarget),
    ];

    pub fn label(self) -> &'static str {
        match self {
            AlertOutcome(Action::Disabled, _) => "disabled",
            AlertOutcome(Action::WouldDisable, _) => "would_disable",
            AlertOutcome(Action::Skipped, reason) => match reason {
                Reason::Resolved => "skipped_resolved",
                Reason::InvalidLabels => "skipped_invalid_labels",
                Reason::Duplicate => "skipped_duplicate",
                Reason::NotFound => "skipped_not_found",
                Reason::SharedUsername => "skipped_shared_username",
                Reason::AccountIdMismatch => "skipped_account_id_mismatch",
                Reason::AlreadyDisabled => "skipped_already_disabled",
                Reason::RateLimited => "skipped_rate_limited",
                Reason::UpstreamError => "skipped_upstream_error",
                Reason::OtherTarget => "skipped_other_target",
                Reason::FiringAnomaly | Reason::LogMode => "skipped",
            },
        }
    }

    pub(crate) fn reason_str(self) -> &'static str {
        match self.1 {
            Reason::FiringAnomaly => "firing_anomaly",
            Reason::LogMode => "log_mode",
            Reason::Resolved => "resolved",
            Reason::InvalidLabels => "invalid_labels",
            Reason::Duplicate => "duplicate",
            Reason::NotFound => "not_found",
            Reason::SharedUsername => "shared_username",
            Reason::AccountIdMismatch => "account_id_mismatch",
            Reason::AlreadyDisabled => "already_disabled",
            Reason::RateLimited => "rate_limited",
            Reason::UpstreamError => "upstream_error",
            Reason::OtherTarget => "other_target",
        }
    }
}

/// The account an alert names, as far as its labels could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub account: Option<Username>,
    pub account_id: Option<i64>,
}

impl Named {
    fn of(alert: &Alert) -> Self {
        Named {
            account: alert
                .label("account")
                .and_then(|name| Username::try_from(name.to_string()).ok()),
            account_id: alert
                .label("account_id")
                .and_then(|id| id.parse::<i64>().ok()),
        }
    }
}

/// What to do about one anomaly alert, before the budget and the mode have their say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Skip(Reason),
    Disable(Username),
}

/// Decides for one alert of `ANOMALY_ALERT`, given the accounts upstream has now and the
/// usernames already handled in this notification (to which it adds its own).
pub fn plan(alert: &Alert, accounts: &[Account], seen: &mut HashSet<Username>) -> (Named, Plan) {
    let named = Named::of(alert);
    let decision = decide(alert.status, &named, accounts, seen);
    (named, decision)
}

fn decide(
    status: AlertStatus,
    named: &Named,
    accounts: &[Account],
    seen: &mut HashSet<Username>,
) -> Plan {
    if status == AlertStatus::Resolved {
        return Plan::Skip(Reason::Resolved);
    }
    let (Some(username), Some(id)) = (&named.account, named.account_id) else {
        return Plan::Skip(Reason::InvalidLabels);
    };
    if !seen.insert(username.clone()) {
        return Plan::Skip(Reason::Duplicate);
    }
    // One account listed twice (the list shifting between pages) is still one account.
    let mut distinct = HashSet::new();
    let matches: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.username.as_deref() == Some(username.as_str()))
        .filter(|a| distinct.insert((a.id, a.product_type)))
        .collect();
    let account = match matches.as_slice() {
        [] => return Plan::Skip(Reason::NotFound),
        [one] => one,
        _ => return Plan::Skip(Reason::SharedUsername),
    };
    if account.id != Some(id) {
        return Plan::Skip(Reason::AccountIdMismatch);
    }
    if account.enabled == Some(false) {
        return Plan::Skip(Reason::AlreadyDisabled);
    }
    Plan::Disable(username.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::upstream::ProductType;

    fn alert(status: AlertStatus, labels: &[(&str, &str)]) -> Alert {
        let labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        serde_json::from_value(serde_json::json!({"status": status, "labels": labels})).unwrap()
    }

    fn firing(account: &str, id: &str) -> Alert {
        alert(
            AlertStatus::Firing,
            &[
                ("alertname", ANOMALY_ALERT),
                ("account", account),
                ("account_id", id),
            ],
        )
    }

    fn account(id: i64, username: &str, product_type: i64, enabled: bool) -> Account {
        Account {
            id: Some(id),
            username: Some(username.into()),
            product_type: Some(ProductType::from_code(product_type)),
            enabled: Some(enabled),
            ..Account::default()
        }
    }

    fn accounts() -> Vec<Account> {
        vec![
            account(1, "alice", 9, true),
            account(2, "shared", 9, true),
            account(3, "shared", 25, true),
            account(4, "paused", 9, false),
            // Listed twice, as a shifting page can: still one account.
            account(5, "bob", 9, true),
            account(5, "bob", 9, true),
        ]
    }

    fn decision(alert: &Alert) -> Plan {
        plan(alert, &accounts(), &mut HashSet::new()).1
    }

    fn name(text: &str) -> Username {
        Username::try_from(text.to_string()).unwrap()
    }

    #[test]
    fn a_firing_alert_naming_one_enabled_account_by_name_and_id_disables_it() {
        assert_eq!(
            decision(&firing("alice", "1")),
            Plan::Disable(name("alice"))
        );
        assert_eq!(decision(&firing("bob", "5")), Plan::Disable(name("bob")));
    }

    #[test]
    fn a_username_shared_by_several_accounts_is_never_acted_on() {
        assert_eq!(
            decision(&firing("shared", "2")),
            Plan::Skip(Reason::SharedUsername)
        );
    }

    #[test]
    fn a_resolved_alert_does_nothing_even_for_an_account_that_would_qualify() {
        let resolved = alert(
            AlertStatus::Resolved,
            &[
                ("alertname", ANOMALY_ALERT),
                ("account", "alice"),
                ("account_id", "1"),
            ],
        );

        assert_eq!(decision(&resolved), Plan::Skip(Reason::Resolved));
    }

    #[test]
    fn labels_that_do_not_name_exactly_one_existing_enabled_account_are_skipped_with_their_reason()
    {
        let cases = [
            (firing("nobody", "9"), Reason::NotFound),
            (firing("alice", "2"), Reason::AccountIdMismatch),
            (firing("paused", "4"), Reason::AlreadyDisabled),
            (firing("unknown", "unknown"), Reason::InvalidLabels),
            (firing("al ice", "1"), Reason::InvalidLabels),
            (
                alert(AlertStatus::Firing, &[("alertname", ANOMALY_ALERT)]),
                Reason::InvalidLabels,
            ),
        ];
        for (alert, reason) in cases {
            assert_eq!(decision(&alert), Plan::Skip(reason), "{alert:?}");
        }
    }

    #[test]
    fn the_same_username_twice_in_one_notification_is_acted_on_once() {
        let mut seen = HashSet::new();
        let accounts = accounts();

        let first = plan(&firing("alice", "1"), &accounts, &mut seen).1;
        let second = plan(&firing("alice", "1"), &accounts, &mut seen).1;

        assert_eq!(first, Plan::Disable(name("alice")));
        assert_eq!(second, Plan::Skip(Reason::Duplicate));
    }

    #[test]
    fn every_outcome_has_its_own_label_value() {
        let labels: HashSet<&str> = AlertOutcome::ALL.iter().map(|o| o.label()).collect();

        assert_eq!(labels.len(), AlertOutcome::ALL.len());
        assert!(!labels.contains("skipped"));
    }
}
