//! What every phase works on: the request in flight and the deployment serving it.

use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http::request::Parts;

use super::context::RequestCtx;
use super::integrate::RequestBody;
use crate::body::Body;
use crate::deploy::Deployment;
use crate::error::GatewayError;

/// A phase's verdict when it does not fail.
pub enum Flow {
    /// On to the next phase.
    Continue,
    /// This is the answer; the remaining phases are skipped.
    Respond(Response<Body>),
}

/// One request on its way through the pipeline.
pub struct Exchange {
    /// The deployment the request started on, kept to its end.
    pub deployment: Arc<Deployment>,
    /// Everything `$context` reports, boxed once per request (see `handle_parts`).
    pub ctx: Box<RequestCtx>,
    pub parts: Parts,
    /// The client's body: streaming until a phase needs its bytes, then buffered (once).
    body: RequestBody,
}

impl Exchange {
    pub fn new(
        deployment: Arc<Deployment>,
        ctx: Box<RequestCtx>,
        parts: Parts,
        body: RequestBody,
    ) -> Exchange {
        Exchange {
            deployment,
            ctx,
            parts,
            body,
        }
    }

    /// The whole request body (at most 10 MB, by the body-read deadline). Read from the client
    /// the first time a phase asks; every later call, and the integration, get the same bytes.
    pub async fn body_bytes(&mut self) -> Result<Bytes, GatewayError> {
        if let RequestBody::Buffered(bytes) = &self.body {
            return Ok(bytes.clone());
        }
        let bytes = self.take_body().collect().await?;
        self.body = RequestBody::Buffered(bytes.clone());
        Ok(bytes)
    }

    /// Hands the body to the integration, still streaming if no phase has read it.
    pub fn take_body(&mut self) -> RequestBody {
        std::mem::replace(&mut self.body, RequestBody::Taken)
    }

    /// Hands the request head to the integration (which forwards its headers without copying
    /// them). Phases after it see an empty head; none needs one.
    pub fn take_parts(&mut self) -> Parts {
        std::mem::replace(&mut self.parts, http::Request::new(()).into_parts().0)
    }
}
