//! `user_pools`: each pool, its app clients, groups and resource servers, checked against
//! Cognito's own limits. A Cognito setting the gateway does not enforce yet (SMS and email MFA,
//! the implicit grant, custom auth flows) is an error naming it.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::Loader;
use super::top_level::is_region;
use crate::file::parse_duration;
use crate::userpool::{
    AliasKind, AppClientConfig, AuthFlow, DEFAULT_REFRESH_VALIDITY, DEFAULT_TOKEN_VALIDITY,
    GroupConfig, PasswordPolicy, ResourceServerConfig, SignUpConfirmation, UserPoolConfig,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolEntry {
    id: String,
    name: Option<String>,
    #[serde(default)]
    username_attributes: Vec<String>,
    #[serde(default)]
    alias_attributes: Vec<String>,
    #[serde(default)]
    auto_verified_attributes: Vec<String>,
    sign_up_confirmation: Option<String>,
    #[serde(default = "yes")]
    allow_self_sign_up: bool,
    password_policy: Option<PolicyEntry>,
    /// A string, or a YAML 1.1 boolean (`ON`/`OFF` unquoted read as true/false).
    mfa_configuration: Option<Value>,
    #[serde(default)]
    custom_attributes: Vec<String>,
    #[serde(default)]
    clients: Vec<Value>,
    #[serde(default)]
    groups: Vec<GroupEntry>,
    #[serde(default)]
    resource_servers: Vec<ResourceServerEntry>,
    issuer_base: Option<String>,
    #[serde(default = "yes")]
    authorizers_check_revocation: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyEntry {
    minimum_length: Option<usize>,
    require_lowercase: Option<bool>,
    require_uppercase: Option<bool>,
    require_numbers: Option<bool>,
    require_symbols: Option<bool>,
    temporary_password_validity_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientEntry {
    id: String,
    name: Option<String>,
    secret: Option<String>,
    auth_flows: Option<Vec<String>>,
    #[serde(default)]
    oauth_flows: Vec<String>,
    #[serde(default)]
    oauth_scopes: Vec<String>,
    #[serde(default)]
    callback_urls: Vec<String>,
    #[serde(default)]
    logout_urls: Vec<String>,
    id_token_validity: Option<String>,
    access_token_validity: Option<String>,
    refresh_token_validity: Option<String>,
    #[serde(default = "yes")]
    prevent_user_existence_errors: bool,
    refresh_token_rotation: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupEntry {
    name: String,
    description: Option<String>,
    precedence: Option<i64>,
    role_arn: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceServerEntry {
    identifier: String,
    name: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

/// Cognito's bounds on ID and access token validity, and on refresh tokens.
const TOKEN_VALIDITY: (Duration, Duration) =
    (Duration::from_secs(5 * 60), Duration::from_secs(86_400));
const REFRESH_VALIDITY: (Duration, Duration) = (
    Duration::from_secs(60 * 60),
    Duration::from_secs(3650 * 86_400),
);

impl Loader {
    pub(super) fn user_pools(
        &mut self,
        root: &serde_json::Map<String, Value>,
        account_id: &str,
    ) -> Vec<UserPoolConfig> {
        let Some(value) = root.get("user_pools") else {
            return Vec::new();
        };
        let Some(entries): Option<Vec<Value>> = self.typed(value, "/user_pools") else {
            return Vec::new();
        };
        let mut pools: Vec<UserPoolConfig> = Vec::new();
        // Each loaded pool's index in the file, for pointers.
        let mut at: Vec<usize> = Vec::new();
        for (i, item) in entries.iter().enumerate() {
            let pointer = format!("/user_pools/{i}");
            let Some(entry): Option<PoolEntry> = self.typed(item, &pointer) else {
                continue;
            };
            if let Some(pool) = self.pool(entry, &pointer, account_id) {
                if pools.iter().any(|p| p.id == pool.id) {
                    self.error(
                        &format!("{pointer}/id"),
                        format!("duplicate user pool id {:?}", pool.id),
                    );
                }
                pools.push(pool);
                at.push(i);
            }
        }
        // InitiateAuth names only the client, so a client id must name one pool.
        let mut seen = BTreeSet::new();
        for (i, pool) in at.iter().zip(&pools) {
            for (j, client) in pool.clients.iter().enumerate() {
                if !seen.insert(client.id.clone()) {
                    self.error(
                        &format!("/user_pools/{i}/clients/{j}/id"),
                        format!(
                            "duplicate app client id {:?}: client ids are unique across pools",
                            client.id
                        ),
                    );
                }
            }
        }
        pools
    }

    fn pool(
        &mut self,
        entry: PoolEntry,
        pointer: &str,
        account_id: &str,
    ) -> Option<UserPoolConfig> {
        let region = match entry.id.split_once('_') {
            Some((region, name))
                if is_region(region)
                    && (1..=55).contains(&name.len())
                    && name.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                region.to_string()
            }
            _ => {
                self.error(
                    &format!("{pointer}/id"),
                    format!("{:?} is not a user pool id: write {{region}}_{{name}}, e.g. us-east-1_WildRydes (the name is 1-55 letters and digits)", entry.id),
                );
                return None;
            }
        };
        let mfa_configuration = self.mfa_configuration(
            entry.mfa_configuration.as_ref(),
            &format!("{pointer}/mfa_configuration"),
        );
        let username_attributes = self.alias_kinds(
            &entry.username_attributes,
            &format!("{pointer}/username_attributes"),
            &[AliasKind::Email, AliasKind::PhoneNumber],
        );
        let alias_attributes = self.alias_kinds(
            &entry.alias_attributes,
            &format!("{pointer}/alias_attributes"),
            &[
                AliasKind::Email,
                AliasKind::PhoneNumber,
                AliasKind::PreferredUsername,
            ],
        );
        if !username_attributes.is_empty() && !alias_attributes.is_empty() {
            self.error(
                &format!("{pointer}/alias_attributes"),
                "a pool has username_attributes or alias_attributes, not both (as in Cognito)",
            );
        }
        let auto_verified_attributes = self.alias_kinds(
            &entry.auto_verified_attributes,
            &format!("{pointer}/auto_verified_attributes"),
            &[AliasKind::Email, AliasKind::PhoneNumber],
        );
        let sign_up_confirmation = match entry.sign_up_confirmation.as_deref() {
            None | Some("code") => SignUpConfirmation::Code,
            Some("auto") => SignUpConfirmation::Auto,
            Some(other) => {
                self.error(
                    &format!("{pointer}/sign_up_confirmation"),
                    format!("sign_up_confirmation is code or auto, not {other:?}"),
                );
                SignUpConfirmation::Code
            }
        };
        let password_policy =
            self.password_policy(entry.password_policy, &format!("{pointer}/password_policy"));
        for (i, name) in entry.custom_attributes.iter().enumerate() {
            let bare = name.strip_prefix("custom:").unwrap_or(name);
            if !(1..=20).contains(&bare.len())
                || !bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.error(
                    &format!("{pointer}/custom_attributes/{i}"),
                    format!("{name:?} is not a custom attribute name: 1-20 letters, digits and underscores"),
                );
            }
        }
        let custom_attributes = entry
            .custom_attributes
            .iter()
            .map(|n| n.strip_prefix("custom:").unwrap_or(n).to_string())
            .collect();
        let resource_servers = self.resource_servers(&entry.resource_servers, pointer);
        let mut clients = Vec::new();
        for (i, value) in entry.clients.iter().enumerate() {
            let at = format!("{pointer}/clients/{i}");
            if let Some(client) = self
                .typed::<ClientEntry>(value, &at)
                .and_then(|c| self.client(c, &at, &resource_servers))
            {
                clients.push(client);
            }
        }
        let groups = self.groups(entry.groups, pointer);
        if let Some(base) = &entry.issuer_base
            && !((base.starts_with("https://") || base.starts_with("http://"))
                && !base.ends_with('/')
                && !base.contains(char::is_whitespace)
                && !base.contains(['?', '#']))
        {
            self.error(
                &format!("{pointer}/issuer_base"),
                format!("{base:?} is not an issuer base: an http(s) URL without a trailing slash, query or fragment"),
            );
        }
        let name = entry
            .name
            .unwrap_or_else(|| entry.id.split_once('_').map_or("", |(_, n)| n).to_string());
        Some(UserPoolConfig {
            arn: format!(
                "arn:aws:cognito-idp:{region}:{account_id}:userpool/{}",
                entry.id
            ),
            id: entry.id,
            name,
            region,
            username_attributes,
            alias_attributes,
            auto_verified_attributes,
            sign_up_confirmation,
            allow_self_sign_up: entry.allow_self_sign_up,
            password_policy,
            custom_attributes,
            clients,
            groups,
            resource_servers,
            issuer_base: entry.issuer_base,
            authorizers_check_revocation: entry.authorizers_check_revocation,
            mfa_configuration,
        })
    }

    fn alias_kinds(
        &mut self,
        names: &[String],
        pointer: &str,
        allowed: &[AliasKind],
    ) -> Vec<AliasKind> {
        let mut out = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match AliasKind::parse(name).filter(|k| allowed.contains(k)) {
                Some(k) if !out.contains(&k) => out.push(k),
                Some(_) => self.error(
                    &format!("{pointer}/{i}"),
                    format!("{name:?} is listed twice"),
                ),
                None => {
                    let allowed: Vec<&str> = allowed.iter().map(|k| k.attribute()).collect();
                    self.error(
                        &format!("{pointer}/{i}"),
                        format!("{name:?} is not one of {}", allowed.join(", ")),
                    );
                }
            }
        }
        out
    }

    fn password_policy(&mut self, entry: Option<PolicyEntry>, pointer: &str) -> PasswordPolicy {
        let default = PasswordPolicy::default();
        let Some(e) = entry else {
            return default;
        };
        let policy = PasswordPolicy {
            minimum_length: e.minimum_length.unwrap_or(default.minimum_length),
            require_lowercase: e.require_lowercase.unwrap_or(default.require_lowercase),
            require_uppercase: e.require_uppercase.unwrap_or(default.require_uppercase),
            require_numbers: e.require_numbers.unwrap_or(default.require_numbers),
            require_symbols: e.require_symbols.unwrap_or(default.require_symbols),
            temporary_password_validity_days: e
                .temporary_password_validity_days
                .unwrap_or(default.temporary_password_validity_days),
        };
        if !(6..=99).contains(&policy.minimum_length) {
            self.error(
                &format!("{pointer}/minimum_length"),
                format!(
                    "minimum_length is 6 to 99 (as in Cognito), got {}",
                    policy.minimum_length
                ),
            );
        }
        if !(1..=365).contains(&policy.temporary_password_validity_days) {
            self.error(
                &format!("{pointer}/temporary_password_validity_days"),
                "temporary_password_validity_days is 1 to 365",
            );
        }
        policy
    }

    fn resource_servers(
        &mut self,
        entries: &[ResourceServerEntry],
        pointer: &str,
    ) -> Vec<ResourceServerConfig> {
        let mut out: Vec<ResourceServerConfig> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let at = format!("{pointer}/resource_servers/{i}");
            if e.identifier.is_empty()
                || e.identifier.len() > 256
                || e.identifier.chars().any(|c| c.is_whitespace() || c == '/')
            {
                self.error(
                    &format!("{at}/identifier"),
                    format!("{:?} is not a resource server identifier: 1-256 characters, no spaces or '/'", e.identifier),
                );
            }
            if out.iter().any(|r| r.identifier == e.identifier) {
                self.error(
                    &format!("{at}/identifier"),
                    format!("duplicate resource server {:?}", e.identifier),
                );
            }
            let mut scopes: Vec<String> = Vec::new();
            for (j, s) in e.scopes.iter().enumerate() {
                if s.is_empty()
                    || s.len() > 256
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_graphic() && c != '/' && c != '"')
                {
                    self.error(
                        &format!("{at}/scopes/{j}"),
                        format!("{s:?} is not a scope name: 1-256 printable characters, no '/'"),
                    );
                } else if scopes.contains(s) {
                    self.error(
                        &format!("{at}/scopes/{j}"),
                        format!("duplicate scope {s:?}"),
                    );
                } else {
                    scopes.push(s.clone());
                }
            }
            out.push(ResourceServerConfig {
                identifier: e.identifier.clone(),
                name: e.name.clone().unwrap_or_else(|| e.identifier.clone()),
                scopes,
            });
        }
        out
    }

    fn client(
        &mut self,
        e: ClientEntry,
        at: &str,
        resource_servers: &[ResourceServerConfig],
    ) -> Option<AppClientConfig> {
        if !(1..=128).contains(&e.id.len())
            || !e
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'+')
        {
            self.error(
                &format!("{at}/id"),
                format!(
                    "{:?} is not an app client id: 1-128 letters, digits, '-', '_' and '+'",
                    e.id
                ),
            );
            return None;
        }
        if let Some(secret) = &e.secret
            && !(8..=128).contains(&secret.len())
        {
            // The value is never echoed: it is a credential.
            self.error(
                &format!("{at}/secret"),
                "an app client secret is 8 to 128 characters",
            );
        }
        let mut auth_flows = Vec::new();
        let rotating = e
            .refresh_token_rotation
            .as_ref()
            .and_then(|v| v.get("enabled"))
            .and_then(Value::as_bool)
            == Some(true);
        let names = e.auth_flows.clone().unwrap_or_else(|| {
            // Cognito's default for a new client, less CUSTOM_AUTH (not supported), and less
            // REFRESH_TOKEN_AUTH for a rotating client (which may not allow it).
            let mut names = vec!["USER_SRP_AUTH".to_string()];
            if !rotating {
                names.push("REFRESH_TOKEN_AUTH".into());
            }
            names
        });
        for (i, name) in names.iter().enumerate() {
            match AuthFlow::parse(name) {
                Some(f) if !auth_flows.contains(&f) => auth_flows.push(f),
                Some(_) => self.error(&format!("{at}/auth_flows/{i}"), format!("{name:?} is listed twice")),
                None => self.error(
                    &format!("{at}/auth_flows/{i}"),
                    format!("auth flow {name:?} is not supported: use USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH or ADMIN_USER_PASSWORD_AUTH"),
                ),
            }
        }
        let oauth_flows = self.oauth_flows(&e.oauth_flows, e.secret.is_some(), at);
        let (callback_urls, logout_urls) = self.oauth_settings(
            &oauth_flows,
            &e.oauth_scopes,
            &e.callback_urls,
            &e.logout_urls,
            at,
            resource_servers,
        );
        let id_token_validity = self.validity(
            e.id_token_validity.as_deref(),
            &format!("{at}/id_token_validity"),
            DEFAULT_TOKEN_VALIDITY,
            TOKEN_VALIDITY,
        );
        let access_token_validity = self.validity(
            e.access_token_validity.as_deref(),
            &format!("{at}/access_token_validity"),
            DEFAULT_TOKEN_VALIDITY,
            TOKEN_VALIDITY,
        );
        let refresh_token_validity = self.validity(
            e.refresh_token_validity.as_deref(),
            &format!("{at}/refresh_token_validity"),
            DEFAULT_REFRESH_VALIDITY,
            REFRESH_VALIDITY,
        );
        if refresh_token_validity < id_token_validity.max(access_token_validity) {
            self.error(
                &format!("{at}/refresh_token_validity"),
                "the refresh token must live at least as long as the ID and access tokens",
            );
        }
        let refresh_token_rotation =
            self.refresh_token_rotation(e.refresh_token_rotation.as_ref(), at, &auth_flows);
        Some(AppClientConfig {
            refresh_token_rotation,
            name: e.name.unwrap_or_else(|| e.id.clone()),
            id: e.id,
            secret: e.secret.map(iam::Secret::new),
            auth_flows,
            oauth_flows,
            oauth_scopes: e.oauth_scopes,
            callback_urls,
            logout_urls,
            id_token_validity,
            access_token_validity,
            refresh_token_validity,
            prevent_user_existence_errors: e.prevent_user_existence_errors,
        })
    }

    fn validity(
        &mut self,
        text: Option<&str>,
        pointer: &str,
        default: Duration,
        (min, max): (Duration, Duration),
    ) -> Duration {
        let Some(text) = text else {
            return default;
        };
        match parse_duration(text) {
            Ok(d) if (min..=max).contains(&d) => d,
            Ok(_) => {
                self.error(
                    pointer,
                    format!(
                        "{text:?} is outside Cognito's bounds ({}m to {}h)",
                        min.as_secs() / 60,
                        max.as_secs() / 3600
                    ),
                );
                default
            }
            Err(e) => {
                self.error(pointer, e);
                default
            }
        }
    }

    fn groups(&mut self, entries: Vec<GroupEntry>, pointer: &str) -> Vec<GroupConfig> {
        let mut out: Vec<GroupConfig> = Vec::new();
        for (i, g) in entries.into_iter().enumerate() {
            let at = format!("{pointer}/groups/{i}");
            if g.name.is_empty()
                || g.name.chars().count() > 128
                || g.name.chars().any(char::is_control)
            {
                self.error(
                    &format!("{at}/name"),
                    format!("{:?} is not a group name: 1-128 characters", g.name),
                );
            }
            if out.iter().any(|o| o.name == g.name) {
                self.error(
                    &format!("{at}/name"),
                    format!("duplicate group {:?}", g.name),
                );
            }
            if g.precedence.is_some_and(|p| p < 0) {
                self.error(&format!("{at}/precedence"), "precedence is 0 or more");
            }
            out.push(GroupConfig {
                name: g.name,
                description: g.description,
                precedence: g.precedence,
                role_arn: g.role_arn,
            });
        }
        out
    }
}
