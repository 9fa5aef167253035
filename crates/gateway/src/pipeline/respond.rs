//! Phase: respond. Turns the pipeline's result into the answer: an error into its gateway response,
//! then the headers every API Gateway answer carries. The body is wrapped so that the log phase
//! runs once it has been sent (or abandoned), with the true response length.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Response;
use http::header::{HeaderName, HeaderValue};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

use super::context::RequestCtx;
use super::log;
use crate::body::{Body, BoxError};
use crate::error::GatewayError;
use crate::responses;
use crate::services::Services;

static X_AMZN_REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
static X_AMZ_APIGW_ID: HeaderName = HeaderName::from_static("x-amz-apigw-id");
static X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

pub(crate) fn respond(
    svc: Arc<Services>,
    mut ctx: Box<RequestCtx>,
    result: Result<Response<Body>, GatewayError>,
) -> Response<Body> {
    let _span = tracing::debug_span!("respond").entered();
    let response = match result {
        Ok(r) => r,
        Err(error) => {
            // The answer may carry AWS's own text (a signature mismatch shows the canonical
            // request the client sent, session token included); everything logged from here
            // on — the execution log, `$context.error.message` in the access log — gets the
            // redacted copy.
            ctx.error = Some(error.clone());
            let response = responses::error_response(&ctx, &error);
            let logged = error.redacted();
            log::error(&ctx, &logged);
            ctx.error = Some(logged);
            response
        }
    };
    ctx.status = response.status().as_u16();
    ctx.response_latency = Some(ctx.started.elapsed());
    let (mut head, body) = response.into_parts();
    if let Ok(v) = HeaderValue::from_str(ctx.request_id.as_str()) {
        head.headers.insert(X_AMZN_REQUEST_ID.clone(), v);
    }
    if let Ok(v) = HeaderValue::from_str(ctx.extended_request_id()) {
        head.headers.insert(X_AMZ_APIGW_ID.clone(), v);
    }
    let mut trace = String::with_capacity(40);
    trace.push_str("Root=");
    trace.push_str(&ctx.trace.xray_root());
    if let Ok(v) = HeaderValue::try_from(trace) {
        head.headers.insert(X_AMZN_TRACE_ID.clone(), v);
    }
    let body = LoggedBody {
        inner: body,
        bytes: 0,
        pending: Some((svc, ctx)),
    }
    .boxed_unsync();
    Response::from_parts(head, body)
}

/// A response body that runs the log phase when it ends or is dropped.
struct LoggedBody {
    inner: Body,
    bytes: u64,
    pending: Option<(Arc<Services>, Box<RequestCtx>)>,
}

/// `ctx.phase` of a request whose client left while its body was being sent.
const SENDING: &str = "response";

impl LoggedBody {
    /// Runs the log phase; `complete` is whether the whole body was sent.
    fn finish(&mut self, complete: bool) {
        if let Some((svc, mut ctx)) = self.pending.take() {
            ctx.response_length = self.bytes;
            if complete {
                log::finish(&svc, &ctx);
            } else {
                // The head (and its status) reached the client: the log keeps that status.
                ctx.phase = SENDING;
                log::abandoned(&svc, &ctx);
            }
        }
    }
}

impl http_body::Body for LoggedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.bytes += data.len() as u64;
                }
            }
            // The body's own failure (a backend cut off mid-stream) ends it too, logged with the
            // status already sent; it is not the client leaving.
            Poll::Ready(None | Some(Err(_))) => self.finish(true),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        // Hyper drops a body it has sent to the end without always polling past its last frame
        // (an empty body, or one whose length is known); only a body with frames left unsent
        // means the client went away.
        let complete = http_body::Body::is_end_stream(&self.inner);
        self.finish(complete);
    }
}
