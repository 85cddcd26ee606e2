//! Go's names for TLS cipher suites and curves, as a web config writes them
//! (`tls_server_config.cipher_suites`, `.curve_preferences`), and what rustls with ring serves
//! for each. A name Go does not know is refused (as exporter-toolkit refuses it); a name Go knows
//! and ring cannot serve is known here with no rustls counterpart, so the caller can say so.

use rustls::crypto::ring::{cipher_suite, kx_group};
use rustls::crypto::SupportedKxGroup;
use rustls::SupportedCipherSuite;

/// One of Go's cipher suites (`tls.CipherSuites()`, the list exporter-toolkit accepts).
#[derive(Debug, Clone, Copy)]
pub struct GoCipher {
    pub name: &'static str,
    /// A TLS 1.3 suite: Go ignores these in `cipher_suites` (TLS 1.3 suites are not
    /// configurable there), and so does this exporter.
    pub tls13: bool,
    /// The suite rustls serves under this name; `None` for the CBC and RSA key-exchange suites,
    /// which rustls does not implement.
    pub rustls: Option<SupportedCipherSuite>,
}

const fn tls12(name: &'static str, rustls: Option<SupportedCipherSuite>) -> GoCipher {
    GoCipher {
        name,
        tls13: false,
        rustls,
    }
}

const fn tls13(name: &'static str) -> GoCipher {
    GoCipher {
        name,
        tls13: true,
        rustls: None,
    }
}

/// Go's `tls.CipherSuites()`.
pub(crate) static CIPHERS: [GoCipher; 17] = [
    tls13("TLS_AES_128_GCM_SHA256"),
    tls13("TLS_AES_256_GCM_SHA384"),
    tls13("TLS_CHACHA20_POLY1305_SHA256"),
    tls12("TLS_RSA_WITH_AES_128_CBC_SHA", None),
    tls12("TLS_RSA_WITH_AES_256_CBC_SHA", None),
    tls12("TLS_RSA_WITH_AES_128_GCM_SHA256", None),
    tls12("TLS_RSA_WITH_AES_256_GCM_SHA384", None),
    tls12("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", None),
    tls12("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", None),
    tls12("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", None),
    tls12("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", None),
    tls12(
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        Some(cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
    ),
    tls12(
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        Some(cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
    ),
    tls12(
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        Some(cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
    ),
    tls12(
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Some(cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
    ),
    tls12(
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        Some(cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
    ),
    tls12(
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        Some(cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    ),
];

/// The suites Go's HTTP/2 server requires one of when `cipher_suites` limits TLS 1.2.
pub(crate) const HTTP2_REQUIRED: [&str; 2] = [
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
];

/// One of the curves exporter-toolkit accepts in `curve_preferences`.
#[derive(Debug, Clone, Copy)]
pub struct GoCurve {
    pub name: &'static str,
    /// The key-exchange group ring serves under this name; `None` for P-521 and the hybrid
    /// X25519MLKEM768, which ring does not implement.
    pub rustls: Option<&'static dyn SupportedKxGroup>,
}

pub(crate) static CURVES: [GoCurve; 5] = [
    GoCurve {
        name: "CurveP256",
        rustls: Some(kx_group::SECP256R1),
    },
    GoCurve {
        name: "CurveP384",
        rustls: Some(kx_group::SECP384R1),
    },
    GoCurve {
        name: "CurveP521",
        rustls: None,
    },
    GoCurve {
        name: "X25519",
        rustls: Some(kx_group::X25519),
    },
    GoCurve {
        name: "X25519MLKEM768",
        rustls: None,
    },
];

pub fn cipher(name: &str) -> Option<&'static GoCipher> {
    CIPHERS.iter().find(|c| c.name == name)
}

pub fn curve(name: &str) -> Option<&'static GoCurve> {
    CURVES.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_rustls_serves_for_tls12_has_its_go_name() {
        for suite in rustls::crypto::ring::ALL_CIPHER_SUITES {
            if let SupportedCipherSuite::Tls12(_) = suite {
                let go = CIPHERS
                    .iter()
                    .find(|c| c.rustls.map(|s| s.suite()) == Some(suite.suite()));
                let go = go.unwrap_or_else(|| panic!("{:?} has no Go name", suite.suite()));
                assert_eq!(format!("{:?}", suite.suite()), go.name);
            }
        }
    }

    #[test]
    fn names_go_does_not_know_are_unknown() {
        assert!(cipher("TLS_RSA_WITH_RC4_128_SHA").is_none());
        assert!(cipher("tls_aes_128_gcm_sha256").is_none());
        assert!(curve("P-256").is_none());
        assert!(curve("CurveP521").is_some_and(|c| c.rustls.is_none()));
    }
}
