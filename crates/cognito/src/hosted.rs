//! Cognito's managed login, minimal: `GET /oauth2/authorize` (the authorization-code grant,
//! `response_type=code`), the sign-in page `GET|POST /login`, and `GET /logout`.
//!
//! - The client and its `redirect_uri` are checked first, the URI against the client's
//!   callback URLs exactly; when either is wrong the answer is an error page, never a redirect
//!   (no open redirect). Other mistakes go back to the callback as `error=…&state=…`.
//! - The authorization request travels to `/login` in one canonical form (its parameters in a
//!   fixed order), which the form token (`login_form.rs`) is bound to.
//! - `POST /login` checks the form token, then the password through the same check as
//!   `USER_PASSWORD_AUTH` (`Provider::verify_password`: lockout, Argon2id, source throttle);
//!   a user with MFA is refused (the page does not serve MFA challenges); then a code bound to
//!   the request (`code_grant.rs`) goes to the callback.
//! - The page keeps no sign-in session: every authorization asks for the password, and
//!   `/logout` has nothing to end but sends the user to a registered logout URL.

use std::net::IpAddr;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use config::{AppClientConfig, OAuthFlow, UserPoolConfig};
use ring::rand::{SecureRandom, SystemRandom};
use store::UserStatus;

use crate::code_grant::CodeBinding;
use crate::login_form::{self, COOKIE};
use crate::{Provider, pkce};

/// What the gateway sends back: a redirect (302 to `location`) or a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedAnswer {
    pub status: u16,
    pub location: Option<String>,
    pub html: Option<String>,
    /// A `Set-Cookie` value.
    pub set_cookie: Option<String>,
}

impl HostedAnswer {
    fn redirect(location: String) -> Self {
        HostedAnswer {
            status: 302,
            location: Some(location),
            html: None,
            set_cookie: None,
        }
    }

    fn page(status: u16, html: String) -> Self {
        HostedAnswer {
            status,
            location: None,
            html: Some(html),
            set_cookie: None,
        }
    }

    fn error_page(status: u16, message: &str) -> Self {
        Self::page(status, login_form::message_page("Sign-in error", message))
    }
}

/// `base` with `params` appended to its query.
fn with_params(base: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{}", query.finish())
}

/// The parameters of a query string; `None` if one is given twice (RFC 6749 §3.1).
fn params(query: &str) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if out.iter().any(|(name, _)| *name == k) {
            return None;
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Some(out)
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// An authorization request that passed every check.
pub(crate) struct Authorization<'p> {
    pool: &'p UserPoolConfig,
    client: &'p AppClientConfig,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
}

impl Authorization<'_> {
    /// The one form of this request that `/login` is reached with and the form token covers.
    fn canonical_query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("response_type", "code");
        q.append_pair("client_id", &self.client.id);
        q.append_pair("redirect_uri", &self.redirect_uri);
        q.append_pair("scope", &self.scopes.join(" "));
        if let Some(state) = &self.state {
            q.append_pair("state", state);
        }
        if let Some(challenge) = &self.code_challenge {
            q.append_pair("code_challenge_method", pkce::S256);
            q.append_pair("code_challenge", challenge);
        }
        if let Some(nonce) = &self.nonce {
            q.append_pair("nonce", nonce);
        }
        q.finish()
    }

    /// Back to the callback with an OAuth error (RFC 6749 §4.1.2.1).
    fn refuse(&self, error: &str, description: &str) -> HostedAnswer {
        let mut p = vec![("error", error), ("error_description", description)];
        if let Some(state) = &self.state {
            p.push(("state", state));
        }
        HostedAnswer::redirect(with_params(&self.redirect_uri, &p))
    }
}

/// The longest `state` and `nonce` taken (they come back in URLs and tokens).
const MAX_ECHOED: usize = 2048;

impl Provider {
    /// Checks an authorization request: an error page while the client or the callback is in
    /// doubt, then redirects to the callback with an OAuth error.
    pub(crate) fn check_authorization(
        &self,
        query: &str,
    ) -> Result<Authorization<'_>, HostedAnswer> {
        let Some(p) = params(query) else {
            return Err(HostedAnswer::error_page(
                400,
                "A parameter of the request is given twice.",
            ));
        };
        let Some((pool, client)) = get(&p, "client_id").and_then(|id| self.client(id).ok()) else {
            return Err(HostedAnswer::error_page(
                400,
                "The client_id is missing or unknown.",
            ));
        };
        let Some(redirect_uri) = get(&p, "redirect_uri")
            .filter(|uri| client.callback_urls.iter().any(|c| c == uri))
            .map(str::to_string)
        else {
            // Never a redirect to a URI the client did not register (redirect_mismatch).
            return Err(HostedAnswer::error_page(
                400,
                "The redirect_uri is missing or is not a callback URL of this client.",
            ));
        };
        let state = get(&p, "state").map(str::to_string);
        let mut auth = Authorization {
            pool,
            client,
            redirect_uri,
            state,
            scopes: Vec::new(),
            code_challenge: None,
            nonce: get(&p, "nonce").map(str::to_string),
        };
        if auth.state.as_ref().is_some_and(|s| s.len() > MAX_ECHOED) {
            auth.state = None;
            return Err(auth.refuse("invalid_request", "state is too long"));
        }
        if auth.nonce.as_ref().is_some_and(|s| s.len() > MAX_ECHOED) {
            return Err(auth.refuse("invalid_request", "nonce is too long"));
        }
        match get(&p, "response_type") {
            Some("code") => {}
            None => return Err(auth.refuse("invalid_request", "response_type is required")),
            Some(_) => {
                return Err(auth.refuse(
                    "unsupported_response_type",
                    "only response_type=code is served",
                ));
            }
        }
        if !client.oauth_flows.contains(&OAuthFlow::Code) {
            return Err(auth.refuse(
                "unauthorized_client",
                "the client does not allow the code grant",
            ));
        }
        if get(&p, "identity_provider").is_some_and(|idp| idp != "COGNITO")
            || get(&p, "idp_identifier").is_some()
        {
            return Err(auth.refuse(
                "invalid_request",
                "federated identity providers are not served",
            ));
        }
        auth.scopes = match get(&p, "scope") {
            Some(asked) => {
                let mut scopes: Vec<String> = Vec::new();
                for s in asked.split_whitespace() {
                    if !client.oauth_scopes.iter().any(|c| c == s) {
                        return Err(
                            auth.refuse("invalid_scope", "a scope is not allowed for this client")
                        );
                    }
                    if !scopes.iter().any(|x| x == s) {
                        scopes.push(s.to_string());
                    }
                }
                scopes
            }
            // Cognito grants every scope of the client when none is asked for.
            None => client.oauth_scopes.clone(),
        };
        match (get(&p, "code_challenge"), get(&p, "code_challenge_method")) {
            (Some(challenge), Some(pkce::S256)) if pkce::valid_challenge(challenge) => {
                auth.code_challenge = Some(challenge.to_string());
            }
            (None, None) => {}
            (_, Some(m)) if m != pkce::S256 => {
                return Err(auth.refuse("invalid_request", "code_challenge_method must be S256"));
            }
            _ => {
                return Err(auth.refuse(
                    "invalid_request",
                    "code_challenge must be a base64url SHA-256 with code_challenge_method=S256",
                ));
            }
        }
        // A client without a secret proves nothing at the token endpoint: PKCE is its proof.
        if client.secret.is_none() && auth.code_challenge.is_none() {
            return Err(auth.refuse(
                "invalid_request",
                "a client without a secret must use PKCE (code_challenge, S256)",
            ));
        }
        Ok(auth)
    }

    /// `GET /oauth2/authorize`: on to the sign-in page with the request in canonical form.
    pub async fn authorize(&self, query: &str) -> HostedAnswer {
        match self.check_authorization(query) {
            Ok(auth) => HostedAnswer::redirect(format!("/login?{}", auth.canonical_query())),
            Err(answer) => answer,
        }
    }

    /// `GET /login`: the sign-in form for the request, bound to the browser's cookie (set now
    /// if it has none).
    pub async fn login_page(
        &self,
        query: &str,
        cookie: Option<&str>,
        now: SystemTime,
    ) -> HostedAnswer {
        let auth = match self.check_authorization(query) {
            Ok(auth) => auth,
            Err(answer) => return answer,
        };
        self.form(&auth, cookie, "", None, now).await
    }

    async fn form(
        &self,
        auth: &Authorization<'_>,
        cookie: Option<&str>,
        username: &str,
        error: Option<&str>,
        now: SystemTime,
    ) -> HostedAnswer {
        let (cookie, set_cookie) = match cookie.filter(|c| login_form::valid_cookie(c)) {
            Some(c) => (c.to_string(), None),
            None => {
                let mut bytes = [0u8; 32];
                if SystemRandom::new().fill(&mut bytes).is_err() {
                    return HostedAnswer::error_page(500, "An internal error occurred.");
                }
                let value = URL_SAFE_NO_PAD.encode(bytes);
                let secure = if self.shared.edge_url().starts_with("https://") {
                    "; Secure"
                } else {
                    ""
                };
                let header = format!(
                    "{COOKIE}={value}; Path=/login; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
                    login_form::FORM_LIFETIME.as_secs()
                );
                (value, Some(header))
            }
        };
        let keys = match self.pool_keys(&auth.pool.id, now).await {
            Ok(keys) => keys,
            Err(_) => return HostedAnswer::error_page(500, "An internal error occurred."),
        };
        let query = auth.canonical_query();
        let token = login_form::form_token(&keys.login, &cookie, &query, now);
        let html = login_form::sign_in_page(&format!("/login?{query}"), &token, username, error);
        HostedAnswer {
            set_cookie,
            ..HostedAnswer::page(200, html)
        }
    }

    /// `POST /login`: the form token, then the password, then a code to the callback.
    pub async fn login_submit(
        &self,
        query: &str,
        form: &[u8],
        cookie: Option<&str>,
        source: IpAddr,
        now: SystemTime,
    ) -> HostedAnswer {
        let auth = match self.check_authorization(query) {
            Ok(auth) => auth,
            Err(answer) => return answer,
        };
        let Some(fields) = std::str::from_utf8(form).ok().and_then(params) else {
            return HostedAnswer::error_page(400, "The sign-in form is malformed.");
        };
        let (pool, client) = (auth.pool, auth.client);
        let keys = match self.pool_keys(&pool.id, now).await {
            Ok(keys) => keys,
            Err(_) => return HostedAnswer::error_page(500, "An internal error occurred."),
        };
        let canonical = auth.canonical_query();
        let fits = match (cookie, get(&fields, "_csrf")) {
            (Some(cookie), Some(token)) => {
                login_form::token_fits(&keys.login, cookie, &canonical, token, now)
            }
            _ => false,
        };
        if !fits {
            // Before any password check: a forged post spends no attempt of the user's.
            return HostedAnswer::error_page(
                403,
                "This sign-in form has expired or was not sent from this page. Go back to the application and sign in again.",
            );
        }
        let username = get(&fields, "username").unwrap_or_default();
        let password = get(&fields, "password").unwrap_or_default();
        if username.is_empty() || password.is_empty() {
            return self
                .form(
                    &auth,
                    cookie,
                    username,
                    Some("Enter your username and password."),
                    now,
                )
                .await;
        }
        let user = match self
            .verify_password(pool, client, username, password, Some(source), now)
            .await
        {
            Ok(user) => user,
            Err(e) if e.kind == userpools::ErrorType::Internal => {
                return HostedAnswer::error_page(500, "An internal error occurred.");
            }
            Err(e) => {
                return self
                    .form(&auth, cookie, username, Some(&e.message), now)
                    .await;
            }
        };
        if !user.enabled {
            return self
                .form(&auth, cookie, username, Some("User is disabled."), now)
                .await;
        }
        let refusal = match user.status {
            UserStatus::Confirmed => None,
            UserStatus::Unconfirmed => Some("User is not confirmed."),
            UserStatus::ResetRequired => Some("Password reset required for the user."),
            UserStatus::ForceChangePassword => Some(
                "This user must set a new password, which this sign-in page does not serve: sign in through the application's API (NEW_PASSWORD_REQUIRED) first.",
            ),
        };
        if let Some(message) = refusal {
            return HostedAnswer::error_page(403, message);
        }
        if crate::mfa::mfa_active(pool, &user)
            || pool.mfa_configuration == config::MfaConfiguration::On
        {
            return HostedAnswer::error_page(
                403,
                "Multi-factor sign-in is not served on this sign-in page: sign in through the application's API.",
            );
        }
        let binding = CodeBinding {
            redirect_uri: &auth.redirect_uri,
            code_challenge: auth.code_challenge.as_deref(),
            scopes: auth.scopes.clone(),
            nonce: auth.nonce.as_deref(),
        };
        let code = match self.issue_code(pool, client, &user, binding, now).await {
            Ok(code) => code,
            Err(_) => return HostedAnswer::error_page(500, "An internal error occurred."),
        };
        let mut p = vec![("code", code.as_str())];
        if let Some(state) = &auth.state {
            p.push(("state", state));
        }
        HostedAnswer::redirect(with_params(&auth.redirect_uri, &p))
    }

    /// `GET /logout?client_id=…&logout_uri=…`: there is no hosted sign-in session to end; the
    /// user goes to the client's registered logout URL (exactly), or sees an error page.
    pub fn logout(&self, query: &str) -> HostedAnswer {
        let Some(p) = params(query) else {
            return HostedAnswer::error_page(400, "A parameter of the request is given twice.");
        };
        let Some((_, client)) = get(&p, "client_id").and_then(|id| self.client(id).ok()) else {
            return HostedAnswer::error_page(400, "The client_id is missing or unknown.");
        };
        match get(&p, "logout_uri") {
            Some(uri) if client.logout_urls.iter().any(|u| u == uri) => HostedAnswer {
                set_cookie: Some(format!(
                    "{COOKIE}=; Path=/login; Max-Age=0; HttpOnly; SameSite=Lax"
                )),
                ..HostedAnswer::redirect(uri.to_string())
            },
            _ => HostedAnswer::error_page(
                400,
                "The logout_uri is missing or is not a logout URL of this client.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_appended_encoded_and_never_twice() {
        assert_eq!(
            with_params("https://a.example/cb", &[("code", "x y"), ("state", "s&t")]),
            "https://a.example/cb?code=x+y&state=s%26t"
        );
        assert_eq!(
            with_params("https://a.example/cb?app=1", &[("code", "c")]),
            "https://a.example/cb?app=1&code=c"
        );
        assert!(params("a=1&a=2").is_none());
        assert_eq!(params("a=1&b=%20").unwrap().len(), 2);
    }
}
