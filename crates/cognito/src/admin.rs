//! The administrative operations (`Admin*`, ListUsers, CreateGroup, ListGroups): they name the
//! pool by `UserPoolId` and are served only to SigV4-signed callers allowed `cognito-idp:<Op>` on
//! the pool's ARN — the gateway checks that before [`Provider::call_admin`] runs.

use std::collections::BTreeMap;
use std::time::SystemTime;

use config::{AppClientConfig, AuthFlow, UserPoolConfig};
use serde_json::{Value, json};
use store::{StoredGroup, StoredUser, UserPoolError, UserStatus};
use userpools::{CognitoError, ErrorType};

use crate::auth::{authenticated, flow_not_enabled};
use crate::input::{Input, invalid};
use crate::signup::{new_identity, password_record};
use crate::users::{attribute_list, writable_attributes};
use crate::{Provider, internal};

/// The operations that need a signature and `cognito-idp:<Op>`.
pub const ADMIN_OPERATIONS: &[&str] = &[
    "AdminCreateUser",
    "AdminGetUser",
    "AdminDeleteUser",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminConfirmSignUp",
    "AdminSetUserPassword",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    "AdminUserGlobalSignOut",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "AdminSetUserMFAPreference",
    "ListUsers",
    "CreateGroup",
    "ListGroups",
];

pub fn is_admin_operation(op: &str) -> bool {
    ADMIN_OPERATIONS.contains(&op)
}

fn epoch_seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64().floor())
}

fn no_user() -> CognitoError {
    CognitoError::new(ErrorType::UserNotFound, "User does not exist.")
}

/// Cognito's `UserType`.
fn user_type(user: &StoredUser) -> Value {
    json!({
        "Username": user.username,
        "Attributes": attribute_list(user),
        "UserCreateDate": epoch_seconds(user.created),
        "UserLastModifiedDate": epoch_seconds(user.modified),
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    })
}

/// Cognito's `GroupType`.
fn group_type(g: &StoredGroup) -> Value {
    let mut v = json!({
        "GroupName": g.name,
        "UserPoolId": g.pool,
        "CreationDate": epoch_seconds(g.created),
        "LastModifiedDate": epoch_seconds(g.modified),
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(d) = &g.description {
            obj.insert("Description".into(), json!(d));
        }
        if let Some(p) = g.precedence {
            obj.insert("Precedence".into(), json!(p));
        }
        if let Some(r) = &g.role_arn {
            obj.insert("RoleArn".into(), json!(r));
        }
    }
    v
}

impl Provider {
    /// The ARN of the pool an administrative call names (`UserPoolId`), for the caller's IAM
    /// authorization; Cognito's error when it names none of this configuration's pools.
    pub fn admin_pool_arn(&self, body: &[u8]) -> Result<String, CognitoError> {
        let input = Input::parse(body)?;
        Ok(self.admin_pool(&input)?.arn.clone())
    }

    fn admin_pool(&self, input: &Input) -> Result<&UserPoolConfig, CognitoError> {
        let id = input.req("UserPoolId")?;
        self.pool_config(id).ok_or_else(|| {
            CognitoError::new(
                ErrorType::ResourceNotFound,
                format!("User pool {id} does not exist."),
            )
        })
    }

    /// The app client an administrative call names (`ClientId`), which must be the pool's.
    fn admin_client(
        &self,
        pool: &UserPoolConfig,
        input: &Input,
    ) -> Result<&AppClientConfig, CognitoError> {
        let (client_pool, client) = self.client(input.req("ClientId")?)?;
        if client_pool.id != pool.id {
            return Err(invalid("The client does not belong to this user pool."));
        }
        Ok(client)
    }

    /// The user an administrative call names (`Username`: the username or an alias).
    async fn admin_user(
        &self,
        pool: &UserPoolConfig,
        input: &Input,
    ) -> Result<StoredUser, CognitoError> {
        self.find_user(pool, input.req("Username")?)
            .await?
            .ok_or_else(no_user)
    }

    /// Answers an administrative operation; the caller is already authorized for it.
    pub async fn call_admin(
        &self,
        op: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let input = Input::parse(body)?;
        self.ensure_groups(now).await?;
        let pool = self.admin_pool(&input)?;
        let users = &self.shared.users;
        match op {
            "AdminCreateUser" => self.admin_create_user(pool, &input, now).await,
            "AdminGetUser" => {
                let user = self.admin_user(pool, &input).await?;
                let mut v = user_type(&user);
                if let Some(obj) = v.as_object_mut() {
                    obj.remove("Attributes");
                    obj.insert("UserAttributes".into(), attribute_list(&user));
                }
                crate::mfa::add_mfa_settings(pool, &user, &mut v);
                Ok(v)
            }
            "AdminDeleteUser" => {
                let user = self.admin_user(pool, &input).await?;
                self.end_sessions(pool, &user, now).await?;
                self.shared
                    .signin
                    .delete_codes(&pool.id, &user.username)
                    .await
                    .map_err(internal)?;
                match users.delete_user(&pool.id, &user.username).await {
                    Ok(()) | Err(UserPoolError::NotFound) => Ok(json!({})),
                    Err(e) => Err(internal(e)),
                }
            }
            "AdminDisableUser" | "AdminEnableUser" => {
                let mut user = self.admin_user(pool, &input).await?;
                user.enabled = op == "AdminEnableUser";
                self.save_user(pool, &mut user, now).await?;
                Ok(json!({}))
            }
            "AdminConfirmSignUp" => {
                let mut user = self.admin_user(pool, &input).await?;
                if user.status != UserStatus::Unconfirmed {
                    return Err(CognitoError::new(
                        ErrorType::NotAuthorized,
                        format!(
                            "User cannot be confirmed. Current status is {}",
                            user.status.as_str()
                        ),
                    ));
                }
                user.status = UserStatus::Confirmed;
                self.save_user(pool, &mut user, now).await?;
                Ok(json!({}))
            }
            "AdminSetUserPassword" => {
                let mut user = self.admin_user(pool, &input).await?;
                let password = input.req("Password")?;
                let permanent = input.flag("Permanent")?;
                pool.password_policy.check(password)?;
                user.password = Some(
                    password_record(&self.shared, &pool.id, &user.username, password, now).await?,
                );
                user.status = if permanent {
                    UserStatus::Confirmed
                } else {
                    UserStatus::ForceChangePassword
                };
                self.save_user(pool, &mut user, now).await?;
                Ok(json!({}))
            }
            "AdminAddUserToGroup" | "AdminRemoveUserFromGroup" => {
                let user = self.admin_user(pool, &input).await?;
                let group = input.req("GroupName")?;
                let done = if op == "AdminAddUserToGroup" {
                    users
                        .add_user_to_group(&pool.id, &user.username, group)
                        .await
                } else {
                    users
                        .remove_user_from_group(&pool.id, &user.username, group)
                        .await
                };
                match done {
                    Ok(()) => Ok(json!({})),
                    Err(UserPoolError::NotFound) => Err(CognitoError::new(
                        ErrorType::ResourceNotFound,
                        "Group not found.",
                    )),
                    Err(e) => Err(internal(e)),
                }
            }
            "AdminListGroupsForUser" => {
                let user = self.admin_user(pool, &input).await?;
                let groups = users
                    .groups_of_user(&pool.id, &user.username)
                    .await
                    .map_err(internal)?;
                Ok(json!({"Groups": groups.iter().map(group_type).collect::<Vec<_>>()}))
            }
            "AdminUserGlobalSignOut" => {
                let user = self.admin_user(pool, &input).await?;
                self.end_sessions(pool, &user, now).await?;
                Ok(json!({}))
            }
            "AdminInitiateAuth" => self.admin_initiate_auth(pool, &input, now).await,
            "AdminRespondToAuthChallenge" => {
                let client = self.admin_client(pool, &input)?;
                match input.req("ChallengeName")? {
                    "NEW_PASSWORD_REQUIRED" => {
                        let answers = input.strings("ChallengeResponses")?;
                        self.new_password(pool, client, &answers, input.req("Session")?, now)
                            .await
                    }
                    crate::mfa::SOFTWARE_TOKEN_MFA => {
                        self.answer_software_token(pool, client, &input, now).await
                    }
                    crate::mfa::MFA_SETUP => self.answer_mfa_setup(pool, client, &input, now).await,
                    other => Err(invalid(format!(
                        "The challenge {} was not issued in this session.",
                        other.chars().take(64).collect::<String>()
                    ))),
                }
            }
            "AdminSetUserMFAPreference" => {
                let mut user = self.admin_user(pool, &input).await?;
                crate::mfa::apply_preference(pool, &mut user, &input)?;
                self.save_user(pool, &mut user, now).await?;
                Ok(json!({}))
            }
            "ListUsers" => self.list_users(pool, &input).await,
            "CreateGroup" => {
                let name = input.req("GroupName")?;
                if name.is_empty() || name.chars().count() > 128 {
                    return Err(invalid("GroupName must be 1 to 128 characters."));
                }
                let group = StoredGroup {
                    pool: pool.id.clone(),
                    name: name.to_string(),
                    description: input.opt("Description")?.map(str::to_string),
                    precedence: input.int("Precedence")?,
                    role_arn: input.opt("RoleArn")?.map(str::to_string),
                    created: now,
                    modified: now,
                };
                match users.create_group(&group).await {
                    Ok(()) => Ok(json!({"Group": group_type(&group)})),
                    Err(UserPoolError::GroupExists) => Err(CognitoError::new(
                        ErrorType::GroupExists,
                        "A group with the name already exists.",
                    )),
                    Err(e) => Err(internal(e)),
                }
            }
            "ListGroups" => {
                let groups = users.list_groups(&pool.id).await.map_err(internal)?;
                Ok(json!({"Groups": groups.iter().map(group_type).collect::<Vec<_>>()}))
            }
            _ => Err(CognitoError::new(
                ErrorType::UnknownOperation,
                format!("The operation {op} is not supported by this endpoint."),
            )),
        }
    }

    /// Revokes every session of a user (sign-out, deletion), in force at once on this node.
    async fn end_sessions(
        &self,
        pool: &UserPoolConfig,
        user: &StoredUser,
        now: SystemTime,
    ) -> Result<(), CognitoError> {
        self.shared
            .signin
            .revoke_user_sessions(&pool.id, &user.username, now)
            .await
            .map_err(internal)?;
        self.shared.deny.expire();
        Ok(())
    }

    async fn admin_create_user(
        &self,
        pool: &UserPoolConfig,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let given = input.req("Username")?;
        let mut attributes: BTreeMap<String, String> =
            writable_attributes(pool, input)?.into_iter().collect();
        let (username, sub) = new_identity(pool, given, &mut attributes)?;
        let temporary = match input.opt("TemporaryPassword")? {
            Some(p) => {
                pool.password_policy.check(p)?;
                p.to_string()
            }
            None => userpools::codes::generate_temporary_password(&pool.password_policy)
                .map_err(internal)?,
        };
        let record = password_record(&self.shared, &pool.id, &username, &temporary, now).await?;
        let user = StoredUser {
            pool: pool.id.clone(),
            username: username.clone(),
            sub,
            attributes,
            status: UserStatus::ForceChangePassword,
            enabled: true,
            password: Some(record),
            mfa: Default::default(),
            created: now,
            modified: now,
            version: 0,
        };
        self.create_user(pool, &user, "User account already exists")
            .await?;
        if input.opt("MessageAction")? != Some("SUPPRESS") {
            // The built-in sender's invitation: the temporary password, in the log only.
            tracing::info!(
                pool = %pool.id,
                username = %username,
                temporary_password = %temporary,
                "user pool invitation delivered by the built-in sender"
            );
        }
        Ok(json!({"User": user_type(&user)}))
    }

    async fn admin_initiate_auth(
        &self,
        pool: &UserPoolConfig,
        input: &Input,
        now: SystemTime,
    ) -> Result<Value, CognitoError> {
        let client = self.admin_client(pool, input)?;
        let flow = input.req("AuthFlow")?;
        let params = input.strings("AuthParameters")?;
        match flow {
            "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
                if !client.allows(AuthFlow::AdminUserPasswordAuth) {
                    return Err(flow_not_enabled(flow));
                }
                // Signed by the app's server, not the user's device: no per-address window.
                self.password_sign_in(pool, client, &params, None, now)
                    .await
            }
            "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
                crate::refresh::refuse_rotating(client, flow)?;
                if !client.allows(AuthFlow::RefreshTokenAuth) {
                    return Err(flow_not_enabled(flow));
                }
                let result = self
                    .refresh(
                        pool,
                        client,
                        params.req("REFRESH_TOKEN")?,
                        params.get("SECRET_HASH"),
                        false,
                        now,
                    )
                    .await?;
                Ok(authenticated(result))
            }
            _ => Err(invalid(format!(
                "Initiate Auth method not supported: {}",
                flow.chars().take(64).collect::<String>()
            ))),
        }
    }

    /// ListUsers: by username order, filtered, paginated by the last username read.
    async fn list_users(
        &self,
        pool: &UserPoolConfig,
        input: &Input,
    ) -> Result<Value, CognitoError> {
        let limit = match input.int("Limit")?.map(usize::try_from) {
            None => 60,
            Some(Ok(n)) if (1..=60).contains(&n) => n,
            Some(_) => {
                return Err(invalid(
                    "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and 60",
                ));
            }
        };
        let filter = userpools::filter::parse(input.opt("Filter")?.unwrap_or(""))?;
        let mut after = input.opt("PaginationToken")?.map(str::to_string);
        let mut found = Vec::new();
        // Bounded: each page moves `after` forward, and the loop ends on a short page.
        loop {
            let page = self
                .shared
                .users
                .list_users(&pool.id, after.as_deref(), 60)
                .await
                .map_err(internal)?;
            let short = page.len() < 60;
            for user in page {
                after = Some(user.username.clone());
                let keep = filter.as_ref().is_none_or(|f| {
                    let value = match f.attribute {
                        "username" => Some(user.username.as_str()),
                        "sub" => Some(user.sub.as_str()),
                        "cognito:user_status" => Some(user.status.as_str()),
                        "status" => Some(if user.enabled { "Enabled" } else { "Disabled" }),
                        other => user.attributes.get(other).map(String::as_str),
                    };
                    f.matches(value)
                });
                if keep {
                    found.push(user_type(&user));
                    if found.len() == limit {
                        return Ok(json!({"Users": found, "PaginationToken": after}));
                    }
                }
            }
            if short {
                return Ok(json!({"Users": found}));
            }
        }
    }
}
