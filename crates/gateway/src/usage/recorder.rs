//! Usage counted per (plan, key, UTC day) in memory and written to storage in batches, so the
//! request path never waits for a database write. [`UsageRecorder::flush`] runs every few
//! seconds (`portcullis` spawns it), before a usage report is read, and at shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use store::{StoreError, UsageCount, UsageStore};

use super::utc_day_of_unix;

/// (plan id, key id, UTC day as days since the Unix epoch: no string per request).
type Slot = (Arc<str>, Arc<str>, i64);

const DAY_SECS: i64 = 86_400;

#[derive(Default)]
pub struct UsageRecorder {
    pending: Mutex<HashMap<Slot, u64>>,
}

impl UsageRecorder {
    /// Counts one request of `key` in `plan` on the day of `now`.
    pub fn record(&self, plan: &Arc<str>, key: &Arc<str>, now: SystemTime) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending
            .entry((Arc::clone(plan), Arc::clone(key), unix_day(now)))
            .or_insert(0) += 1;
    }

    /// Writes what was counted since the last flush. On failure the counts are put back, to be
    /// written by the next flush: usage is never lost to a storage hiccup.
    pub async fn flush(&self, store: &dyn UsageStore) -> Result<usize, StoreError> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if taken.is_empty() {
            return Ok(0);
        }
        let counts: Vec<UsageCount> = taken
            .iter()
            .map(|((plan, key, day), n)| UsageCount {
                plan_id: plan.to_string(),
                key_id: key.to_string(),
                day: utc_day_of_unix(day.saturating_mul(DAY_SECS)),
                count: *n,
            })
            .collect();
        match store.record_usage(&counts).await {
            Ok(()) => Ok(counts.len()),
            Err(e) => {
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (k, n) in taken {
                    *pending.entry(k).or_insert(0) += n;
                }
                Err(e)
            }
        }
    }
}

/// Days since the Unix epoch of `t` (UTC); instants before it count as day 0.
fn unix_day(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| {
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX) / DAY_SECS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn counts_reach_storage_per_day() {
        let stores = store::SqliteStore::memory().await.unwrap().into_stores();
        let recorder = UsageRecorder::default();
        let (plan, key): (Arc<str>, Arc<str>) = ("p".into(), "k".into());
        let day1 = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 10);
        let day2 = day1 + Duration::from_secs(86_400);
        recorder.record(&plan, &key, day1);
        recorder.record(&plan, &key, day1);
        recorder.record(&plan, &key, day2);
        assert_eq!(recorder.flush(&*stores.usage).await.unwrap(), 2);
        recorder.record(&plan, &key, day2);
        recorder.flush(&*stores.usage).await.unwrap();
        assert_eq!(recorder.flush(&*stores.usage).await.unwrap(), 0);
        let usage = stores
            .usage
            .usage("p", Some("k"), "1970-01-01", "1970-12-31")
            .await
            .unwrap();
        let days: Vec<(String, u64)> = usage.into_iter().map(|u| (u.day, u.count)).collect();
        assert_eq!(
            days,
            vec![("1970-01-04".to_string(), 2), ("1970-01-05".to_string(), 2)]
        );
    }
}
