//! Finding users by what callers call them, and the parts of a user every operation reads:
//! its aliases, its attributes as Cognito lists them, and where its codes go.

use std::collections::BTreeMap;

use config::{AliasKind, AppClientConfig, UserPoolConfig};
use serde_json::{Value, json};
use store::{Alias, StoredUser};
use userpools::attributes::{canonical_alias, check_writable};
use userpools::{CognitoError, ErrorType};

use crate::input::Input;
use crate::signup::check_secret_hash;
use crate::{Provider, internal};

/// What the operations naming a user by `ClientId`, `Username` and `SecretHash` start from.
pub(crate) struct Named<'a> {
    pub pool: &'a UserPoolConfig,
    pub client: &'a AppClientConfig,
    pub name: &'a str,
    pub user: Option<StoredUser>,
}

impl Provider {
    /// The client, the name given, the secret hash checked, and the user (if any) it names.
    pub(crate) async fn named_user<'a>(
        &'a self,
        input: &'a Input,
    ) -> Result<Named<'a>, CognitoError> {
        let (pool, client) = self.client(input.req("ClientId")?)?;
        let name = input.req("Username")?;
        check_secret_hash(client, name, input.opt("SecretHash")?)?;
        let user = self.find_user(pool, name).await?;
        Ok(Named {
            pool,
            client,
            name,
            user,
        })
    }

    /// The user a caller names by `name`: its username, or (in a pool with username or alias
    /// attributes) an email, phone number or preferred username that is one of its aliases.
    pub(crate) async fn find_user(
        &self,
        pool: &UserPoolConfig,
        name: &str,
    ) -> Result<Option<StoredUser>, CognitoError> {
        let users = &self.shared.users;
        if let Some(user) = users.user(&pool.id, name).await.map_err(internal)? {
            return Ok(Some(user));
        }
        for kind in pool.sign_in_aliases() {
            let attribute = kind.attribute();
            let found = users
                .user_by_alias(&pool.id, attribute, &canonical_alias(attribute, name))
                .await
                .map_err(internal)?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

/// `UserAttributes` of a request, each checked writable: a standard attribute or one of the
/// pool's custom ones, of allowed length and format.
pub(crate) fn writable_attributes(
    pool: &UserPoolConfig,
    input: &Input,
) -> Result<Vec<(String, String)>, CognitoError> {
    let attributes = input.attributes("UserAttributes")?;
    for (name, value) in &attributes {
        check_writable(name, value, |c| {
            pool.custom_attributes.iter().any(|d| d == c)
        })?;
    }
    Ok(attributes)
}

/// The aliases a user holds: an attribute that is the username (`username_attributes`) always;
/// an alias attribute (`alias_attributes`) once verified, as in Cognito (`preferred_username`
/// needs no verification).
pub(crate) fn aliases(pool: &UserPoolConfig, attributes: &BTreeMap<String, String>) -> Vec<Alias> {
    let mut out = Vec::new();
    for kind in &pool.username_attributes {
        if let Some(v) = attributes.get(kind.attribute()) {
            out.push(alias(*kind, v));
        }
    }
    for kind in &pool.alias_attributes {
        let name = kind.attribute();
        let Some(v) = attributes.get(name) else {
            continue;
        };
        let verified = *kind == AliasKind::PreferredUsername
            || attributes
                .get(&format!("{name}_verified"))
                .map(String::as_str)
                == Some("true");
        if verified {
            out.push(alias(*kind, v));
        }
    }
    out
}

fn alias(kind: AliasKind, value: &str) -> Alias {
    let name = kind.attribute();
    (name.to_string(), canonical_alias(name, value))
}

/// `UserAttributes` as GetUser and AdminGetUser list them: `sub` first, then by name.
pub(crate) fn attribute_list(user: &StoredUser) -> Value {
    let mut list = vec![json!({"Name": "sub", "Value": user.sub})];
    list.extend(
        user.attributes
            .iter()
            .filter(|(name, _)| name.as_str() != "sub")
            .map(|(name, value)| json!({"Name": name, "Value": value})),
    );
    Value::Array(list)
}

/// Where a code for `user` goes: the first auto-verified attribute it has (Cognito prefers
/// email), as `(medium, attribute, address)`.
pub(crate) fn code_destination(
    pool: &UserPoolConfig,
    user: &StoredUser,
) -> Option<(&'static str, &'static str, String)> {
    let mut kinds = pool.auto_verified_attributes.clone();
    kinds.sort();
    kinds.into_iter().find_map(|kind| {
        let attribute = kind.attribute();
        let address = user.attributes.get(attribute)?;
        let medium = if kind == AliasKind::PhoneNumber {
            "SMS"
        } else {
            "EMAIL"
        };
        Some((medium, attribute, address.clone()))
    })
}

/// `CodeDeliveryDetails`, with the address masked as Cognito masks it (`a***@e***`).
pub(crate) fn delivery_details(medium: &str, attribute: &str, address: &str) -> Value {
    json!({
        "AttributeName": attribute,
        "DeliveryMedium": medium,
        "Destination": mask(address),
    })
}

fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!(
            "{}***@{}***",
            local.chars().next().map(String::from).unwrap_or_default(),
            domain.chars().next().map(String::from).unwrap_or_default()
        ),
        None => {
            let tail: String = address
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("+*******{tail}")
        }
    }
}

/// The refusal for a user that does not exist, in the words the client's setting allows: with
/// user-existence errors prevented, the same as a wrong password.
pub(crate) fn no_such_user(prevent_existence_errors: bool) -> CognitoError {
    if prevent_existence_errors {
        CognitoError::sign_in_failed()
    } else {
        CognitoError::new(ErrorType::UserNotFound, "User does not exist.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_cognito() {
        assert_eq!(mask("alice@example.com"), "a***@e***");
        assert_eq!(mask("+15555550123"), "+*******0123");
    }
}
