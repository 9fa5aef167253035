//! Phase: API key. For a method that requires a key (`apiKeyRequired`), finds the key — the
//! `x-api-key` header, or the Lambda authorizer's `usageIdentifierKey` when the API's key source
//! is `AUTHORIZER` — and the usage plan of that key covering the request's stage. A missing,
//! unknown or disabled key, or one no plan of which covers the stage, is 403 `Forbidden`, as API
//! Gateway answers. Runs after authorization: a caller refused there never spends a key's quota.

use std::sync::Arc;

use restapi::ApiKeySource;

use super::identity::Identity;
use super::{Exchange, Flow, Phase};
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;
use crate::usage::{KeyIndex, KeyRecord, PlanRuntime, key_digest, quota_key};

/// The key a request presented and the plan it is metered by.
pub struct ApiKeyUse {
    pub key: Arc<KeyRecord>,
    /// The value, for `$context.identity.apiKey` (integrations); logs get it masked.
    pub value: Box<str>,
    pub plan: Arc<PlanRuntime>,
    /// The counter key of this key in this plan ([`quota_key`]): its plan bucket and its quota.
    pub counter_key: Box<str>,
}

impl ApiKeyUse {
    /// The value as logs show it: all but the last four characters masked, as API Gateway's
    /// execution logs do.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.value.chars().collect();
        let keep = chars.len().saturating_sub(4);
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i < keep { '*' } else { *c })
            .collect()
    }
}

pub(crate) struct ApiKeyCheck;

impl Phase for ApiKeyCheck {
    const NAME: &'static str = "api_key";

    async fn run(svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError> {
        let ctx = &mut *exchange.ctx;
        let Some(route) = ctx.route.as_ref() else {
            return Ok(Flow::Continue);
        };
        if !route.method().is_some_and(|m| m.api_key_required) {
            return Ok(Flow::Continue);
        }
        let presented = match route.api.api.api_key_source {
            ApiKeySource::Header => exchange
                .parts
                .headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok()),
            ApiKeySource::Authorizer => match &ctx.identity {
                Identity::Authorizer(result) => result.usage_identifier_key.as_deref(),
                _ => None,
            },
        };
        let stage = route.stage();
        let refuse = |reason: &'static str, key: &str| {
            stage.usage_metrics.refused(key, "invalid_api_key");
            tracing::debug!(request_id = %ctx.request_id, reason, key, "API key refused");
            Err(GatewayError::new(ErrorKind::InvalidApiKey).detail(reason))
        };
        let Some(value) = presented.filter(|v| !v.is_empty()) else {
            return refuse("no API key", "");
        };
        let digest = key_digest(value);
        let stored = svc.stored_keys();
        let indexes = [&exchange.deployment.keys, &*stored];
        let Some(key) = indexes.iter().find_map(|i| i.key(&digest)) else {
            return refuse("unknown API key", "");
        };
        if !key.enabled {
            return refuse("disabled API key", &key.id);
        }
        let Some(plan) = KeyIndex::plan_for(indexes, &key.id, &route.api.id, &stage.name) else {
            return refuse("no usage plan of the key covers the stage", &key.id);
        };
        let used = ApiKeyUse {
            key: Arc::clone(key),
            value: value.into(),
            plan: Arc::clone(plan),
            counter_key: quota_key(&plan.id, &key.id).into(),
        };
        ctx.api_key = Some(Box::new(used));
        Ok(Flow::Continue)
    }
}
