//! The request context: condition keys and their values.
//!
//! Keys are case-insensitive ("Key names are case-insensitive", IAM User Guide, policy
//! variables), so they are stored lowercased. A key can carry several values (the set
//! operators `ForAllValues:`/`ForAnyValue:` exist for those); a key with no values is the same
//! as an absent key.
//!
//! Values are text, as AWS sees them. Callers that already hold a typed value (the peer's IP
//! address, the clock's instant) hand it over typed, which saves re-parsing on every
//! comparison; the text form is kept alongside for the string operators.
//!
//! Nothing here reads a clock or the network: the gateway fills `aws:SourceIp`,
//! `aws:CurrentTime`, `aws:EpochTime`, `aws:SecureTransport` and friends from the request.

use std::borrow::Cow;
use std::net::IpAddr;

use smallvec::SmallVec;

use crate::datetime;
use crate::principal::{Principal, PrincipalKind};

/// One value of a condition key. Cloning is cheap (the text is shared or static), so callers
/// can build values once — per principal, per connection, per second — and reuse them.
#[derive(Clone, Debug, PartialEq)]
pub struct ContextValue {
    text: Text,
    typed: Typed,
}

#[derive(Clone, Debug, PartialEq)]
enum Text {
    Static(&'static str),
    Shared(std::sync::Arc<str>),
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::Shared(s.into())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Typed {
    Text,
    Ip(IpAddr),
    Instant(i128),
    Bool(bool),
}

impl ContextValue {
    /// A plain text value.
    pub fn text_value(text: impl Into<String>) -> ContextValue {
        ContextValue {
            text: Text::from(text.into()),
            typed: Typed::Text,
        }
    }

    /// An instant, kept as `aws:CurrentTime` text (`2020-01-01T00:00:00Z`).
    pub fn time(at: time::OffsetDateTime) -> ContextValue {
        ContextValue {
            text: Text::from(datetime::format_utc(at)),
            typed: Typed::Instant(at.unix_timestamp_nanos()),
        }
    }

    /// An instant as `aws:EpochTime` text (seconds since the epoch).
    pub fn epoch_time(at: time::OffsetDateTime) -> ContextValue {
        ContextValue {
            text: Text::from(at.unix_timestamp().to_string()),
            typed: Typed::Instant(at.unix_timestamp_nanos()),
        }
    }

    /// The value as AWS would see it in text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn as_ip(&self) -> Option<IpAddr> {
        match self.typed {
            Typed::Ip(ip) => Some(ip),
            _ => self.text.parse().ok(),
        }
    }

    pub(crate) fn as_instant(&self) -> Option<i128> {
        match self.typed {
            Typed::Instant(t) => Some(t),
            _ => datetime::parse_date(&self.text),
        }
    }

    pub(crate) fn as_number(&self) -> Option<f64> {
        datetime::parse_number(&self.text)
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self.typed {
            Typed::Bool(b) => Some(b),
            _ => parse_bool(&self.text),
        }
    }
}

/// `true`/`false`, case-insensitively.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        ContextValue::text_value(s)
    }
}

impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        ContextValue::text_value(s)
    }
}

impl From<&String> for ContextValue {
    fn from(s: &String) -> Self {
        ContextValue::text_value(s.as_str())
    }
}

impl From<IpAddr> for ContextValue {
    fn from(ip: IpAddr) -> Self {
        ContextValue {
            text: Text::from(ip.to_string()),
            typed: Typed::Ip(ip),
        }
    }
}

impl From<bool> for ContextValue {
    fn from(b: bool) -> Self {
        ContextValue {
            text: Text::Static(if b { "true" } else { "false" }),
            typed: Typed::Bool(b),
        }
    }
}

impl From<time::OffsetDateTime> for ContextValue {
    fn from(at: time::OffsetDateTime) -> Self {
        ContextValue::time(at)
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    /// Lowercased. The well-known keys the helpers set are static and cost no allocation.
    key: Cow<'static, str>,
    values: SmallVec<[ContextValue; 1]>,
}

/// Condition keys and values for one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestContext {
    // A short list scanned linearly: a request has a dozen keys or so, and comparing a dozen
    // short strings beats hashing.
    entries: Vec<Entry>,
}

fn lower(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
        Cow::Owned(key.to_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

impl RequestContext {
    /// An empty context.
    pub fn new() -> RequestContext {
        RequestContext::default()
    }

    /// The keys AWS derives from the principal making the request (IAM User Guide, "AWS global
    /// condition context keys" and the principal key values table of "Policy variables"):
    ///
    /// | principal | `aws:PrincipalArn` | `aws:userid` | `aws:username` | `aws:PrincipalType` |
    /// |---|---|---|---|---|
    /// | IAM user | user ARN | `AIDA…` | user name | `User` |
    /// | role session | **role** ARN | `AROA…:session` | — | `AssumedRole` |
    /// | account root | `arn:aws:iam::{acct}:root` | account id | — | `Account` |
    /// | federated user | federated-user ARN | `{acct}:{name}` | — | `FederatedUser` |
    /// | anonymous | — | `anonymous` | — | `Anonymous` |
    ///
    /// plus `aws:PrincipalAccount`, `aws:PrincipalTag/{key}` for each tag,
    /// `aws:PrincipalIsAWSService` and, for service principals, `aws:PrincipalServiceName`.
    pub fn for_principal(principal: &Principal) -> RequestContext {
        let mut ctx = RequestContext {
            entries: Vec::with_capacity(12 + principal.tags().len()),
        };
        let kind = principal.kind();
        match kind {
            PrincipalKind::User { .. }
            | PrincipalKind::Account
            | PrincipalKind::FederatedUser { .. } => {
                ctx.set_static("aws:principalarn", principal.arn());
            }
            PrincipalKind::AssumedRole { role_arn, .. } => {
                ctx.set_static("aws:principalarn", role_arn.as_str());
            }
            _ => {}
        }
        if !principal.account().is_empty() {
            ctx.set_static("aws:principalaccount", principal.account());
        }
        if let Some(t) = principal.principal_type() {
            ctx.set_static("aws:principaltype", t);
        }
        if let Some(name) = principal.username() {
            ctx.set_static("aws:username", name);
        }
        if let Some(id) = principal.userid() {
            ctx.set_static("aws:userid", id);
        }
        for (k, v) in principal.tags() {
            let key = format!("aws:principaltag/{}", k.to_lowercase());
            ctx.insert(&key, v.as_str());
        }
        let is_service = matches!(kind, PrincipalKind::Service { .. });
        ctx.set_static("aws:principalisawsservice", is_service);
        if let PrincipalKind::Service { name } = kind {
            ctx.set_static("aws:principalservicename", name.as_str());
        }
        ctx
    }

    /// Sets a key to one value, replacing any values it had.
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) -> &mut Self {
        self.insert_values(key, [value])
    }

    /// Sets a key to several values (for the set operators). No values removes the key.
    pub fn insert_values<V: Into<ContextValue>>(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        let key = lower(key);
        let values: SmallVec<[ContextValue; 1]> = values.into_iter().map(Into::into).collect();
        let pos = self.entries.iter().position(|e| *e.key == *key);
        match (pos, values.is_empty()) {
            (Some(i), true) => {
                self.entries.remove(i);
            }
            (Some(i), false) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.values = values;
                }
            }
            (None, true) => {}
            (None, false) => self.entries.push(Entry {
                key: Cow::Owned(key.into_owned()),
                values,
            }),
        }
        self
    }

    /// Sets a key given in lower case (`aws:sourceip`) to one value: the allocation-free path
    /// for callers that build their values once and reuse them.
    pub fn set_lowercase(&mut self, key_lc: &'static str, value: ContextValue) -> &mut Self {
        debug_assert!(!key_lc.bytes().any(|b| b.is_ascii_uppercase()));
        self.set_static(key_lc, value)
    }

    /// Sets a well-known key, given lowercased, to one value.
    fn set_static(&mut self, key_lc: &'static str, value: impl Into<ContextValue>) -> &mut Self {
        let value = value.into();
        match self.entries.iter_mut().find(|e| e.key == key_lc) {
            Some(e) => e.values = smallvec::smallvec![value],
            None => self.entries.push(Entry {
                key: Cow::Borrowed(key_lc),
                values: smallvec::smallvec![value],
            }),
        }
        self
    }

    /// Adds one more value to a key.
    pub fn push(&mut self, key: &str, value: impl Into<ContextValue>) -> &mut Self {
        let key = lower(key);
        match self.entries.iter_mut().find(|e| *e.key == *key) {
            Some(e) => e.values.push(value.into()),
            None => self.entries.push(Entry {
                key: Cow::Owned(key.into_owned()),
                values: smallvec::smallvec![value.into()],
            }),
        }
        self
    }

    /// Removes a key.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        let key = lower(key);
        self.entries.retain(|e| *e.key != *key);
        self
    }

    /// The values of a key (case-insensitive), or `None` if absent.
    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        self.get_lc(&lower(key))
    }

    /// Lookup with an already-lowercased key (what compiled policies hold).
    pub(crate) fn get_lc(&self, key_lc: &str) -> Option<&[ContextValue]> {
        self.entries
            .iter()
            .find(|e| *e.key == *key_lc)
            .map(|e| e.values.as_slice())
            .filter(|v| !v.is_empty())
    }

    /// The value of a single-valued key, for policy variables.
    pub(crate) fn single_value(&self, key_lc: &str) -> Option<&str> {
        match self.get_lc(key_lc)? {
            [v] => Some(v.as_str()),
            _ => None,
        }
    }

    /// Iterates over keys (lowercased) and values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[ContextValue])> {
        self.entries.iter().map(|e| (&*e.key, e.values.as_slice()))
    }

    /// `aws:SourceIp`.
    pub fn set_source_ip(&mut self, ip: IpAddr) -> &mut Self {
        self.set_static("aws:sourceip", ip)
    }

    /// `aws:CurrentTime` and `aws:EpochTime`, from the caller's clock.
    pub fn set_current_time(&mut self, now: time::OffsetDateTime) -> &mut Self {
        self.set_static("aws:currenttime", ContextValue::time(now));
        self.set_static("aws:epochtime", ContextValue::epoch_time(now))
    }

    /// `aws:SecureTransport`.
    pub fn set_secure_transport(&mut self, secure: bool) -> &mut Self {
        self.set_static("aws:securetransport", secure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_empty_means_absent() {
        let mut c = RequestContext::new();
        c.insert("AWS:SourceIp", "10.0.0.1");
        assert_eq!(c.get("aws:sourceip").unwrap()[0].as_str(), "10.0.0.1");
        c.push("aws:SOURCEIP", "10.0.0.2");
        assert_eq!(c.get("aws:SourceIp").unwrap().len(), 2);
        assert_eq!(c.single_value("aws:sourceip"), None);
        c.insert_values::<&str>("aws:sourceip", []);
        assert!(c.get("aws:sourceip").is_none());
    }

    #[test]
    fn typed_values_keep_text() {
        let mut c = RequestContext::new();
        let now = time::OffsetDateTime::from_unix_timestamp(1_577_836_800).unwrap();
        c.set_current_time(now).set_secure_transport(true);
        c.set_source_ip("2001:db8::1".parse().unwrap());
        assert_eq!(
            c.get("aws:CurrentTime").unwrap()[0].as_str(),
            "2020-01-01T00:00:00Z"
        );
        assert_eq!(c.get("aws:EpochTime").unwrap()[0].as_str(), "1577836800");
        assert_eq!(
            c.get("aws:SecureTransport").unwrap()[0].as_bool(),
            Some(true)
        );
        assert_eq!(c.get("aws:SourceIp").unwrap()[0].as_str(), "2001:db8::1");
    }
}
