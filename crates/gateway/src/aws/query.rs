//! The Query protocol (`Action=…&Version=…`, XML answers): STS today. The service is the one the
//! signature's credential scope names; an unsigned request goes to STS, which refuses it in its
//! own words (`MissingAuthenticationToken`).

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::sts;
use crate::body::Body;
use crate::pipeline::ConnInfo;
use crate::services::Services;

pub(super) async fn handle(
    svc: Arc<Services>,
    conn: ConnInfo,
    req: Request<Incoming>,
) -> Response<Body> {
    match super::signed_service(&req).as_deref() {
        None | Some("sts") => sts::handle(svc, conn, req).await,
        Some(other) => {
            let request_id = super::new_request_id();
            let error = ::sts::StsError {
                status: 400,
                code: "InvalidAction",
                message: format!("The service {other:?} is not served by this endpoint"),
            };
            error_response(&error, &request_id)
        }
    }
}

/// The Query protocol's error shape: `<ErrorResponse><Error><Type/><Code/><Message/></Error>`.
pub(super) fn error_response(error: &::sts::StsError, request_id: &str) -> Response<Body> {
    xml_response(
        error.status,
        ::sts::response::error(error, request_id),
        request_id,
    )
}

/// A Query-protocol answer: XML with the request id header every AWS answer carries.
pub(super) fn xml_response(status: u16, xml: String, request_id: &str) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    super::answer(status, "text/xml", xml, request_id)
}
