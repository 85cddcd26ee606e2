//! exporter-toolkit's own test table, case for case, against this exporter: each row names the
//! toolkit case(s) it mirrors (`TestYAMLFiles`, `TestServerBehaviour`, `TestUsers` of
//! `web/tls_config_test.go`; `TestConfigReloading`, `TestWebConfigReloading`; the tests of
//! `web/handler_test.go`), writes the same web-config file (the toolkit's `testdata` files,
//! restated here with certificates of our own: an rcgen CA standing for `tls-ca-chain.pem`, an
//! RSA server certificate, and the two self-signed `CA:TRUE` client certificates), starts the
//! exporter with `App::build` and plays the same client with curl (the openssl CLI for the
//! TLS 1.1 client Go's test uses). The toolkit's `WebConfig:` variants hand the same file's
//! contents to the server in-process; here they are the same file, named in the same row.
//!
//! The one allowed difference: curves ring cannot serve. The toolkit's P-521-only file serves
//! there and is refused here at start-up with a message saying why; those rows are marked
//! [`Expect::P521Refused`] and counted apart.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::tls::{bcrypt_hash, self_signed_ca_client, Pki};
use proxy911_exporter::app::App;
use proxy911_exporter::web::WebHandle;
use proxy911_simulator::Simulator;
use tokio::process::Command;

// The toolkit's testdata files, restated. `{CERT}` and `{KEY}` stand for the server's PEM,
// indented for a YAML block scalar; `{USERS}` for the bcrypt users.
const NO_AUTH_GOOD: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n";
const NO_AUTH_GOOD_BLOCKING: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"RequireAndVerifyClientCert\"\n";
const TLS_INLINE: &str =
    "tls_server_config:\n  cert: |\n{CERT}  key: |\n{KEY}  client_auth_type: \"VerifyClientCertIfGiven\"\n";
const ALL_CIPHERS: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  cipher_suites:\n  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n  - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n  - TLS_AES_128_GCM_SHA256\n  - TLS_AES_256_GCM_SHA384\n  - TLS_CHACHA20_POLY1305_SHA256\n  - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n  - TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA\n  - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\n  - TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA\n  - TLS_RSA_WITH_AES_128_CBC_SHA\n  - TLS_RSA_WITH_AES_256_CBC_SHA\n  - TLS_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_RSA_WITH_AES_256_GCM_SHA384\n";
const SOME_CIPHERS: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  cipher_suites:\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  min_version: TLS12\n  max_version: TLS12\n";
const SOME_CIPHERS_NO_ORDER: &str = "tls_server_config :\n  cert_file : \"server.crt\"\n  key_file : \"server.key\"\n  client_auth_type : \"VerifyClientCertIfGiven\"\n  cipher_suites:\n  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  prefer_server_cipher_suites: false\n  min_version: TLS12\n  max_version: TLS12\n";
const ALL_CURVES: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  curve_preferences:\n    - CurveP256\n    - CurveP384\n    - CurveP521\n    - X25519\n    - X25519MLKEM768\n";
const SOME_CURVES: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  min_version: TLS13\n  curve_preferences:\n  - CurveP521\n";
const NO_HTTP2: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  max_version: TLS12\nhttp_server_config:\n  http2: false\n";
const NO_HTTP2_CIPHER: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  cipher_suites:\n    - TLS_RSA_WITH_AES_128_CBC_SHA\n  max_version: TLS12\n";
const HEADERS_GOOD: &str = "http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000; includeSubDomains\n    X-Content-Type-Options: nosniff\n    X-XSS-Protection: 1\n    Content-Security-Policy: \"default-src 'self' *.test.example.net\"\n";
const HEADERS_CONTENT_TYPE_OPTIONS_BAD: &str =
    "http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n";
const HEADERS_FRAME_OPTIONS_BAD: &str =
    "http_server_config:\n  headers:\n    X-Frame-Options: foo\n";
const HEADERS_EXTRA_HEADER_BAD: &str = "http_server_config:\n  headers:\n    Content-Type: foo\n";
const REQUIRE_ANY_CLIENT_CERT: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"RequireAnyClientCert\"\n  client_ca_file: \"tls-ca-chain.pem\"\n";
const REQUIRE_ANY_CLIENT_CERT_KEY_INLINE: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key: |\n{KEY}  client_auth_type: \"RequireAnyClientCert\"\n";
const REQUIRE_AND_VERIFY_CLIENT_CERT: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"RequireAndVerifyClientCert\"\n  client_ca_file: \"client_selfsigned.pem\"\n";
const CLIENT_SAN_GOOD: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"RequireAndVerifyClientCert\"\n  client_ca_file: \"client2_selfsigned.pem\"\n  client_allowed_sans:\n    - \"one\"\n    - \"test3\"\n    - \"two\"\n";
const CLIENT_SAN_BAD: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"RequireAndVerifyClientCert\"\n  client_ca_file: \"client2_selfsigned.pem\"\n  client_allowed_sans:\n    - \"bad\"\n";
const RATE_LIMITER_NONBLOCKING: &str = "rate_limit:\n  interval: 0\n  burst: 0\n";
const RATE_LIMITER_ONE_SECOND: &str = "rate_limit:\n  interval: \"1s\"\n  burst: 0\n";
const USERS_NO_TLS: &str = "basic_auth_users:\n{USERS}";
const USERS: &str =
    "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\nbasic_auth_users:\n{USERS}";
const EMPTY: &str = "";
const JUNK: &str = "hello: [world\n";
const JUNK_KEY: &str = "tls_server_config:\n  cert_filse: \"server.crt\"\n";
const CERT_PATH_EMPTY: &str = "tls_server_config:\n  cert_file: \"\"\n  key_file: \"server.key\"\n";
const CERT_EMPTY: &str = "tls_server_config:\n  cert: \"\"\n  key_file: \"server.key\"\n";
const KEY_PATH_EMPTY: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"\"\n";
const KEY_EMPTY: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key: \"\"\n";
const CERT_PATH_KEY_PATH_EMPTY: &str =
    "tls_server_config:\n  cert_file: \"\"\n  key_file: \"\"\n  client_auth_type: \"x\"\n";
const CERT_PATH_INVALID: &str =
    "tls_server_config:\n  cert_file: \"somefile\"\n  key_file: \"server.key\"\n";
const KEY_PATH_INVALID: &str =
    "tls_server_config:\n  cert_file: \"server.cert\"\n  key_file: \"somefile\"\n";
const CERT_PATH_KEY_PATH_INVALID: &str =
    "tls_server_config:\n  cert_file: \"somefile\"\n  key_file: \"somefile\"\n";
const NO_AUTH_BAD: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_ca_file: \"/dev/null\"\n";
const CLIENT_CAS_INVALID: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_ca_file: \"somefile\"\n";
const USER_LIST_INVALID: &str =
    "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\nbasic_auth_users:\n  john: doe\n";
const INVENTED_CIPHERS: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  cipher_suites:\n  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048\n";
const INVENTED_CURVES: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  curve_preferences:\n    - CurveP257\n";
const WRONG_TLS_VERSION: &str = "tls_server_config:\n  cert_file: \"server.crt\"\n  key_file: \"server.key\"\n  client_auth_type: \"VerifyClientCertIfGiven\"\n  min_version: TLS111\n";

/// The web config a row starts the exporter with.
#[derive(Debug, Clone, Copy)]
enum File {
    /// No `--web.config.file` (the toolkit's empty `YAMLConfigPath`).
    None,
    /// A path where there is no file.
    Missing,
    Yaml(&'static str),
}

/// The client of a row, as the toolkit's `TestInputs` describe it.
#[derive(Debug, Clone, Copy, Default)]
struct Client {
    tls: bool,
    /// `ClientMaxTLSVersion`: `1.1` is played by `openssl s_client`.
    max_tls: Option<&'static str>,
    /// `CipherSuites`, in OpenSSL's names.
    ciphers: Option<&'static str>,
    /// `CurvePreferences`, in OpenSSL's names.
    curves: Option<&'static str>,
    /// `ClientCertificate`: `client_selfsigned` or `client2_selfsigned`.
    cert: Option<&'static str>,
    user: Option<(&'static str, &'static str)>,
    /// `Requests`: the toolkit sends one more than this.
    requests: usize,
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Start-up fails with a message containing this.
    Refused(&'static str),
    /// Every request answered 200.
    Served,
    /// Served over TLS 1.2 with this suite (OpenSSL's name).
    ServedWithCipher(&'static str),
    /// Served with these response headers.
    ServedWithHeaders(&'static [(&'static str, &'static str)]),
    /// A TLS client on a plain listener: curl sees no TLS at all.
    PlainAnswerToTls,
    /// A plain client on a TLS listener: 400, in clear, saying so.
    TlsListenerRefusesPlain,
    /// The handshake fails: no HTTP answer.
    HandshakeFails,
    /// The server refuses a TLS 1.1 handshake with an alert (Go's client no longer even sends
    /// one: since Go 1.18 its MinVersion is TLS 1.2, so the toolkit's row fails either way).
    Tls11Refused,
    /// Some answer has this status.
    Status(u16),
    /// The allowed difference: the toolkit serves a P-521-only file, ring cannot; refused at
    /// start-up with a message containing this.
    P521Refused(&'static str),
}

struct Row {
    mirrors: &'static [&'static str],
    file: File,
    client: Client,
    expect: Expect,
}

const fn tls() -> Client {
    Client {
        tls: true,
        max_tls: None,
        ciphers: None,
        curves: None,
        cert: None,
        user: None,
        requests: 0,
    }
}

const fn plain() -> Client {
    Client {
        tls: false,
        ..tls()
    }
}

const NOT_THERE: &str = "No such file or directory";

fn yaml_files_table() -> Vec<Row> {
    use Expect::*;
    use File::Yaml;
    let refused = |mirrors, yaml, message| Row {
        mirrors,
        file: Yaml(yaml),
        client: plain(),
        expect: Refused(message),
    };
    vec![
        Row {
            mirrors: &["TestYAMLFiles/path to config yml invalid"],
            file: File::Missing,
            client: plain(),
            expect: Refused(NOT_THERE),
        },
        Row {
            mirrors: &["TestYAMLFiles/empty config yml"],
            file: Yaml(EMPTY),
            client: plain(),
            expect: Served,
        },
        refused(
            &["TestYAMLFiles/invalid config yml (invalid structure)"],
            JUNK,
            "--web.config.file",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (invalid key)"],
            JUNK_KEY,
            "unknown field `cert_filse`",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (cert path empty)"],
            CERT_PATH_EMPTY,
            "missing one of cert or cert_file",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (cert empty)"],
            CERT_EMPTY,
            "missing one of cert or cert_file",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (key path empty)"],
            KEY_PATH_EMPTY,
            "missing one of key or key_file",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (key empty)"],
            KEY_EMPTY,
            "missing one of key or key_file",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (cert path and key path empty)"],
            CERT_PATH_KEY_PATH_EMPTY,
            "missing one of cert or cert_file",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (cert path invalid)"],
            CERT_PATH_INVALID,
            NOT_THERE,
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (key path invalid)"],
            KEY_PATH_INVALID,
            NOT_THERE,
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (cert path and key path invalid)"],
            CERT_PATH_KEY_PATH_INVALID,
            NOT_THERE,
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (invalid ClientAuth)"],
            NO_AUTH_BAD,
            "client CA's have been configured without a Client Auth Policy",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (invalid ClientCAs filepath)"],
            CLIENT_CAS_INVALID,
            NOT_THERE,
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (invalid user list)"],
            USER_LIST_INVALID,
            "basic_auth_users.john: not a bcrypt hash",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (bad cipher)"],
            INVENTED_CIPHERS,
            "unknown cipher: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (bad curves)"],
            INVENTED_CURVES,
            "unknown curve: CurveP257",
        ),
        refused(
            &["TestYAMLFiles/invalid config yml (bad TLS version)"],
            WRONG_TLS_VERSION,
            "unknown TLS version",
        ),
    ]
}

fn server_behaviour_table() -> Vec<Row> {
    use Expect::*;
    use File::Yaml;
    const TOOLKIT_HEADERS: &[(&str, &str)] = &[
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ),
        ("x-frame-options", "deny"),
        ("x-content-type-options", "nosniff"),
        ("x-xss-protection", "1"),
        (
            "content-security-policy",
            "default-src 'self' *.test.example.net",
        ),
    ];
    let row = |mirrors, file, client, expect| Row {
        mirrors,
        file,
        client,
        expect,
    };
    vec![
        row(&["TestServerBehaviour/empty string YAMLConfigPath and default client", "TestServerBehaviour/default client"], File::None, plain(), Served),
        row(&["TestServerBehaviour/empty string YAMLConfigPath and TLS client"], File::None, tls(), PlainAnswerToTls),
        row(&["TestServerBehaviour/valid tls config yml and default client", "TestServerBehaviour/WebConfig: valid tls config and default client"], Yaml(NO_AUTH_GOOD), plain(), TlsListenerRefusesPlain),
        row(&["TestServerBehaviour/valid tls config yml and tls client", "TestServerBehaviour/WebConfig: valid tls config and tls client"], Yaml(NO_AUTH_GOOD), tls(), Served),
        row(&["TestServerBehaviour/valid tls config yml (cert and key inline) and tls client", "TestServerBehaviour/WebConfig: valid tls config (cert and key inline) and tls client"], Yaml(TLS_INLINE), tls(), Served),
        row(&["TestServerBehaviour/valid tls config yml with TLS 1.1 client", "TestServerBehaviour/WebConfig: valid tls config with TLS 1.1 client"], Yaml(NO_AUTH_GOOD), Client { max_tls: Some("1.1"), ..tls() }, Tls11Refused),
        row(&["TestServerBehaviour/valid tls config yml with all ciphers", "TestServerBehaviour/WebConfig: valid tls config with all ciphers"], Yaml(ALL_CIPHERS), tls(), Served),
        row(&["TestServerBehaviour/valid tls config yml with some ciphers", "TestServerBehaviour/WebConfig: valid tls config with some ciphers"], Yaml(SOME_CIPHERS), Client { ciphers: Some("ECDHE-RSA-AES128-GCM-SHA256"), ..tls() }, ServedWithCipher("ECDHE-RSA-AES128-GCM-SHA256")),
        row(&["TestServerBehaviour/valid tls config yml with no common cipher", "TestServerBehaviour/WebConfig: valid tls config with no common cipher"], Yaml(SOME_CIPHERS), Client { ciphers: Some("ECDHE-RSA-AES256-SHA"), ..tls() }, HandshakeFails),
        row(&["TestServerBehaviour/valid tls config yml with multiple client ciphers", "TestServerBehaviour/WebConfig: valid tls config with multiple client ciphers"], Yaml(SOME_CIPHERS), Client { ciphers: Some("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"), ..tls() }, ServedWithCipher("ECDHE-RSA-AES128-GCM-SHA256")),
        row(&["TestServerBehaviour/valid tls config yml with multiple client ciphers, client chooses cipher", "TestServerBehaviour/WebConfig: valid tls config with multiple client ciphers, client chooses cipher"], Yaml(SOME_CIPHERS_NO_ORDER), Client { ciphers: Some("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"), ..tls() }, ServedWithCipher("ECDHE-RSA-AES128-GCM-SHA256")),
        row(&["TestServerBehaviour/valid tls config yml with all curves", "TestServerBehaviour/WebConfig: valid tls config with all curves"], Yaml(ALL_CURVES), tls(), Served),
        row(&["TestServerBehaviour/valid tls config yml with some curves", "TestServerBehaviour/WebConfig: valid tls config with some curves"], Yaml(SOME_CURVES), Client { curves: Some("P-521"), ..tls() }, P521Refused("CurveP521: the TLS provider (rustls with ring) cannot serve this curve")),
        row(&["TestServerBehaviour/valid tls config yml with no common curves", "TestServerBehaviour/WebConfig: valid tls config with no common curves"], Yaml(SOME_CURVES), Client { curves: Some("P-384"), ..tls() }, P521Refused("CurveP521: the TLS provider (rustls with ring) cannot serve this curve")),
        row(&["TestServerBehaviour/valid tls config yml with non-http2 ciphers", "TestServerBehaviour/WebConfig: valid tls config with non-http2 ciphers"], Yaml(NO_HTTP2), tls(), Served),
        row(&["TestServerBehaviour/valid tls config yml with non-http2 ciphers but http2 enabled", "TestServerBehaviour/WebConfig: valid tls config with non-http2 ciphers but http2 enabled"], Yaml(NO_HTTP2_CIPHER), tls(), Refused("TLSConfig.CipherSuites is missing an HTTP/2-required AES_128_GCM_SHA256 cipher")),
        row(&["TestServerBehaviour/valid headers config", "TestServerBehaviour/WebConfig: valid headers config"], Yaml(HEADERS_GOOD), plain(), ServedWithHeaders(TOOLKIT_HEADERS)),
        row(&["TestServerBehaviour/invalid X-Content-Type-Options headers config", "TestServerBehaviour/WebConfig: invalid X-Content-Type-Options headers config"], Yaml(HEADERS_CONTENT_TYPE_OPTIONS_BAD), plain(), Refused("http_server_config.headers.X-Content-Type-Options: must be one of")),
        row(&["TestServerBehaviour/invalid X-Frame-Options headers config", "TestServerBehaviour/WebConfig: invalid X-Frame-Options headers config"], Yaml(HEADERS_FRAME_OPTIONS_BAD), plain(), Refused("http_server_config.headers.X-Frame-Options: must be one of")),
        row(&["TestServerBehaviour/HTTP header that can not be overridden", "TestServerBehaviour/WebConfig: HTTP header that can not be overridden"], Yaml(HEADERS_EXTRA_HEADER_BAD), plain(), Refused("http_server_config.headers.Content-Type: cannot be set")),
        row(&["TestServerBehaviour/valid tls config yml and tls client with RequireAnyClientCert (present certificate)", "TestServerBehaviour/WebConfig: valid tls config and tls client with RequireAnyClientCert (present certificate)"], Yaml(REQUIRE_ANY_CLIENT_CERT), Client { cert: Some("client_selfsigned"), ..tls() }, Served),
        // The toolkit's two rows name the key-inline file and load the other one; this row loads
        // the file the name says.
        row(&["TestServerBehaviour/valid tls config yml (cert from file, key inline) and tls client with RequireAnyClientCert (present certificate)", "TestServerBehaviour/WebConfig: valid tls config (cert from file, key inline) and tls client with RequireAnyClientCert (present certificate)"], Yaml(REQUIRE_ANY_CLIENT_CERT_KEY_INLINE), Client { cert: Some("client_selfsigned"), ..tls() }, Served),
        row(&["TestServerBehaviour/valid tls config yml and tls client with RequireAndVerifyClientCert (present certificate)", "TestServerBehaviour/WebConfig: valid tls config and tls client with RequireAndVerifyClientCert (present certificate)"], Yaml(REQUIRE_AND_VERIFY_CLIENT_CERT), Client { cert: Some("client_selfsigned"), ..tls() }, Served),
        row(&["TestServerBehaviour/valid tls config yml and tls client with VerifyPeerCertificate (present good SAN DNS entry)", "TestServerBehaviour/WebConfig: valid tls config and tls client with VerifyPeerCertificate (present good SAN DNS entry)"], Yaml(CLIENT_SAN_GOOD), Client { cert: Some("client2_selfsigned"), ..tls() }, Served),
        row(&["TestServerBehaviour/valid tls config yml and tls client with VerifyPeerCertificate (present invalid SAN DNS entries)"], Yaml(CLIENT_SAN_BAD), Client { cert: Some("client2_selfsigned"), ..tls() }, HandshakeFails),
        row(&["TestServerBehaviour/valid rate limiter (no rate limiter set up) that doesn't block", "TestServerBehaviour/valid rate limiter (no rate limiter set up) that doesn't block (WebConfig)"], Yaml(RATE_LIMITER_NONBLOCKING), Client { requests: 10, ..plain() }, Served),
        row(&["TestServerBehaviour/valid rate limiter with an interval of one second", "TestServerBehaviour/valid rate limiter with an interval of one second (WebConfig)"], Yaml(RATE_LIMITER_ONE_SECOND), Client { requests: 10, ..plain() }, Status(429)),
    ]
}

fn users_table() -> Vec<Row> {
    use Expect::*;
    use File::Yaml;
    let row = |mirrors, file, client, expect| Row {
        mirrors,
        file,
        client,
        expect,
    };
    vec![
        row(
            &[
                "TestUsers/without basic auth",
                "TestUsers/WebConfig: without basic auth",
            ],
            Yaml(USERS_NO_TLS),
            plain(),
            Status(401),
        ),
        row(
            &[
                "TestUsers/with correct basic auth",
                "TestUsers/WebConfig: with correct basic auth",
            ],
            Yaml(USERS_NO_TLS),
            Client {
                user: Some(("dave", "dave123")),
                ..plain()
            },
            Served,
        ),
        row(
            &[
                "TestUsers/without basic auth and TLS",
                "TestUsers/WebConfig: without basic auth and TLS",
            ],
            Yaml(USERS),
            tls(),
            Status(401),
        ),
        row(
            &[
                "TestUsers/with correct basic auth and TLS",
                "TestUsers/WebConfig: with correct basic auth and TLS",
            ],
            Yaml(USERS),
            Client {
                user: Some(("dave", "dave123")),
                ..tls()
            },
            Served,
        ),
        row(
            &[
                "TestUsers/with another correct basic auth and TLS",
                "TestUsers/WebConfig: with another correct basic auth and TLS",
            ],
            Yaml(USERS),
            Client {
                user: Some(("carol", "carol123")),
                ..tls()
            },
            Served,
        ),
        row(
            &[
                "TestUsers/with bad password and TLS",
                "TestUsers/WebConfig: with bad password and TLS",
            ],
            Yaml(USERS),
            Client {
                user: Some(("dave", "bad")),
                ..tls()
            },
            Status(401),
        ),
        row(
            &[
                "TestUsers/with bad username and TLS",
                "TestUsers/WebConfig: with bad username and TLS",
            ],
            Yaml(USERS),
            Client {
                user: Some(("nonexistent", "nonexistent")),
                ..tls()
            },
            Status(401),
        ),
    ]
}

/// Rows of our own beside the toolkit's, where its rows cannot tell honoured from ignored.
fn our_table() -> Vec<Row> {
    use Expect::*;
    use File::Yaml;
    const SERVER_ORDER: &str = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites:\n  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  max_version: TLS12\n";
    const P384_ONLY: &str = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS13\n  curve_preferences: [CurveP384]\n";
    let row = |mirrors, file, client, expect| Row {
        mirrors,
        file,
        client,
        expect,
    };
    vec![
        row(&["ours: prefer_server_cipher_suites (default true) picks the server's first suite"], Yaml(SERVER_ORDER), Client { ciphers: Some("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"), ..tls() }, ServedWithCipher("ECDHE-RSA-AES256-GCM-SHA384")),
        row(&["ours: curve_preferences serves the curve it names"], Yaml(P384_ONLY), Client { curves: Some("P-384"), ..tls() }, Served),
        row(&["ours: curve_preferences refuses a client without the curve it names"], Yaml(P384_ONLY), Client { curves: Some("X25519"), ..tls() }, HandshakeFails),
        row(&["ours: RequireAndVerifyClientCert refuses a client without a certificate"], Yaml(REQUIRE_AND_VERIFY_CLIENT_CERT), tls(), HandshakeFails),
        row(&["ours: RequireAndVerifyClientCert refuses a self-signed certificate it does not list"], Yaml(REQUIRE_AND_VERIFY_CLIENT_CERT), Client { cert: Some("client2_selfsigned"), ..tls() }, HandshakeFails),
        row(&["ours: RequireAndVerifyClientCert without client_ca_file refuses a certificate no system root signed"], Yaml(NO_AUTH_GOOD_BLOCKING), Client { cert: Some("client_selfsigned"), ..tls() }, HandshakeFails),
    ]
}

/// The certificates of the toolkit's `testdata`, made afresh: the CA that signs the server's
/// certificate (`tls-ca-chain.pem`), the server's pair, and the two self-signed clients
/// (`client2_selfsigned` carries the SAN `test3`).
struct Fixtures {
    pki: Pki,
    server_cert: String,
    server_key: String,
    users: String,
}

impl Fixtures {
    fn new(name: &str) -> Fixtures {
        let pki = Pki::new(name);
        let server = pki.server_rsa("localhost");
        pki.install_server(&server);
        pki.write("tls-ca-chain.pem", &pki.ca_pem());
        for (file, pair) in [
            (
                "client_selfsigned",
                self_signed_ca_client("Test client", &[]),
            ),
            (
                "client2_selfsigned",
                self_signed_ca_client("Test client 2", &["test3"]),
            ),
        ] {
            pki.write(&format!("{file}.pem"), &pair.cert_pem);
            pki.write(&format!("{file}.key"), &pair.key_pem);
        }
        let users = ["alice", "bob", "carol", "dave"]
            .iter()
            .map(|user| format!("  {user}: '{}'\n", bcrypt_hash(&format!("{user}123"))))
            .collect();
        Fixtures {
            pki,
            server_cert: server.cert_pem,
            server_key: server.key_pem,
            users,
        }
    }

    fn dir(&self) -> &Path {
        &self.pki.dir
    }

    /// Writes the row's web config; `None` without one.
    fn web_config(&self, file: File) -> Option<PathBuf> {
        let indent = |pem: &str| {
            pem.lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        };
        match file {
            File::None => None,
            File::Missing => Some(self.dir().join("somefile")),
            File::Yaml(yaml) => Some(
                self.pki.web_config(
                    &yaml
                        .replace("{CERT}", &indent(&self.server_cert))
                        .replace("{KEY}", &indent(&self.server_key))
                        .replace("{USERS}", &self.users),
                ),
            ),
        }
    }
}

/// An exporter built by `App::build` with `web_config`, or why it did not start.
struct Started {
    addr: SocketAddr,
    web: WebHandle,
    _simulator: Simulator,
}

async fn start(web_config: Option<PathBuf>) -> Result<Started, String> {
    let (simulator, url) = common::simulator(None).await;
    let mut config = common::config(&url);
    config.web.web_config_file = web_config;
    let app = App::build(config).await.map_err(|e| e.to_string())?;
    let (addr, web) = (app.local_addr(), app.web().clone());
    tokio::spawn(app.run(std::future::pending()));
    Ok(Started {
        addr,
        web,
        _simulator: simulator,
    })
}

/// What one request got.
#[derive(Debug)]
struct Reply {
    exit: i32,
    status: u16,
    http_version: String,
    headers: String,
    body: String,
    stderr: String,
}

/// One request to `/-/healthy` by curl, as `client` describes.
async fn request(addr: SocketAddr, client: &Client, dir: &Path, path: &str) -> Reply {
    let scheme = if client.tls { "https" } else { "http" };
    let marker = "\n--parity:";
    let mut command = Command::new("curl");
    command
        .args(["-sS", "-v", "--noproxy", "*", "--max-time", "15", "-D", "-"])
        .args(["-w", &format!("{marker}%{{http_code}} %{{http_version}}")]);
    if client.tls {
        command.arg("--cacert").arg(dir.join("tls-ca-chain.pem"));
    }
    if let Some(max) = client.max_tls {
        command.args(["--tls-max", max]);
    }
    if let Some(ciphers) = client.ciphers {
        command.args(["--ciphers", ciphers, "--tls-max", "1.2"]);
    }
    if let Some(curves) = client.curves {
        command.args(["--curves", curves]);
    }
    if let Some(name) = client.cert {
        command
            .arg("--cert")
            .arg(dir.join(format!("{name}.pem")))
            .arg("--key")
            .arg(dir.join(format!("{name}.key")));
    }
    if let Some((user, password)) = client.user {
        command.args(["-u", &format!("{user}:{password}")]);
    }
    let output = command
        .arg(format!("{scheme}://{addr}{path}"))
        .output()
        .await
        .expect("curl runs (scripts/install-tools.sh installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let (response, written) = stdout.rsplit_once(marker).unwrap_or((&stdout, "0 0"));
    let (status, http_version) = written.split_once(' ').unwrap_or((written, ""));
    let (headers, body) = response.split_once("\r\n\r\n").unwrap_or(("", response));
    Reply {
        exit: output.status.code().unwrap_or(-1),
        status: status.trim().parse().unwrap_or(0),
        http_version: http_version.trim().to_string(),
        headers: headers.to_ascii_lowercase(),
        body: body.to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Go's TLS 1.1 client, played by `openssl s_client`: what it printed.
async fn tls11_handshake(addr: SocketAddr) -> String {
    let output = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-tls1_1"])
        .args(["-cipher", "DEFAULT@SECLEVEL=0"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("the openssl CLI runs (apt-get install openssl)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs one row; `Err` says what differed.
async fn run(row: &Row, fixtures: &Fixtures) -> Result<(), String> {
    let started = start(fixtures.web_config(row.file)).await;
    let started = match (row.expect, started) {
        (Expect::Refused(message) | Expect::P521Refused(message), Err(error)) => {
            return if error.contains(message) && !error.contains('\n') {
                Ok(())
            } else {
                Err(format!(
                    "refused with {error:?}, expected a line containing {message:?}"
                ))
            };
        }
        (Expect::Refused(_) | Expect::P521Refused(_), Ok(_)) => {
            return Err("started, expected a refusal at start-up".into())
        }
        (_, Err(error)) => return Err(format!("did not start: {error}")),
        (_, Ok(started)) => started,
    };
    if row.client.max_tls == Some("1.1") {
        let printed = tls11_handshake(started.addr).await;
        return match row.expect {
            Expect::Tls11Refused
                if printed.contains("SSL alert number") && printed.contains("Cipher is (NONE)") =>
            {
                Ok(())
            }
            _ => Err(format!("TLS 1.1 client printed {printed}")),
        };
    }
    let mut replies = Vec::new();
    for _ in 0..=row.client.requests {
        replies.push(request(started.addr, &row.client, fixtures.dir(), "/-/healthy").await);
    }
    let first = &replies[0];
    let all_ok = replies.iter().all(|r| r.status == 200);
    let ok = match row.expect {
        Expect::Served => all_ok,
        Expect::ServedWithCipher(cipher) => {
            all_ok && first.stderr.contains(&format!("TLSv1.2 / {cipher}"))
        }
        Expect::ServedWithHeaders(headers) => {
            all_ok
                && headers.iter().all(|(name, value)| {
                    first
                        .headers
                        .contains(&format!("{name}: {}", value.to_ascii_lowercase()))
                })
        }
        Expect::PlainAnswerToTls => {
            first.status == 0 && first.stderr.contains("wrong version number")
        }
        Expect::TlsListenerRefusesPlain => {
            first.status == 400
                && first
                    .body
                    .contains("Client sent an HTTP request to an HTTPS server")
        }
        Expect::HandshakeFails => first.status == 0 && first.exit != 0,
        Expect::Status(status) => replies.iter().any(|r| r.status == status),
        Expect::Tls11Refused | Expect::Refused(_) | Expect::P521Refused(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {:?}, got {first:?}", row.expect))
    }
}

/// Runs every row of `table`, then fails naming every row that differed.
async fn check(name: &str, table: Vec<Row>) -> (usize, usize) {
    let fixtures = Fixtures::new(name);
    let mut failures = Vec::new();
    let (mut mirrored, mut p521) = (0, 0);
    for row in &table {
        match run(row, &fixtures).await {
            Ok(()) => {
                let toolkit = row
                    .mirrors
                    .iter()
                    .filter(|m| !m.starts_with("ours:"))
                    .count();
                match row.expect {
                    Expect::P521Refused(_) => p521 += toolkit,
                    _ => mirrored += toolkit,
                }
            }
            Err(why) => failures.push(format!("{}: {why}", row.mirrors.join(" | "))),
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (mirrored, p521)
}

#[tokio::test]
async fn every_yaml_file_of_the_toolkit_table_starts_or_is_refused_as_there() {
    let (mirrored, p521) = check("parity-yaml", yaml_files_table()).await;
    assert_eq!((mirrored, p521), (18, 0));
}

#[tokio::test]
async fn every_server_behaviour_case_of_the_toolkit_table_gets_the_same_outcome_but_p521() {
    let (mirrored, p521) = check("parity-server", server_behaviour_table()).await;
    assert_eq!((mirrored, p521), (48, 4));
}

#[tokio::test]
async fn every_users_case_of_the_toolkit_table_gets_the_same_status() {
    let (mirrored, p521) = check("parity-users", users_table()).await;
    assert_eq!((mirrored, p521), (14, 0));
}

#[tokio::test]
async fn the_keys_the_toolkit_rows_cannot_tell_from_ignored_ones_are_honoured() {
    check("parity-ours", our_table()).await;
}

#[tokio::test]
async fn http2_is_offered_by_alpn_unless_the_file_turns_it_off() {
    let fixtures = Fixtures::new("parity-h2");
    for (yaml, expected) in [(NO_AUTH_GOOD, "2"), (NO_HTTP2, "1.1")] {
        let started = start(fixtures.web_config(File::Yaml(yaml))).await.unwrap();
        let reply = request(started.addr, &tls(), fixtures.dir(), "/-/healthy").await;
        // curl asks for h2 by ALPN on https by default.
        assert_eq!(
            (reply.status, reply.http_version.as_str()),
            (200, expected),
            "{reply:?}"
        );
    }
}

/// `TestConfigReloading` and `TestWebConfigReloading`: a blocking policy, then the good file's
/// contents written over it: the next connection is served, without SIGHUP or restart.
#[tokio::test]
async fn a_file_changed_on_disk_applies_to_the_next_connection_without_a_signal() {
    // mirrors: TestConfigReloading, TestWebConfigReloading
    let fixtures = Fixtures::new("parity-reload");
    let path = fixtures
        .web_config(File::Yaml(NO_AUTH_GOOD_BLOCKING))
        .unwrap();
    let started = start(Some(path.clone())).await.unwrap();
    let blocked = request(started.addr, &tls(), fixtures.dir(), "/-/healthy").await;
    assert_eq!(
        blocked.status, 0,
        "RequireAndVerifyClientCert refuses: {blocked:?}"
    );

    std::fs::write(&path, NO_AUTH_GOOD).unwrap();
    let served = request(started.addr, &tls(), fixtures.dir(), "/-/healthy").await;
    assert_eq!(served.status, 200, "{served:?}");

    std::fs::write(&path, "tls_server_config: [broken\n").unwrap();
    let still = request(started.addr, &tls(), fixtures.dir(), "/-/healthy").await;
    assert_eq!(
        still.status, 200,
        "a broken file keeps the previous one: {still:?}"
    );
}

/// `TestBasicAuthCache`: alice's right and wrong passwords, then 150 of each at once: every
/// answer right, and (beyond the toolkit's test) each distinct password cost one bcrypt.
#[tokio::test]
async fn basic_auth_answers_right_under_concurrency_and_a_password_costs_one_bcrypt() {
    let fixtures = Fixtures::new("parity-cache");
    let started = start(fixtures.web_config(File::Yaml(USERS_NO_TLS)))
        .await
        .unwrap();
    let http = common::http();
    let url = format!("http://{}/-/healthy", started.addr);
    let login = |user: &'static str, password: &'static str| {
        let request = http.get(&url).basic_auth(user, Some(password));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(login("alice", "alice123").await, 200);
    assert_eq!(login("alice", "alice1234").await, 401);
    let mut all = Vec::new();
    for _ in 0..150 {
        all.push(tokio::spawn(login("alice", "alice123")));
        all.push(tokio::spawn(login("alice", "alice1234")));
    }
    for (i, answer) in futures::future::join_all(all).await.into_iter().enumerate() {
        assert_eq!(answer.unwrap(), if i % 2 == 0 { 200 } else { 401 });
    }
    let runs = started.web.current().basic_auth().unwrap().bcrypt_runs();
    assert_eq!(
        runs, 2,
        "one bcrypt for the right password, one for the wrong one"
    );
}

/// `TestBasicAuthWithFakepassword` and `TestByPassBasicAuthVuln` (CVE-2022-46146): the decoy
/// password of unknown users never logs in, cold or cached, and a user name carrying a hash
/// cannot poison the cache.
#[tokio::test]
async fn the_decoy_password_and_a_poisoned_cache_never_log_in() {
    let fixtures = Fixtures::new("parity-decoy");
    let started = start(fixtures.web_config(File::Yaml(USERS_NO_TLS)))
        .await
        .unwrap();
    let http = common::http();
    let url = format!("http://{}/-/healthy", started.addr);
    let alice_hash = fixtures
        .users
        .lines()
        .next()
        .unwrap()
        .split('\'')
        .nth(1)
        .unwrap()
        .to_string();
    for (user, password) in [
        ("fakeuser".to_string(), "fakepassword".to_string()),
        ("fakeuser".to_string(), "fakepassword".to_string()),
        (format!("alice{alice_hash}"), "fakepassword".to_string()),
        ("alice".to_string(), format!("{alice_hash}fakepassword")),
    ] {
        let status = http
            .get(&url)
            .basic_auth(&user, Some(&password))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 401, "{user}");
    }
}

/// `TestHTTPHeaders`.
#[tokio::test]
async fn the_configured_headers_are_sent_as_the_toolkit_sends_them() {
    let fixtures = Fixtures::new("parity-headers");
    let started = start(fixtures.web_config(File::Yaml(HEADERS_GOOD)))
        .await
        .unwrap();
    let response = common::http()
        .get(format!("http://{}/-/healthy", started.addr))
        .send()
        .await
        .unwrap();
    for (name, value) in [
        (
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ),
        ("X-Frame-Options", "deny"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-XSS-Protection", "1"),
    ] {
        assert_eq!(response.headers()[name], value, "{name}");
    }
}

/// A refused handshake is worth one WARN per client and cause, not one per attempt, and not
/// silence (the real binary, its log read back).
#[tokio::test]
async fn a_refused_handshake_is_logged_once_per_client_and_cause_at_warn() {
    let fixtures = Fixtures::new("parity-warn");
    let path = fixtures
        .web_config(File::Yaml(NO_AUTH_GOOD_BLOCKING))
        .unwrap();
    let (_simulator, url) = common::simulator(None).await;
    let port = common::free_port();
    let mut child = common::spawn_exporter(
        port,
        &url,
        // Debug: each later refusal leaves a DEBUG line, so the test sees that all three were
        // handled (and logged) before it counts the WARNs.
        &[
            "--web.config.file",
            path.to_str().unwrap(),
            "--log.level",
            "debug",
        ],
        &[],
    );
    let tail = common::LogTail::of(&mut child);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut listening = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            listening = true;
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the exporter exited at start-up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listening);
    for _ in 0..3 {
        let reply = request(addr, &tls(), fixtures.dir(), "/-/healthy").await;
        assert_eq!(reply.status, 0, "{reply:?}");
    }
    tail.until_logged_times("TLS handshake refused", 3).await;
    let logs = tail.stop(child).await;
    let warned: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("TLS handshake refused") && l.contains(" WARN "))
        .collect();
    assert_eq!(warned.len(), 1, "{logs}");
    assert!(
        warned[0].contains("WARN") && warned[0].contains("127.0.0.1"),
        "{logs}"
    );
}

/// Unknown cipher and curve names, and a P-521-only list, stop the binary with exit 2 and a
/// line naming them.
#[tokio::test]
async fn unknown_cipher_and_curve_names_and_p521_alone_stop_the_binary_with_exit_2() {
    let fixtures = Fixtures::new("parity-exit");
    for (yaml, named) in [
        (INVENTED_CIPHERS, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048"),
        (INVENTED_CURVES, "CurveP257"),
        (
            SOME_CURVES,
            "CurveP521: the TLS provider (rustls with ring) cannot serve this curve",
        ),
    ] {
        let path = fixtures.web_config(File::Yaml(yaml)).unwrap();
        let child = common::spawn_exporter(
            common::free_port(),
            "http://127.0.0.1:9",
            &["--web.config.file", path.to_str().unwrap()],
            &[],
        );
        let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
            .await
            .expect("exits at start-up")
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
    }
}

/// The Verify modes without `client_ca_file` verify against the system roots, as Go does; here
/// the system roots are `SSL_CERT_FILE`, which names the test CA.
#[tokio::test]
async fn without_a_client_ca_file_client_certificates_verify_against_ssl_cert_file() {
    let fixtures = Fixtures::new("parity-roots");
    let signed = fixtures.pki.client("scraper");
    fixtures.pki.write("signed.pem", &signed.cert_pem);
    fixtures.pki.write("signed.key", &signed.key_pem);
    let path = fixtures
        .web_config(File::Yaml(NO_AUTH_GOOD_BLOCKING))
        .unwrap();
    let (_simulator, url) = common::simulator(None).await;
    let port = common::free_port();
    let roots = fixtures.dir().join("tls-ca-chain.pem");
    let empty_dir = fixtures.dir().join("no-certs");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let mut child = common::spawn_exporter(
        port,
        &url,
        &["--web.config.file", path.to_str().unwrap()],
        &[
            ("SSL_CERT_FILE", roots.to_str().unwrap()),
            ("SSL_CERT_DIR", empty_dir.to_str().unwrap()),
        ],
    );
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut listening = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            listening = true;
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the exporter exited at start-up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listening);

    let with_signed = Client {
        cert: Some("signed"),
        ..tls()
    };
    let served = request(addr, &with_signed, fixtures.dir(), "/-/healthy").await;
    assert_eq!(served.status, 200, "{served:?}");
    let with_self_signed = Client {
        cert: Some("client_selfsigned"),
        ..tls()
    };
    let refused = request(addr, &with_self_signed, fixtures.dir(), "/-/healthy").await;
    assert_eq!(refused.status, 0, "{refused:?}");
    let without = request(addr, &tls(), fixtures.dir(), "/-/healthy").await;
    assert_eq!(without.status, 0, "{without:?}");
    common::stop_and_read_logs(child).await;
}

/// exporter-toolkit reads `client_ca_file` again for every connection: a CA file replaced on
/// disk (cert-manager renews `ca.crt` in place too) applies to the next connection, without a
/// signal.
#[tokio::test]
async fn a_client_ca_file_changed_on_disk_applies_to_the_next_connection() {
    const CA_BUNDLE: &str = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca-bundle.pem\n";
    let fixtures = Fixtures::new("parity-ca-reload");
    let dir = fixtures.dir().to_path_buf();
    let pem = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    fixtures
        .pki
        .write("ca-bundle.pem", &pem("client_selfsigned.pem"));
    let started = start(fixtures.web_config(File::Yaml(CA_BUNDLE)))
        .await
        .unwrap();
    let status = |cert: &'static str| {
        let client = Client {
            cert: Some(cert),
            ..tls()
        };
        let (addr, dir) = (started.addr, dir.clone());
        async move { request(addr, &client, &dir, "/-/healthy").await.status }
    };
    assert_eq!(status("client_selfsigned").await, 200);
    assert_eq!(status("client2_selfsigned").await, 0);

    fixtures
        .pki
        .write("ca-bundle.pem", &pem("client2_selfsigned.pem"));
    assert_eq!(status("client2_selfsigned").await, 200);
    assert_eq!(status("client_selfsigned").await, 0);
}
