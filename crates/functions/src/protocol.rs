//! The Lambda Runtime API (version 2018-06-01) as data: which request a runtime made, the bodies
//! Lambda answers with, and the error documents Lambda returns to the caller when a function
//! fails. Pure; the server in `server.rs` does the I/O.
//!
//! Requests come from the function's process — user code, so untrusted bytes: [`Route::parse`]
//! and [`ErrorReport::parse`] never panic (a fuzz target and property tests check it). The
//! statuses and bodies are those of Lambda's runtime (its open-source emulator renders the same):
//! `202 {"status":"OK"}` for accepted posts, `400 InvalidRequestID` for a response to a request
//! that is not the one in flight, `403 InvalidStateTransition` for a call the runtime's state does
//! not allow, `413 RequestEntityTooLarge` past 6 MB.

use bytes::Bytes;
use serde::Serialize;

/// The API version every path starts with.
pub const VERSION_PREFIX: &str = "/2018-06-01/runtime/";
/// Lambda's payload limit for synchronous invocations and responses (6 MB).
pub const MAX_PAYLOAD: usize = 6 * 1024 * 1024;
/// Lambda's payload limit for asynchronous (`Event`) invocations (1 MB).
pub const MAX_EVENT_PAYLOAD: usize = 1024 * 1024;
/// Request ids are UUIDs; anything longer in a path is not one of ours.
const MAX_REQUEST_ID: usize = 128;

/// The header a runtime names its error type in.
pub const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// One Runtime API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /runtime/invocation/next`
    Next,
    /// `POST /runtime/invocation/{id}/response`
    Response(&'a str),
    /// `POST /runtime/invocation/{id}/error`
    Error(&'a str),
    /// `POST /runtime/init/error`
    InitError,
    /// A known path with the wrong method.
    MethodNotAllowed,
    NotFound,
}

impl<'a> Route<'a> {
    /// Classifies a request by method and path (the query, if any, is ignored as Lambda does).
    pub fn parse(method: &str, path: &'a str) -> Route<'a> {
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        let Some(rest) = path.strip_prefix(VERSION_PREFIX) else {
            return Route::NotFound;
        };
        let (route, want) = match rest {
            "invocation/next" => (Route::Next, "GET"),
            "init/error" => (Route::InitError, "POST"),
            _ => match rest
                .strip_prefix("invocation/")
                .and_then(|r| r.rsplit_once('/'))
            {
                Some((id, "response")) if valid_id(id) => (Route::Response(id), "POST"),
                Some((id, "error")) if valid_id(id) => (Route::Error(id), "POST"),
                _ => return Route::NotFound,
            },
        };
        if method == want {
            route
        } else {
            Route::MethodNotAllowed
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_REQUEST_ID && !id.contains('/')
}

#[derive(Serialize)]
struct ErrorResponse<'a> {
    #[serde(rename = "errorMessage")]
    error_message: &'a str,
    #[serde(rename = "errorType")]
    error_type: &'a str,
}

/// A JSON error document, `{"errorMessage": …, "errorType": …}`.
pub fn error_body(error_type: &str, message: &str) -> Bytes {
    // Serializing two strings cannot fail; the fallback keeps the type total.
    serde_json::to_vec(&ErrorResponse {
        error_message: message,
        error_type,
    })
    .map(Bytes::from)
    .unwrap_or_default()
}

/// What the Runtime API answers a runtime with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    pub fn accepted() -> Answer {
        Answer {
            status: 202,
            body: Bytes::from_static(b"{\"status\":\"OK\"}"),
        }
    }

    pub fn invalid_request_id() -> Answer {
        Answer {
            status: 400,
            body: error_body("InvalidRequestID", "Invalid request ID"),
        }
    }

    /// The runtime called something its state does not allow (Lambda's wording).
    pub fn invalid_state(from: &str, to: &str) -> Answer {
        Answer {
            status: 403,
            body: error_body(
                "InvalidStateTransition",
                &format!(
                    "State transition from {from} to {to} failed for runtime. Error: State transition is not allowed"
                ),
            ),
        }
    }

    pub fn too_large() -> Answer {
        Answer {
            status: 413,
            body: error_body(
                "RequestEntityTooLarge",
                &format!("Exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes)."),
            ),
        }
    }

    pub fn not_found() -> Answer {
        Answer {
            status: 404,
            body: error_body("NotFound", "404 page not found"),
        }
    }

    pub fn method_not_allowed() -> Answer {
        Answer {
            status: 405,
            body: error_body("MethodNotAllowed", "Method not allowed"),
        }
    }

    /// The environment is going away (shut down or its invocation gave up): runtimes exit on it.
    pub fn gone() -> Answer {
        Answer {
            status: 500,
            body: error_body("InternalServerError", "Internal Server Error"),
        }
    }
}

/// An error a runtime posted (`/invocation/{id}/error` or `/init/error`), reduced to what the
/// caller sees: the error type and the document Lambda returns as the invocation's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    pub error_type: String,
    pub error_message: String,
    /// The payload the caller gets: the runtime's own document when it is a JSON object (Lambda
    /// passes it through), otherwise one made from the type and message.
    pub payload: Bytes,
}

impl ErrorReport {
    /// `header` is `Lambda-Runtime-Function-Error-Type`, if sent. The type is the body's
    /// `errorType` — what the caller reads in the payload — else the header's, else `Unhandled`:
    /// runtimes disagree on the header (`lambda_runtime` always sends `unhandled`).
    pub fn parse(header: Option<&[u8]>, body: &[u8]) -> ErrorReport {
        let header = header
            .and_then(|h| std::str::from_utf8(h).ok())
            .map(str::trim)
            .filter(|h| !h.is_empty());
        let doc = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .filter(serde_json::Value::is_object);
        let field = |name: &str| {
            doc.as_ref()
                .and_then(|d| d.get(name))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let error_type = field("errorType")
            .filter(|t| !t.is_empty())
            .or_else(|| header.map(str::to_owned))
            .unwrap_or_else(|| "Unhandled".to_owned());
        let error_message = field("errorMessage").unwrap_or_default();
        let payload = match doc {
            Some(_) => Bytes::copy_from_slice(body),
            None => error_body(&error_type, &error_message),
        };
        ErrorReport {
            error_type,
            error_message,
            payload,
        }
    }
}

/// The platform's own failures, with the error type and message Lambda reports for each.
pub mod platform {
    use super::*;

    /// `Sandbox.Timedout`: the invocation ran past its timeout and the environment was killed.
    pub fn timed_out(request_id: &str, seconds: f64) -> (String, String) {
        (
            "Sandbox.Timedout".to_owned(),
            format!("RequestId: {request_id} Error: Task timed out after {seconds:.2} seconds"),
        )
    }

    /// `Runtime.ExitError`: the runtime process ended while it owed an answer.
    pub fn exited(request_id: &str, status: Option<std::process::ExitStatus>) -> (String, String) {
        use std::os::unix::process::ExitStatusExt;
        let reason = match status {
            Some(s) if s.code() == Some(0) => "Runtime exited without providing a reason".into(),
            Some(s) => match (s.code(), s.signal()) {
                (Some(code), _) => format!("Runtime exited with error: exit status {code}"),
                (None, Some(sig)) => {
                    format!("Runtime exited with error: signal: {}", signal_name(sig))
                }
                (None, None) => "Runtime exited with error".to_owned(),
            },
            None => "Runtime exited with error".to_owned(),
        };
        (
            "Runtime.ExitError".to_owned(),
            format!("RequestId: {request_id} Error: {reason}"),
        )
    }

    /// `Runtime.InvalidEntrypoint`: the program could not be started.
    pub fn invalid_entrypoint(request_id: &str, why: &str) -> (String, String) {
        (
            "Runtime.InvalidEntrypoint".to_owned(),
            format!("RequestId: {request_id} Error: {why}"),
        )
    }

    /// `Function.ResponseSizeTooLarge`: the runtime posted more than 6 MB.
    pub fn response_too_large() -> (String, String) {
        (
            "Function.ResponseSizeTooLarge".to_owned(),
            format!(
                "Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes)."
            ),
        )
    }

    /// `Runtime.InvalidResponsePayload`: the runtime's response is not a JSON document.
    pub fn invalid_response(request_id: &str, why: &str) -> (String, String) {
        (
            "Runtime.InvalidResponsePayload".to_owned(),
            format!(
                "RequestId: {request_id} Error: the function's response is not valid JSON: {why}"
            ),
        )
    }

    /// Go's names, which is what Lambda prints ("signal: killed").
    fn signal_name(sig: i32) -> String {
        match sig {
            1 => "hangup".into(),
            2 => "interrupt".into(),
            6 => "aborted".into(),
            9 => "killed".into(),
            11 => "segmentation fault".into(),
            15 => "terminated".into(),
            n => format!("signal {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn routes() {
        let p = |m, s| Route::parse(m, s);
        assert_eq!(p("GET", "/2018-06-01/runtime/invocation/next"), Route::Next);
        assert_eq!(
            p("POST", "/2018-06-01/runtime/invocation/abc-1/response"),
            Route::Response("abc-1")
        );
        assert_eq!(
            p("POST", "/2018-06-01/runtime/invocation/abc-1/error?x=1"),
            Route::Error("abc-1")
        );
        assert_eq!(
            p("POST", "/2018-06-01/runtime/init/error"),
            Route::InitError
        );
        assert_eq!(
            p("POST", "/2018-06-01/runtime/invocation/next"),
            Route::MethodNotAllowed
        );
        assert_eq!(
            p("GET", "/2018-06-01/runtime/invocation/x/response"),
            Route::MethodNotAllowed
        );
        for path in [
            "/2018-06-01/runtime/invocation//response",
            "/2018-06-01/runtime/invocation/a/b/response",
            "/2018-06-01/runtime/invocation/a/other",
            "/2020-01-01/runtime/invocation/next",
            "/",
            "",
        ] {
            assert_eq!(p("POST", path), Route::NotFound, "{path}");
        }
        let long = format!(
            "/2018-06-01/runtime/invocation/{}/response",
            "a".repeat(129)
        );
        assert_eq!(p("POST", &long), Route::NotFound);
    }

    #[test]
    fn answers_are_lambdas() {
        assert_eq!(Answer::accepted().body, "{\"status\":\"OK\"}");
        let a = Answer::invalid_request_id();
        assert_eq!(a.status, 400);
        assert_eq!(
            a.body,
            "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}"
        );
        let a = Answer::too_large();
        assert_eq!(a.status, 413);
        assert!(
            std::str::from_utf8(&a.body)
                .unwrap()
                .contains("(6291456 bytes)")
        );
        let a = Answer::invalid_state("Ready", "InitError");
        assert_eq!(a.status, 403);
        assert!(
            std::str::from_utf8(&a.body)
                .unwrap()
                .contains("State transition from Ready to InitError failed for runtime.")
        );
    }

    #[test]
    fn error_reports_pass_documents_through() {
        let body =
            br#"{"errorMessage":"boom","errorType":"TypeError","trace":["TypeError: boom"]}"#;
        let r = ErrorReport::parse(Some(b"TypeError"), body);
        assert_eq!(r.error_type, "TypeError");
        assert_eq!(r.error_message, "boom");
        assert_eq!(r.payload, &body[..]);
        // The body's type wins over the header's, and stands alone.
        assert_eq!(
            ErrorReport::parse(Some(b"unhandled"), body).error_type,
            "TypeError"
        );
        assert_eq!(ErrorReport::parse(None, body).error_type, "TypeError");
        assert_eq!(ErrorReport::parse(Some(b"H"), b"{}").error_type, "H");
        // Not a document: one is made.
        let r = ErrorReport::parse(Some(b"Custom"), b"not json");
        assert_eq!(
            r.payload,
            "{\"errorMessage\":\"\",\"errorType\":\"Custom\"}"
        );
        assert_eq!(ErrorReport::parse(None, b"[1]").error_type, "Unhandled");
    }

    #[test]
    fn platform_messages() {
        assert_eq!(
            platform::timed_out("r1", 3.0).1,
            "RequestId: r1 Error: Task timed out after 3.00 seconds"
        );
        use std::os::unix::process::ExitStatusExt;
        let s = std::process::ExitStatus::from_raw(1 << 8);
        assert_eq!(
            platform::exited("r1", Some(s)).1,
            "RequestId: r1 Error: Runtime exited with error: exit status 1"
        );
        let s = std::process::ExitStatus::from_raw(9);
        assert_eq!(
            platform::exited("r1", Some(s)).1,
            "RequestId: r1 Error: Runtime exited with error: signal: killed"
        );
        let s = std::process::ExitStatus::from_raw(0);
        assert!(
            platform::exited("r", Some(s))
                .1
                .ends_with("without providing a reason")
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_ids_round_trip(method in "[A-Z]{0,7}", path in "\\PC{0,200}") {
            match Route::parse(&method, &path) {
                Route::Response(id) | Route::Error(id) => {
                    prop_assert!(!id.is_empty() && !id.contains('/'));
                    prop_assert!(path.contains(id));
                }
                _ => {}
            }
        }

        #[test]
        fn any_id_is_recognised(id in "[a-zA-Z0-9-]{1,64}") {
            let path = format!("/2018-06-01/runtime/invocation/{id}/response");
            prop_assert_eq!(Route::parse("POST", &path), Route::Response(&id));
        }

        #[test]
        fn error_reports_never_panic(header in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
                                     body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let r = ErrorReport::parse(header.as_deref(), &body);
            prop_assert!(!r.error_type.is_empty());
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&r.payload).is_ok());
        }
    }
}
