//! The body type every response (and every proxied request) uses, and the payload limit.

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed, streaming body. Boxing costs one allocation per message and lets proxied bodies,
/// buffered bodies and generated bodies share one type.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// API Gateway's payload limit for REST APIs: 10 MB.
pub const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub fn empty() -> Body {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}
