//! The `Session` of a challenge (`NEW_PASSWORD_REQUIRED`, `SOFTWARE_TOKEN_MFA`, the steps of
//! `MFA_SETUP`): what the next call must hand back. Stateless and shared by every node: the user, the client and the time it was
//! issued, MACed with a key derived from the pool's signing key. It lives 3 minutes, as
//! Cognito's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

/// How long a challenge session may be answered.
pub(crate) const LIFETIME: Duration = Duration::from_secs(180);

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `base64url(issued ‖ 0 ‖ client ‖ 0 ‖ username) . base64url(mac)`; the MAC also covers the
/// challenge name, so a session answers only the challenge it was issued for.
pub(crate) fn issue(
    key: &hmac::Key,
    challenge: &str,
    client: &str,
    username: &str,
    now: SystemTime,
) -> String {
    let body = format!("{}\0{client}\0{username}", unix(now));
    let tag = hmac::sign(key, format!("{challenge}\0{body}").as_bytes());
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(body),
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    )
}

/// The username a session was issued to, if it is this server's, for this challenge and client,
/// and fresh.
pub(crate) fn open(
    key: &hmac::Key,
    challenge: &str,
    client: &str,
    session: &str,
    now: SystemTime,
) -> Option<String> {
    let (for_client, username) = open_any(key, challenge, session, now)?;
    (for_client == client).then_some(username)
}

/// The client and username of a fresh session of this server for this challenge, whatever the
/// client (AssociateSoftwareToken and VerifySoftwareToken name none).
pub(crate) fn open_any(
    key: &hmac::Key,
    challenge: &str,
    session: &str,
    now: SystemTime,
) -> Option<(String, String)> {
    if session.len() > 4096 {
        return None;
    }
    let (body, tag) = session.split_once('.')?;
    let body = String::from_utf8(URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    hmac::verify(key, format!("{challenge}\0{body}").as_bytes(), &tag).ok()?;
    let mut parts = body.splitn(3, '\0');
    let issued: u64 = parts.next()?.parse().ok()?;
    let (for_client, username) = (parts.next()?, parts.next()?);
    let fresh = unix(now) <= issued.saturating_add(LIFETIME.as_secs());
    fresh.then(|| (for_client.to_string(), username.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_bound_and_dated() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
        let other = hmac::Key::new(hmac::HMAC_SHA256, b"other");
        let t = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let s = issue(&key, "NEW_PASSWORD_REQUIRED", "web", "alice", t);
        assert_eq!(
            open(&key, "NEW_PASSWORD_REQUIRED", "web", &s, t).as_deref(),
            Some("alice")
        );
        assert_eq!(
            open(&key, "NEW_PASSWORD_REQUIRED", "web", &s, t + LIFETIME).as_deref(),
            Some("alice")
        );
        assert_eq!(
            open(
                &key,
                "NEW_PASSWORD_REQUIRED",
                "web",
                &s,
                t + LIFETIME + Duration::from_secs(1)
            ),
            None
        );
        assert_eq!(open(&key, "NEW_PASSWORD_REQUIRED", "other", &s, t), None);
        assert_eq!(
            open_any(&key, "NEW_PASSWORD_REQUIRED", &s, t),
            Some(("web".to_string(), "alice".to_string()))
        );
        assert_eq!(open_any(&key, "MFA_SETUP", &s, t), None);
        assert_eq!(open(&key, "SOFTWARE_TOKEN_MFA", "web", &s, t), None);
        assert_eq!(open(&other, "NEW_PASSWORD_REQUIRED", "web", &s, t), None);
        let (body, tag) = s.split_once('.').unwrap();
        let forged = format!(
            "{}.{tag}",
            URL_SAFE_NO_PAD.encode(format!("{}\0web\0mallory", 1_800_000_000))
        );
        assert_ne!(body, forged.split_once('.').unwrap().0);
        assert_eq!(open(&key, "NEW_PASSWORD_REQUIRED", "web", &forged, t), None);
        assert_eq!(
            open(&key, "NEW_PASSWORD_REQUIRED", "web", "garbage", t),
            None
        );
    }
}
