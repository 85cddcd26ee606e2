//! The web configuration file: what it accepts, what it refuses (naming the key), and where
//! relative paths point. Listener behaviour is tested with real clients in tests/web_*.rs.

use std::path::Path;

use super::file::{ClientAuthType, PemSource, TlsVersion, WebFile};
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
    let tls = file.tls.unwrap();
    let path = |source: &PemSource| match source {
        PemSource::File(path) => path.display().to_string(),
        PemSource::Inline(_) => "inline".into(),
    };
    assert_eq!(path(&tls.cert), "/etc/proxy911/tls/server.crt");
    assert_eq!(path(&tls.key), "/abs/server.key");
    assert_eq!(
        tls.client_ca.as_ref().map(path).as_deref(),
        Some("/etc/proxy911/ca.pem")
    );
    assert_eq!(tls.client_auth, ClientAuthType::RequireAndVerifyClientCert);
    assert_eq!(
        (tls.min_version, tls.max_version),
        (TlsVersion::Tls13, TlsVersion::Tls13)
    );
    assert!(tls.prefer_server_cipher_suites && tls.cipher_suites.is_none() && tls.curves.is_none());
    assert_eq!(file.users["prometheus"], HASH);
    assert_eq!(file.headers.len(), 2);
    assert!(file.http2 && file.rate_limit.is_none());
    assert!(file.warnings.is_empty());
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
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  max_version: TLS11\n",
            "tls_server_config.max_version: rustls implements TLS12 and TLS13 only",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS111\n",
            "tls_server_config.min_version: unknown TLS version",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  max_version: SSL3\n",
            "tls_server_config.max_version",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n",
            "tls_server_config.min_version: is above max_version",
        ),
        (
            "tls_server_config:\n  key_file: k\n",
            "tls_server_config.cert_file: missing one of cert or cert_file",
        ),
        (
            "tls_server_config:\n  cert_file: c\n",
            "tls_server_config.key_file: missing one of key or key_file",
        ),
        (
            "tls_server_config:\n  cert: ''\n  key: PEM\n",
            "tls_server_config.cert_file: missing one of cert or cert_file",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: /dev/null\n",
            "tls_server_config.client_ca_file: client CA's have been configured without a Client Auth Policy",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]\n",
            "tls_server_config.client_allowed_sans: requires client_auth_type",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  cipher_suites: [TLS_FOO, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_BAR]\n",
            "tls_server_config.cipher_suites: unknown cipher: TLS_FOO, TLS_BAR",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  curve_preferences: [CurveP256, Curve25519]\n",
            "tls_server_config.curve_preferences: unknown curve: Curve25519",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  curve_preferences: [CurveP521]\n",
            "tls_server_config.curve_preferences: CurveP521: the TLS provider (rustls with ring) cannot serve this curve",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n",
            "tls_server_config.cipher_suites: TLSConfig.CipherSuites is missing an HTTP/2-required",
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  max_version: TLS12\n  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA]\nhttp_server_config:\n  http2: false\n",
            "tls_server_config.cipher_suites: TLS_RSA_WITH_AES_128_CBC_SHA: the TLS provider (rustls with ring) cannot serve",
        ),
        ("rate_limit:\n  interval: 1x\n", "rate_limit.interval"),
        ("rate_limit:\n  burst: -1\n", "rate_limit.burst"),
        ("rate_limit:\n  bursts: 1\n", "bursts"),
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
fn an_unknown_key_that_spans_lines_is_refused_on_one_line() {
    // Arrange: the input the fuzz target web_config found; its plain key spans two lines.
    let text = "{Ecomments on/y\n\n  cert: \n|    -----lse\n  headers:\n \nBEGINratv";

    // Act
    let refused = WebFile::from_text(Path::new("/etc/web.yml"), text)
        .unwrap_err()
        .to_string();

    // Assert
    assert!(!refused.contains('\n'), "{refused:?} is one line");
    assert!(
        refused.contains("Ecomments on/y cert"),
        "{refused:?} names the key"
    );
}

#[test]
fn every_key_of_exporter_toolkit_is_accepted_and_kept() {
    let file = parse(
        "tls_server_config:\n  cert: CERT\n  key: KEY\n  client_ca: CA\n  \
         client_auth_type: RequireAndVerifyClientCert\n  client_allowed_sans: [a, b]\n  \
         cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n  \
         curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: false\n\
         http_server_config:\n  http2: false\n\
         rate_limit:\n  interval: 1m30s\n  burst: 5\n",
    )
    .unwrap();
    let tls = file.tls.unwrap();
    assert!(matches!(tls.cert, PemSource::Inline(_)));
    assert!(matches!(tls.key, PemSource::Inline(_)));
    assert!(matches!(tls.client_ca, Some(PemSource::Inline(_))));
    assert_eq!(tls.client_allowed_sans, Some(vec!["a".into(), "b".into()]));
    let suites: Vec<_> = tls.cipher_suites.unwrap().iter().map(|c| c.name).collect();
    assert_eq!(
        suites,
        ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
        "TLS 1.3 names are Go's no-ops"
    );
    let curves: Vec<_> = tls.curves.unwrap().iter().map(|c| c.name).collect();
    assert_eq!(curves, ["X25519", "CurveP256"]);
    assert!(!tls.prefer_server_cipher_suites);
    assert!(!file.http2);
    let limit = file.rate_limit.unwrap();
    assert_eq!((limit.interval.as_secs(), limit.burst), (90, 5));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
}

#[test]
fn an_inline_key_is_never_shown() {
    let file = parse("tls_server_config:\n  cert: CERT\n  key: SECRET-KEY-TEXT\n").unwrap();
    let shown = format!("{file:?}");
    assert!(!shown.contains("SECRET-KEY-TEXT"), "{shown}");
}

#[test]
fn what_ring_cannot_serve_is_left_out_with_a_warning_naming_it() {
    let file = parse(
        "tls_server_config:\n  cert_file: c\n  key_file: k\n  \
         curve_preferences: [CurveP256, CurveP521, X25519MLKEM768]\n  \
         cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA]\n  \
         min_version: TLS10\n",
    )
    .unwrap();
    let tls = file.tls.unwrap();
    assert_eq!(tls.curves.unwrap().len(), 1);
    assert_eq!(tls.cipher_suites.unwrap().len(), 1);
    assert_eq!(tls.min_version, TlsVersion::Tls12);
    let warnings = file.warnings.join("\n");
    for named in [
        "CurveP521, X25519MLKEM768",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "TLS10",
    ] {
        assert!(warnings.contains(named), "{warnings}");
    }
}

#[test]
fn a_zero_interval_is_no_rate_limit_and_go_durations_are_read() {
    for text in [
        "rate_limit:\n  interval: 0\n  burst: 0\n",
        "rate_limit:\n  interval: 0s\n",
        "rate_limit: {}\n",
    ] {
        assert!(parse(text).unwrap().rate_limit.is_none(), "{text}");
    }
    let limit = parse("rate_limit:\n  interval: 1s\n  burst: 0\n")
        .unwrap()
        .rate_limit
        .unwrap();
    assert_eq!((limit.interval.as_millis(), limit.burst), (1000, 0));
}

#[test]
fn the_verify_modes_need_no_ca_file() {
    for mode in ["VerifyClientCertIfGiven", "RequireAndVerifyClientCert"] {
        let text = format!(
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: {mode}\n"
        );
        assert!(
            parse(&text).unwrap().tls.unwrap().client_ca.is_none(),
            "{mode}"
        );
    }
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

proptest::proptest! {
    #[test]
    fn any_cipher_or_curve_names_are_accepted_or_refused_naming_the_key_without_a_panic(
        ciphers in proptest::collection::vec("[A-Z0-9_]{0,44}|TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256|TLS_RSA_WITH_AES_128_CBC_SHA", 0..4),
        curves in proptest::collection::vec("[A-Za-z0-9]{0,14}|CurveP521|X25519", 0..4),
    ) {
        let text = format!(
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  cipher_suites: {ciphers:?}\n  curve_preferences: {curves:?}\n"
        );
        if let Err((key, _)) = parse(&text) {
            proptest::prop_assert!(key.starts_with("tls_server_config"), "{key}");
        }
    }
}

#[test]
fn an_inline_key_that_does_not_load_is_refused_without_showing_it() {
    let dir = std::env::temp_dir().join(format!("proxy911-web-inline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("web.yml");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    let indented: String = cert.lines().map(|l| format!("    {l}\n")).collect();
    // A key of the right shape whose body is not a key: the parser refuses it.
    std::fs::write(
        &path,
        format!(
            "tls_server_config:\n  cert: |\n{indented}  key: |\n    -----BEGIN PRIVATE KEY-----\n    U0VDUkVUS0VZTUFURVJJQUw=\n    -----END PRIVATE KEY-----\n"
        ),
    )
    .unwrap();
    let error = WebHandle::load(Some(&path)).unwrap_err().to_string();
    assert!(
        error.contains("tls_server_config.key: the inline key"),
        "{error}"
    );
    assert!(!error.contains("U0VDUkVUS0VZTUFURVJJQUw"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_changed_file_is_in_force_at_the_next_refresh_and_a_broken_one_keeps_it() {
    let dir = std::env::temp_dir().join(format!("proxy911-web-refresh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("web.yml");
    std::fs::write(&path, "").unwrap();
    let web = WebHandle::load(Some(&path)).unwrap();
    assert!(web.refresh().await.basic_auth().is_none());

    std::fs::write(&path, format!("basic_auth_users:\n  alice: '{HASH}'\n")).unwrap();
    assert!(web.refresh().await.basic_auth().is_some());

    std::fs::write(&path, "basic_auth_users: [broken\n").unwrap();
    assert!(
        web.refresh().await.basic_auth().is_some(),
        "the previous one stays"
    );

    std::fs::write(&path, "").unwrap();
    assert!(web.refresh().await.basic_auth().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_client_ca_file_that_cannot_be_read_is_an_error_in_every_mode_as_in_go() {
    let dir = std::env::temp_dir().join(format!("proxy911-web-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(dir.join("server.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
    let path = dir.join("web.yml");
    for mode in [
        "RequestClientCert",
        "RequireAnyClientCert",
        "VerifyClientCertIfGiven",
        "RequireAndVerifyClientCert",
    ] {
        std::fs::write(
            &path,
            format!(
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  \
                 client_auth_type: {mode}\n  client_ca_file: absent.pem\n"
            ),
        )
        .unwrap();
        let error = WebHandle::load(Some(&path)).unwrap_err().to_string();
        assert!(
            error.contains("tls_server_config.client_ca_file") && error.contains("absent.pem"),
            "{mode}: {error}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest::proptest! {
    #[test]
    fn any_text_as_a_web_config_is_read_or_refused_on_one_line_without_a_panic(
        text in "(tls_server_config|http_server_config|rate_limit|basic_auth_users|cert|key|client_ca|interval|burst|http2|headers|[a-z_]{1,8}|:|\n|  |- |\\[|\\]|\\{|\\}|'|\"|[0-9]{1,3}|[a-zA-Z0-9 .$/]{0,6}){0,30}"
    ) {
        if let Err(error) = WebFile::from_text(Path::new("/etc/proxy911/web.yml"), &text) {
            let message = error.to_string();
            proptest::prop_assert!(!message.contains('\n'), "{message:?}");
        }
    }
}
