//! `portcullis userpool …`: a pool's outbox (the codes the built-in sender delivered) and key
//! rotation, and `portcullis identitypool rotate-keys` (the OpenID tokens' key), on the
//! configuration's storage. They work beside a running server (SQLite in WAL
//! mode takes a second connection): a rotated key is picked up by every node within a minute,
//! or at once by a node that sees a token signed with it.

use std::time::SystemTime;

use anyhow::{Context, bail};
use config::Config;
use store::Stores;

fn pool<'a>(config: &'a Config, id: &str) -> anyhow::Result<&'a config::UserPoolConfig> {
    match config.user_pools.iter().find(|p| p.id == id) {
        Some(p) => Ok(p),
        None => {
            let known: Vec<&str> = config.user_pools.iter().map(|p| p.id.as_str()).collect();
            bail!(
                "no user pool {id:?} in the configuration (its pools: {})",
                known.join(", ")
            )
        }
    }
}

/// The outbox, newest first, one message per line (JSON).
pub async fn codes(
    config: &Config,
    stores: &Stores,
    pool_id: &str,
    username: Option<&str>,
    limit: u32,
) -> anyhow::Result<Vec<String>> {
    pool(config, pool_id)?;
    let messages = stores
        .signin
        .outbox(pool_id, username, limit)
        .await
        .context("reading the outbox")?;
    Ok(messages
        .into_iter()
        .map(|m| {
            let sent = time::OffsetDateTime::from(m.sent_at)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            serde_json::json!({
                "username": m.username,
                "purpose": m.purpose.as_str(),
                "medium": m.medium,
                "destination": m.destination,
                "code": m.code,
                "sent_at": sent,
            })
            .to_string()
        })
        .collect())
}

/// Rotates the pool's signing key; returns the new key's id. Old keys stay published until the
/// tokens they signed have expired.
pub async fn rotate_keys(
    config: &Config,
    stores: &Stores,
    pool_id: &str,
) -> anyhow::Result<String> {
    let pool = pool(config, pool_id)?;
    let now = SystemTime::now();
    let keys = cognito::KeyCache::new(stores.signin.clone());
    // The pool's first key, if it has none yet, so that rotating always leaves a retired one.
    keys.get(pool_id, now)
        .await
        .context("reading the pool's keys")?;
    let rotated = keys
        .rotate(pool_id, now, pool.longest_token_validity())
        .await
        .context("rotating the pool's key")?;
    Ok(rotated.set.current().kid().to_string())
}

/// Rotates the identity pools' OpenID token signing key (GetOpenIdToken's); returns the new
/// key's id. Old keys stay published until the tokens they signed (10 minutes) have expired.
pub async fn rotate_open_id_keys(config: &Config, stores: &Stores) -> anyhow::Result<String> {
    if config.identity_pools.is_empty() {
        bail!("the configuration has no identity pools: there is no OpenID token key to rotate");
    }
    let set = cognito::keys::OPEN_ID_KEY_SET;
    let now = SystemTime::now();
    let keys = cognito::KeyCache::new(stores.signin.clone());
    keys.get(set, now)
        .await
        .context("reading the OpenID token keys")?;
    let rotated = keys
        .rotate(set, now, cognito::keys::OPEN_ID_TOKEN_LIFETIME)
        .await
        .context("rotating the OpenID token key")?;
    Ok(rotated.set.current().kid().to_string())
}
