//! `AssumeRoleWithWebIdentity`: its parameters and their validation, its errors and its XML
//! answer. Unsigned, as on AWS: the web identity token is what the gateway checks.
//!
//! `PolicyArns` (managed session policies, which Portcullis's configuration has no registry of)
//! and `ProviderId` (OAuth 2.0 access tokens of Amazon and Facebook, not OIDC ID tokens) are
//! refused by name, never ignored. `Policy`, an inline session policy, is served as for
//! AssumeRole.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::NAMESPACE;
use crate::error::StsError;
use crate::request::{MAX_POLICY_CHARS, MIN_DURATION_SECONDS, constraint, required, session_name};
use crate::response::{escape, timestamp};

/// The token's documented length bounds.
pub const TOKEN_LENGTH: (usize, usize) = (4, 20_000);
/// The longest session AssumeRoleWithWebIdentity grants (the role's maximum may be less).
pub const MAX_DURATION_SECONDS: u32 = 43_200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleWithWebIdentity {
    pub role_arn: String,
    pub role_session_name: String,
    /// The JWT. Secret: never logged.
    pub web_identity_token: String,
    pub duration_seconds: Option<u32>,
    /// An inline session policy (JSON text).
    pub policy: Option<String>,
}

pub(crate) fn parse(map: &BTreeMap<String, String>) -> Result<AssumeRoleWithWebIdentity, StsError> {
    let role_arn = required(map, "RoleArn", "roleArn")?;
    if !(20..=2048).contains(&role_arn.len()) {
        return Err(constraint(
            role_arn,
            "roleArn",
            "Member must have length greater than or equal to 20",
        ));
    }
    let role_session_name = session_name(map)?;
    let token = required(map, "WebIdentityToken", "webIdentityToken")?;
    let (lo, hi) = TOKEN_LENGTH;
    if !(lo..=hi).contains(&token.len()) {
        // The token is a credential: the message does not repeat it.
        return Err(StsError::validation(format!(
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to {hi} and greater than or equal to {lo}"
        )));
    }
    let duration_seconds = match map.get("DurationSeconds") {
        None => None,
        Some(d) => {
            let value: u32 = d
                .parse()
                .map_err(|_| constraint(d, "durationSeconds", "Member must be a number"))?;
            if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&value) {
                return Err(constraint(
                    d,
                    "durationSeconds",
                    "Member must have value less than or equal to 43200 and greater than or equal to 900",
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
    if map.keys().any(|k| k.starts_with("PolicyArns.")) {
        return Err(StsError::validation(
            "PolicyArns (managed session policies) are not supported by this endpoint; pass the policy inline in Policy",
        ));
    }
    if map.contains_key("ProviderId") {
        return Err(StsError::validation(
            "ProviderId (OAuth 2.0 access tokens) is not supported by this endpoint; pass an OpenID Connect ID token",
        ));
    }
    Ok(AssumeRoleWithWebIdentity {
        role_arn: role_arn.to_string(),
        role_session_name: role_session_name.to_string(),
        web_identity_token: token.to_string(),
        duration_seconds,
        policy,
    })
}

impl StsError {
    /// The token is malformed, badly signed, of an unknown issuer or audience.
    pub fn invalid_identity_token(message: impl Into<String>) -> StsError {
        StsError {
            status: 400,
            code: "InvalidIdentityToken",
            message: message.into(),
        }
    }

    /// The web identity token has expired (not the request's security token: that is
    /// `ExpiredToken`).
    pub fn expired_web_identity_token(message: impl Into<String>) -> StsError {
        StsError {
            status: 400,
            code: "ExpiredTokenException",
            message: message.into(),
        }
    }

    /// The issuer rejected the claim: for a Portcullis user pool, the session was revoked.
    pub fn idp_rejected_claim(message: impl Into<String>) -> StsError {
        StsError {
            status: 403,
            code: "IDPRejectedClaim",
            message: message.into(),
        }
    }

    /// The issuer's keys could not be had.
    pub fn idp_communication_error(message: impl Into<String>) -> StsError {
        StsError {
            status: 400,
            code: "IDPCommunicationError",
            message: message.into(),
        }
    }
}

/// What AssumeRoleWithWebIdentity answers.
pub struct WebIdentityResult<'a> {
    pub role: crate::response::AssumedRole<'a>,
    /// The token's `sub`.
    pub subject: &'a str,
    /// The token's `iss`.
    pub provider: &'a str,
    /// The token's `aud` (the client it was issued to).
    pub audience: &'a str,
}

pub fn response(result: &WebIdentityResult<'_>, request_id: &str) -> String {
    let role = &result.role;
    let mut xml = format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"{NAMESPACE}\">\n  <AssumeRoleWithWebIdentityResult>\n    <SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken>\n    <Audience>{}</Audience>\n",
        escape(result.subject),
        escape(result.audience),
    );
    let _ = write!(
        xml,
        "    <AssumedRoleUser>\n      <Arn>{}</Arn>\n      <AssumedRoleId>{}</AssumedRoleId>\n    </AssumedRoleUser>\n    <Credentials>\n      <SessionToken>{}</SessionToken>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <Expiration>{}</Expiration>\n      <AccessKeyId>{}</AccessKeyId>\n    </Credentials>\n",
        escape(role.arn),
        escape(role.assumed_role_id),
        escape(role.session_token),
        escape(role.secret_access_key),
        timestamp(role.expiration),
        escape(role.access_key_id),
    );
    if let Some(size) = role.packed_policy_size {
        let _ = writeln!(xml, "    <PackedPolicySize>{size}</PackedPolicySize>");
    }
    let _ = write!(
        xml,
        "    <Provider>{}</Provider>\n  </AssumeRoleWithWebIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleWithWebIdentityResponse>\n",
        escape(result.provider),
        escape(request_id)
    );
    xml
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::{StsRequest, parse as parse_request};

    const BASE: &str = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FWeb&RoleSessionName=app1";

    fn parsed(extra: &str) -> Result<AssumeRoleWithWebIdentity, StsError> {
        match parse_request(format!("{BASE}{extra}").as_bytes())? {
            StsRequest::AssumeRoleWithWebIdentity(r) => Ok(r),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parameters() {
        let r = parsed("&WebIdentityToken=a.b.c&DurationSeconds=900&Policy=%7B%7D").unwrap();
        assert_eq!(
            r,
            AssumeRoleWithWebIdentity {
                role_arn: "arn:aws:iam::123456789012:role/Web".into(),
                role_session_name: "app1".into(),
                web_identity_token: "a.b.c".into(),
                duration_seconds: Some(900),
                policy: Some("{}".into()),
            }
        );
    }

    #[test]
    fn refusals_name_what_is_refused() {
        let code = |extra: &str| parsed(extra).err().map_or("ok", |e| e.code);
        assert_eq!(code(""), "ValidationError", "no token");
        assert_eq!(
            code("&WebIdentityToken=abc"),
            "ValidationError",
            "too short"
        );
        let long = format!("&WebIdentityToken={}", "a".repeat(20_001));
        let e = parsed(&long).unwrap_err();
        assert!(!e.message.contains("aaaa"), "the token is not echoed");
        assert_eq!(
            code("&WebIdentityToken=a.b.c&DurationSeconds=43201"),
            "ValidationError"
        );
        assert_eq!(
            code("&WebIdentityToken=a.b.c&DurationSeconds=899"),
            "ValidationError"
        );
        assert_eq!(code("&WebIdentityToken=a.b.c&DurationSeconds=43200"), "ok");
        let e = parsed("&WebIdentityToken=a.b.c&PolicyArns.member.1.arn=arn%3Ax").unwrap_err();
        assert!(e.message.contains("PolicyArns"), "{}", e.message);
        let e = parsed("&WebIdentityToken=a.b.c&ProviderId=www.amazon.com").unwrap_err();
        assert!(e.message.contains("ProviderId"), "{}", e.message);
        let big = format!("&WebIdentityToken=a.b.c&Policy={}", "x".repeat(2049));
        assert_eq!(code(&big), "PackedPolicyTooLarge");
    }

    #[test]
    fn answer_document() {
        let xml = response(
            &WebIdentityResult {
                role: crate::response::AssumedRole {
                    arn: "arn:aws:sts::123456789012:assumed-role/Web/app1",
                    assumed_role_id: "AROAEXAMPLE:app1",
                    access_key_id: "ASIAEXAMPLE",
                    secret_access_key: "s<",
                    session_token: "t",
                    expiration: SystemTime::UNIX_EPOCH,
                    source_identity: None,
                    packed_policy_size: None,
                },
                subject: "sub-1",
                provider: "https://issuer/p",
                audience: "client&1",
            },
            "req",
        );
        assert!(xml.starts_with("<AssumeRoleWithWebIdentityResponse"));
        assert!(xml.contains("<SubjectFromWebIdentityToken>sub-1</SubjectFromWebIdentityToken>"));
        assert!(xml.contains("<Audience>client&amp;1</Audience>"));
        assert!(xml.contains("<Provider>https://issuer/p</Provider>"));
        assert!(xml.contains("<SecretAccessKey>s&lt;</SecretAccessKey>"));
        let e = crate::response::error(&StsError::expired_web_identity_token("x"), "r");
        assert!(e.contains("<Code>ExpiredTokenException</Code>"));
    }

    proptest::proptest! {
        /// Any values in the action's parameters: an answer or a validation error, never a
        /// panic, and an accepted request always within the documented bounds.
        #[test]
        fn any_parameters(
            token in "\\PC{0,40}",
            name in "\\PC{0,70}",
            duration in "\\PC{0,8}",
            policy in proptest::option::of("\\PC{0,20}"),
        ) {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("Action", "AssumeRoleWithWebIdentity")
                .append_pair("RoleArn", "arn:aws:iam::123456789012:role/Web")
                .append_pair("RoleSessionName", &name)
                .append_pair("WebIdentityToken", &token)
                .append_pair("DurationSeconds", &duration);
            if let Some(p) = &policy {
                form.append_pair("Policy", p);
            }
            if let Ok(StsRequest::AssumeRoleWithWebIdentity(r)) = parse_request(form.finish().as_bytes()) {
                proptest::prop_assert!((4..=20_000).contains(&r.web_identity_token.len()));
                proptest::prop_assert!((2..=64).contains(&r.role_session_name.len()));
                proptest::prop_assert!(r.duration_seconds.is_some_and(|d| (900..=43_200).contains(&d)));
            }
        }
    }
}
