//! The OAuth settings of an app client: `oauth_flows`, `oauth_scopes` (resource-server scopes
//! and the OpenID ones), `callback_urls` and `logout_urls`, checked as Cognito checks them.

use super::Loader;
use crate::userpool::{OAuthFlow, OIDC_SCOPES, ResourceServerConfig};

impl Loader {
    pub(super) fn oauth_flows(
        &mut self,
        names: &[String],
        has_secret: bool,
        at: &str,
    ) -> Vec<OAuthFlow> {
        let mut oauth_flows = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let pointer = format!("{at}/oauth_flows/{i}");
            let flow = match name.as_str() {
                "client_credentials" => OAuthFlow::ClientCredentials,
                "code" => OAuthFlow::Code,
                "implicit" => {
                    self.error(
                        &pointer,
                        "the OAuth implicit grant is not supported (it hands tokens over in the URL); use code, with PKCE for a client without a secret",
                    );
                    continue;
                }
                _ => {
                    self.error(
                        &pointer,
                        format!(
                            "{name:?} is not an OAuth flow (client_credentials, code, implicit)"
                        ),
                    );
                    continue;
                }
            };
            if oauth_flows.contains(&flow) {
                self.error(&pointer, format!("{name:?} is listed twice"));
            } else {
                oauth_flows.push(flow);
            }
        }
        if oauth_flows.contains(&OAuthFlow::ClientCredentials) && !has_secret {
            self.error(
                &format!("{at}/oauth_flows"),
                "the client_credentials grant needs a client with a secret (as in Cognito)",
            );
        }
        oauth_flows
    }

    /// Callback or logout URLs: absolute, `https` (or `http` to localhost, for development, as
    /// Cognito allows), no fragment, each once. They are compared exactly, as given.
    fn redirect_urls(&mut self, urls: &[String], at: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            let pointer = format!("{at}/{i}");
            match check_redirect_url(url) {
                Ok(()) if out.contains(url) => {
                    self.error(&pointer, format!("{url:?} is listed twice"));
                }
                Ok(()) => out.push(url.clone()),
                Err(why) => self.error(&pointer, format!("{url:?} is not a redirect URL: {why}")),
            }
        }
        if out.len() > 100 {
            self.error(at, "at most 100 URLs (Cognito's limit)");
        }
        out
    }

    /// Checks a client's scopes and URLs against its flows; returns its callback and logout
    /// URLs.
    pub(super) fn oauth_settings(
        &mut self,
        oauth_flows: &[OAuthFlow],
        oauth_scopes: &[String],
        callback_urls_in: &[String],
        logout_urls_in: &[String],
        at: &str,
        resource_servers: &[ResourceServerConfig],
    ) -> (Vec<String>, Vec<String>) {
        let code_flow = oauth_flows.contains(&OAuthFlow::Code);
        for (i, scope) in oauth_scopes.iter().enumerate() {
            let pointer = format!("{at}/oauth_scopes/{i}");
            if OIDC_SCOPES.contains(&scope.as_str()) {
                if !code_flow {
                    self.error(
                        &pointer,
                        format!("{scope:?} is granted by the authorization-code grant only: add code to oauth_flows"),
                    );
                } else if matches!(scope.as_str(), "email" | "profile" | "phone")
                    && !oauth_scopes.iter().any(|s| s == "openid")
                {
                    self.error(
                        &pointer,
                        format!("{scope:?} needs the openid scope too (as in Cognito)"),
                    );
                }
                continue;
            }
            let known = scope.split_once('/').is_some_and(|(server, name)| {
                resource_servers
                    .iter()
                    .any(|r| r.identifier == server && r.scopes.iter().any(|s| s == name))
            });
            if !known {
                self.error(
                    &pointer,
                    format!("{scope:?} is not a scope of this pool's resource servers (write {{identifier}}/{{scope}}) nor one of openid, email, profile, phone, aws.cognito.signin.user.admin"),
                );
            }
        }
        if !oauth_scopes.is_empty() && oauth_flows.is_empty() {
            self.error(
                &format!("{at}/oauth_scopes"),
                "oauth_scopes need an oauth flow to be granted by",
            );
        }
        if code_flow && oauth_scopes.is_empty() {
            self.error(
                &format!("{at}/oauth_scopes"),
                "the code grant needs oauth_scopes to grant (openid, email, profile, phone, aws.cognito.signin.user.admin or resource-server scopes)",
            );
        }
        let callback_urls = self.redirect_urls(callback_urls_in, &format!("{at}/callback_urls"));
        let logout_urls = self.redirect_urls(logout_urls_in, &format!("{at}/logout_urls"));
        if code_flow && callback_urls_in.is_empty() {
            self.error(
                &format!("{at}/callback_urls"),
                "the code grant needs at least one callback URL to send users back to",
            );
        }
        for (key, list) in [
            ("callback_urls", &callback_urls_in),
            ("logout_urls", &logout_urls_in),
        ] {
            if !code_flow && !list.is_empty() {
                self.error(
                    &format!("{at}/{key}"),
                    format!("{key} are used by the code grant only: add code to oauth_flows"),
                );
            }
        }
        (callback_urls, logout_urls)
    }
}

/// Why a callback or logout URL is refused: Cognito's rules (absolute, no fragment, `https`
/// except `http://localhost`), without what Cognito allows and this gateway does not serve
/// (custom schemes of native apps).
pub(super) fn check_redirect_url(url: &str) -> Result<(), &'static str> {
    if url.len() > 1024 {
        return Err("longer than 1024 characters");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it has whitespace or control characters");
    }
    if url.contains('#') {
        return Err("a redirect URL has no fragment");
    }
    let (rest, local_only) = if let Some(rest) = url.strip_prefix("https://") {
        (rest, false)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, true)
    } else {
        return Err("an absolute https:// URL (http:// only for localhost)");
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err("it names no host");
    }
    if authority.contains('@') {
        return Err("a redirect URL has no user info");
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return Err("its IPv6 address is not closed by ']'"),
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err("its port is not a number");
    }
    if local_only && !host.eq_ignore_ascii_case("localhost") {
        return Err("http:// is allowed for localhost only; use https://");
    }
    Ok(())
}
