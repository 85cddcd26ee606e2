//! TLS on the listeners, with real clients: the exporter built by `App::build` with a
//! `--web.config.file`, certificates made by rcgen in each test, reqwest and the curl CLI as
//! clients. Every `client_auth_type`, TLS version bounds, plain HTTP to the TLS port, and
//! certificates rotated on disk while the exporter runs.

mod common;

use std::net::SocketAddr;

use common::tls::{
    curl, curl_tls_args, https_builder, https_client, peer_certificate, self_signed_client,
    tls_yaml, Pair, Pki,
};
use proxy911_simulator::Simulator;
use reqwest::tls::Version;

/// An exporter serving TLS with a certificate of `pki` and the extra `tls_server_config` lines.
async fn tls_exporter(pki: &Pki, extra: &[&str]) -> (SocketAddr, Simulator) {
    pki.install_server(&pki.server("exporter"));
    let web_config = pki.web_config(&tls_yaml(extra));
    let (simulator, url) = common::simulator(None).await;
    let (addr, _) = common::exporter_at(&url, |c| c.web.web_config_file = Some(web_config)).await;
    (addr, simulator)
}

/// Whether a fresh client of `pki`'s CA presenting `identity` gets `/-/healthy`.
async fn served(pki: &Pki, addr: SocketAddr, identity: Option<&Pair>) -> bool {
    served_by(https_client(&pki.ca_pem(), identity), addr).await
}

async fn served_by(client: reqwest::Client, addr: SocketAddr) -> bool {
    match client.get(format!("https://{addr}/-/healthy")).send().await {
        Ok(response) => response.status() == 200,
        Err(_) => false,
    }
}

async fn curl_healthy(
    pki: &Pki,
    addr: SocketAddr,
    client: Option<(&str, &Pair)>,
) -> common::tls::Curl {
    let args = curl_tls_args(pki, client);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(&format!("https://{addr}/-/healthy"), &args).await
}

#[tokio::test]
async fn https_serves_metrics_to_reqwest_and_to_curl_that_trust_the_ca_and_to_no_one_else() {
    let pki = Pki::new("https");
    let (addr, _sim) = tls_exporter(&pki, &[]).await;

    let response = https_client(&pki.ca_pem(), None)
        .get(format!("https://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("proxy911_up 1"));

    let args = curl_tls_args(&pki, None);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let by_curl = curl(&format!("https://{addr}/metrics"), &args).await;
    assert_eq!(by_curl.status, 200, "{by_curl:?}");
    assert!(by_curl.body.contains("proxy911_up 1"));

    let untrusting = curl(&format!("https://{addr}/metrics"), &[]).await;
    assert_ne!(untrusting.exit, 0, "{untrusting:?}");
    assert!(!untrusting.body.contains("proxy911"));
    let other_ca = Pki::new("other");
    assert!(!served(&other_ca, addr, None).await);
}

#[tokio::test]
async fn plain_http_to_the_tls_port_gets_a_400_in_clear_and_no_metrics() {
    let pki = Pki::new("plain");
    let (addr, _sim) = tls_exporter(&pki, &[]).await;

    let response = common::http()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = response.text().await.unwrap();
    assert!(body.contains("HTTP request to an HTTPS server"), "{body}");
    assert!(!body.contains("proxy911"));

    let by_curl = curl(&format!("http://{addr}/metrics"), &[]).await;
    assert_eq!(by_curl.status, 400, "{by_curl:?}");
    assert!(!by_curl.body.contains("proxy911"));
}

#[tokio::test]
async fn no_client_cert_serves_clients_with_or_without_a_certificate() {
    let pki = Pki::new("noclientcert");
    let (addr, _sim) = tls_exporter(&pki, &["client_auth_type: NoClientCert"]).await;
    assert!(served(&pki, addr, None).await);
    assert!(served(&pki, addr, Some(&pki.client("c"))).await);
    assert!(served(&pki, addr, Some(&self_signed_client("s"))).await);
}

#[tokio::test]
async fn request_client_cert_asks_for_a_certificate_but_serves_any_or_none() {
    let pki = Pki::new("request");
    let (addr, _sim) = tls_exporter(&pki, &["client_auth_type: RequestClientCert"]).await;
    assert!(served(&pki, addr, None).await);
    assert!(served(&pki, addr, Some(&pki.client("c"))).await);
    assert!(served(&pki, addr, Some(&self_signed_client("s"))).await);
}

#[tokio::test]
async fn require_any_client_cert_refuses_a_client_without_a_certificate_and_serves_any_certificate()
{
    let pki = Pki::new("requireany");
    let (addr, _sim) = tls_exporter(&pki, &["client_auth_type: RequireAnyClientCert"]).await;
    assert!(!served(&pki, addr, None).await);
    assert_ne!(curl_healthy(&pki, addr, None).await.status, 200);
    assert!(served(&pki, addr, Some(&self_signed_client("s"))).await);
    assert!(served(&pki, addr, Some(&pki.client("c"))).await);
    let self_signed = self_signed_client("curl");
    assert_eq!(
        curl_healthy(&pki, addr, Some(("ss", &self_signed)))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn verify_client_cert_if_given_serves_no_certificate_and_refuses_one_the_ca_did_not_sign() {
    let pki = Pki::new("verifyifgiven");
    let (addr, _sim) = tls_exporter(
        &pki,
        &[
            "client_auth_type: VerifyClientCertIfGiven",
            "client_ca_file: ca.pem",
        ],
    )
    .await;
    assert!(served(&pki, addr, None).await);
    assert!(served(&pki, addr, Some(&pki.client("c"))).await);
    assert!(!served(&pki, addr, Some(&self_signed_client("s"))).await);
}

#[tokio::test]
async fn require_and_verify_client_cert_serves_only_certificates_the_client_ca_signed() {
    let pki = Pki::new("mtls");
    let (addr, _sim) = tls_exporter(
        &pki,
        &[
            "client_auth_type: RequireAndVerifyClientCert",
            "client_ca_file: ca.pem",
        ],
    )
    .await;
    assert!(!served(&pki, addr, None).await);
    assert!(!served(&pki, addr, Some(&self_signed_client("s"))).await);
    assert!(served(&pki, addr, Some(&pki.client("c"))).await);

    let without = curl_healthy(&pki, addr, None).await;
    assert_ne!(without.exit, 0, "{without:?}");
    assert_ne!(without.status, 200);
    let foreign = Pki::new("foreign").client("f");
    assert_ne!(
        curl_healthy(&pki, addr, Some(("foreign", &foreign)))
            .await
            .status,
        200
    );
    let with = curl_healthy(&pki, addr, Some(("client", &pki.client("curl")))).await;
    assert_eq!(with.status, 200, "{with:?}");
}

#[tokio::test]
async fn min_version_tls13_refuses_a_client_that_speaks_only_tls12() {
    let pki = Pki::new("min13");
    let (addr, _sim) = tls_exporter(&pki, &["min_version: TLS13"]).await;
    let tls12_only = https_builder(&pki.ca_pem(), None).max_tls_version(Version::TLS_1_2);
    assert!(!served_by(tls12_only.build().unwrap(), addr).await);
    assert!(served(&pki, addr, None).await);

    let mut args = curl_tls_args(&pki, None);
    args.extend(["--tls-max".into(), "1.2".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_ne!(
        curl(&format!("https://{addr}/-/healthy"), &args)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn max_version_tls12_refuses_a_client_that_speaks_only_tls13() {
    let pki = Pki::new("max12");
    let (addr, _sim) = tls_exporter(&pki, &["max_version: TLS12"]).await;
    let tls13_only = https_builder(&pki.ca_pem(), None).min_tls_version(Version::TLS_1_3);
    assert!(!served_by(tls13_only.build().unwrap(), addr).await);
    assert!(served(&pki, addr, None).await);

    let mut args = curl_tls_args(&pki, None);
    args.push("--tlsv1.3".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_ne!(
        curl(&format!("https://{addr}/-/healthy"), &args)
            .await
            .status,
        200
    );
}

/// The certificate a fresh connection to `addr` is served with.
async fn served_certificate(pki: &Pki, addr: SocketAddr) -> Vec<u8> {
    let response = https_client(&pki.ca_pem(), None)
        .get(format!("https://{addr}/-/healthy"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    peer_certificate(&response)
}

#[tokio::test]
async fn a_certificate_rotated_on_disk_is_served_to_the_next_connection_without_restart() {
    let pki = Pki::new("rotate");
    let (addr, _sim) = tls_exporter(&pki, &[]).await;
    let first = served_certificate(&pki, addr).await;

    let renewed = pki.server("renewed");
    pki.install_server(&renewed);
    assert_eq!(served_certificate(&pki, addr).await, renewed.cert_der());
    assert_ne!(first, renewed.cert_der());

    let again = pki.server("renewed again");
    pki.install_server(&again);
    assert_eq!(served_certificate(&pki, addr).await, again.cert_der());
}

#[tokio::test]
async fn a_new_pair_that_fails_to_load_keeps_the_previous_one_in_use() {
    let pki = Pki::new("badpair");
    let good = pki.server("good");
    pki.install_server(&good);
    let web_config = pki.web_config(&tls_yaml(&[]));
    let (_sim, url) = common::simulator(None).await;
    let (addr, _) = common::exporter_at(&url, |c| c.web.web_config_file = Some(web_config)).await;
    assert_eq!(served_certificate(&pki, addr).await, good.cert_der());

    // A certificate whose key is not (yet) the one on disk, as half-way through a renewal.
    let next = pki.server("next");
    pki.write("server.crt", &next.cert_pem);
    assert_eq!(served_certificate(&pki, addr).await, good.cert_der());
    pki.write("server.crt", "not a certificate\n");
    assert_eq!(served_certificate(&pki, addr).await, good.cert_der());
    std::fs::remove_file(pki.dir.join("server.key")).unwrap();
    assert_eq!(served_certificate(&pki, addr).await, good.cert_der());

    pki.install_server(&next);
    assert_eq!(served_certificate(&pki, addr).await, next.cert_der());
}

/// HTTP/2 has no header-read timeout: an HTTP/2 connection without a request in progress is
/// closed (gracefully) after the same 10 s as an idle HTTP/1.1 one, so an idle client cannot
/// hold connections forever.
#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_ten_seconds() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use tokio::io::AsyncReadExt;

    let pki = Pki::new("h2-idle");
    let (addr, _sim) = tls_exporter(&pki, &[]).await;
    proxy911_exporter::upstream::client::install_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    let ca = rustls::pki_types::CertificateDer::from(
        Pair {
            cert_pem: pki.ca_pem(),
            key_pem: String::new(),
        }
        .cert_der(),
    );
    roots.add(ca).unwrap();
    let mut config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));

    let opened = Instant::now();
    let mut received = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(15), tls.read_to_end(&mut received)).await;
    assert!(closed.is_ok(), "still open after 15 s");
    let after = opened.elapsed();
    assert!(
        after >= Duration::from_secs(9),
        "closed after {after:?}, before the 10 s"
    );
}

/// A rustls client's certificate resolver that presents nothing and records whether the server
/// asked for a certificate (rustls calls it only on a CertificateRequest), with the CA names the
/// request carried.
#[derive(Debug, Default)]
struct Asked(std::sync::Mutex<Option<Vec<Vec<u8>>>>);

impl rustls::client::ResolvesClientCert for Asked {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _: &[rustls::SignatureScheme],
    ) -> Option<std::sync::Arc<rustls::sign::CertifiedKey>> {
        *self.0.lock().unwrap() = Some(root_hint_subjects.iter().map(|s| s.to_vec()).collect());
        None
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// `GET /-/healthy` over a rustls client of `pki`'s CA that presents no certificate: the status
/// line, and the CA names of the server's CertificateRequest (`None`: it sent none).
async fn certificate_request(pki: &Pki, addr: SocketAddr) -> (String, Option<Vec<Vec<u8>>>) {
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    proxy911_exporter::upstream::client::install_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pki.ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let asked = std::sync::Arc::new(Asked::default());
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_client_cert_resolver(asked.clone());
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("a handshake");
    tls.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let hints = asked.0.lock().unwrap().clone();
    (status, hints)
}

#[tokio::test]
async fn request_client_cert_sends_a_certificate_request_that_no_client_cert_does_not() {
    let pki = Pki::new("certrequest");
    let (asking, _sim) = tls_exporter(&pki, &["client_auth_type: RequestClientCert"]).await;
    let other = Pki::new("certrequest-none");
    let (not_asking, _sim2) = tls_exporter(&other, &["client_auth_type: NoClientCert"]).await;

    let (status, asked) = certificate_request(&pki, asking).await;
    let (status_without, not_asked) = certificate_request(&other, not_asking).await;

    assert_eq!(status, "HTTP/1.1 200 OK", "served without a certificate");
    assert!(
        asked.is_some(),
        "RequestClientCert sends a CertificateRequest"
    );
    assert_eq!(status_without, "HTTP/1.1 200 OK");
    assert_eq!(not_asked, None, "NoClientCert sends none");
}
