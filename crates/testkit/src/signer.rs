//! Signing test requests with AWS's own `aws-sigv4` crate, the independent signer the gateway's
//! verifier must agree with.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;

/// Credentials to sign with.
#[derive(Clone, Debug)]
pub struct Key {
    pub access_key_id: String,
    pub secret: String,
    pub session_token: Option<String>,
}

impl Key {
    pub fn new(access_key_id: &str, secret: &str) -> Key {
        Key {
            access_key_id: access_key_id.to_string(),
            secret: secret.to_string(),
            session_token: None,
        }
    }

    pub fn with_token(mut self, token: &str) -> Key {
        self.session_token = Some(token.to_string());
        self
    }
}

/// How to sign.
#[derive(Clone, Debug)]
pub struct Signing {
    pub region: String,
    pub service: String,
    pub time: SystemTime,
    /// Presign (query-string form) valid for this long, instead of the Authorization header.
    pub presign: Option<Duration>,
    /// Sign `UNSIGNED-PAYLOAD` (with an `x-amz-content-sha256` header) instead of the body hash.
    pub unsigned_payload: bool,
}

impl Signing {
    pub fn execute_api(time: SystemTime) -> Signing {
        Signing {
            region: "us-east-1".to_string(),
            service: "execute-api".to_string(),
            time,
            presign: None,
            unsigned_payload: false,
        }
    }
}

/// Signs `request` (whose body is `body`) in place: headers, or query parameters when presigning.
pub fn sign(request: &mut Request<Full<Bytes>>, body: &[u8], key: &Key, how: &Signing) {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
        sign,
    };
    use aws_sigv4::sign::v4;

    let mut settings = SigningSettings::default();
    if let Some(expires) = how.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    if how.unsigned_payload {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let identity = aws_credential_types::Credentials::new(
        key.access_key_id.clone(),
        key.secret.clone(),
        key.session_token.clone(),
        None,
        "testkit",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&how.region)
        .name(&how.service)
        .time(how.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    // The signer needs the host, which the client would add later.
    if !request.headers().contains_key(http::header::HOST) {
        let authority = request.uri().authority().unwrap().as_str().to_string();
        request
            .headers_mut()
            .insert(http::header::HOST, authority.parse().unwrap());
    }
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
        .collect();
    let signable_body = if how.unsigned_payload {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(body)
    };
    let signable = SignableRequest::new(
        request.method().as_str(),
        request.uri().to_string(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        signable_body,
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(request);
}

/// Builds and signs a request in one go.
pub fn signed(
    method: http::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
    key: &Key,
    how: &Signing,
) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let mut request = builder
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    sign(&mut request, body.as_bytes(), key, how);
    request
}
