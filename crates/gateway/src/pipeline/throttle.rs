//! Phase: throttle. Token buckets at every level API Gateway has, and the usage plan's quota:
//!
//! 1. the key's usage plan: the plan's per-method throttle for this method if it sets one, else
//!    the plan's throttle — one bucket per key;
//! 2. the stage's throttle for this method (its `method_settings` entry, else `*/*`) — one
//!    bucket per method, shared by every caller;
//! 3. the account's (`account_throttle`, always) — one bucket for everything;
//! 4. the plan's quota, counted only for a request every bucket admitted.
//!
//! An empty bucket is 429 `Too Many Requests`; a used-up quota 429 `Limit Exceeded`. The most
//! specific limit is checked first, so that a caller over its own plan's limit does not take
//! tokens from the shared stage and account buckets. A request refused by a later bucket has
//! already taken a token from an earlier one (as with independent limits anywhere); see
//! docs/compatibility.md. Counting happens here, after authorization and the key check and
//! before the cache and the integration: a throttled request never reaches the backend.

use std::borrow::Cow;

use super::{Exchange, Flow, Phase};
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

/// The account bucket's key.
const ACCOUNT: &str = "account";

pub(crate) struct Throttle;

impl Phase for Throttle {
    const NAME: &'static str = "throttle";

    async fn run(svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError> {
        let ctx = &*exchange.ctx;
        let Some(route) = ctx.route.as_ref() else {
            return Ok(Flow::Continue);
        };
        let stage = route.stage();
        let Some(method) = route
            .resource
            .zip(route.method)
            .and_then(|(r, m)| stage.methods.get(r)?.get(m))
        else {
            return Ok(Flow::Continue);
        };
        let now = svc.clock.now();
        let counters = &*svc.counters;
        let unavailable =
            |e: counters::CountersError| GatewayError::new(ErrorKind::Internal).detail(e);
        let key_use = ctx.api_key.as_deref();
        let key_id = key_use.map_or("", |k| &*k.key.id);
        let throttled = || {
            stage.usage_metrics.refused(key_id, "throttled");
            Err(GatewayError::new(ErrorKind::Throttled))
        };

        if let Some(used) = key_use {
            let plan = &used.plan;
            let per_method = route.resource().zip(route.method()).and_then(|(r, m)| {
                plan.stage(&route.api.id, &stage.name)?
                    .method(&r.path, m.verb)
            });
            let bucket = match per_method {
                // Rare (a plan's per-method override): the key is built here.
                Some(spec) => Some((
                    Cow::Owned(format!("{}:{}", used.counter_key, method.counter_key)),
                    spec,
                )),
                None => plan
                    .throttle
                    .map(|spec| (Cow::Borrowed(&*used.counter_key), spec)),
            };
            if let Some((key, spec)) = bucket
                && !counters
                    .take(&key, spec, 1, now)
                    .await
                    .map_err(unavailable)?
                    .allowed
            {
                return throttled();
            }
        }
        if let Some(spec) = method.throttle
            && !counters
                .take(&method.counter_key, spec, 1, now)
                .await
                .map_err(unavailable)?
                .allowed
        {
            return throttled();
        }
        let account = exchange.deployment.account_throttle;
        if !counters
            .take(ACCOUNT, account, 1, now)
            .await
            .map_err(unavailable)?
            .allowed
        {
            return throttled();
        }
        if let Some(used) = key_use {
            let plan = &used.plan;
            if let Some(quota) = plan.quota {
                let state = counters
                    .quota_add(&used.counter_key, quota, 1, now)
                    .await
                    .map_err(unavailable)?;
                if !state.allowed {
                    stage.usage_metrics.refused(key_id, "quota_exceeded");
                    return Err(GatewayError::new(ErrorKind::QuotaExceeded));
                }
            }
            svc.usage_recorder.record(&plan.id, &used.key.id, now);
        }
        Ok(Flow::Continue)
    }
}
