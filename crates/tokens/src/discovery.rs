//! OpenID Connect discovery: the `/.well-known/openid-configuration` document a pool publishes
//! ([`openid_configuration`]), and reading another issuer's ([`parse_discovery`]) to find its
//! `jwks_uri`.
//!
//! The pool's document has the members Cognito's has, listing what the gateway serves: the
//! authorization endpoint with the `code` response type only (the implicit grant is refused),
//! PKCE with `S256` only, the token, userInfo and revocation endpoints and `/logout`. Its issuer-side
//! URLs (`issuer`, `jwks_uri`) are under the issuer; the OAuth endpoints are under the pool's
//! domain (`oauth_base`), as Cognito's are under the user pool domain.
//!
//! Another issuer's document arrives from the network. OpenID Connect Discovery 1.0 §4.3: its
//! `issuer` must be exactly the issuer it was fetched for, or a document served for one issuer
//! could name keys for another. `jwks_uri` must be an absolute `https` URL — `http` only when
//! the configured issuer itself is `http` (a local development issuer) — and is returned for the
//! caller to fetch; nothing here does I/O.

use serde_json::{Value, json};

use crate::error::DiscoveryError;
use crate::json::{JsonError, parse_object};

/// The largest discovery document read.
pub const MAX_DISCOVERY_BYTES: usize = 64 * 1024;

/// A pool's `/.well-known/openid-configuration`, as JSON text.
pub fn openid_configuration(issuer: &str, oauth_base: &str) -> String {
    let oauth = oauth_base.trim_end_matches('/');
    json!({
        "authorization_endpoint": format!("{oauth}/oauth2/authorize"),
        "code_challenge_methods_supported": ["S256"],
        "end_session_endpoint": format!("{oauth}/logout"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "revocation_endpoint": format!("{oauth}/oauth2/revoke"),
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": format!("{oauth}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": format!("{oauth}/oauth2/userInfo"),
    })
    .to_string()
}

/// What a validator needs from an issuer's discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub issuer: String,
    pub jwks_uri: String,
}

/// Reads the discovery document fetched for `expected_issuer`.
pub fn parse_discovery(bytes: &[u8], expected_issuer: &str) -> Result<Discovered, DiscoveryError> {
    if bytes.len() > MAX_DISCOVERY_BYTES {
        return Err(DiscoveryError::TooLarge {
            max: MAX_DISCOVERY_BYTES,
        });
    }
    let doc = parse_object(bytes).map_err(|e| match e {
        JsonError::Duplicate(name) => DiscoveryError::DuplicateKey(name),
        JsonError::Syntax | JsonError::NotObject => DiscoveryError::Json,
    })?;
    let text = |name: &'static str| match doc.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(DiscoveryError::Missing(name)),
    };
    let issuer = text("issuer")?;
    if issuer != expected_issuer {
        return Err(DiscoveryError::IssuerMismatch);
    }
    let jwks_uri = text("jwks_uri")?;
    let http_allowed = expected_issuer.starts_with("http://");
    if !is_absolute_url(&jwks_uri, http_allowed) {
        return Err(DiscoveryError::BadJwksUri);
    }
    Ok(Discovered { issuer, jwks_uri })
}

/// `https://host[:port][/path]` (or `http://` when allowed), with no whitespace, control
/// characters, user info or fragment: the caller hands it to an HTTP client as is.
fn is_absolute_url(url: &str, http_allowed: bool) -> bool {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://").filter(|_| http_allowed) {
        rest
    } else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    !authority.is_empty()
        && !authority.contains('@')
        && !url.contains('#')
        && url.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A";

    #[test]
    fn pool_document_round_trips() {
        let doc = openid_configuration(ISS, "https://auth.example.com/");
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["token_endpoint"], "https://auth.example.com/oauth2/token");
        assert_eq!(
            v["userinfo_endpoint"],
            "https://auth.example.com/oauth2/userInfo"
        );
        assert_eq!(v["id_token_signing_alg_values_supported"][0], "RS256");
        assert_eq!(v["response_types_supported"], json!(["code"]));
        assert_eq!(v["code_challenge_methods_supported"], json!(["S256"]));
        for (member, path) in [
            ("authorization_endpoint", "/oauth2/authorize"),
            ("revocation_endpoint", "/oauth2/revoke"),
            ("end_session_endpoint", "/logout"),
        ] {
            assert_eq!(v[member], format!("https://auth.example.com{path}"));
        }
        let found = parse_discovery(doc.as_bytes(), ISS).unwrap();
        assert_eq!(found.jwks_uri, format!("{ISS}/.well-known/jwks.json"));
    }

    #[test]
    fn foreign_documents_are_checked() {
        let doc = |iss: &str, jwks: &str| format!(r#"{{"issuer":"{iss}","jwks_uri":"{jwks}"}}"#);
        let ok = doc("https://a", "https://a/keys");
        assert_eq!(
            parse_discovery(ok.as_bytes(), "https://a")
                .unwrap()
                .jwks_uri,
            "https://a/keys"
        );
        let cases = [
            (
                doc("https://a/", "https://a/k"),
                DiscoveryError::IssuerMismatch,
            ),
            (doc("https://a", "http://a/k"), DiscoveryError::BadJwksUri),
            (doc("https://a", "https://"), DiscoveryError::BadJwksUri),
            (
                doc("https://a", "https://u@evil/k"),
                DiscoveryError::BadJwksUri,
            ),
            (
                doc("https://a", "https://a/k k"),
                DiscoveryError::BadJwksUri,
            ),
            (
                doc("https://a", "file:///etc/passwd"),
                DiscoveryError::BadJwksUri,
            ),
            (
                r#"{"issuer":"https://a"}"#.into(),
                DiscoveryError::Missing("jwks_uri"),
            ),
            (r#"{"issuer":1}"#.into(), DiscoveryError::Missing("issuer")),
            (
                r#"{"issuer":"https://a","issuer":"https://b"}"#.into(),
                DiscoveryError::DuplicateKey("issuer".into()),
            ),
            ("[]".into(), DiscoveryError::Json),
        ];
        for (doc, want) in cases {
            assert_eq!(
                parse_discovery(doc.as_bytes(), "https://a").unwrap_err(),
                want,
                "{doc}"
            );
        }
        let local = doc("http://127.0.0.1:9", "http://127.0.0.1:9/jwks");
        assert!(parse_discovery(local.as_bytes(), "http://127.0.0.1:9").is_ok());
    }
}
