//! Basic auth and response headers of the web configuration on both listeners, with
//! real clients: every path needs the password except `/admin/...`, which keeps its bearer
//! token; the configured headers are on every answer, refusals included.

mod common;

use std::net::SocketAddr;

use common::tls::{bcrypt_hash, curl, curl_tls_args, https_client, tls_yaml, Pki};
use proxy911_exporter::config::AdminConfig;
use proxy911_simulator::Simulator;
use secrecy::SecretString;

const USER: &str = "prometheus";
const PASSWORD: &str = "correct horse battery staple";

fn users_yaml() -> String {
    format!("basic_auth_users:\n  {USER}: '{}'\n", bcrypt_hash(PASSWORD))
}

/// An exporter whose web config is `yaml`; with `admin`, the admin API is on (on the metrics
/// listener, or on its own loopback listener when `separate_admin`).
async fn exporter(
    pki: &Pki,
    yaml: &str,
    admin: bool,
    separate_admin: bool,
) -> (SocketAddr, Option<SocketAddr>, Simulator) {
    let web_config = pki.web_config(yaml);
    let (simulator, url) = common::simulator(None).await;
    let (addr, admin_addr) = common::exporter_at(&url, |c| {
        c.web.web_config_file = Some(web_config);
        if admin {
            let mut admin = AdminConfig::new(SecretString::from(common::ADMIN_TOKEN));
            if separate_admin {
                admin.listen_address = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
            }
            c.admin = Some(admin);
        }
    })
    .await;
    (addr, admin_addr, simulator)
}

#[tokio::test]
async fn the_right_password_is_served_and_a_wrong_or_missing_one_is_401_with_www_authenticate_basic(
) {
    let pki = Pki::new("basic");
    let (addr, _, _sim) = exporter(&pki, &users_yaml(), false, false).await;
    let http = common::http();
    for path in ["/metrics", "/", "/-/healthy", "/-/ready", "/no/such/path"] {
        let url = format!("http://{addr}{path}");
        let good = http
            .get(&url)
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_ne!(good.status(), 401, "{path}");
        for refused in [
            http.get(&url).basic_auth(USER, Some("wrong")),
            http.get(&url).basic_auth("stranger", Some(PASSWORD)),
            http.get(&url).bearer_auth(common::ADMIN_TOKEN),
            http.get(&url),
        ] {
            let response = refused.send().await.unwrap();
            assert_eq!(response.status(), 401, "{path}");
            assert_eq!(response.headers()["www-authenticate"], "Basic", "{path}");
            assert!(!response.text().await.unwrap().contains("proxy911"));
        }
    }
    let metrics = http
        .get(format!("http://{addr}/metrics"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(metrics.text().await.unwrap().contains("proxy911_up 1"));
}

#[tokio::test]
async fn curl_scrapes_over_https_with_the_password_and_is_refused_without_it() {
    let pki = Pki::new("basictls");
    pki.install_server(&pki.server("exporter"));
    let (addr, _, _sim) = exporter(&pki, &(tls_yaml(&[]) + &users_yaml()), false, false).await;
    let mut args = curl_tls_args(&pki, None);
    let url = format!("https://{addr}/metrics");
    let without: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = curl(&url, &without).await;
    assert_eq!(refused.status, 401, "{refused:?}");
    args.extend(["-u".into(), format!("{USER}:{PASSWORD}")]);
    let with: Vec<&str> = args.iter().map(String::as_str).collect();
    let served = curl(&url, &with).await;
    assert_eq!(served.status, 200, "{served:?}");
    assert!(served.body.contains("proxy911_up 1"));
}

#[tokio::test]
async fn the_admin_api_on_the_metrics_listener_keeps_its_bearer_token_under_basic_auth() {
    let pki = Pki::new("adminbearer");
    let (addr, _, _sim) = exporter(&pki, &users_yaml(), true, false).await;
    let http = common::http();
    let accounts = format!("http://{addr}/admin/accounts");

    let with_token = http
        .get(&accounts)
        .bearer_auth(common::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 200);
    let with_password = http
        .get(&accounts)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(with_password.status(), 401);
    assert_eq!(with_password.headers()["www-authenticate"], "Bearer");

    let metrics_with_token = http
        .get(format!("http://{addr}/metrics"))
        .bearer_auth(common::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics_with_token.status(), 401);
    assert_eq!(metrics_with_token.headers()["www-authenticate"], "Basic");
}

#[tokio::test]
async fn the_separate_admin_listener_speaks_tls_keeps_its_bearer_token_and_guards_other_paths() {
    let pki = Pki::new("adminlistener");
    pki.install_server(&pki.server("exporter"));
    let yaml = tls_yaml(&[]) + &users_yaml();
    let (_, admin, _sim) = exporter(&pki, &yaml, true, true).await;
    let admin = admin.expect("a separate admin listener");
    let https = https_client(&pki.ca_pem(), None);

    let accounts = https
        .get(format!("https://{admin}/admin/accounts"))
        .bearer_auth(common::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(accounts.status(), 200);
    let landing = https.get(format!("https://{admin}/")).send().await.unwrap();
    assert_eq!(landing.status(), 401);
    assert_eq!(landing.headers()["www-authenticate"], "Basic");

    let plain = common::http()
        .get(format!("http://{admin}/admin/accounts"))
        .bearer_auth(common::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain.status(),
        400,
        "plain HTTP is not served on a TLS listener"
    );
}

#[tokio::test]
async fn the_configured_headers_are_on_every_answer_refusals_included() {
    let pki = Pki::new("headers");
    let yaml = users_yaml()
        + "http_server_config:\n  headers:\n    X-Frame-Options: deny\n    \
           X-Content-Type-Options: nosniff\n    Strict-Transport-Security: max-age=31536000\n    \
           X-XSS-Protection: '0'\n    Content-Security-Policy: default-src 'none'\n";
    let (addr, _, _sim) = exporter(&pki, &yaml, true, false).await;
    let http = common::http();
    let answers = [
        http.get(format!("http://{addr}/metrics"))
            .basic_auth(USER, Some(PASSWORD)),
        http.get(format!("http://{addr}/metrics")),
        http.get(format!("http://{addr}/nope"))
            .basic_auth(USER, Some(PASSWORD)),
        http.get(format!("http://{addr}/admin/accounts")),
    ];
    let mut statuses = Vec::new();
    for request in answers {
        let response = request.send().await.unwrap();
        statuses.push(response.status().as_u16());
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "deny");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["strict-transport-security"], "max-age=31536000");
        assert_eq!(headers["x-xss-protection"], "0");
        assert_eq!(headers["content-security-policy"], "default-src 'none'");
    }
    assert_eq!(statuses, [200, 401, 404, 401]);
}
