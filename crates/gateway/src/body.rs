//! The body type every response (and every proxied request) uses, and the payload limit.

use std::future::Future;

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

/// The error a [`Capped`] body fails with past its limit.
#[derive(Debug, thiserror::Error)]
#[error("the payload exceeds {0} bytes")]
pub struct PayloadTooLarge(pub usize);

/// The error a [`Capped`] body fails with when the client has not sent it all by its deadline.
#[derive(Debug, thiserror::Error)]
#[error("the client did not send the request body in time")]
pub struct BodyTimeout;

/// A streaming request body cut off at a size limit and at a deadline (`server.body_read_timeout`
/// after the request head arrived), so a client that declares a body and trickles it cannot hold
/// a connection and a request slot. Hand-written rather than `http_body_util::Limited`: that
/// adapter's generic error conversion defeats the compiler's `Send` inference for the request
/// future; and the timer is only armed the first time the client makes us wait, so a body that is
/// already there (or empty) costs no timer.
pub struct Capped {
    inner: hyper::body::Incoming,
    limit: usize,
    seen: usize,
    deadline: tokio::time::Instant,
    timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Capped {
    pub fn new(
        inner: hyper::body::Incoming,
        limit: usize,
        deadline: tokio::time::Instant,
    ) -> Capped {
        Capped {
            inner,
            limit,
            seen: 0,
            deadline,
            timer: None,
        }
    }
}

impl http_body::Body for Capped {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        use std::task::Poll;
        match std::pin::Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.seen += data.len();
                    if self.seen > self.limit {
                        return Poll::Ready(Some(Err(Box::new(PayloadTooLarge(self.limit)))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let deadline = self.deadline;
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Why reading a whole body failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the body exceeds {0} bytes")]
    TooLarge(usize),
    #[error("the client did not send the request body in time")]
    Timeout,
    #[error("reading the body failed: {0}")]
    Body(String),
}

/// Reads a body to its end, at most `limit` bytes. A plain frame loop rather than
/// `Limited::collect`, whose generic error conversion defeats `Send` inference for the request
/// future.
pub async fn read_limited<B>(mut body: B, limit: usize) -> Result<Bytes, ReadError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            let e: BoxError = e.into();
            if e.is::<BodyTimeout>() {
                ReadError::Timeout
            } else if let Some(PayloadTooLarge(limit)) = e.downcast_ref() {
                ReadError::TooLarge(*limit)
            } else {
                ReadError::Body(e.to_string())
            }
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ReadError::TooLarge(limit));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}
