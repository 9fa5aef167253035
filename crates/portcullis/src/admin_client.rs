//! `portcullis apikeys | usageplans | cache`: a small client of the admin endpoint's control
//! plane (API Gateway's REST shapes, `docs/admin-api.md`), signing each request with SigV4 for
//! the service `apigateway` with the credentials of the environment, as the AWS CLI would.
//! `portcullis invoke` uses the same client for the edge endpoint's Lambda API (service
//! `lambda`).
//!
//! Plain HTTP only: the admin endpoint listens on loopback without TLS.

use std::time::{Duration, SystemTime};

use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

/// What SigV4 leaves unescaped (RFC 3986's unreserved characters); everything else is escaped
/// in paths and queries, so the signed and the sent request are the same bytes.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How long one call may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A path segment or query value, escaped.
pub fn escape(s: &str) -> String {
    utf8_percent_encode(s, ESCAPED).to_string()
}

pub struct AdminClient {
    /// `host:port` of the endpoint.
    authority: String,
    region: String,
    /// The service requests are signed for.
    service: &'static str,
    credentials: aws_credential_types::Credentials,
}

/// A raw answer: status, headers, body.
pub type RawAnswer = (StatusCode, http::HeaderMap, Bytes);

impl AdminClient {
    /// A client of `admin_url` (`http://host:port`) with the credentials of the environment
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
    pub fn from_env(admin_url: &str, region: &str) -> anyhow::Result<AdminClient> {
        Self::for_service(admin_url, "--admin-url", region, "apigateway")
    }

    /// A client of the endpoint `url` (`http://host:port`, named by the option `flag` in
    /// errors) signing for `service`, with the credentials of the environment.
    pub fn for_service(
        url: &str,
        flag: &str,
        region: &str,
        service: &'static str,
    ) -> anyhow::Result<AdminClient> {
        let uri: http::Uri = url
            .parse()
            .with_context(|| format!("{flag} {url:?} is not a URL"))?;
        if uri.scheme_str() != Some("http") {
            bail!("{flag} must be an http:// URL (this client speaks plain HTTP)");
        }
        if uri.path() != "/" && !uri.path().is_empty() {
            bail!("{flag} is the endpoint only (http://host:port), without a path");
        }
        let authority = uri
            .authority()
            .ok_or_else(|| anyhow!("{flag} {url:?} has no host"))?
            .to_string();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        else {
            bail!(
                "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) to a principal of the configuration's iam: section"
            );
        };
        Ok(AdminClient {
            authority,
            region: region.to_string(),
            service,
            credentials: aws_credential_types::Credentials::new(
                key,
                secret,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            ),
        })
    }

    /// Sends one signed request; the JSON answer (`None` for a 202 without body), or the
    /// control plane's error as `status ErrorType: message`.
    pub async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Option<Value>> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut headers = vec![("accept", "application/json")];
        if !body.is_empty() {
            headers.push(("content-type", "application/json"));
        }
        let (status, response_headers, bytes) = self
            .request(method, path_and_query, &headers, Bytes::from(body), TIMEOUT)
            .await?;
        let error_type = error_type(&response_headers);
        let json = if bytes.is_empty() {
            None
        } else {
            Some(
                serde_json::from_slice::<Value>(&bytes)
                    .with_context(|| format!("the answer ({status}) is not JSON"))?,
            )
        };
        if status.is_success() {
            return Ok(json);
        }
        let message = json
            .as_ref()
            .and_then(|j| j.get("message").or_else(|| j.get("Message")))
            .and_then(Value::as_str)
            .map_or_else(
                || String::from_utf8_lossy(&bytes).into_owned(),
                str::to_string,
            );
        bail!("{status} {}: {message}", error_type.unwrap_or_default())
    }

    /// Sends one signed request and returns the raw answer, within `timeout`.
    pub async fn request(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        timeout: Duration,
    ) -> anyhow::Result<RawAnswer> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path_and_query}", self.authority))
            .header(http::header::HOST, &self.authority);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let mut request = request
            .body(Full::new(body.clone()))
            .context("building the request")?;
        self.sign(&mut request, &body)?;
        tokio::time::timeout(timeout, self.send(request))
            .await
            .map_err(|_| {
                anyhow!(
                    "the endpoint {} did not answer within {timeout:?}",
                    self.authority
                )
            })?
    }

    fn sign(&self, request: &mut Request<Full<Bytes>>, body: &[u8]) -> anyhow::Result<()> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_sigv4::sign::v4;

        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .context("SigV4 signing parameters")?
            .into();
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let signable = SignableRequest::new(
            request.method().as_str(),
            request.uri().to_string(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .context("preparing the request for signing")?;
        let (instructions, _signature) = sign(signable, &params)
            .context("signing the request")?
            .into_parts();
        instructions.apply_to_request_http1x(request);
        Ok(())
    }

    async fn send(&self, request: Request<Full<Bytes>>) -> anyhow::Result<RawAnswer> {
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .with_context(|| format!("cannot connect to the endpoint {}", self.authority))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .context("HTTP handshake with the endpoint")?;
        let connection = tokio::spawn(connection);
        let response = sender
            .send_request(request)
            .await
            .context("sending the request")?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .context("reading the answer")?
            .to_bytes();
        connection.abort();
        Ok((parts.status, parts.headers, bytes))
    }

    /// Every page of a list operation (`{"item": [...], "position"}`), as one `{"item": [...]}`.
    pub async fn list_all(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Value> {
        let mut items = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("limit", "500"));
            if let Some(p) = &position {
                q.push(("position", p));
            }
            let page = self
                .call(Method::GET, &with_query(path, &q), None)
                .await?
                .unwrap_or_else(|| json!({}));
            if let Some(page_items) = page.get("item").and_then(Value::as_array) {
                items.extend(page_items.iter().cloned());
            }
            match page.get("position").and_then(Value::as_str) {
                Some(next) if position.as_deref() != Some(next) => {
                    position = Some(next.to_string())
                }
                _ => break,
            }
        }
        Ok(json!({ "item": items }))
    }
}

/// `x-amzn-ErrorType` without the `:http://internal.amazon.com/...` AWS may append.
pub fn error_type(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).to_string())
}

/// `path?k=v&...`, values escaped.
pub fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect();
    format!("{path}?{}", q.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_segments_are_escaped_for_sigv4() {
        assert_eq!(escape("a b/c~d"), "a%20b%2Fc~d");
        assert_eq!(
            with_query(
                "/usageplans/p/usage",
                &[("startDate", "2026-01-01"), ("keyId", "k+1")]
            ),
            "/usageplans/p/usage?startDate=2026-01-01&keyId=k%2B1"
        );
        assert_eq!(with_query("/apikeys", &[]), "/apikeys");
    }
}
