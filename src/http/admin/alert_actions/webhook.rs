//! Alertmanager's webhook body (version 4), as much of it as the alert actions read: the version,
//! and each alert's status and labels. Alertmanager sends more (`groupKey`, annotations, URLs,
//! times) and adds fields between releases, so unknown fields are accepted and ignored; what is
//! read has its type checked, and a body without it is refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::decode;

/// The only webhook version there is (Alertmanager 0.13 and later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[schema(as = WebhookVersion)]
pub enum Version {
    #[serde(rename = "4")]
    V4,
}

/// Whether an alert (or a whole notification) is firing or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

/// `POST /admin/alertmanager`: what Alertmanager's `webhook_config` sends.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "version": "4",
    "status": "firing",
    "receiver": "proxy911-exporter-actions",
    "alerts": [{
        "status": "firing",
        "labels": {
            "alertname": "Proxy911AccountTrafficAnomaly",
            "account": "crawler01",
            "account_id": "1001",
            "product_type": "dynamic_residential_traffic",
            "severity": "critical"
        }
    }]
}))]
pub struct Webhook {
    pub version: Version,
    /// The status of the group: firing while any alert in it is.
    pub status: AlertStatus,
    #[serde(deserialize_with = "alerts")]
    pub alerts: Vec<Alert>,
}

/// One alert of the notification.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = WebhookAlert)]
pub struct Alert {
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
}

impl Alert {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }
}

/// Each alert read from a JSON object (never from an array of its fields).
fn alerts<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Alert>, D::Error> {
    #[derive(Deserialize)]
    struct Object(#[serde(deserialize_with = "decode::object")] Alert);
    let objects = Vec::<Object>::deserialize(deserializer)?;
    Ok(objects.into_iter().map(|Object(alert)| alert).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A notification as Alertmanager 0.25 sends it, every field included.
    const REAL: &str = r#"{
      "receiver": "proxy911-exporter-actions",
      "status": "firing",
      "alerts": [{
        "status": "firing",
        "labels": {"alertname": "Proxy911AccountTrafficAnomaly", "account": "alice", "account_id": "1001"},
        "annotations": {"summary": "possible leaked credentials"},
        "startsAt": "2026-12-04T11:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": "c2d6b0e5a9b4f0a1"
      }],
      "groupLabels": {"alertname": "Proxy911AccountTrafficAnomaly"},
      "commonLabels": {"alertname": "Proxy911AccountTrafficAnomaly"},
      "commonAnnotations": {},
      "externalURL": "http://alertmanager:9093",
      "version": "4",
      "groupKey": "{}:{alertname=\"Proxy911AccountTrafficAnomaly\"}",
      "truncatedAlerts": 0
    }"#;

    #[test]
    fn alertmanagers_own_body_is_read_with_its_extra_fields_ignored() {
        let webhook: Webhook = decode::body(REAL.as_bytes()).unwrap();

        assert_eq!(webhook.version, Version::V4);
        assert_eq!(webhook.status, AlertStatus::Firing);
        assert_eq!(webhook.alerts.len(), 1);
        assert_eq!(webhook.alerts[0].label("account"), Some("alice"));
        assert_eq!(webhook.alerts[0].status, AlertStatus::Firing);
    }

    #[test]
    fn another_version_an_unknown_status_or_a_missing_field_is_refused_by_name() {
        let version = REAL.replace(r#""version": "4""#, r#""version": "3""#);
        let status = REAL.replacen(r#""status": "firing","#, r#""status": "pending","#, 1);
        let labels = r#"{"version":"4","status":"firing","alerts":[{"status":"firing"}]}"#;
        let alerts = r#"{"version":"4","status":"firing","alerts":[["firing",{}]]}"#;

        let refused = |body: &str| decode::body::<Webhook>(body.as_bytes()).unwrap_err();

        assert_eq!(refused(&version).field, "version");
        assert_eq!(refused(&status).field, "status");
        assert_eq!(refused(labels).field, "alerts[0].labels");
        assert_eq!(refused(alerts).field, "alerts[0]");
    }
}
