//! Cognito's OAuth 2.0 user flows on the edge endpoint, driven by plain HTTP as a browser and
//! an app would: `/oauth2/authorize` → the hosted `/login` form → a code at the callback → the
//! token endpoint with the PKCE verifier; the ID token verified by PyJWT (an independent
//! implementation); every refusal, with no code issued; `/oauth2/userInfo` and
//! `/oauth2/revoke`; `/logout`.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use gateway::clock::FixedClock;
use http::Method;
use testkit::aws::cognito_idp::{self, types::AttributeType, types::AuthFlowType};

const POOL: &str = "us-east-1_Hosted";
const SPA: &str = "spa";
const CALLBACK: &str = "http://localhost:3000/callback";
const PASSWORD: &str = "Correct-Horse-42";
// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
// base64("server:server-secret-for-tests-0001")
const SERVER_BASIC: &str = "Basic c2VydmVyOnNlcnZlci1zZWNyZXQtZm9yLXRlc3RzLTAwMDE=";

const CONFIG: &str = r#"
user_pools:
  - id: us-east-1_Hosted
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    resource_servers: [{identifier: rides, scopes: [read]}]
    clients:
      - id: spa
        auth_flows: [USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH]
        oauth_flows: [code]
        oauth_scopes: [openid, email, profile, rides/read]
        callback_urls: ["http://localhost:3000/callback"]
        logout_urls: ["http://localhost:3000/"]
      - id: server
        secret: "server-secret-for-tests-0001"
        oauth_flows: [code]
        oauth_scopes: [rides/read, aws.cognito.signin.user.admin]
        callback_urls: ["https://app.example/cb"]
  - id: us-east-1_Mfa
    sign_up_confirmation: auto
    mfa_configuration: ON
    password_policy: {require_symbols: false}
    clients:
      - {id: mfa-web, oauth_flows: [code], oauth_scopes: [openid], callback_urls: ["https://mfa.example/cb"]}
"#;

struct Fixture {
    server: TestServer,
    clock: Arc<FixedClock>,
    idp: cognito_idp::Client,
}

async fn start() -> Fixture {
    let clock = Arc::new(FixedClock::new(SystemTime::now()));
    let server = TestServer::start_with_clock(Workspace::new(), CONFIG, clock.clone()).await;
    let idp = testkit::aws::cognito_client(&server.url(""), "us-east-1");
    Fixture { server, clock, idp }
}

/// The sign-in form as a browser holds it: its cookie, token and action.
struct Form {
    cookie: String,
    csrf: String,
    action: String,
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute(html: &str, before: &str) -> String {
    let start = html.find(before).unwrap() + before.len();
    let end = start + html[start..].find('"').unwrap();
    html_unescape(&html[start..end])
}

fn location(r: &TestResponse) -> Option<String> {
    r.headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn authorize_query(client: &str, redirect: &str, extra: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code");
    q.append_pair("client_id", client);
    q.append_pair("redirect_uri", redirect);
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    q.finish()
}

fn pkce() -> [(&'static str, &'static str); 2] {
    [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

impl Fixture {
    async fn sign_up(&self, pool_client: &str, username: &str) {
        self.idp
            .sign_up()
            .client_id(pool_client)
            .username(username)
            .password(PASSWORD)
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value(format!("{username}@example.com"))
                    .build()
                    .unwrap(),
            )
            .user_attributes(
                AttributeType::builder()
                    .name("given_name")
                    .value("Ada")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    async fn get(&self, path_and_query: &str, cookie: Option<&str>) -> TestResponse {
        let cookie = cookie.map(|c| format!("portcullis-login={c}"));
        let mut headers = Vec::new();
        if let Some(c) = &cookie {
            headers.push(("cookie", c.as_str()));
        }
        self.server
            .client
            .send(Method::GET, &self.server.url(path_and_query), &headers, "")
            .await
    }

    async fn authorize(&self, query: &str) -> TestResponse {
        self.get(&format!("/oauth2/authorize?{query}"), None).await
    }

    /// Authorize, then the form `/login` serves.
    async fn form(&self, query: &str) -> Form {
        let r = self.authorize(query).await;
        assert_eq!(r.status, 302, "{}", r.text());
        let login = location(&r).unwrap();
        assert!(login.starts_with("/login?"), "{login}");
        assert!(!login.contains("code="));
        let r = self.get(&login, None).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert_eq!(r.headers["cache-control"], "no-store");
        assert_eq!(r.headers["referrer-policy"], "no-referrer");
        let set_cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
        let cookie = set_cookie
            .strip_prefix("portcullis-login=")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let html = r.text();
        Form {
            cookie,
            csrf: attribute(&html, "name=\"_csrf\" value=\""),
            action: attribute(&html, "action=\""),
        }
    }

    async fn post_form(
        &self,
        action: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let mut body = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let cookie = cookie.map(|c| format!("portcullis-login={c}"));
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(c) = &cookie {
            headers.push(("cookie", c.as_str()));
        }
        self.server
            .client
            .send(
                Method::POST,
                &self.server.url(action),
                &headers,
                body.finish(),
            )
            .await
    }

    async fn sign_in(&self, form: &Form, username: &str, password: &str) -> TestResponse {
        self.post_form(
            &form.action,
            Some(&form.cookie),
            &[
                ("_csrf", &form.csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// The whole browser part: a code at the callback.
    async fn code(&self, query: &str, username: &str) -> String {
        let form = self.form(query).await;
        let r = self.sign_in(&form, username, PASSWORD).await;
        assert_eq!(r.status, 302, "{}", r.text());
        let callback = location(&r).unwrap();
        query_param(&callback, "code").unwrap()
    }

    async fn token(&self, basic: Option<&str>, fields: &[(&str, &str)]) -> TestResponse {
        self.form_post("/oauth2/token", basic, fields).await
    }

    async fn form_post(
        &self,
        path: &str,
        basic: Option<&str>,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let mut body = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if let Some(b) = basic {
            headers.push(("authorization", b));
        }
        self.server
            .client
            .send(
                Method::POST,
                &self.server.url(path),
                &headers,
                body.finish(),
            )
            .await
    }

    async fn exchange(&self, code: &str, verifier: &str) -> TestResponse {
        self.token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", SPA),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    async fn user_info(&self, access: &str) -> TestResponse {
        let bearer = format!("Bearer {access}");
        self.server
            .client
            .send(
                Method::GET,
                &self.server.url("/oauth2/userInfo"),
                &[("authorization", bearer.as_str())],
                "",
            )
            .await
    }
}

fn oauth_error(r: &TestResponse) -> (u16, String) {
    (
        r.status.as_u16(),
        r.json()["error"].as_str().unwrap_or_default().to_string(),
    )
}

/// PyJWT's verdict on an ID token: its claims.
fn pyjwt_verify(input: &serde_json::Value) -> serde_json::Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/oidc_verify.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed for this test");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "oidc_verify.py failed (install crates/portcullis/tests/python/requirements.txt):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_code_flow_with_pkce_signs_in_and_its_id_token_verifies() {
    let f = start().await;
    f.sign_up(SPA, "alice").await;
    let query = authorize_query(
        SPA,
        CALLBACK,
        &[
            ("state", "st<>&\"ate"),
            ("scope", "openid email"),
            ("nonce", "n-0S6_WzA2Mj"),
            pkce()[0],
            pkce()[1],
        ],
    );
    let form = f.form(&query).await;
    let r = f.sign_in(&form, "alice", PASSWORD).await;
    assert_eq!(r.status, 302, "{}", r.text());
    let callback = location(&r).unwrap();
    assert!(
        callback.starts_with(&format!("{CALLBACK}?code=")),
        "{callback}"
    );
    assert_eq!(query_param(&callback, "state").unwrap(), "st<>&\"ate");
    let code = query_param(&callback, "code").unwrap();

    let r = f.exchange(&code, VERIFIER).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3600);
    let id_token = answer["id_token"].as_str().unwrap().to_string();
    let access = answer["access_token"].as_str().unwrap().to_string();
    let refresh = answer["refresh_token"].as_str().unwrap().to_string();

    // An independent implementation verifies the ID token against the published keys.
    let issuer = format!("http://{}/{POOL}", f.server.edge);
    let discovery = f
        .server
        .get(&format!("/{POOL}/.well-known/openid-configuration"))
        .await
        .json();
    let edge = format!("http://{}", f.server.edge);
    for (member, path) in [
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("userinfo_endpoint", "/oauth2/userInfo"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("end_session_endpoint", "/logout"),
    ] {
        assert_eq!(discovery[member], format!("{edge}{path}"));
    }
    let jwks = f
        .server
        .get(&format!("/{POOL}/.well-known/jwks.json"))
        .await
        .json();
    let verified = pyjwt_verify(&serde_json::json!({
        "jwks": jwks,
        "issuer": issuer,
        "client_id": SPA,
        "nonce": "n-0S6_WzA2Mj",
        "id_token": id_token,
    }));
    assert_eq!(verified["cognito:username"], "alice");
    assert_eq!(verified["email"], "alice@example.com");
    assert_eq!(claims(&access)["scope"], "openid email");
    assert_eq!(claims(&access)["client_id"], SPA);

    // userInfo: the email scope's attributes, not the profile's.
    let r = f.user_info(&access).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let info = r.json();
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["username"], "alice");
    assert_eq!(info["sub"], verified["sub"]);
    assert!(info.get("given_name").is_none(), "{info}");

    // The refresh grant keeps the session's scopes.
    let r = f
        .token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", SPA),
                ("refresh_token", &refresh),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        claims(r.json()["access_token"].as_str().unwrap())["scope"],
        "openid email"
    );

    // The code again: refused, and the session of its first use is revoked.
    let r = f.exchange(&code, VERIFIER).await;
    assert_eq!(oauth_error(&r), (400, "invalid_grant".into()));
    let r = f.user_info(&access).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["error_description"],
        "Access token has been revoked"
    );
    let r = f
        .token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", SPA),
                ("refresh_token", &refresh),
            ],
        )
        .await;
    assert_eq!(oauth_error(&r), (400, "invalid_grant".into()));
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_refusal_issues_no_code() {
    let f = start().await;
    f.sign_up(SPA, "bob").await;
    let good = authorize_query(SPA, CALLBACK, &[("state", "s1"), pkce()[0], pkce()[1]]);

    // The client or the callback in doubt: an error page, never a redirect.
    for query in [
        authorize_query(SPA, "http://localhost:3000/other", &pkce()),
        authorize_query(SPA, "http://localhost:3000/callback/", &pkce()),
        authorize_query("nobody", CALLBACK, &pkce()),
        authorize_query("server", CALLBACK, &[]),
        format!("{good}&client_id=spa"),
    ] {
        let r = f.authorize(&query).await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(location(&r), None, "{query}");
        let r = f.get(&format!("/login?{query}"), None).await;
        assert_eq!((r.status.as_u16(), location(&r)), (400, None), "{query}");
    }
    // Other mistakes go back to the callback with an error and the state.
    for (extra, error) in [
        (vec![("state", "s1")], "invalid_request"), // a public client without PKCE
        (
            vec![
                ("state", "s1"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("state", "s1"),
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("state", "s1"),
                ("scope", "openid phone"),
                pkce()[0],
                pkce()[1],
            ],
            "invalid_scope",
        ),
    ] {
        let r = f.authorize(&authorize_query(SPA, CALLBACK, &extra)).await;
        assert_eq!(r.status, 302);
        let to = location(&r).unwrap();
        assert!(to.starts_with(CALLBACK), "{to}");
        assert_eq!(query_param(&to, "error").as_deref(), Some(error), "{to}");
        assert_eq!(query_param(&to, "state").as_deref(), Some("s1"));
        assert_eq!(query_param(&to, "code"), None);
    }
    let token_type = good.replace("response_type=code", "response_type=token");
    let to = location(&f.authorize(&token_type).await).unwrap();
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("unsupported_response_type")
    );

    // The form token: missing, altered, for another request, without the cookie, or for
    // another browser's cookie.
    let form = f.form(&good).await;
    let other = f
        .form(&authorize_query(
            SPA,
            CALLBACK,
            &[("state", "s2"), pkce()[0], pkce()[1]],
        ))
        .await;
    let mut altered = form.csrf.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let login = |csrf: &str| {
        [
            ("_csrf", csrf.to_string()),
            ("username", "bob".into()),
            ("password", PASSWORD.into()),
        ]
    };
    for (cookie, csrf) in [
        (Some(form.cookie.as_str()), None),
        (Some(form.cookie.as_str()), Some(altered.as_str())),
        (Some(form.cookie.as_str()), Some(other.csrf.as_str())),
        (None, Some(form.csrf.as_str())),
        (Some(other.cookie.as_str()), Some(form.csrf.as_str())),
    ] {
        let fields: Vec<(&str, String)> = match csrf {
            Some(c) => login(c).to_vec(),
            None => login("")[1..].to_vec(),
        };
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = f.post_form(&form.action, cookie, &fields).await;
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(location(&r), None);
    }
    // A wrong password: the form again, with the error, and no code.
    let r = f.sign_in(&form, "bob", "Wrong-Horse-42").await;
    assert_eq!(r.status, 200);
    assert_eq!(location(&r), None);
    assert!(
        r.text().contains("Incorrect username or password."),
        "{}",
        r.text()
    );
    // An unknown user alike.
    let r = f.sign_in(&form, "nobody", PASSWORD).await;
    assert_eq!((r.status.as_u16(), location(&r)), (200, None));

    // At the token endpoint: a wrong verifier spends the code.
    let code = f.code(&good, "bob").await;
    let wrong = "a".repeat(43);
    assert_eq!(
        oauth_error(&f.exchange(&code, &wrong).await),
        (400, "invalid_grant".into())
    );
    assert_eq!(
        oauth_error(&f.exchange(&code, VERIFIER).await),
        (400, "invalid_grant".into())
    );
    // No verifier, or another redirect_uri.
    let code = f.code(&good, "bob").await;
    let r = f
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", SPA),
                ("code", &code),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
    assert_eq!(oauth_error(&r), (400, "invalid_grant".into()));
    let code = f.code(&good, "bob").await;
    let r = f
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", SPA),
                ("code", &code),
                ("redirect_uri", "http://localhost:3000/other"),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(oauth_error(&r), (400, "invalid_grant".into()));
    // An expired code (5 minutes).
    let code = f.code(&good, "bob").await;
    f.clock.advance(Duration::from_secs(301));
    assert_eq!(
        oauth_error(&f.exchange(&code, VERIFIER).await),
        (400, "invalid_grant".into())
    );
    // A made-up code.
    assert_eq!(
        oauth_error(&f.exchange("not-a-code", VERIFIER).await),
        (400, "invalid_grant".into())
    );

    // A client with a secret proves it; its code is its own.
    let server_query = authorize_query(
        "server",
        "https://app.example/cb",
        &[("scope", "rides/read")],
    );
    let code = f.code(&server_query, "bob").await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://app.example/cb"),
    ];
    let r = f
        .token(None, &[&fields[..], &[("client_id", "server")]].concat())
        .await;
    assert_eq!(oauth_error(&r), (401, "invalid_client".into()));
    let r = f.token(Some(SERVER_BASIC), &fields).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    // No openid scope: no ID token, and userInfo refuses the access token.
    assert!(answer.get("id_token").is_none(), "{answer}");
    let access = answer["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["scope"], "rides/read");
    let r = f.user_info(access).await;
    assert_eq!(r.status, 401);
    assert!(
        r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );

    // A pool with MFA: the hosted page does not serve the challenge.
    f.sign_up("mfa-web", "carol").await;
    let form = f
        .form(&authorize_query(
            "mfa-web",
            "https://mfa.example/cb",
            &pkce(),
        ))
        .await;
    let r = f.sign_in(&form, "carol", PASSWORD).await;
    assert_eq!((r.status.as_u16(), location(&r)), (403, None));
    assert!(r.text().contains("Multi-factor sign-in is not served"));
    f.server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn user_info_revoke_and_logout() {
    let f = start().await;
    f.sign_up(SPA, "dora").await;
    // A token of the API sign-in has no openid scope: userInfo refuses it.
    let api = f
        .idp
        .initiate_auth()
        .client_id(SPA)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "dora")
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    let api = api.authentication_result.unwrap();
    let r = f.user_info(api.access_token.as_deref().unwrap()).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_token");
    assert_eq!(
        r.json()["error_description"],
        "Access token does not contain openid scope"
    );
    let r = f.user_info("").await;
    assert_eq!(r.status, 401);

    // The profile scope: profile attributes, not the email.
    let query = authorize_query(
        SPA,
        CALLBACK,
        &[("scope", "openid profile"), pkce()[0], pkce()[1]],
    );
    let code = f.code(&query, "dora").await;
    let answer = f.exchange(&code, VERIFIER).await.json();
    let access = answer["access_token"].as_str().unwrap().to_string();
    let refresh = answer["refresh_token"].as_str().unwrap().to_string();
    let info = f.user_info(&access).await.json();
    assert_eq!(info["given_name"], "Ada");
    assert!(info.get("email").is_none(), "{info}");

    // /oauth2/revoke: the refresh token, then every token of its session, is refused.
    let revoke = |fields: Vec<(&'static str, String)>, basic: Option<&'static str>| {
        let f = &f;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            f.form_post("/oauth2/revoke", basic, &fields).await
        }
    };
    let r = revoke(vec![("client_id", SPA.into())], None).await;
    assert_eq!(oauth_error(&r), (400, "invalid_request".into()));
    let r = revoke(
        vec![("token", access.clone()), ("client_id", SPA.into())],
        None,
    )
    .await;
    assert_eq!(oauth_error(&r), (400, "unsupported_token_type".into()));
    let r = revoke(vec![("token", refresh.clone())], Some(SERVER_BASIC)).await;
    assert_eq!(oauth_error(&r), (400, "unsupported_token_type".into()));
    let r = revoke(
        vec![("token", refresh.clone())],
        Some("Basic c2VydmVyOndyb25n"),
    )
    .await;
    assert_eq!(oauth_error(&r), (401, "invalid_client".into()));
    let r = revoke(
        vec![("token", "unknown-token".into()), ("client_id", SPA.into())],
        None,
    )
    .await;
    assert_eq!((r.status.as_u16(), r.text()), (200, String::new()));
    let r = revoke(
        vec![("token", refresh.clone()), ("client_id", SPA.into())],
        None,
    )
    .await;
    assert_eq!((r.status.as_u16(), r.text()), (200, String::new()));
    let r = f.user_info(&access).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json()["error_description"],
        "Access token has been revoked"
    );
    let r = f
        .token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", SPA),
                ("refresh_token", &refresh),
            ],
        )
        .await;
    assert_eq!(oauth_error(&r), (400, "invalid_grant".into()));

    // The API sign-in's refresh token revoked at the endpoint: REFRESH_TOKEN_AUTH fails.
    let api_refresh = api.refresh_token.unwrap();
    let r = revoke(
        vec![("token", api_refresh.clone()), ("client_id", SPA.into())],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let refreshed = f
        .idp
        .initiate_auth()
        .client_id(SPA)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", api_refresh)
        .send()
        .await;
    assert!(refreshed.is_err());

    // /logout: to a registered logout URL only.
    let r = f
        .get(
            "/logout?client_id=spa&logout_uri=http%3A%2F%2Flocalhost%3A3000%2F",
            None,
        )
        .await;
    assert_eq!(location(&r).as_deref(), Some("http://localhost:3000/"));
    let r = f
        .get(
            "/logout?client_id=spa&logout_uri=https%3A%2F%2Fevil.example%2F",
            None,
        )
        .await;
    assert_eq!((r.status.as_u16(), location(&r)), (400, None));
    f.server.stop().await;
}
