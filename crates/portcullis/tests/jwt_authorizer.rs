//! JWT authorizers (`type: jwt`) on a REST API: an independent OIDC issuer runs inside the test
//! on loopback (discovery document and key set served by a small hyper server, tokens signed
//! here with `ring` directly, not with the gateway's `tokens` signer), and a Portcullis user
//! pool serves as issuer too. Every refusal is checked to leave the backend's hit count alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use common::*;
use http::Method;
use http_body_util::Full;
use serde_json::{Value, json};

const AUDIENCE: &str = "api://rides";
const POOL: &str = "us-east-1_JwtPool";
const WEB: &str = "jwt-web";
const PASSWORD: &str = "Correct-Horse-42";
/// The pool's issuer base: fixed, so the API document can name the pool's issuer before the
/// gateway has a port.
const POOL_ISSUER_BASE: &str = "http://127.0.0.1:9";

/// The test's own OIDC issuer.
struct Issuer {
    url: String,
    key: ring::signature::RsaKeyPair,
    kid: String,
    jwks_fetches: Arc<AtomicUsize>,
    public_der: Vec<u8>,
}

impl Issuer {
    async fn start() -> Issuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let signing = tokens::SigningKey::generate(SystemTime::now()).unwrap();
        let kid = signing.kid().to_string();
        let key = ring::signature::RsaKeyPair::from_pkcs8(&signing.pkcs8_der().unwrap()).unwrap();
        let public_der = ring::signature::KeyPair::public_key(&key).as_ref().to_vec();
        let jwks = json!({"keys": [serde_json::to_value(signing.jwk()).unwrap()]}).to_string();
        let discovery = json!({"issuer": url, "jwks_uri": format!("{url}/jwks")}).to_string();
        let jwks_fetches = Arc::new(AtomicUsize::new(0));
        let fetches = jwks_fetches.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (jwks, discovery, fetches) = (jwks.clone(), discovery.clone(), fetches.clone());
                let service = hyper::service::service_fn(move |req: http::Request<_>| {
                    let body = match req.uri().path() {
                        "/.well-known/openid-configuration" => discovery.clone(),
                        "/jwks" => {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            jwks.clone()
                        }
                        _ => String::new(),
                    };
                    async move {
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                            Bytes::from(body),
                        )))
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
        Issuer {
            url,
            key,
            kid,
            jwks_fetches,
            public_der,
        }
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn claims(&self) -> Value {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        json!({"iss": self.url, "sub": "rider-7", "aud": AUDIENCE, "iat": now, "exp": now + 600,
            "scope": "rides/read openid"})
    }

    fn token(&self, claims: &Value) -> String {
        self.sign(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    fn fetches(&self) -> usize {
        self.jwks_fetches.load(Ordering::SeqCst)
    }
}

fn openapi(issuer: &str, down_issuer: &str) -> String {
    let scheme = |iss: &str| {
        format!(
            "{{type: oauth2, flows: {{}}, x-amazon-apigateway-authorizer: {{type: jwt, jwtConfiguration: {{issuer: \"{iss}\", audience: [\"{AUDIENCE}\", \"{WEB}\"]}}, identitySource: \"$request.header.Authorization\"}}}}"
        )
    };
    let route = |path: &str, scheme: &str, scopes: &str| {
        format!(
            "  {path}:\n    get:\n      security: [{{{scheme}: [{scopes}]}}]\n      x-amazon-apigateway-integration:\n        type: http_proxy\n        httpMethod: GET\n        uri: \"${{stageVariables.backend}}{path}\"\n        requestParameters:\n          integration.request.header.x-sub: context.authorizer.claims.sub\n"
        )
    };
    format!(
        "openapi: 3.0.1\ninfo: {{title: jwt, version: \"1\"}}\ncomponents:\n  securitySchemes:\n    oidc: {}\n    down: {}\n    pool: {}\npaths:\n{}{}{}{}",
        scheme(issuer),
        scheme(down_issuer),
        scheme(&format!("{POOL_ISSUER_BASE}/{POOL}")),
        route("/rides", "oidc", ""),
        route("/admin", "oidc", "rides/write"),
        route("/down", "down", ""),
        route("/pool", "pool", ""),
    )
}

fn pool_config() -> String {
    format!(
        r#"
user_pools:
  - id: {POOL}
    name: JwtPool
    issuer_base: "{POOL_ISSUER_BASE}"
    username_attributes: [email]
    auto_verified_attributes: [email]
    sign_up_confirmation: code
    clients:
      - {{id: {WEB}, name: web, auth_flows: [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH]}}
"#
    )
}

async fn call(server: &TestServer, path: &str, token: Option<&str>) -> TestResponse {
    let headers: Vec<(&str, &str)> = token.map(|t| ("authorization", t)).into_iter().collect();
    server
        .client
        .send(Method::GET, &server.url(path), &headers, "")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_authorizer_against_an_independent_issuer_and_a_user_pool() {
    let issuer = Issuer::start().await;
    // An issuer nobody listens on: bound, then released.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        &openapi(&issuer.url, &down),
        &format!("{{backend: \"{}\"}}", upstream.url()),
    );
    let clock = Arc::new(gateway::clock::FixedClock::new(SystemTime::now()));
    let server =
        TestServer::start_with_clock(ws, &format!("{config}{}", pool_config()), clock.clone())
            .await;

    // A valid token: the backend sees its claims.
    let valid = issuer.token(&issuer.claims());
    let r = call(&server, "/prod/rides", Some(&format!("Bearer {valid}"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(upstream.requests().len(), 1);
    assert_eq!(upstream.requests()[0].headers["x-sub"], "rider-7");
    // Without `Bearer ` too; keys cached: no further fetch.
    let r = call(&server, "/prod/rides", Some(&valid)).await;
    assert_eq!(r.status, 200);
    assert_eq!(issuer.fetches(), 1);
    let hits = upstream.requests().len();

    let mut expired = issuer.claims();
    expired["exp"] = json!(1_000_000_000);
    expired["iat"] = json!(999_999_000);
    let mut wrong_aud = issuer.claims();
    wrong_aud["aud"] = json!("api://other");
    let mut wrong_iss = issuer.claims();
    wrong_iss["iss"] = json!(format!("{}/", issuer.url));
    let mut client_id_only = issuer.claims();
    client_id_only.as_object_mut().unwrap().remove("aud");
    client_id_only["client_id"] = json!("someone-else");
    let refused = [
        ("expired", issuer.token(&expired)),
        ("wrong aud", issuer.token(&wrong_aud)),
        ("wrong iss", issuer.token(&wrong_iss)),
        ("client_id not listed", issuer.token(&client_id_only)),
        (
            "alg none",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": issuer.kid}).to_string()),
                URL_SAFE_NO_PAD.encode(issuer.claims().to_string())
            ),
        ),
        ("HS256 with the public key as secret", {
            let header = json!({"alg": "HS256", "kid": issuer.kid});
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(issuer.claims().to_string())
            );
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &issuer.public_der);
            let tag = ring::hmac::sign(&key, input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
        }),
        ("garbage", "not-a-jwt".to_string()),
    ];
    for (case, token) in &refused {
        let r = call(&server, "/prod/rides", Some(token)).await;
        assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
        assert_eq!(upstream.requests().len(), hits, "{case}");
    }
    let r = call(&server, "/prod/rides", None).await;
    assert_error(&r, 401, "UnauthorizedException", "Unauthorized");

    // A token without `aud` is checked by its `client_id`.
    let mut by_client = issuer.claims();
    by_client.as_object_mut().unwrap().remove("aud");
    by_client["client_id"] = json!(WEB);
    let r = call(&server, "/prod/rides", Some(&issuer.token(&by_client))).await;
    assert_eq!(r.status, 200);
    let hits = upstream.requests().len();

    // An unknown kid within 30 s of the first fetch: no refetch.
    let forged = |n: usize| {
        issuer.sign(
            &json!({"alg": "RS256", "kid": format!("unknown-{n}")}),
            &issuer.claims(),
        )
    };
    let r = call(&server, "/prod/rides", Some(&forged(99))).await;
    assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
    assert_eq!(issuer.fetches(), 1);
    // 31 s later: one refetch, then none for 30 s however many tokens try.
    clock.advance(std::time::Duration::from_secs(31));
    for n in 0..5 {
        let r = call(&server, "/prod/rides", Some(&forged(n))).await;
        assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
    }
    assert_eq!(issuer.fetches(), 2);
    assert_eq!(upstream.requests().len(), hits);

    // Scopes: the method needs rides/write, the token grants rides/read.
    let r = call(&server, "/prod/admin", Some(&valid)).await;
    assert_error(&r, 403, "ForbiddenException", "Forbidden");
    assert_eq!(upstream.requests().len(), hits);

    // The issuer unreachable at first use: 500, never the backend.
    let r = call(&server, "/prod/down", Some(&valid)).await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(upstream.requests().len(), hits);

    // A Portcullis user pool as the issuer: its ID token is accepted (aud = the app client),
    // and refused once the user signed out everywhere (the pool's deny list).
    let idp = pools::idp(&server);
    let email = "rider@example.com";
    let sub =
        pools::sign_up_confirmed(&server, (POOL, WEB), email, PASSWORD, &[("email", email)]).await;
    let auth = pools::password_sign_in(&idp, WEB, email, PASSWORD)
        .await
        .unwrap();
    let id_token = auth.id_token().unwrap().to_string();
    let access = auth.access_token().unwrap().to_string();
    let r = call(&server, "/prod/pool", Some(&id_token)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(upstream.requests().len(), hits + 1);
    assert_eq!(upstream.requests()[hits].headers["x-sub"], sub.as_str());
    idp.global_sign_out()
        .access_token(&access)
        .send()
        .await
        .unwrap();
    let r = call(&server, "/prod/pool", Some(&id_token)).await;
    assert_error(&r, 401, "UnauthorizedException", "Unauthorized");
    assert_eq!(upstream.requests().len(), hits + 1);
}
