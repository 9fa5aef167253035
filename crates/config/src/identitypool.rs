//! Identity pools as loaded: the `identity_pools` section. Docs: `docs/identitypools.md`.
//!
//! The types are the `identitypools` crate's, which resolves roles with them; the loader
//! (`load/identity_pools.rs`) checks every reference — user pools, app clients, IAM roles —
//! so a pool that loads names only things the gateway serves.

pub use identitypools::{
    AmbiguousRoleResolution, IdentityPool as IdentityPoolConfig, IdentityProvider, MappingRule,
    MatchType, RoleMapping, RoleMappingKind,
};
