//! Failed sign-ins, counted in fixed windows through `counters::Counters` (shared by the nodes of
//! a shared backend): per user — 5 in 15 minutes lock the user out, whatever the password
//! (Cognito's temporary lockout) — and per source address — 20 in 15 minutes refuse every
//! sign-in from it with `TooManyRequestsException`, which the per-user window alone does not
//! stop: one password tried against many users.
//!
//! A failure is a wrong password or SRP claim, an unknown name, or a wrong MFA code. The
//! address is the TCP peer's: the gateway trusts no forwarding header. The administrative
//! operations come from the app's server, signed, so only the per-user window applies to them.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use config::UserPoolConfig;
use userpools::{CognitoError, ErrorType};

use crate::{Provider, internal};

/// Failed sign-ins a user may make in one [`WINDOW`].
pub(crate) const MAX_FAILED_PER_USER: u64 = 5;
/// Failed sign-ins one source address may make in one [`WINDOW`], in one pool.
pub(crate) const MAX_FAILED_PER_SOURCE: u64 = 20;
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

fn user_key(pool: &UserPoolConfig, who: &str) -> String {
    format!(
        "userpool-sign-in-failures\0{}\0{}",
        pool.id,
        who.to_lowercase()
    )
}

fn source_key(pool: &UserPoolConfig, source: IpAddr) -> String {
    format!(
        "userpool-sign-in-failures-source\0{}\0{}",
        pool.id,
        source_prefix(source)
    )
}

/// The unit a source address is counted as: an IPv4 address (IPv4-mapped IPv6 included), or an
/// IPv6 /64 — what one subscriber is usually given, so rotating addresses within it does not
/// escape the window.
pub(crate) fn source_prefix(source: IpAddr) -> String {
    match source {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl Provider {
    /// Refuses a sign-in from `source` that failed too often in this window, then one of `who`
    /// (a user's username, or the name given for an unknown one).
    pub(crate) async fn check_lockout(
        &self,
        pool: &UserPoolConfig,
        who: &str,
        source: Option<IpAddr>,
        now: SystemTime,
    ) -> Result<(), CognitoError> {
        let counters = &self.shared.counters;
        if let Some(source) = source {
            let failures = counters
                .window_add(&source_key(pool, source), WINDOW, 0, now)
                .await
                .map_err(internal)?;
            if failures >= MAX_FAILED_PER_SOURCE {
                tracing::info!(
                    target: "portcullis::auth",
                    pool = %pool.id,
                    source = %source_prefix(source),
                    "sign-in refused: too many failures from this address"
                );
                return Err(CognitoError::new(
                    ErrorType::TooManyRequests,
                    "Too many failed sign-in attempts from this address; try again later.",
                ));
            }
        }
        let failures = counters
            .window_add(&user_key(pool, who), WINDOW, 0, now)
            .await
            .map_err(internal)?;
        if failures >= MAX_FAILED_PER_USER {
            return Err(CognitoError::new(
                ErrorType::NotAuthorized,
                "Password attempts exceeded",
            ));
        }
        Ok(())
    }

    /// Counts one failed sign-in of `who` from `source`.
    pub(crate) async fn sign_in_failed(
        &self,
        pool: &UserPoolConfig,
        who: &str,
        source: Option<IpAddr>,
        now: SystemTime,
    ) -> Result<(), CognitoError> {
        let counters = &self.shared.counters;
        if let Some(source) = source {
            counters
                .window_add(&source_key(pool, source), WINDOW, 1, now)
                .await
                .map_err(internal)?;
        }
        counters
            .window_add(&user_key(pool, who), WINDOW, 1, now)
            .await
            .map_err(internal)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_counted_by_v4_address_or_v6_prefix() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(source_prefix(v4), "203.0.113.7");
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(source_prefix(mapped), "203.0.113.7");
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source_prefix(a), "2001:db8:1:2::/64");
        assert_eq!(source_prefix(a), source_prefix(b));
        assert_ne!(source_prefix(a), source_prefix(c));
    }
}
