//! The hosted sign-in page's HTML and its CSRF defence.
//!
//! The page is one template (no JavaScript); every value it echoes is HTML-escaped.
//!
//! CSRF: the browser holds a random cookie (`portcullis-login`, `HttpOnly`, `SameSite=Lax`,
//! path `/login`), and the form carries a dated token, `issued.mac`, where the MAC (a key derived
//! from the pool's signing key, so every node checks every node's tokens) covers the time, the
//! cookie and the canonical authorization request. A form posted from another site lacks the
//! cookie or cannot know the token for it; a token copied from one request does not fit another.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

/// The cookie binding a form to the browser it was served to.
pub(crate) const COOKIE: &str = "portcullis-login";
/// How long a served form may be posted.
pub(crate) const FORM_LIFETIME: Duration = Duration::from_secs(15 * 60);

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn mac_input(issued: u64, cookie: &str, query: &str) -> String {
    format!("hosted login form\0{issued}\0{cookie}\0{query}")
}

/// The form token for the browser holding `cookie`, for the authorization request `query`
/// (its canonical form).
pub(crate) fn form_token(key: &hmac::Key, cookie: &str, query: &str, now: SystemTime) -> String {
    let issued = unix(now);
    let tag = hmac::sign(key, mac_input(issued, cookie, query).as_bytes());
    format!("{issued}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// Whether `token` was issued by this pool for this cookie and request, at most
/// [`FORM_LIFETIME`] ago (and not in the future beyond a minute of clock skew between nodes).
pub(crate) fn token_fits(
    key: &hmac::Key,
    cookie: &str,
    query: &str,
    token: &str,
    now: SystemTime,
) -> bool {
    let Some((issued, tag)) = token.split_once('.') else {
        return false;
    };
    let (Ok(issued), Ok(tag)) = (issued.parse::<u64>(), URL_SAFE_NO_PAD.decode(tag)) else {
        return false;
    };
    let now = unix(now);
    let fresh =
        issued <= now.saturating_add(60) && now <= issued.saturating_add(FORM_LIFETIME.as_secs());
    fresh
        && valid_cookie(cookie)
        && hmac::verify(key, mac_input(issued, cookie, query).as_bytes(), &tag).is_ok()
}

/// A cookie value as this server makes them: 32 random bytes, base64url.
pub(crate) fn valid_cookie(value: &str) -> bool {
    value.len() == 43
        && URL_SAFE_NO_PAD
            .decode(value)
            .is_ok_and(|bytes| bytes.len() == 32)
}

/// `&`, `<`, `>`, `"` and `'` as entities: safe in element content and quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The page. `{title}`, `{message}` and `{form}` are filled in once, in one pass: a value is
/// never searched for placeholders.
const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.4rem 0}input,button{padding:.5rem;box-sizing:border-box}.error{color:#a00}</style>
</head>
<body>
<main>
<h1>{title}</h1>
{message}
{form}
</main>
</body>
</html>
"#;

const FORM: &str = r#"<form method="post" action="{action}">
<input type="hidden" name="_csrf" value="{csrf}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="{username}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>"#;

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let name_end = after.find('}').unwrap_or(0);
        let name = after.get(1..name_end).unwrap_or_default();
        match values.iter().find(|(n, _)| *n == name) {
            Some((_, value)) if name_end > 0 => {
                out.push_str(value);
                rest = after.get(name_end + 1..).unwrap_or_default();
            }
            _ => {
                // A brace of the stylesheet: copied as is.
                out.push('{');
                rest = after.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// A page with a message and no form (an error the user cannot fix by signing in again).
pub(crate) fn message_page(title: &str, message: &str) -> String {
    let message = format!("<p class=\"error\">{}</p>", escape(message));
    fill(
        PAGE,
        &[
            ("title", &escape(title)),
            ("message", &message),
            ("form", ""),
        ],
    )
}

/// The sign-in form posting to `action`, with `error` above it if the last attempt failed.
pub(crate) fn sign_in_page(
    action: &str,
    csrf: &str,
    username: &str,
    error: Option<&str>,
) -> String {
    let message = error.map_or_else(String::new, |e| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))
    });
    let form = fill(
        FORM,
        &[
            ("action", &escape(action)),
            ("csrf", &escape(csrf)),
            ("username", &escape(username)),
        ],
    );
    fill(
        PAGE,
        &[("title", "Sign in"), ("message", &message), ("form", &form)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOKIE_VALUE: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn form_tokens_are_bound_to_cookie_request_and_time() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
        let t = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let q = "response_type=code&client_id=web";
        let token = form_token(&key, COOKIE_VALUE, q, t);
        assert!(token_fits(&key, COOKIE_VALUE, q, &token, t));
        assert!(token_fits(&key, COOKIE_VALUE, q, &token, t + FORM_LIFETIME));
        assert!(!token_fits(
            &key,
            COOKIE_VALUE,
            q,
            &token,
            t + FORM_LIFETIME + Duration::from_secs(1)
        ));
        let other_cookie = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
        assert!(!token_fits(&key, other_cookie, q, &token, t));
        assert!(!token_fits(
            &key,
            COOKIE_VALUE,
            "response_type=code&client_id=other",
            &token,
            t
        ));
        let other_key = hmac::Key::new(hmac::HMAC_SHA256, b"other");
        assert!(!token_fits(&other_key, COOKIE_VALUE, q, &token, t));
        // An altered date does not carry the MAC along.
        let (_, tag) = token.split_once('.').unwrap();
        let later = format!("{}.{tag}", 1_800_000_000 + 600);
        assert!(!token_fits(
            &key,
            COOKIE_VALUE,
            q,
            &later,
            t + Duration::from_secs(600)
        ));
        assert!(!token_fits(&key, COOKIE_VALUE, q, "", t));
        assert!(!token_fits(
            &key,
            "short",
            q,
            &form_token(&key, "short", q, t),
            t
        ));
    }

    #[test]
    fn every_echoed_value_is_escaped() {
        let page = sign_in_page(
            "/login?state=\"><script>",
            "1.x",
            "<img src=x onerror=alert(1)>",
            Some("bad & 'worse'"),
        );
        assert!(!page.contains("<script>"));
        assert!(!page.contains("<img"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(page.contains("bad &amp; &#x27;worse&#x27;"));
        assert!(page.contains("action=\"/login?state=&quot;&gt;&lt;script&gt;\""));
        // Placeholders in a value are not filled.
        let page = message_page("t", "{form}{title}");
        assert!(page.contains("{form}{title}"));
        assert!(page.contains("body{font-family"));
    }
}
