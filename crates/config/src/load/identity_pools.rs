//! `identity_pools`: each pool, its user-pool providers, roles and role mappings. Every name is
//! resolved here: a user pool or app client that is not configured, a role that is not in the
//! IAM directory, or a provider kind the gateway does not serve is a load error naming it.

use serde::Deserialize;
use serde_json::Value;

use super::Loader;
use crate::identitypool::{
    AmbiguousRoleResolution, IdentityPoolConfig, IdentityProvider, MappingRule, MatchType,
    RoleMapping, RoleMappingKind,
};
use crate::userpool::UserPoolConfig;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolEntry {
    id: String,
    name: Option<String>,
    #[serde(default)]
    allow_unauthenticated: bool,
    #[serde(default)]
    providers: Vec<Value>,
    authenticated_role: Option<String>,
    unauthenticated_role: Option<String>,
    #[serde(default)]
    role_mappings: Vec<MappingEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderEntry {
    user_pool: String,
    client_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingEntry {
    provider: String,
    #[serde(rename = "type")]
    kind: String,
    ambiguous_role_resolution: String,
    #[serde(default)]
    rules: Vec<RuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    claim: String,
    match_type: String,
    value: String,
    role: String,
}

/// Cognito's limit on rules per provider.
const MAX_RULES: usize = 25;

impl Loader {
    pub(super) fn identity_pools(
        &mut self,
        root: &serde_json::Map<String, Value>,
        account_id: &str,
        user_pools: &[UserPoolConfig],
        iam: Option<&iam::Directory>,
    ) -> Vec<IdentityPoolConfig> {
        let Some(value) = root.get("identity_pools") else {
            return Vec::new();
        };
        let Some(entries): Option<Vec<Value>> = self.typed(value, "/identity_pools") else {
            return Vec::new();
        };
        let mut pools: Vec<IdentityPoolConfig> = Vec::new();
        for (i, item) in entries.iter().enumerate() {
            let pointer = format!("/identity_pools/{i}");
            let Some(entry): Option<PoolEntry> = self.typed(item, &pointer) else {
                continue;
            };
            let Some(pool) = self.identity_pool(entry, &pointer, account_id, user_pools, iam)
            else {
                continue;
            };
            if pools.iter().any(|p| p.id == pool.id) {
                self.error(
                    &format!("{pointer}/id"),
                    format!("duplicate identity pool id {:?}", pool.id),
                );
            }
            pools.push(pool);
        }
        pools
    }

    fn identity_pool(
        &mut self,
        entry: PoolEntry,
        pointer: &str,
        account_id: &str,
        user_pools: &[UserPoolConfig],
        iam: Option<&iam::Directory>,
    ) -> Option<IdentityPoolConfig> {
        let mut ok = true;
        if !identitypools::is_identity_pool_id(&entry.id) {
            self.error(
                &format!("{pointer}/id"),
                format!(
                    "{:?} is not an identity pool id: {{region}}:{{uuid}}, lowercase, like us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01",
                    entry.id
                ),
            );
            ok = false;
        }
        let region = identitypools::id::region_of(&entry.id).to_string();
        let name = entry.name.unwrap_or_else(|| entry.id.clone());
        if name.is_empty() || name.len() > 128 {
            self.error(&format!("{pointer}/name"), "must be 1 to 128 characters");
            ok = false;
        }
        let mut providers: Vec<IdentityProvider> = Vec::new();
        for (j, value) in entry.providers.iter().enumerate() {
            let at = format!("{pointer}/providers/{j}");
            match self.provider(value, &at, user_pools) {
                Some(p) if providers.contains(&p) => {
                    self.error(
                        &at,
                        format!("duplicate provider {}/{}", p.user_pool, p.client_id),
                    );
                    ok = false;
                }
                Some(p) => providers.push(p),
                None => ok = false,
            }
        }
        let role = |loader: &mut Loader, name: &str, at: &str| -> Option<String> {
            let found = iam.and_then(|d| d.role(name)).map(|r| r.arn().to_string());
            if found.is_none() && iam.is_some() {
                loader.error(
                    at,
                    format!("role {name:?} is not a role of the iam section (a role name or ARN)"),
                );
            }
            found
        };
        let authenticated_role = match &entry.authenticated_role {
            Some(r) => {
                let found = role(self, r, &format!("{pointer}/authenticated_role"));
                ok &= found.is_some();
                found
            }
            None => None,
        };
        let unauthenticated_role = match &entry.unauthenticated_role {
            Some(r) => {
                let found = role(self, r, &format!("{pointer}/unauthenticated_role"));
                ok &= found.is_some();
                found
            }
            None => None,
        };
        // An identity pool that allows guests but has no role for them could never serve
        // one: refuse it here rather than at the first GetCredentialsForIdentity.
        if entry.allow_unauthenticated && entry.unauthenticated_role.is_none() {
            self.error(
                &format!("{pointer}/allow_unauthenticated"),
                "allow_unauthenticated needs an unauthenticated_role",
            );
            ok = false;
        }
        let mut role_mappings: Vec<RoleMapping> = Vec::new();
        for (j, m) in entry.role_mappings.into_iter().enumerate() {
            let at = format!("{pointer}/role_mappings/{j}");
            if !providers.iter().any(|p| p.user_pool == m.provider) {
                self.error(
                    &format!("{at}/provider"),
                    format!(
                        "{:?} is not a user pool among this identity pool's providers",
                        m.provider
                    ),
                );
                ok = false;
                continue;
            }
            if role_mappings.iter().any(|r| r.provider == m.provider) {
                self.error(
                    &format!("{at}/provider"),
                    format!("a second role mapping for {:?}", m.provider),
                );
                ok = false;
                continue;
            }
            let Some(ambiguous) = AmbiguousRoleResolution::parse(&m.ambiguous_role_resolution)
            else {
                self.error(
                    &format!("{at}/ambiguous_role_resolution"),
                    format!(
                        "{:?} is not AuthenticatedRole or Deny",
                        m.ambiguous_role_resolution
                    ),
                );
                ok = false;
                continue;
            };
            if ambiguous == AmbiguousRoleResolution::AuthenticatedRole
                && entry.authenticated_role.is_none()
            {
                self.error(
                    &format!("{at}/ambiguous_role_resolution"),
                    "AuthenticatedRole needs the pool's authenticated_role",
                );
                ok = false;
            }
            let kind = match m.kind.as_str() {
                "token" | "Token" => {
                    if !m.rules.is_empty() {
                        self.error(&format!("{at}/rules"), "a token mapping takes no rules");
                        ok = false;
                    }
                    RoleMappingKind::Token
                }
                "rules" | "Rules" => {
                    let mut rules = Vec::new();
                    if m.rules.is_empty() || m.rules.len() > MAX_RULES {
                        self.error(
                            &format!("{at}/rules"),
                            format!("a rules mapping needs 1 to {MAX_RULES} rules"),
                        );
                        ok = false;
                    }
                    for (k, r) in m.rules.into_iter().enumerate() {
                        let rat = format!("{at}/rules/{k}");
                        let Some(match_type) = MatchType::parse(&r.match_type) else {
                            self.error(
                                &format!("{rat}/match_type"),
                                format!(
                                    "{:?} is not Equals, Contains, StartsWith or NotEqual",
                                    r.match_type
                                ),
                            );
                            ok = false;
                            continue;
                        };
                        if r.claim.is_empty() || r.claim.len() > 64 {
                            self.error(&format!("{rat}/claim"), "must be 1 to 64 characters");
                            ok = false;
                        }
                        if r.value.is_empty() || r.value.len() > 128 {
                            self.error(&format!("{rat}/value"), "must be 1 to 128 characters");
                            ok = false;
                        }
                        let Some(role_arn) = role(self, &r.role, &format!("{rat}/role")) else {
                            ok = false;
                            continue;
                        };
                        rules.push(MappingRule {
                            claim: r.claim,
                            match_type,
                            value: r.value,
                            role: role_arn,
                        });
                    }
                    RoleMappingKind::Rules(rules)
                }
                other => {
                    self.error(
                        &format!("{at}/type"),
                        format!("{other:?} is not rules or token"),
                    );
                    ok = false;
                    continue;
                }
            };
            role_mappings.push(RoleMapping {
                provider: m.provider,
                kind,
                ambiguous_role_resolution: ambiguous,
            });
        }
        let arn = format!(
            "arn:aws:cognito-identity:{region}:{account_id}:identitypool/{}",
            entry.id
        );
        ok.then_some(IdentityPoolConfig {
            id: entry.id,
            name,
            region,
            arn,
            allow_unauthenticated: entry.allow_unauthenticated,
            providers,
            authenticated_role,
            unauthenticated_role,
            role_mappings,
        })
    }

    /// One `providers` entry: a served user pool and one of its app clients. Other provider
    /// kinds (OIDC issuers, SAML, social and developer providers) are not served: naming one
    /// is an error, never an entry stored and ignored.
    fn provider(
        &mut self,
        value: &Value,
        at: &str,
        user_pools: &[UserPoolConfig],
    ) -> Option<IdentityProvider> {
        if let Value::Object(map) = value {
            for key in map.keys() {
                if key != "user_pool" && key != "client_id" {
                    self.error(
                        &format!("{at}/{}", restapi::import::escape(key)),
                        format!(
                            "provider setting {key:?} is not served: identity pools accept Portcullis user pools (user_pool, client_id) only"
                        ),
                    );
                    return None;
                }
            }
        }
        let entry: ProviderEntry = self.typed(value, at)?;
        let Some(pool) = user_pools.iter().find(|p| p.id == entry.user_pool) else {
            self.error(
                &format!("{at}/user_pool"),
                format!(
                    "{:?} is not a user pool of the user_pools section",
                    entry.user_pool
                ),
            );
            return None;
        };
        if pool.client(&entry.client_id).is_none() {
            self.error(
                &format!("{at}/client_id"),
                format!(
                    "{:?} is not an app client of user pool {}",
                    entry.client_id, pool.id
                ),
            );
            return None;
        }
        Some(IdentityProvider {
            user_pool: entry.user_pool,
            client_id: entry.client_id,
        })
    }
}
