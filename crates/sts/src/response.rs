//! STS's XML answers, element for element as STS writes them (the SDKs' parsers are strict about
//! names, not about whitespace).

use std::fmt::Write;
use std::time::SystemTime;

use crate::NAMESPACE;
use crate::error::StsError;

/// Escapes text for an XML element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// ISO 8601 with seconds, UTC: `2026-11-21T07:00:00Z`.
pub fn timestamp(t: SystemTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from(t)
        .format(FORMAT)
        .unwrap_or_default()
}

pub struct AssumedRole<'a> {
    pub arn: &'a str,
    pub assumed_role_id: &'a str,
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: &'a str,
    pub expiration: SystemTime,
    pub source_identity: Option<&'a str>,
    pub packed_policy_size: Option<u32>,
}

pub fn assume_role(result: &AssumedRole<'_>, request_id: &str) -> String {
    let mut xml = format!("<AssumeRoleResponse xmlns=\"{NAMESPACE}\">\n  <AssumeRoleResult>\n");
    if let Some(source) = result.source_identity {
        let _ = writeln!(
            xml,
            "    <SourceIdentity>{}</SourceIdentity>",
            escape(source)
        );
    }
    let _ = write!(
        xml,
        "    <AssumedRoleUser>\n      <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    </Credentials>\n",
        escape(result.assumed_role_id),
        escape(result.arn),
        escape(result.access_key_id),
        escape(result.secret_access_key),
        escape(result.session_token),
        timestamp(result.expiration),
    );
    if let Some(size) = result.packed_policy_size {
        let _ = writeln!(xml, "    <PackedPolicySize>{size}</PackedPolicySize>");
    }
    let _ = write!(
        xml,
        "  </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n",
        escape(request_id)
    );
    xml
}

pub fn get_caller_identity(arn: &str, user_id: &str, account: &str, request_id: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"{NAMESPACE}\">\n  <GetCallerIdentityResult>\n    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        escape(arn),
        escape(user_id),
        escape(account),
        escape(request_id)
    )
}

pub fn error(error: &StsError, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        error.fault(),
        error.code,
        escape(&error.message),
        escape(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents() {
        let xml = assume_role(
            &AssumedRole {
                arn: "arn:aws:sts::123456789012:assumed-role/Reader/s1",
                assumed_role_id: "AROAEXAMPLE:s1",
                access_key_id: "ASIAEXAMPLE",
                secret_access_key: "se<cret",
                session_token: "tok",
                expiration: SystemTime::UNIX_EPOCH,
                source_identity: None,
                packed_policy_size: Some(6),
            },
            "req-1",
        );
        assert!(xml.contains("<SecretAccessKey>se&lt;cret</SecretAccessKey>"));
        assert!(xml.contains("<Expiration>1970-01-01T00:00:00Z</Expiration>"));
        assert!(xml.contains("<PackedPolicySize>6</PackedPolicySize>"));
        let e = error(&StsError::expired_token(), "r");
        assert!(e.contains("<Type>Sender</Type>") && e.contains("<Code>ExpiredToken</Code>"));
        let g = get_caller_identity("arn", "AIDA", "123456789012", "r");
        assert!(g.contains("<Account>123456789012</Account>"));
    }
}
