//! API keys and usage plans as the request path reads them.
//!
//! A [`KeyIndex`] maps the SHA-256 of a key value to the key and lists each key's plans. There
//! are two: the deployment's, compiled from the configuration file ([`KeyIndex::from_config`]),
//! and the services', rebuilt from storage whenever the admin API changes a key or plan
//! ([`KeyIndex::from_stored`], [`crate::Services::refresh_usage`]). A request looks a key up in
//! both and never touches storage. A stored plan may include a key declared in the file, so a
//! key's plans are looked up in both indexes too ([`KeyIndex::plan_for`]).
//!
//! Keys are indexed by their SHA-256 rather than their value so that the map's comparisons run
//! over digests, not over the secret itself.

mod index;
pub mod plan_json;
mod recorder;

pub use index::{KeyIndex, KeyRecord, PlanRuntime, PlanStageRuntime, bucket as index_bucket};
pub use recorder::UsageRecorder;

/// SHA-256 of an API key value: what the indexes are keyed by.
pub fn key_digest(value: &str) -> [u8; 32] {
    store::session_token_sha256(value)
}

/// `YYYY-MM-DD` (UTC) of a Unix time in seconds; out-of-range times clamp to the calendar's ends.
pub fn utc_day_of_unix(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 {
        time::OffsetDateTime::UNIX_EPOCH
    } else {
        time::PrimitiveDateTime::MAX.assume_utc()
    });
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// `YYYY-MM-DD` (UTC) of `t`.
pub fn utc_day(t: std::time::SystemTime) -> String {
    let secs = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    };
    utc_day_of_unix(secs)
}

/// The counter keys of the throttle and quota phase. Kinds are separate namespaces in
/// `Counters`, so only keys of one kind must not collide: plan and key ids cannot contain `/`
/// or `:` (their syntax is checked where they are created).
pub fn quota_key(plan: &str, key: &str) -> String {
    format!("plan:{plan}:{key}")
}
