//! A small OpenID Connect issuer on loopback for tests: discovery document, key set, tokens.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::SystemTime;

/// An OIDC issuer on loopback (a JWT authorizer's, for instance): its discovery document and key set, and tokens it signs.
pub struct Issuer {
    pub url: String,
    key: tokens::SigningKey,
}

impl Issuer {
    pub async fn start() -> Issuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let key = tokens::SigningKey::generate(SystemTime::now()).unwrap();
        let jwks = serde_json::json!({"keys": [key.jwk()]}).to_string();
        let discovery =
            serde_json::json!({"issuer": url, "jwks_uri": format!("{url}/jwks")}).to_string();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (jwks, discovery) = (jwks.clone(), discovery.clone());
                let service = hyper::service::service_fn(move |req: http::Request<_>| {
                    let body = match req.uri().path() {
                        "/.well-known/openid-configuration" => discovery.clone(),
                        "/jwks" => jwks.clone(),
                        _ => String::new(),
                    };
                    async move {
                        Ok::<_, std::convert::Infallible>(http::Response::new(
                            http_body_util::Full::new(bytes::Bytes::from(body)),
                        ))
                    }
                });
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Issuer { url, key }
    }

    /// `{host}:{port}`: the issuer without its scheme, as trust policies name it.
    pub fn provider(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    pub fn token(&self, sub: &str, aud: &str, now: SystemTime) -> String {
        let iat = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = serde_json::json!({"iss": self.url, "sub": sub, "aud": aud, "iat": iat, "exp": iat + 600});
        tokens::issue::sign(&self.key, &claims).unwrap()
    }
}
