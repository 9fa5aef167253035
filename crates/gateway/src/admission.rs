//! The edge listener's admission limit (`server.max_concurrent_requests`): past it, a request is
//! answered 429 at once, before the pipeline runs, so that an overload costs the gateway one
//! atomic add per excess request and the requests it did admit keep their latency.
//!
//! One counter for all edge workers: a request is admitted or shed on arrival, so the count is
//! touched twice per request, which costs less than the imbalance of per-worker limits (a worker
//! with few connections would shed while another had room).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};

use crate::body::{Body, full};

/// Requests being served at once, against the limit.
#[derive(Debug)]
pub(crate) struct Admission {
    limit: usize,
    current: AtomicUsize,
}

/// One admitted request; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Permit(Arc<Admission>);

impl Admission {
    pub(crate) fn new(limit: usize) -> Arc<Admission> {
        Arc::new(Admission {
            limit,
            current: AtomicUsize::new(0),
        })
    }

    /// A place for one more request, unless `limit` are already being served.
    pub(crate) fn try_admit(self: &Arc<Self>) -> Option<Permit> {
        // Optimistic add, undone when over: one atomic operation on the admitted path.
        let before = self.current.fetch_add(1, Ordering::AcqRel);
        if before >= self.limit {
            self.current.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Permit(self.clone()))
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.current.load(Ordering::Acquire)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.current.fetch_sub(1, Ordering::AcqRel);
    }
}

/// API Gateway's throttling answer (its `THROTTLED` gateway response's defaults): the shed
/// request never reached a stage, so no stage's override applies.
pub(crate) fn shed_response() -> Response<Body> {
    let mut response = Response::new(full(r#"{"message":"Too Many Requests"}"#));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_static("TooManyRequestsException"),
    );
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_and_frees_places_on_drop() {
        let admission = Admission::new(2);
        let a = admission.try_admit().unwrap();
        let b = admission.try_admit().unwrap();
        assert!(admission.try_admit().is_none(), "the third is shed");
        assert_eq!(admission.in_flight(), 2, "a shed request leaves no trace");
        drop(a);
        let c = admission.try_admit().unwrap();
        assert!(admission.try_admit().is_none());
        drop((b, c));
        assert_eq!(admission.in_flight(), 0);
    }

    #[test]
    fn concurrent_admissions_never_exceed_the_limit() {
        let admission = Admission::new(8);
        // Permits actually held (the admission counter itself may pass the limit for an instant
        // while a refused add is undone).
        let held = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (admission, held, peak) = (admission.clone(), held.clone(), peak.clone());
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        if let Some(permit) = admission.try_admit() {
                            let now = held.fetch_add(1, Ordering::AcqRel) + 1;
                            peak.fetch_max(now, Ordering::AcqRel);
                            std::hint::spin_loop();
                            held.fetch_sub(1, Ordering::AcqRel);
                            drop(permit);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::Acquire) <= 8);
        assert_eq!(admission.in_flight(), 0);
    }

    #[test]
    fn the_shed_answer_is_api_gateways_throttle() {
        let response = shed_response();
        assert_eq!(response.status(), 429);
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "TooManyRequestsException"
        );
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(response.headers().contains_key("x-amzn-requestid"));
    }
}
