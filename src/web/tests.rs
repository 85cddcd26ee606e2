//! The web configuration file: what it accepts, what it refuses (naming the key), and where
//! relative paths point. Listener behaviour is tested with real clients in tests/web_*.rs.

use std::path::Path;

use super::file::{ClientAuthType, TlsFiles, TlsVersion, WebFile};
use super::{WebConfigError, WebHandle};

fn parse(text: &str) -> Result<WebFile, (String, String)> {
    WebFile::parse(text, Path::new("/etc/proxy911"))
}

fn refused_key(text: &str) -> String {
    match parse(text) {
        Ok(file) => panic!("accepted: {file:?}\n{text}"),
        Err((key, message)) => format!("{key}: {message}"),
    }
}

const HASH: &str = "$2y$04$Ghq8mEPiCg8ct9TgG5J9k.QFHDlvCX6dRPVzsmTcVpoSIVx8n/H0m";

#[test]
fn an_empty_file_configures_nothing() {
    for text in ["", "# only a comment\n", "---\n"] {
        let file = parse(text).unwrap();
        assert!(file.tls.is_none() && file.users.is_empty() && file.headers.is_empty());
    }
}

#[test]
fn a_full_file_is_read_with_paths_relative_to_its_directory() {
    let file = parse(&format!(
        "tls_server_config:\n  cert_file: tls/server.crt\n  key_file: /abs/server.key\n  \
         client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  \
         min_version: TLS13\n\
         basic_auth_users:\n  prometheus: '{HASH}'\n\
         http_server_config:\n  headers:\n    X-Frame-Options: deny\n    \
         Strict-Transport-Security: max-age=31536000\n"
    ))
    .unwrap();
    assert_eq!(
        file.tls,
        Some(TlsFiles {
            cert_file: "/etc/proxy911/tls/server.crt".into(),
            key_file: "/abs/server.key".into(),
            client_auth: ClientAuthType::RequireAndVerifyClientCert,
            client_ca_file: Some("/etc/proxy911/ca.pem".into()),
            min_version: TlsVersion::Tls13,
            max_version: TlsVersion::Tls13,
        })
    );
    assert_eq!(file.users["prometheus"], HASH);
    assert_eq!(file.headers.len(), 2);
    assert!(file.ignored.is_empty());
}

#[test]
fn every_client_auth_type_of_exporter_toolkit_is_known() {
    for (name, expected) in [
        ("NoClientCert", ClientAuthType::NoClientCert),
        ("RequestClientCert", ClientAuthType::RequestClientCert),
        ("RequireAnyClientCert", ClientAuthType::RequireAnyClientCert),
        ("RequireClientCert", ClientAuthType::RequireAnyClientCert),
        (
            "VerifyClientCertIfGiven",
            ClientAuthType::VerifyClientCertIfGiven,
        ),
        (
            "RequireAndVerifyClientCert",
            ClientAuthType::RequireAndVerifyClientCert,
        ),
    ] {
        let ca = if name.contains("Verify") {
            "\n  client_ca_file: ca.pem"
        } else {
            ""
        };
        let file = parse(&format!(
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: {name}{ca}\n"
        ))
        .unwrap();
        assert_eq!(file.tls.unwrap().client_auth, expected, "{name}");
    }
}

#[test]
fn unknown_keys_and_bad_values_are_refused_naming_the_key() {
    for (text, named) in [
        ("tls_server_config:\n  cert_fil: x\n", "tls_server_config"),
        ("tls_server_config:\n  cert_fil: x\n", "cert_fil"),
        ("basic_auth_user:\n  a: b\n", "basic_auth_user"),
        ("http_server_config:\n  header: {}\n", "header"),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Sometimes\n",
            "tls_server_config.client_auth_type",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS11\n",
            "tls_server_config.min_version: TLS11 is not supported",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  max_version: SSL3\n",
            "tls_server_config.max_version",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n",
            "tls_server_config.min_version: is above max_version",
        ),
        ("tls_server_config:\n  key_file: k\n", "tls_server_config.cert_file"),
        ("tls_server_config:\n  cert_file: c\n", "tls_server_config.key_file"),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n",
            "tls_server_config.client_ca_file: is set but client_auth_type is NoClientCert",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert\n",
            "tls_server_config.client_ca_file: is required",
        ),
        ("tls_server_config:\n  cert: PEM\n", "tls_server_config.cert: inline PEM"),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_allowed_sans: [a]\n",
            "tls_server_config.client_allowed_sans",
        ),
        ("rate_limit:\n  burst: 1\n", "rate_limit"),
        ("basic_auth_users:\n  alice: plaintext\n", "basic_auth_users.alice: not a bcrypt hash"),
        (
            &format!("basic_auth_users:\n  'a:b': '{HASH}'\n"),
            "basic_auth_users.a:b: a user name cannot contain ':'",
        ),
        (
            "http_server_config:\n  headers:\n    X-Powered-By: me\n",
            "http_server_config.headers.X-Powered-By: cannot be set",
        ),
        (
            "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
            "http_server_config.headers.X-Frame-Options: must be one of",
        ),
        (
            "http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
            "http_server_config.headers.X-Content-Type-Options",
        ),
        ("tls_server_config: [1, 2]\n", "tls_server_config"),
        ("- a\n- b\n", "invalid type"),
    ] {
        let refused = refused_key(text);
        assert!(refused.contains(named), "{refused:?} should name {named:?}");
        assert!(!refused.contains('\n'), "{refused:?} is one line");
    }
}

#[test]
fn keys_rustls_cannot_honour_are_accepted_and_reported_as_ignored() {
    let file = parse(
        "tls_server_config:\n  cert_file: c\n  key_file: k\n  \
         cipher_suites: [TLS_AES_128_GCM_SHA256]\n  curve_preferences: [X25519]\n  \
         prefer_server_cipher_suites: true\n\
         http_server_config:\n  http2: false\n",
    )
    .unwrap();
    assert_eq!(
        file.ignored,
        [
            "http_server_config.http2",
            "tls_server_config.cipher_suites",
            "tls_server_config.curve_preferences",
            "tls_server_config.prefer_server_cipher_suites",
        ]
    );
}

#[test]
fn a_missing_file_or_certificate_is_an_error_naming_the_file() {
    let missing = WebHandle::load(Some(Path::new("/nonexistent/web.yml"))).unwrap_err();
    assert!(matches!(missing, WebConfigError::Read { .. }));
    assert!(
        missing.to_string().contains("/nonexistent/web.yml"),
        "{missing}"
    );

    let dir = std::env::temp_dir().join(format!("proxy911-web-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("web.yml");
    std::fs::write(
        &path,
        "tls_server_config:\n  cert_file: none.crt\n  key_file: none.key\n",
    )
    .unwrap();
    let error = WebHandle::load(Some(&path)).unwrap_err().to_string();
    assert!(
        error.contains("tls_server_config.cert_file") && error.contains("none.crt"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_a_file_there_is_no_tls_no_auth_and_nothing_to_reload() {
    let web = WebHandle::load(None).unwrap();
    assert!(!web.tls_enabled());
    assert!(web.current().basic_auth().is_none());
    assert_eq!(web.reload().unwrap(), super::Reloaded::NoFile);
}
