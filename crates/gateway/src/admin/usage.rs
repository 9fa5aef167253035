//! `GetUsage`: a plan's requests per key and UTC day, with what remained of the quota at the
//! end of each day: `{"usagePlanId", "startDate", "endDate", "values": {keyId: [[used,
//! remaining], ...]}}`, one pair per day from `startDate` to `endDate` (the AWS CLI shows
//! `values` as `items`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use counters::QuotaSpec;
use serde_json::{Value, json};
use time::Date;

use super::control::{self, ApiError, Call, ErrorType, Reply};
use super::plans::{self, Plan};
use crate::usage::utc_day_of_unix;

/// The longest range one call reports, to keep the answer bounded.
const MAX_DAYS: i64 = 366;

fn date(call: &Call<'_>, name: &str) -> Result<Date, ApiError> {
    let v = call
        .query_str(name)
        .ok_or_else(|| ApiError::bad_request(format!("{name} is required (YYYY-MM-DD)")))?;
    Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| ApiError::bad_request(format!("Invalid {name} {v:?}: write it YYYY-MM-DD")))
}

fn day_string(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Noon UTC of `d`: inside the day whatever the period arithmetic does with its edges.
fn noon(d: Date) -> SystemTime {
    let secs = d.midnight().assume_utc().unix_timestamp() + 12 * 3600;
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(magnitude)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// The quota as the request path enforces it (same `starts`, hence the same offset period).
fn quota_of(call: &Call<'_>, plan: &Plan) -> Option<QuotaSpec> {
    let index = if plan.from_config {
        call.deployment.keys.plans().to_vec()
    } else {
        call.svc.stored_keys().plans().to_vec()
    };
    if let Some(runtime) = index.iter().find(|p| *p.id == plan.id) {
        return runtime.quota;
    }
    let def = plan.parsed.as_ref()?;
    def.compile(&plan.id, plan.created.unwrap_or_else(|| call.now()))
        .quota
}

pub(super) async fn get(call: &Call<'_>, plan_id: &str) -> Result<Reply, ApiError> {
    let plan = plans::find(call, plan_id).await?;
    let (start, end) = (date(call, "startDate")?, date(call, "endDate")?);
    if end < start {
        return Err(ApiError::bad_request(
            "The endDate must not be before the startDate",
        ));
    }
    if (end - start).whole_days() >= MAX_DAYS {
        return Err(ApiError::bad_request(format!(
            "Ask for at most {MAX_DAYS} days at a time"
        )));
    }
    let key = call.query_str("keyId");
    // Usage is counted in memory and written in batches: write what is pending first.
    call.svc.flush_usage().await.map_err(|e| {
        ApiError::new(
            ErrorType::ServiceUnavailable,
            format!("recent usage cannot be written to storage: {e}"),
        )
    })?;
    let quota = quota_of(call, &plan);
    // A week or month may have begun before `startDate`: its earlier days count too.
    let from = match quota {
        Some(q) => {
            let period_start = counters::math::quota::bounds(q.period, noon(start)).0;
            utc_day_of_unix(period_start).min(day_string(start))
        }
        None => day_string(start),
    };
    let counts = call
        .svc
        .store
        .usage
        .usage(plan_id, key, &from, &day_string(end))
        .await?;
    let mut by_key: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for c in counts {
        *by_key
            .entry(c.key_id)
            .or_default()
            .entry(c.day)
            .or_insert(0) += c.count;
    }
    // Every key of the plan, and any key that has usage in the range (it may have left since).
    let keys: BTreeSet<String> = match key {
        Some(k) => BTreeSet::from([k.to_string()]),
        None => plan
            .keys
            .iter()
            .cloned()
            .chain(by_key.keys().cloned())
            .collect(),
    };
    let empty = BTreeMap::new();
    let rows: Vec<(String, Value)> = keys
        .into_iter()
        .map(|k| {
            let days = by_key.get(&k).unwrap_or(&empty);
            let row = daily(days, quota, start, end);
            (k, row)
        })
        .collect();
    let (page, next) = control::page_of(call, rows)?;
    let values: serde_json::Map<String, Value> = page.into_iter().collect();
    let mut answer = json!({
        "usagePlanId": plan_id,
        "startDate": day_string(start),
        "endDate": day_string(end),
        "values": values,
    });
    if let Some(next) = next
        && let Some(map) = answer.as_object_mut()
    {
        map.insert("position".into(), next.into());
    }
    Ok(Reply::ok(answer))
}

/// `[[used, remaining], ...]` from `start` to `end`; `remaining` is `null` without a quota.
fn daily(days: &BTreeMap<String, u64>, quota: Option<QuotaSpec>, start: Date, end: Date) -> Value {
    let mut out = Vec::new();
    let mut d = start;
    loop {
        let today = day_string(d);
        let used = days.get(&today).copied().unwrap_or(0);
        let remaining = quota.map(|q| {
            let (period_start, _) = counters::math::quota::bounds(q.period, noon(d));
            let first = utc_day_of_unix(period_start);
            let so_far: u64 = days
                .range(first..=today.clone())
                .map(|(_, n)| *n)
                .fold(0, u64::saturating_add);
            let initial = counters::math::quota::bounds(q.period, q.starts).0 == period_start;
            let limit = if initial {
                q.limit.saturating_sub(q.offset)
            } else {
                q.limit
            };
            limit.saturating_sub(so_far)
        });
        out.push(json!([used, remaining]));
        match d.next_day() {
            Some(next) if d < end => d = next,
            _ => break,
        }
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_counts_the_whole_period() {
        let d = |s: &str| {
            Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
        };
        let days = BTreeMap::from([("2026-03-02".to_string(), 3), ("2026-03-04".to_string(), 5)]);
        let week = QuotaSpec {
            limit: 10,
            period: counters::Period::Week,
            offset: 0,
            starts: SystemTime::UNIX_EPOCH,
        };
        // 2026-03-02 is a Monday: the week's count carries from day to day.
        assert_eq!(
            daily(&days, Some(week), d("2026-03-03"), d("2026-03-04")),
            json!([[0, 7], [5, 2]])
        );
        let day = QuotaSpec {
            period: counters::Period::Day,
            ..week
        };
        assert_eq!(
            daily(&days, Some(day), d("2026-03-02"), d("2026-03-03")),
            json!([[3, 7], [0, 10]])
        );
        assert_eq!(
            daily(&days, None, d("2026-03-04"), d("2026-03-04")),
            json!([[5, null]])
        );
    }
}
