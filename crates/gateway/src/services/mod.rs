//! The edge endpoint's dispatcher: AWS service requests (STS today) go to their service, every
//! other request is an API invocation for the pipeline.
//!
//! One listener serves both, like a local AWS endpoint: SDK clients point `endpoint_url` at it
//! for STS, and apps invoke APIs on the same address.

pub(crate) mod sts;

use std::sync::Arc;

use http::{Request, Response};
use hyper::body::Incoming;

use crate::body::Body;
use crate::deploy::Gateway;
use crate::pipeline::{self, ConnInfo};

/// Handles one request on the edge endpoint.
pub async fn handle(gw: Arc<Gateway>, conn: ConnInfo, req: Request<Incoming>) -> Response<Body> {
    if sts::is_sts_request(&req) {
        return sts::handle(gw, conn, req).await;
    }
    pipeline::handle(gw, conn, req).await
}
