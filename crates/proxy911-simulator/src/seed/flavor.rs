//! What sets one app_key's starting world apart from another's: a [`Flavor`] drawn from a hash
//! of the key (FNV-1a, the same on every run and every platform). The primary key's world is the
//! classic one ([`Flavor::classic`]); any other key's has the same shape but a username suffix,
//! account count, usage, pace, balance, owner, first account id, IP range and random stream of
//! its own. Nothing of the key itself is shown: only a few characters derived from its hash.

/// The choices that make a world its own.
pub(super) struct Flavor {
    /// Appended to every seeded username ("" in the classic world): four lowercase letters or
    /// digits, so a username stays letters and digits and at most 14 characters.
    pub suffix: String,
    pub rng_seed: u64,
    /// Accounts seeded when none are asked for.
    pub default_accounts: usize,
    /// Multiplies the usage of every seeded account (a fraction of a limit stays at most 1).
    pub usage_scale: f64,
    /// Multiplies the pace of every seeded account and the traffic of the past days.
    pub rate_scale: f64,
    pub balance: f64,
    /// The id before the first account's.
    pub first_account_id: i64,
    pub user_id: i64,
    pub email: String,
    pub phone: String,
    /// The first octet of the static IPs' addresses.
    pub ip_octet: u16,
}

impl Flavor {
    /// The world of the primary key, as it has always been seeded.
    pub fn classic(default_accounts: usize) -> Flavor {
        Flavor {
            suffix: String::new(),
            rng_seed: 0x9E37_79B9_7F4A_7C15,
            default_accounts,
            usage_scale: 1.0,
            rate_scale: 1.0,
            balance: 86.4,
            first_account_id: 1000,
            user_id: 880_021,
            email: "wei.zhang.ops@example.cn".into(),
            phone: "+86-138-0013-8000".into(),
            ip_octet: 45,
        }
    }

    /// The world of another key.
    pub fn of_key(key: &str) -> Flavor {
        let mut draw = Draw(fnv1a(key.as_bytes()));
        let suffix = (0..4)
            .map(|_| {
                let digit = draw.below(36) as u32;
                char::from_digit(digit, 36).unwrap_or('x')
            })
            .collect::<String>();
        let phone = draw.below(100_000_000);
        Flavor {
            rng_seed: draw.next() | 1,
            default_accounts: 6 + draw.below(10) as usize,
            usage_scale: 0.5 + draw.below(101) as f64 / 100.0,
            rate_scale: 0.5 + draw.below(151) as f64 / 100.0,
            balance: draw.below(100_000) as f64 / 100.0,
            first_account_id: 2000 + 100 * draw.below(9000) as i64,
            user_id: 900_000 + draw.below(1_000_000) as i64,
            email: format!("ops.{suffix}@example.com"),
            phone: format!("+86-139-{:04}-{:04}", phone / 10_000, phone % 10_000),
            ip_octet: 46 + draw.below(150) as u16,
            suffix,
        }
    }
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// A splitmix64 stream from the key's hash: each choice its own well-mixed number.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{world, world_of_key};
    use crate::state::World;

    fn names(world: &World) -> Vec<&str> {
        world.accounts.iter().map(|a| a.username.as_str()).collect()
    }

    #[test]
    fn a_keys_world_is_seeded_the_same_every_time() {
        let (a, again) = (world_of_key("team-a", None), world_of_key("team-a", None));

        assert_eq!(names(&a), names(&again));
        assert_eq!(a.billing.balance, again.billing.balance);
        assert_eq!(a.user.email, again.user.email);
        assert_eq!(a.static_ips[7].ip, again.static_ips[7].ip);
    }

    #[test]
    fn another_keys_world_has_the_shape_of_the_classic_one_and_its_own_figures() {
        let classic = world(None);
        let other = world_of_key("team-a", None);

        let suffix = Flavor::of_key("team-a").suffix;
        assert_eq!(other.accounts[0].username, format!("alice{suffix}"));
        assert_ne!(other.billing.balance, classic.billing.balance);
        assert_ne!(other.user.phone, classic.user.phone);
        assert_ne!(other.static_ips[0].ip, classic.static_ips[0].ip);
        assert_eq!(other.packages.len(), classic.packages.len());
    }

    #[test]
    fn every_worlds_usernames_are_letters_and_digits_of_at_most_20() {
        for key in ["team-a", "team-b", "x", "a much longer key 1234567890"] {
            for account in &world_of_key(key, Some(120)).accounts {
                let name = &account.username;

                assert!(name.len() <= 20, "{name}");
                assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
            }
        }
    }

    #[test]
    fn accounts_applies_to_every_world_and_without_it_the_count_depends_on_the_key() {
        let counts: Vec<usize> = (0..20)
            .map(|i| world_of_key(&format!("key{i}"), None).accounts.len())
            .collect();

        assert_eq!(world_of_key("team-a", Some(100)).accounts.len(), 100);
        assert_eq!(world_of_key("team-a", Some(3)).accounts.len(), 3);
        assert!(counts.iter().any(|n| *n != counts[0]), "{counts:?}");
        assert!(counts.iter().all(|n| (6..=15).contains(n)), "{counts:?}");
    }

    #[test]
    fn a_keys_flavor_is_the_same_every_time_and_differs_from_another_keys() {
        let a = Flavor::of_key("team-a");
        let again = Flavor::of_key("team-a");
        let b = Flavor::of_key("team-b");

        assert_eq!((&a.suffix, a.rng_seed), (&again.suffix, again.rng_seed));
        assert_ne!((&a.suffix, a.rng_seed), (&b.suffix, b.rng_seed));
    }

    #[test]
    fn a_suffix_is_four_lowercase_letters_or_digits_whatever_the_key() {
        for key in ["", "k", "team-a", "a very long key with spaces ☃"] {
            let suffix = Flavor::of_key(key).suffix;

            assert_eq!(suffix.len(), 4, "{suffix}");
            assert!(suffix
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        }
    }
}
