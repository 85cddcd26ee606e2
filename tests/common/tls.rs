//! The TLS test kit: a CA made with rcgen, the server and client certificates it signs (and
//! self-signed ones no CA vouches for), files in a temporary directory, web-config files, bcrypt
//! hashes, and the real TLS clients of the tests: reqwest (with or without a client certificate,
//! bounded TLS versions) and the curl CLI.

use std::path::{Path, PathBuf};
use tokio::process::Command;

use base64::Engine;
use proxy911_exporter::upstream::client::install_crypto_provider;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;

/// A certificate and its key, PEM.
#[derive(Debug, Clone)]
pub struct Pair {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pair {
    /// The leaf certificate, DER (to compare with what a server presented).
    pub fn cert_der(&self) -> Vec<u8> {
        let body: String = self
            .cert_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    /// Certificate and key in one PEM, as reqwest's `Identity::from_pem` wants them.
    pub fn identity(&self) -> reqwest::Identity {
        reqwest::Identity::from_pem(format!("{}{}", self.cert_pem, self.key_pem).as_bytes())
            .unwrap()
    }
}

/// A certificate authority and the directory its files are written to.
pub struct Pki {
    pub dir: PathBuf,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    /// A fresh CA (its certificate in `ca.pem`) in a directory of its own.
    pub fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!(
            "proxy911-tls-{name}-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("proxy911 test CA {name}"));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let pki = Pki { dir, ca };
        pki.write("ca.pem", &pki.ca_pem());
        pki
    }

    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    pub fn server(&self, name: &str) -> Pair {
        self.sign(
            name,
            vec!["localhost".into(), "127.0.0.1".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A server certificate for `localhost` and `127.0.0.1` with an RSA key (made by the
    /// openssl CLI: ring cannot generate RSA keys), for the `ECDHE_RSA` cipher suites.
    pub fn server_rsa(&self, name: &str) -> Pair {
        let key_pem = rsa_key_pem();
        let key = KeyPair::from_pem(&key_pem).unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.ca).unwrap();
        Pair {
            cert_pem: cert.pem(),
            key_pem,
        }
    }

    /// A client certificate.
    pub fn client(&self, name: &str) -> Pair {
        self.sign(name, Vec::new(), ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn sign(&self, name: &str, sans: Vec<String>, usage: ExtendedKeyUsagePurpose) -> Pair {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.ca).unwrap();
        Pair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes `contents` to `name` in the directory, replacing it in place (as cert-manager's
    /// kubelet does not, but an operator with `cp` does).
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Writes `pair` as `server.crt` and `server.key`.
    pub fn install_server(&self, pair: &Pair) {
        self.write("server.crt", &pair.cert_pem);
        self.write("server.key", &pair.key_pem);
    }

    /// Writes `web.yml` (relative paths in it are relative to the directory) and returns its
    /// path.
    pub fn web_config(&self, yaml: &str) -> PathBuf {
        self.write("web.yml", yaml)
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A self-signed client certificate: no CA of the tests vouches for it.
pub fn self_signed_client(name: &str) -> Pair {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    Pair {
        cert_pem: params.self_signed(&key).unwrap().pem(),
        key_pem: key.serialize_pem(),
    }
}

/// A self-signed client certificate that is its own CA (`CA:TRUE`, no extended key usage), as
/// `openssl req -x509` makes them, with DNS `sans`.
pub fn self_signed_ca_client(name: &str, sans: &[&str]) -> Pair {
    let key = KeyPair::generate().unwrap();
    let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(sans).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    Pair {
        cert_pem: params.self_signed(&key).unwrap().pem(),
        key_pem: key.serialize_pem(),
    }
}

/// A 2048-bit RSA private key, PKCS#8 PEM, made by the openssl CLI once per test binary.
pub fn rsa_key_pem() -> String {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(new_rsa_key_pem).clone()
}

fn new_rsa_key_pem() -> String {
    let output = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .unwrap_or_else(|e| panic!("the openssl CLI is required (apt-get install openssl): {e}"));
    assert!(output.status.success(), "openssl genpkey failed");
    String::from_utf8(output.stdout).unwrap()
}

/// A bcrypt hash of `password` (cost 4: fast in tests, and any cost is read the same way).
pub fn bcrypt_hash(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap()
}

/// The `tls_server_config` of a web config with `server.crt`/`server.key` and `extra` lines
/// (each indented under it), e.g. `client_auth_type: RequireAnyClientCert`.
pub fn tls_yaml(extra: &[&str]) -> String {
    let mut yaml =
        String::from("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
    for line in extra {
        yaml.push_str(&format!("  {line}\n"));
    }
    yaml
}

/// A reqwest client that trusts only `ca_pem`, keeps no connection between requests (so each
/// request is a new handshake), reports the server's certificate, and presents `identity`.
pub fn https_client(ca_pem: &str, identity: Option<&Pair>) -> reqwest::Client {
    https_builder(ca_pem, identity).build().unwrap()
}

/// [`https_client`]'s builder, for TLS version bounds and the like.
pub fn https_builder(ca_pem: &str, identity: Option<&Pair>) -> reqwest::ClientBuilder {
    install_crypto_provider();
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .timeout(std::time::Duration::from_secs(10));
    if let Some(pair) = identity {
        builder = builder.identity(pair.identity());
    }
    builder
}

/// The DER certificate the server presented for `response`.
pub fn peer_certificate(response: &reqwest::Response) -> Vec<u8> {
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("a TLS response carries the peer certificate")
        .to_vec()
}

/// What curl did: its exit code (0 on a transfer, whatever the HTTP status), the HTTP status
/// it printed (0 when there was none), the body, and its error output.
#[derive(Debug)]
pub struct Curl {
    pub exit: i32,
    pub status: u16,
    pub body: String,
    pub stderr: String,
}

/// Runs `curl` on `url` with `args`, never through a proxy, failing the test if curl is missing.
/// Async, so that an exporter served by the test's own runtime keeps running meanwhile.
pub async fn curl(url: &str, args: &[&str]) -> Curl {
    let marker = "\n--proxy911-status:";
    let output = Command::new("curl")
        .args(["-sS", "--noproxy", "*", "--max-time", "15"])
        .args(["-w", &format!("{marker}%{{http_code}}")])
        .args(args)
        .arg(url)
        .output()
        .await
        .unwrap_or_else(|e| panic!("curl is required (scripts/install-tools.sh installs it): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = stdout.rsplit_once(marker).unwrap_or((&stdout, "0"));
    Curl {
        exit: output.status.code().unwrap_or(-1),
        status: status.trim().parse().unwrap_or(0),
        body: body.to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// curl arguments that trust the CA of `pki` and, if given, present `client` (written next to
/// the CA as `NAME.crt`/`NAME.key`).
pub fn curl_tls_args(pki: &Pki, client: Option<(&str, &Pair)>) -> Vec<String> {
    let mut args = vec!["--cacert".to_string(), path_arg(&pki.ca_file())];
    if let Some((name, pair)) = client {
        let cert = pki.write(&format!("{name}.crt"), &pair.cert_pem);
        let key = pki.write(&format!("{name}.key"), &pair.key_pem);
        args.extend([
            "--cert".into(),
            path_arg(&cert),
            "--key".into(),
            path_arg(&key),
        ]);
    }
    args
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

/// A TLS front for `backend` with a certificate of `pki` for localhost: the upstream as a
/// private CA (or a TLS-inspecting proxy) presents it.
pub async fn tls_front(pki: &Pki, backend: &str) -> std::net::SocketAddr {
    install_crypto_provider();
    let pair = pki.server("upstream");
    let certs: Vec<rustls::pki_types::CertificateDer<'static>> =
        rustls::pki_types::CertificateDer::pem_slice_iter(pair.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(pair.key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let backend = backend.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let backend = backend.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(&backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}
