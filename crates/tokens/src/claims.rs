//! A verified token's claims ([`Verified`]) and their rendering as the strings API Gateway
//! shows in `$context.authorizer.claims.*` (REST) and `$context.authorizer.jwt.claims.*`
//! (HTTP APIs).
//!
//! Both services hand the integration every claim as a string, and not the same strings:
//!
//! - **REST** (`COGNITO_USER_POOLS`): strings as they are, numbers in decimal, booleans
//!   `true`/`false`, except `exp` and `iat`, which appear as Java's `Date.toString()` in UTC
//!   (`Fri Jul 29 18:52:53 UTC 2016`; `auth_time` stays a number). Arrays of strings — in
//!   practice `cognito:groups` — are joined with commas (`admin,ops`), which is what client
//!   code written against REST splits on.
//! - **HTTP API** (`jwt`): numbers in decimal (no date conversion), booleans as words, arrays as
//!   the space-separated list in brackets (`[admin ops]`).
//!
//! Objects, and arrays holding anything but scalars, are their compact JSON in both: AWS
//! documents nothing for them and tokens rarely carry them (`identities` for federated users).

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::macros::format_description;

/// The token's `token_use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
    /// A value other than `id`/`access`, accepted only by [`crate::ExpectedUse::Unchecked`].
    Other,
}

/// Which of API Gateway's renderings to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsStyle {
    RestApi,
    HttpApi,
}

/// A token that passed validation: its claims and what the caller needs without searching
/// them. Cheap to clone (shared), which is what the cache hands out.
#[derive(Debug, Clone)]
pub struct Verified(pub(crate) Arc<VerifiedInner>);

#[derive(Debug)]
pub(crate) struct VerifiedInner {
    pub(crate) claims: Map<String, Value>,
    pub(crate) kid: String,
    pub(crate) token_use: Option<TokenUse>,
    pub(crate) expires_at: i64,
    /// The window, in Unix seconds with the clock skew applied, in which the same token
    /// validates again: `valid_from <= now < valid_until`.
    pub(crate) valid_from: i64,
    pub(crate) valid_until: i64,
    /// [`Verified::rest_api_claims`], rendered once: a cached token is rendered once, not on
    /// every request that presents it.
    pub(crate) rest_api: std::sync::OnceLock<Arc<std::collections::BTreeMap<String, String>>>,
}

impl Verified {
    /// Every claim, as JSON values.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.0.claims
    }

    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.0.claims.get(name)
    }

    fn string(&self, name: &str) -> Option<&str> {
        self.claim(name).and_then(Value::as_str)
    }

    /// The key that signed the token.
    pub fn kid(&self) -> &str {
        &self.0.kid
    }

    pub fn token_use(&self) -> Option<TokenUse> {
        self.0.token_use
    }

    pub fn sub(&self) -> Option<&str> {
        self.string("sub")
    }

    /// `cognito:username` (ID tokens) or `username` (access tokens).
    pub fn username(&self) -> Option<&str> {
        self.string("cognito:username")
            .or_else(|| self.string("username"))
    }

    /// This token's id, for a deny-list.
    pub fn jti(&self) -> Option<&str> {
        self.string("jti")
    }

    /// The session's id (shared by every token refreshed from one sign-in): what Cognito's
    /// revocation revokes, so what a revocation check looks up.
    pub fn origin_jti(&self) -> Option<&str> {
        self.string("origin_jti")
    }

    /// `exp`, in Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.0.expires_at
    }

    /// The granted scopes (`scope`, space-separated, or `scp`).
    pub fn scopes(&self) -> Vec<&str> {
        scopes(&self.0.claims)
    }

    /// `cognito:groups` (empty when absent).
    pub fn groups(&self) -> Vec<&str> {
        match self.claim("cognito:groups") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        }
    }

    /// Whether the same token would pass again at `now` (Unix seconds): the cache's check.
    pub(crate) fn still_valid(&self, now: i64) -> bool {
        self.0.valid_from <= now && now < self.0.valid_until
    }

    pub(crate) fn valid_until(&self) -> i64 {
        self.0.valid_until
    }

    /// Every claim as a REST API renders `$context.authorizer.claims.*`, computed once per
    /// verified token.
    pub fn rest_api_claims(&self) -> Arc<std::collections::BTreeMap<String, String>> {
        self.0
            .rest_api
            .get_or_init(|| Arc::new(self.render(ClaimsStyle::RestApi).into_iter().collect()))
            .clone()
    }

    /// Every claim rendered as API Gateway renders it, sorted by name.
    pub fn render(&self, style: ClaimsStyle) -> Vec<(String, String)> {
        self.0
            .claims
            .iter()
            .map(|(name, value)| (name.clone(), render_claim(name, value, style)))
            .collect()
    }
}

/// The scopes in `scope` (a space-separated string) and `scp` (a string or an array).
pub(crate) fn scopes(claims: &Map<String, Value>) -> Vec<&str> {
    let mut out = Vec::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            Some(Value::String(s)) => out.extend(s.split_ascii_whitespace()),
            Some(Value::Array(items)) => out.extend(items.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
    out
}

/// One claim as a string, in `style`.
pub fn render_claim(name: &str, value: &Value, style: ClaimsStyle) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Number(n) => {
            if style == ClaimsStyle::RestApi
                && (name == "exp" || name == "iat")
                && let Some(date) = n.as_i64().and_then(java_date)
            {
                return date;
            }
            n.to_string()
        }
        Value::Array(items) if items.iter().all(is_scalar) => {
            let parts: Vec<String> = items.iter().map(|v| render_claim("", v, style)).collect();
            match style {
                ClaimsStyle::RestApi => parts.join(","),
                ClaimsStyle::HttpApi => format!("[{}]", parts.join(" ")),
            }
        }
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// Java's `Date.toString()` in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`.
fn java_date(unix: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(unix).ok()?;
    let format = format_description!(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
    );
    t.format(&format).ok()
}

/// Unix seconds as a `SystemTime` (for callers that keep `SystemTime`s).
pub fn system_time(unix: i64) -> Option<SystemTime> {
    let secs = u64::try_from(unix).ok()?;
    crate::time::from_unix(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rest_and_http_renderings() {
        let rest = |name, v: Value| render_claim(name, &v, ClaimsStyle::RestApi);
        let http = |name, v: Value| render_claim(name, &v, ClaimsStyle::HttpApi);
        // The REST example AWS users see in their Lambda events.
        assert_eq!(
            rest("exp", json!(1_469_818_373)),
            "Fri Jul 29 18:52:53 UTC 2016"
        );
        assert_eq!(
            rest("iat", json!(1_469_814_773)),
            "Fri Jul 29 17:52:53 UTC 2016"
        );
        assert_eq!(
            rest("exp", json!(1_700_000_000)),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
        assert_eq!(rest("auth_time", json!(1_469_814_773)), "1469814773");
        assert_eq!(rest("email_verified", json!(true)), "true");
        assert_eq!(rest("cognito:groups", json!(["admin", "ops"])), "admin,ops");
        assert_eq!(http("exp", json!(1_469_818_373)), "1469818373");
        assert_eq!(
            http("cognito:groups", json!(["admin", "ops"])),
            "[admin ops]"
        );
        assert_eq!(http("email_verified", json!(false)), "false");
        assert_eq!(http("sub", json!("abc")), "abc");
        assert_eq!(rest("identities", json!([{"a": 1}])), r#"[{"a":1}]"#);
        assert_eq!(rest("exp", json!(1.5)), "1.5", "a fraction is not dated");
    }

    #[test]
    fn scopes_from_scope_and_scp() {
        let claims = json!({"scope": "a  b", "scp": ["c"]});
        assert_eq!(scopes(claims.as_object().unwrap()), ["a", "b", "c"]);
    }
}
