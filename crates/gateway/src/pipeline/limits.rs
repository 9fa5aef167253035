//! Phase: limits. API Gateway's request size limits, checked before any work is done.

use http::request::Parts;

use super::{Exchange, Flow, Phase};
use crate::body::MAX_PAYLOAD;
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

/// Longest URL API Gateway accepts (edge-optimized APIs), in characters.
pub const MAX_URL: usize = 8192;

/// API Gateway's limit on "the total combined size of request line and header values".
pub const MAX_HEADER_BYTES: usize = 10_240;

pub(crate) struct Limits;

impl Phase for Limits {
    const NAME: &'static str = "limits";

    async fn run(_svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError> {
        check(&exchange.parts).map(|()| Flow::Continue)
    }
}

pub(crate) fn check(parts: &Parts) -> Result<(), GatewayError> {
    let url = parts.uri.path().len() + parts.uri.query().map_or(0, |q| q.len() + 1);
    if url > MAX_URL {
        return Err(GatewayError::new(ErrorKind::UriTooLong));
    }
    let request_line = parts.method.as_str().len() + url + 10;
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if request_line + header_bytes > MAX_HEADER_BYTES {
        return Err(GatewayError::new(ErrorKind::HeadersTooLarge));
    }
    // A declared length over the limit is refused before a byte of the body is read; bodies
    // without a length are cut off at the limit while streaming.
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_PAYLOAD as u64) {
        return Err(GatewayError::new(ErrorKind::RequestTooLarge));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn limits() {
        assert!(check(&parts("/prod/x", &[])).is_ok());
        let long = format!("/prod/{}", "a".repeat(MAX_URL));
        assert_eq!(
            check(&parts(&long, &[])).unwrap_err().kind,
            ErrorKind::UriTooLong
        );
        let big = "b".repeat(MAX_HEADER_BYTES);
        assert_eq!(
            check(&parts("/p", &[("x-big", &big)])).unwrap_err().kind,
            ErrorKind::HeadersTooLarge
        );
        let len = (MAX_PAYLOAD + 1).to_string();
        assert_eq!(
            check(&parts("/p", &[("content-length", &len)]))
                .unwrap_err()
                .kind,
            ErrorKind::RequestTooLarge
        );
        let len = MAX_PAYLOAD.to_string();
        assert!(check(&parts("/p", &[("content-length", &len)])).is_ok());
    }
}
