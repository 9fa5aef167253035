//! Identity pools (Amazon Cognito Identity) without I/O: what the service checks and computes,
//! so that the gateway's handlers are thin and every decision here is tested on its own.
//!
//! - [`model`]: an identity pool as configured (providers, roles, role mappings);
//! - [`id`]: identity ids (`{region}:{uuid}`) and identity pool ids;
//! - [`logins`]: the `Logins` map clients send (keys are the token issuer without its scheme);
//! - [`roles`]: which role a signed-in identity gets (rules, token, ambiguous resolution);
//! - [`input`]: reading an operation's JSON input with Cognito Identity's validation messages;
//! - [`error`]: Cognito Identity's error answers (`__type`, `message`).
//!
//! Docs: `docs/identitypools.md`.

// On the request path: no code path may panic on what a request brings. Tests may.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod error;
pub mod id;
pub mod input;
pub mod logins;
pub mod model;
pub mod roles;

pub use error::{ErrorType, IdentityError};
pub use id::{is_identity_id, is_identity_pool_id, new_identity_id};
pub use input::{Operation, parse_operation};
pub use logins::{Login, issuer_key, parse_logins};
pub use model::{
    AmbiguousRoleResolution, IdentityPool, IdentityProvider, MappingRule, MatchType, RoleMapping,
    RoleMappingKind,
};
pub use roles::{RoleChoice, resolve_role};
