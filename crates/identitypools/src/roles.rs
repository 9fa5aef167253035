//! Which role a signed-in identity gets (Cognito's role-based access control):
//!
//! - without a role mapping for the user pool: the pool's authenticated role;
//! - `Rules`: the first rule, in order, whose claim matches; a claim that is absent matches no
//!   rule (not even `NotEqual`: AWS requires the claim to be present). A multi-valued claim
//!   (`cognito:groups`) matches when one of its values does (`NotEqual`: when none equals);
//! - `Token`: `cognito:preferred_role`, else the only entry of `cognito:roles`; a
//!   `CustomRoleArn` picks one of `cognito:roles`;
//! - nothing found: `AmbiguousRoleResolution` — the authenticated role, or `Deny`.

use serde_json::{Map, Value};

use crate::error::{ErrorType, IdentityError};
use crate::model::{
    AmbiguousRoleResolution, IdentityPool, MappingRule, MatchType, RoleMappingKind,
};

/// The role chosen, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChoice {
    pub role_arn: String,
    /// Whether a mapping (rule or token) chose it, rather than the default authenticated role.
    pub mapped: bool,
}

fn no_role() -> IdentityError {
    IdentityError::new(
        ErrorType::InvalidIdentityPoolConfiguration,
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
    )
}

fn default_role(pool: &IdentityPool) -> Result<RoleChoice, IdentityError> {
    pool.authenticated_role
        .clone()
        .map(|role_arn| RoleChoice {
            role_arn,
            mapped: false,
        })
        .ok_or_else(no_role)
}

/// The role for a user of `user_pool` whose validated ID token has `claims`.
pub fn resolve_role(
    pool: &IdentityPool,
    user_pool: &str,
    claims: &Map<String, Value>,
    custom_role: Option<&str>,
) -> Result<RoleChoice, IdentityError> {
    let Some(mapping) = pool.mapping_of(user_pool) else {
        if custom_role.is_some() {
            return Err(custom_role_refused());
        }
        return default_role(pool);
    };
    let found = match &mapping.kind {
        RoleMappingKind::Rules(rules) => {
            if custom_role.is_some() {
                return Err(custom_role_refused());
            }
            rules
                .iter()
                .find(|r| rule_matches(r, claims))
                .map(|r| r.role.clone())
        }
        RoleMappingKind::Token => from_token(claims, custom_role)?,
    };
    match (found, mapping.ambiguous_role_resolution) {
        (Some(role_arn), _) => Ok(RoleChoice {
            role_arn,
            mapped: true,
        }),
        (None, AmbiguousRoleResolution::AuthenticatedRole) => default_role(pool),
        (None, AmbiguousRoleResolution::Deny) => Err(IdentityError::new(
            ErrorType::NotAuthorized,
            "Unable to resolve a role for this identity; the pool's role mapping denies ambiguous identities.",
        )),
    }
}

fn custom_role_refused() -> IdentityError {
    IdentityError::new(
        ErrorType::InvalidParameter,
        "CustomRoleArn is only accepted with a token-based role mapping.",
    )
}

fn roles_claim(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("cognito:roles") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    }
}

fn from_token(
    claims: &Map<String, Value>,
    custom_role: Option<&str>,
) -> Result<Option<String>, IdentityError> {
    let roles = roles_claim(claims);
    if let Some(custom) = custom_role {
        // Only a role the user pool put in the token: the client picks among them, never
        // outside them.
        return if roles.contains(&custom) {
            Ok(Some(custom.to_string()))
        } else {
            Err(IdentityError::new(
                ErrorType::NotAuthorized,
                "CustomRoleArn is not one of the roles in the token.",
            ))
        };
    }
    if let Some(Value::String(preferred)) = claims.get("cognito:preferred_role") {
        return Ok(Some(preferred.clone()));
    }
    Ok(match roles.as_slice() {
        [only] => Some((*only).to_string()),
        _ => None,
    })
}

/// Whether one rule matches the token's claims.
pub fn rule_matches(rule: &MappingRule, claims: &Map<String, Value>) -> bool {
    let values: Vec<String> = match claims.get(&rule.claim) {
        None | Some(Value::Null) => return false,
        Some(Value::Array(items)) => items.iter().map(claim_text).collect(),
        Some(other) => vec![claim_text(other)],
    };
    let v = rule.value.as_str();
    match rule.match_type {
        MatchType::Equals => values.iter().any(|c| c == v),
        MatchType::Contains => values.iter().any(|c| c.contains(v)),
        MatchType::StartsWith => values.iter().any(|c| c.starts_with(v)),
        MatchType::NotEqual => !values.is_empty() && values.iter().all(|c| c != v),
    }
}

/// A claim value as text: strings as they are, numbers and booleans as JSON writes them.
fn claim_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IdentityProvider, RoleMapping};
    use serde_json::json;

    const AUTH: &str = "arn:aws:iam::000000000000:role/Auth";
    const ADMIN: &str = "arn:aws:iam::000000000000:role/Admin";
    const PAID: &str = "arn:aws:iam::000000000000:role/Paid";

    fn pool(kind: Option<RoleMappingKind>, ambiguous: AmbiguousRoleResolution) -> IdentityPool {
        IdentityPool {
            id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01".into(),
            name: "p".into(),
            region: "us-east-1".into(),
            arn: "arn".into(),
            allow_unauthenticated: false,
            providers: vec![IdentityProvider {
                user_pool: "us-east-1_P".into(),
                client_id: "web".into(),
            }],
            authenticated_role: Some(AUTH.into()),
            unauthenticated_role: None,
            role_mappings: kind
                .into_iter()
                .map(|kind| RoleMapping {
                    provider: "us-east-1_P".into(),
                    kind,
                    ambiguous_role_resolution: ambiguous,
                })
                .collect(),
        }
    }

    fn rule(claim: &str, match_type: MatchType, value: &str, role: &str) -> MappingRule {
        MappingRule {
            claim: claim.into(),
            match_type,
            value: value.into(),
            role: role.into(),
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn resolve(p: &IdentityPool, c: Value) -> Result<RoleChoice, IdentityError> {
        resolve_role(p, "us-east-1_P", &claims(c), None)
    }

    #[test]
    fn no_mapping_is_the_authenticated_role() {
        let p = pool(None, AmbiguousRoleResolution::Deny);
        let c = resolve(&p, json!({"cognito:groups": ["admins"]})).unwrap();
        assert_eq!(
            c,
            RoleChoice {
                role_arn: AUTH.into(),
                mapped: false
            }
        );
        let mut bare = p.clone();
        bare.authenticated_role = None;
        let e = resolve(&bare, json!({})).unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidIdentityPoolConfiguration);
    }

    #[test]
    fn rules_in_order_first_match_wins() {
        let rules = vec![
            rule("cognito:groups", MatchType::Contains, "admins", ADMIN),
            rule("custom:plan", MatchType::Equals, "paid", PAID),
        ];
        let p = pool(
            Some(RoleMappingKind::Rules(rules)),
            AmbiguousRoleResolution::AuthenticatedRole,
        );
        let both = json!({"cognito:groups": ["users", "admins"], "custom:plan": "paid"});
        assert_eq!(resolve(&p, both).unwrap().role_arn, ADMIN);
        assert_eq!(
            resolve(&p, json!({"custom:plan": "paid"}))
                .unwrap()
                .role_arn,
            PAID
        );
        let none = resolve(&p, json!({"custom:plan": "free"})).unwrap();
        assert_eq!(
            none,
            RoleChoice {
                role_arn: AUTH.into(),
                mapped: false
            }
        );
    }

    #[test]
    fn ambiguous_deny_refuses() {
        let rules = vec![rule("cognito:groups", MatchType::Contains, "admins", ADMIN)];
        let p = pool(
            Some(RoleMappingKind::Rules(rules)),
            AmbiguousRoleResolution::Deny,
        );
        let e = resolve(&p, json!({"cognito:groups": ["users"]})).unwrap_err();
        assert_eq!(e.kind, ErrorType::NotAuthorized);
    }

    #[test]
    fn match_types() {
        let c = claims(json!({"s": "premium-user", "n": 42, "a": ["x", "yz"], "b": true}));
        let m = |claim, t, v| rule_matches(&rule(claim, t, v, ADMIN), &c);
        assert!(m("s", MatchType::Equals, "premium-user"));
        assert!(!m("s", MatchType::Equals, "premium"));
        assert!(m("s", MatchType::Contains, "mium-u"));
        assert!(m("s", MatchType::StartsWith, "prem"));
        assert!(!m("s", MatchType::StartsWith, "user"));
        assert!(m("s", MatchType::NotEqual, "other"));
        assert!(!m("s", MatchType::NotEqual, "premium-user"));
        assert!(m("n", MatchType::Equals, "42"));
        assert!(m("b", MatchType::Equals, "true"));
        assert!(m("a", MatchType::Equals, "yz"));
        assert!(m("a", MatchType::Contains, "z"));
        assert!(!m("a", MatchType::NotEqual, "x"));
        assert!(m("a", MatchType::NotEqual, "w"));
        // An absent claim matches nothing, NotEqual included.
        assert!(!m("missing", MatchType::NotEqual, "x"));
        assert!(!m("missing", MatchType::Equals, ""));
    }

    #[test]
    fn token_mapping() {
        let p = pool(Some(RoleMappingKind::Token), AmbiguousRoleResolution::Deny);
        let pref = json!({"cognito:preferred_role": PAID, "cognito:roles": [ADMIN, PAID]});
        assert_eq!(resolve(&p, pref).unwrap().role_arn, PAID);
        assert_eq!(
            resolve(&p, json!({"cognito:roles": [ADMIN]}))
                .unwrap()
                .role_arn,
            ADMIN
        );
        let two = json!({"cognito:roles": [ADMIN, PAID]});
        assert_eq!(
            resolve(&p, two.clone()).unwrap_err().kind,
            ErrorType::NotAuthorized
        );
        let custom = resolve_role(&p, "us-east-1_P", &claims(two.clone()), Some(ADMIN)).unwrap();
        assert_eq!(custom.role_arn, ADMIN);
        let outside = resolve_role(&p, "us-east-1_P", &claims(two), Some(AUTH)).unwrap_err();
        assert_eq!(outside.kind, ErrorType::NotAuthorized);
    }

    #[test]
    fn custom_role_needs_token_mapping() {
        let p = pool(None, AmbiguousRoleResolution::Deny);
        let e = resolve_role(&p, "us-east-1_P", &Map::new(), Some(ADMIN)).unwrap_err();
        assert_eq!(e.kind, ErrorType::InvalidParameter);
    }
}
