//! HTTP basic auth against the bcrypt hashes of `basic_auth_users`.
//!
//! A bcrypt check costs tens of milliseconds by design, and Prometheus sends the same password
//! with every scrape, so a successful check is remembered: per user, an HMAC-SHA256 of the user
//! and password under a key drawn at random for this configuration. A failed check is
//! remembered too, for [`FAILED_FOR`] (exporter-toolkit caches both): a client repeating a
//! wrong password costs one bcrypt a minute, not one per request. At most [`FAILED_MAX`] failed
//! digests are kept, so a flood of different passwords cannot grow memory. The password itself is never
//! stored, and the digest is useless outside this process (unlike a plain SHA-256, it cannot be
//! brute-forced from a memory dump). A remembered digest is compared in constant time.
//!
//! Anything else costs one bcrypt, run off the async workers and one at a time, so wrong
//! passwords cannot take every core; the checks wait in a queue that is fair per client address
//! ([`super::fair`]): a client flooding wrong passwords waits behind itself, and another
//! client's first check waits for at most one of the flood's. An unknown user is
//! checked against a known user's hash, so its answer takes as long as a wrong password's and
//! does not tell which user names exist.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use axum::http::HeaderValue;
use base64::Engine;
use ring::hmac;
use subtle::ConstantTimeEq;
use tokio::time::Instant;

use super::fair::FairQueue;

/// How long a failed check is remembered.
pub(crate) const FAILED_FOR: Duration = Duration::from_secs(60);
/// How many failed checks are remembered at most.
pub(crate) const FAILED_MAX: usize = 1024;

/// The users of one version of the web configuration, and the checks that succeeded.
pub struct BasicAuth {
    users: BTreeMap<String, String>,
    /// The hash an unknown user is checked against.
    decoy: String,
    /// `None` only if the system could not supply randomness: then nothing is remembered.
    key: Option<hmac::Key>,
    /// User to the digest of the password that last passed. At most one entry per user.
    // A std lock: held for one lookup or insert, never across an `.await`.
    verified: Mutex<HashMap<String, hmac::Tag>>,
    /// Digests of (user, password) pairs that failed, with when. Keyed by the digest's bytes:
    /// an HMAC under a secret key, so a lookup tells an attacker nothing.
    // A std lock: held for one lookup or insert, never across an `.await`.
    failed: Mutex<HashMap<Vec<u8>, Instant>>,
    bcrypt_queue: FairQueue,
    bcrypt_runs: AtomicU64,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl BasicAuth {
    /// `users` maps names to bcrypt hashes, already checked; `None` when there are none.
    pub fn new(users: BTreeMap<String, String>) -> Option<BasicAuth> {
        let decoy = users.values().next()?.clone();
        let rng = ring::rand::SystemRandom::new();
        Some(BasicAuth {
            users,
            decoy,
            key: hmac::Key::generate(hmac::HMAC_SHA256, &rng).ok(),
            verified: Mutex::default(),
            failed: Mutex::default(),
            bcrypt_queue: FairQueue::default(),
            bcrypt_runs: AtomicU64::new(0),
        })
    }

    /// Whether `authorization` (the request's header, if any) names a user and the password
    /// that matches its hash. `client` is the peer's address, for the fair queue.
    pub async fn check(&self, client: Option<IpAddr>, authorization: Option<&HeaderValue>) -> bool {
        let Some((user, password)) = authorization.and_then(credentials) else {
            return false;
        };
        let digest = self.key.as_ref().map(|key| digest(key, &user, &password));
        if let Some(answer) = digest.as_ref().and_then(|d| self.cached(&user, d)) {
            return answer;
        }
        let known = self.users.get(&user);
        let hash = known.unwrap_or(&self.decoy).clone();
        // Never closed, so `enter` cannot fail; a refusal is the safe answer if it did.
        let Some(_place) = self.bcrypt_queue.enter(client).await else {
            return false;
        };
        // Requests with the same credentials that waited in the queue find the answer of the
        // first: one bcrypt for all of them.
        if let Some(answer) = digest.as_ref().and_then(|d| self.cached(&user, d)) {
            return answer;
        }
        self.bcrypt_runs.fetch_add(1, Ordering::Relaxed);
        let matched =
            tokio::task::spawn_blocking(move || bcrypt::verify(&password, &hash).unwrap_or(false))
                .await
                .unwrap_or(false);
        let allowed = matched && known.is_some();
        match (allowed, digest) {
            (true, Some(digest)) => {
                self.lock().insert(user, digest);
            }
            (false, Some(digest)) => self.remember_failure(digest),
            (_, None) => {}
        }
        allowed
    }

    /// The remembered answer for these credentials, if any.
    fn cached(&self, user: &str, digest: &hmac::Tag) -> Option<bool> {
        if self.remembered(user, digest) {
            return Some(true);
        }
        let failed = lock(&self.failed);
        let at = failed.get(digest.as_ref())?;
        (at.elapsed() < FAILED_FOR).then_some(false)
    }

    fn remember_failure(&self, digest: hmac::Tag) {
        let mut failed = lock(&self.failed);
        if failed.len() >= FAILED_MAX {
            failed.retain(|_, at| at.elapsed() < FAILED_FOR);
            if failed.len() >= FAILED_MAX {
                failed.clear();
            }
        }
        failed.insert(digest.as_ref().to_vec(), Instant::now());
    }

    /// How many bcrypt checks ran (what the cache saves).
    pub fn bcrypt_runs(&self) -> u64 {
        self.bcrypt_runs.load(Ordering::Relaxed)
    }

    /// How many checks are waiting for or running a bcrypt.
    #[cfg(test)]
    pub(crate) fn bcrypt_queued(&self) -> usize {
        self.bcrypt_queue.queued()
    }

    fn remembered(&self, user: &str, digest: &hmac::Tag) -> bool {
        self.lock()
            .get(user)
            .is_some_and(|known| bool::from(known.as_ref().ct_eq(digest.as_ref())))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, hmac::Tag>> {
        lock(&self.verified)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The digest a passed check is remembered by: the user's length first, so that no two
/// (user, password) pairs share an input.
fn digest(key: &hmac::Key, user: &str, password: &[u8]) -> hmac::Tag {
    let mut context = hmac::Context::with_key(key);
    context.update(&(user.len() as u64).to_be_bytes());
    context.update(user.as_bytes());
    context.update(password);
    context.sign()
}

/// `Basic base64(user:password)`: the user (UTF-8, up to the first colon) and the password bytes.
fn credentials(value: &HeaderValue) -> Option<(String, Vec<u8>)> {
    let value = value.as_bytes().trim_ascii();
    let space = value.iter().position(|b| *b == b' ')?;
    let (scheme, encoded) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim_ascii())
        .ok()?;
    let colon = decoded.iter().position(|b| *b == b':')?;
    let user = std::str::from_utf8(&decoded[..colon]).ok()?.to_string();
    Some((user, decoded[colon + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user: &str, password: &str) -> HeaderValue {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        HeaderValue::try_from(format!("Basic {encoded}")).unwrap()
    }

    fn auth() -> BasicAuth {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        BasicAuth::new(BTreeMap::from([("prometheus".to_string(), hash)])).unwrap()
    }

    #[tokio::test]
    async fn the_right_password_passes_and_a_second_check_costs_no_bcrypt() {
        let auth = auth();
        assert!(
            auth.check(None, Some(&header("prometheus", "s3cret")))
                .await
        );
        assert!(
            auth.check(None, Some(&header("prometheus", "s3cret")))
                .await
        );
        assert!(
            auth.check(None, Some(&header("prometheus", "s3cret")))
                .await
        );
        assert_eq!(auth.bcrypt_runs(), 1);
    }

    #[tokio::test]
    async fn wrong_passwords_unknown_users_and_malformed_headers_are_refused() {
        let auth = auth();
        assert!(!auth.check(None, None).await);
        assert!(
            !auth
                .check(None, Some(&header("prometheus", "s3cret2")))
                .await
        );
        assert!(!auth.check(None, Some(&header("prometheus", ""))).await);
        assert!(!auth.check(None, Some(&header("nobody", "s3cret"))).await);
        for malformed in ["Bearer s3cret", "Basic !!!", "Basic", "cHJvbWV0aGV1cw=="] {
            let value = HeaderValue::from_static(malformed);
            assert!(!auth.check(None, Some(&value)).await, "{malformed}");
        }
        assert_eq!(auth.bcrypt_runs(), 3, "the unknown user costs a bcrypt too");
    }

    #[tokio::test(start_paused = true)]
    async fn a_wrong_password_repeated_costs_one_bcrypt_a_minute() {
        let auth = auth();
        for _ in 0..5 {
            assert!(!auth.check(None, Some(&header("prometheus", "wrong"))).await);
            assert!(!auth.check(None, Some(&header("nobody", "wrong"))).await);
        }
        assert_eq!(auth.bcrypt_runs(), 2);
        tokio::time::advance(FAILED_FOR).await;
        assert!(!auth.check(None, Some(&header("prometheus", "wrong"))).await);
        assert_eq!(auth.bcrypt_runs(), 3);
        assert!(
            auth.check(None, Some(&header("prometheus", "s3cret")))
                .await
        );
        assert_eq!(auth.bcrypt_runs(), 4);
    }

    #[tokio::test]
    async fn concurrent_requests_with_one_wrong_password_share_one_bcrypt() {
        let auth = std::sync::Arc::new(auth());
        let checks: Vec<_> = (0..20)
            .map(|_| {
                let auth = auth.clone();
                tokio::spawn(
                    async move { auth.check(None, Some(&header("prometheus", "nope"))).await },
                )
            })
            .collect();
        for check in checks {
            assert!(!check.await.unwrap());
        }
        assert_eq!(auth.bcrypt_runs(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_right_password_from_another_address_waits_for_at_most_one_check_of_a_flood() {
        let auth = std::sync::Arc::new(auth());
        let flooder = Some(IpAddr::from([10, 0, 0, 1]));
        let floods: Vec<_> = (0..100)
            .map(|n| {
                let auth = auth.clone();
                tokio::spawn(async move {
                    let wrong = header("prometheus", &format!("wrong{n}"));
                    auth.check(flooder, Some(&wrong)).await
                })
            })
            .collect();
        // Every flood check has arrived: it waits, runs or has run. (Waiting for all 100 to be
        // queued at once never ends when the first ones finish before the last ones arrive.)
        while auth.bcrypt_queued() + (auth.bcrypt_runs() as usize) < 100 {
            tokio::task::yield_now().await;
        }

        let right = header("prometheus", "s3cret");
        // Counted from when it asks (on a busy machine more of the flood may have run by then).
        let runs_before = auth.bcrypt_runs();
        assert!(
            auth.check(Some(IpAddr::from([10, 0, 0, 2])), Some(&right))
                .await
        );

        // The one running and the one waiting for the slot when it came, then its own; a
        // third of the flood's may have started by the time this is read. In arrival order it
        // would have come after all the flood's that had not run yet.
        let runs_then = auth.bcrypt_runs() - runs_before;
        assert!(
            runs_then <= 4,
            "{runs_then} bcrypt checks ran while it waited"
        );
        for flood in floods {
            assert!(!flood.await.unwrap());
        }
        assert_eq!(auth.bcrypt_runs(), 101);
        assert_eq!(auth.bcrypt_queued(), 0);
    }

    #[tokio::test]
    async fn a_remembered_password_does_not_let_a_different_one_in() {
        let auth = auth();
        assert!(
            auth.check(None, Some(&header("prometheus", "s3cret")))
                .await
        );
        assert!(
            !auth
                .check(None, Some(&header("prometheus", "s3cret!")))
                .await
        );
        assert!(
            auth.check(None, Some(&header("prometheus", "s3cret")))
                .await
        );
    }

    #[test]
    fn credentials_split_at_the_first_colon_and_accept_any_scheme_case() {
        let value = HeaderValue::from_static("basic dXNlcjpwYTpzcw==");
        assert_eq!(
            credentials(&value),
            Some(("user".into(), b"pa:ss".to_vec()))
        );
    }
}
