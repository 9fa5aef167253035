//! Helpers shared by the integration tests: a raw HTTP/1.1 request parser for the vector files,
//! an owned request type, and signing through the independent `aws-sigv4` crate.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};

/// A request owned by the test, viewable as a [`sigv4::Request`].
#[derive(Debug, Clone)]
pub struct OwnedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl OwnedRequest {
    pub fn view(&self) -> sigv4::Request<'_> {
        sigv4::Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
        }
    }

    /// Path and query as one request target.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// Parses the suite's raw HTTP/1.1 text. The request target may contain spaces (`get-space-*`),
/// so the method ends at the first space and the version (when present) starts at the last. A header line that
/// starts with whitespace continues the previous value (obs-fold), which RFC 9112 says to replace
/// with a space; the rest of the line, leading whitespace included, is kept.
pub fn parse_http(text: &str) -> OwnedRequest {
    let (head, body) = match text.find("\n\n") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text.trim_end_matches('\n'), ""),
    };
    let mut lines = head.split('\n');
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    // `double-url-encode`'s signed request omits the version.
    let target = match rest.rsplit_once(' ') {
        Some((target, version)) if version.starts_with("HTTP/") => target,
        _ => rest,
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let mut fields: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = fields.last_mut().unwrap();
            last.1.push(' ');
            last.1.push_str(line);
            continue;
        }
        let (name, value) = line.split_once(':').unwrap();
        fields.push((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()));
    }
    let mut headers = HeaderMap::new();
    for (name, value) in fields {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim_end_matches([' ', '\t'])).unwrap(),
        );
    }
    OwnedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

pub fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

/// `YYYYMMDDTHHMMSSZ` → Unix seconds (tests only).
pub fn iso_to_unix(s: &str) -> u64 {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, fmt)
        .unwrap()
        .assume_utc()
        .unix_timestamp()
        .try_into()
        .unwrap()
}

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";
pub const SERVICE: &str = "execute-api";
/// 2015-08-30T12:36:00Z, the suite's clock.
pub const T0: u64 = 1_440_938_160;

/// How the independent signer should treat the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    /// Hash the body, send no `x-amz-content-sha256`.
    Hashed,
    /// Hash the body and send it as `x-amz-content-sha256`.
    HashedWithHeader,
    /// Sign `UNSIGNED-PAYLOAD` and send it as `x-amz-content-sha256`.
    Unsigned,
    /// Sign `UNSIGNED-PAYLOAD` and send nothing (what S3-style presigners do).
    UnsignedNoHeader,
}

#[derive(Debug, Clone)]
pub struct SignSpec<'a> {
    pub access_key: &'a str,
    pub secret: &'a str,
    pub token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
    pub presign: Option<Duration>,
    pub body_mode: BodyMode,
    pub normalize: bool,
}

impl Default for SignSpec<'_> {
    fn default() -> Self {
        Self {
            access_key: AKID,
            secret: SECRET,
            token: None,
            region: REGION,
            service: SERVICE,
            time: at(T0),
            presign: None,
            body_mode: BodyMode::Hashed,
            normalize: true,
        }
    }
}

/// Signs `req` in place with `aws-sigv4` (headers or query parameters are added).
pub fn sign_with_aws_sigv4(req: &mut OwnedRequest, spec: &SignSpec<'_>) {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
        sign,
    };
    use aws_sigv4::sign::v4;

    let mut settings = SigningSettings::default();
    settings.uri_path_normalization_mode = spec.normalize.into();
    if let Some(expires) = spec.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    if matches!(
        spec.body_mode,
        BodyMode::HashedWithHeader | BodyMode::Unsigned
    ) {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let identity = aws_credential_types::Credentials::new(
        spec.access_key,
        spec.secret,
        spec.token.map(str::to_owned),
        None,
        "test",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(spec.region)
        .name(spec.service)
        .time(spec.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let host = req
        .headers
        .get("host")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let uri = format!("https://{host}{}", req.target());
    let body = match spec.body_mode {
        BodyMode::Hashed | BodyMode::HashedWithHeader => SignableBody::Bytes(&req.body),
        BodyMode::Unsigned | BodyMode::UnsignedNoHeader => SignableBody::UnsignedPayload,
    };
    let header_pairs: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let signable = SignableRequest::new(
        &req.method,
        uri,
        header_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let (new_headers, new_params) = instructions.into_parts();
    for h in new_headers {
        req.headers.insert(
            HeaderName::from_static(h.name()),
            HeaderValue::from_str(h.value()).unwrap(),
        );
    }
    for (k, v) in new_params {
        // aws-sigv4 appends with the same encoding the signer used for the canonical query.
        let enc = |s: &str| form_encode(s);
        if !req.query.is_empty() {
            req.query.push('&');
        }
        req.query.push_str(&enc(k));
        req.query.push('=');
        req.query.push_str(&enc(&v));
    }
}

/// Percent-encodes everything but the unreserved set (what a careful client writes on the wire).
pub fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A GET with a host header and the usual handful of headers.
pub fn request(method: &str, path: &str, query: &str, body: &[u8]) -> OwnedRequest {
    let mut headers = HeaderMap::new();
    headers.insert(
        "host",
        HeaderValue::from_static("abc123.execute-api.us-east-1.amazonaws.com"),
    );
    OwnedRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: body.to_vec(),
    }
}

/// Verifies with a fresh verifier for the default region/service at `T0`.
pub fn verify(req: &OwnedRequest, spec: &SignSpec<'_>) -> Result<(), sigv4::Error> {
    verify_with(req, spec, false)
}

/// [`verify`] with [`sigv4::Verifier::allow_unsigned_payload`] set to `allow_unsigned`.
pub fn verify_with(
    req: &OwnedRequest,
    spec: &SignSpec<'_>,
    allow_unsigned: bool,
) -> Result<(), sigv4::Error> {
    let view = req.view();
    let auth = sigv4::parse(&view)?.expect("request carries SigV4 auth");
    let verifier =
        sigv4::Verifier::new(spec.region, spec.service).allow_unsigned_payload(allow_unsigned);
    verifier.verify(&auth, &view, &req.body, spec.secret, spec.time)
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
}
