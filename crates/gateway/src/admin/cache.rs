//! `FlushStageCache`: drops every cached response of one stage.

use super::control::{ApiError, Call, Reply};

pub(super) fn flush(call: &Call<'_>, api: &str, stage: &str) -> Result<Reply, ApiError> {
    let runtime = call
        .deployment
        .api(api)
        .ok_or_else(|| ApiError::not_found(format!("Invalid API identifier specified: {api}")))?;
    if runtime.stage(stage).is_none() {
        return Err(ApiError::not_found(format!(
            "Invalid Stage identifier specified: {stage}"
        )));
    }
    if !call.svc.flush_stage_cache(api, stage) {
        return Err(ApiError::not_found(format!(
            "Stage {stage} of API {api} has no cache cluster: enable cache_cluster on the stage in the configuration file"
        )));
    }
    tracing::info!(target: "portcullis::admin", by = call.who(), api, stage, "stage cache flushed");
    Ok(Reply::accepted())
}
