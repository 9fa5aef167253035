//! STS query-protocol requests: `Action=AssumeRole&Version=2011-06-15&RoleArn=...`, in a form
//! body (POST) or a query string (GET, as presigned `GetCallerIdentity` URLs use).
//!
//! Validation follows the constraints STS documents and reports them in STS's words, e.g.
//! `1 validation error detected: Value '10' at 'durationSeconds' failed to satisfy constraint:
//! Member must have value greater than or equal to 900`.

use std::collections::BTreeMap;

use crate::error::StsError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsRequest {
    AssumeRole(AssumeRole),
    AssumeRoleWithWebIdentity(crate::web_identity::AssumeRoleWithWebIdentity),
    GetCallerIdentity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub role_session_name: String,
    pub duration_seconds: Option<u32>,
    /// A session policy (JSON text) that narrows the role's permissions.
    pub policy: Option<String>,
    pub external_id: Option<String>,
    pub source_identity: Option<String>,
    /// Session tags (`Tags.member.N`, `TransitiveTagKeys.member.N`).
    pub tags: crate::tags::SessionTags,
}

/// Longest session policy STS accepts, in characters.
pub const MAX_POLICY_CHARS: usize = 2048;
pub const MIN_DURATION_SECONDS: u32 = 900;
pub const DEFAULT_DURATION_SECONDS: u32 = 3600;

/// Parses the parameters of an STS request (form body or query string).
pub fn parse(params: &[u8]) -> Result<StsRequest, StsError> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(params) {
        map.insert(k.into_owned(), v.into_owned());
    }
    let action = map.get("Action").ok_or_else(StsError::missing_action)?;
    if let Some(version) = map.get("Version")
        && version != crate::VERSION
    {
        return Err(StsError::new_invalid_version(version));
    }
    match action.as_str() {
        "GetCallerIdentity" => Ok(StsRequest::GetCallerIdentity),
        "AssumeRole" => assume_role(&map).map(StsRequest::AssumeRole),
        "AssumeRoleWithWebIdentity" => {
            crate::web_identity::parse(&map).map(StsRequest::AssumeRoleWithWebIdentity)
        }
        other => Err(StsError::invalid_action(other)),
    }
}

impl StsError {
    fn new_invalid_version(version: &str) -> StsError {
        StsError {
            status: 400,
            code: "InvalidAction",
            message: format!("Could not find operation for version {version}"),
        }
    }
}

pub(crate) fn constraint(value: &str, field: &str, rule: &str) -> StsError {
    StsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
    ))
}

pub(crate) fn required<'a>(
    map: &'a BTreeMap<String, String>,
    name: &str,
    field: &str,
) -> Result<&'a str, StsError> {
    map.get(name).map(String::as_str).ok_or_else(|| {
        StsError::validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// `[\w+=,.@-]*`, the character set STS allows in session names and external ids.
fn is_session_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// `RoleSessionName`: 2-64 characters of `[\w+=,.@-]`.
pub(crate) fn session_name(map: &BTreeMap<String, String>) -> Result<&str, StsError> {
    let name = required(map, "RoleSessionName", "roleSessionName")?;
    if !(2..=64).contains(&name.len()) {
        return Err(constraint(
            name,
            "roleSessionName",
            "Member must have length less than or equal to 64 and greater than or equal to 2",
        ));
    }
    if !is_session_chars(name) {
        return Err(constraint(
            name,
            "roleSessionName",
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    Ok(name)
}

fn assume_role(map: &BTreeMap<String, String>) -> Result<AssumeRole, StsError> {
    let role_arn = required(map, "RoleArn", "roleArn")?;
    if !(20..=2048).contains(&role_arn.len()) {
        return Err(constraint(
            role_arn,
            "roleArn",
            "Member must have length greater than or equal to 20",
        ));
    }
    let name = session_name(map)?;
    let duration_seconds = match map.get("DurationSeconds") {
        None => None,
        Some(d) => {
            let value: u32 = d
                .parse()
                .map_err(|_| constraint(d, "durationSeconds", "Member must be a number"))?;
            if value < MIN_DURATION_SECONDS {
                return Err(constraint(
                    d,
                    "durationSeconds",
                    "Member must have value greater than or equal to 900",
                ));
            }
            Some(value)
        }
    };
    let policy = map.get("Policy").cloned();
    if let Some(p) = &policy
        && p.chars().count() > MAX_POLICY_CHARS
    {
        return Err(StsError::packed_policy_too_large());
    }
    let external_id = map.get("ExternalId").cloned();
    if let Some(e) = &external_id
        && (!(2..=1224).contains(&e.len()) || !is_session_chars(e))
    {
        return Err(constraint(
            e,
            "externalId",
            "Member must satisfy regular expression pattern: [\\w+=,.@:/-]*",
        ));
    }
    let source_identity = map.get("SourceIdentity").cloned();
    if let Some(s) = &source_identity
        && (!(2..=64).contains(&s.len()) || !is_session_chars(s))
    {
        return Err(constraint(
            s,
            "sourceIdentity",
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    if map.keys().any(|k| k.starts_with("PolicyArns.")) {
        return Err(StsError::validation(
            "PolicyArns (managed session policies) are not supported by this endpoint; pass the policy inline in Policy",
        ));
    }
    let tags = crate::tags::parse(map)?;
    Ok(AssumeRole {
        role_arn: role_arn.to_string(),
        role_session_name: name.to_string(),
        duration_seconds,
        policy,
        external_id,
        source_identity,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<StsRequest, StsError>) -> &'static str {
        r.err().map_or("ok", |e| e.code)
    }

    #[test]
    fn assume_role_requests() {
        let r = parse(b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FReader&RoleSessionName=s1&DurationSeconds=900&Policy=%7B%7D").unwrap();
        assert_eq!(
            r,
            StsRequest::AssumeRole(AssumeRole {
                role_arn: "arn:aws:iam::123456789012:role/Reader".into(),
                role_session_name: "s1".into(),
                duration_seconds: Some(900),
                policy: Some("{}".into()),
                external_id: None,
                source_identity: None,
                tags: Default::default(),
            })
        );
        assert_eq!(
            parse(b"Action=GetCallerIdentity&Version=2011-06-15").unwrap(),
            StsRequest::GetCallerIdentity
        );
    }

    #[test]
    fn validation_errors() {
        let base = "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FReader";
        assert_eq!(code(parse(b"Version=2011-06-15")), "MissingAction");
        assert_eq!(
            code(parse(b"Action=DecodeAuthorizationMessage")),
            "InvalidAction"
        );
        assert_eq!(
            code(parse(b"Action=GetCallerIdentity&Version=2099-01-01")),
            "InvalidAction"
        );
        assert_eq!(
            code(parse(b"Action=AssumeRole&RoleSessionName=ab")),
            "ValidationError"
        );
        assert_eq!(code(parse(base.as_bytes())), "ValidationError");
        assert_eq!(
            code(parse(format!("{base}&RoleSessionName=a").as_bytes())),
            "ValidationError"
        );
        assert_eq!(
            code(parse(
                format!("{base}&RoleSessionName=bad%20name").as_bytes()
            )),
            "ValidationError"
        );
        let short =
            parse(format!("{base}&RoleSessionName=ok&DurationSeconds=10").as_bytes()).unwrap_err();
        assert_eq!(
            short.message,
            "1 validation error detected: Value '10' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        );
        let big = format!("{base}&RoleSessionName=ok&Policy={}", "x".repeat(2049));
        assert_eq!(code(parse(big.as_bytes())), "PackedPolicyTooLarge");
        assert_eq!(
            code(parse(
                format!("{base}&RoleSessionName=ok&PolicyArns.member.1.arn=x").as_bytes()
            )),
            "ValidationError"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
        }
    }
}
