//! AWS's SigV4 test suite (`tests/vectors/`, see its README), checked stage by stage: parse the
//! signed request, rebuild the canonical request and the string to sign and compare them with the
//! files, derive the signature, then require `Verifier::verify` to accept the signed request — in
//! the header form and the presigned form wherever the files exist — and to refuse it once tampered.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{OwnedRequest, at, iso_to_unix, parse_http};
use http::HeaderValue;
use sigv4::{
    CanonicalOptions, Form, SigningKey, Verifier, canonical_request_with, parse, payload_hash,
    string_to_sign,
};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn read(case: &Path, file: &str) -> Option<String> {
    fs::read_to_string(case.join(file)).ok()
}

/// The suite's files differ in whether they end with a newline; the content never does.
fn content(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

struct Context {
    access_key: String,
    secret: String,
    token: Option<String>,
    region: String,
    service: String,
    now: u64,
    normalize: bool,
    omit_session_token: bool,
}

impl Context {
    fn load(case: &Path) -> Option<Self> {
        let json: serde_json::Value = serde_json::from_str(&read(case, "context.json")?).unwrap();
        let creds = &json["credentials"];
        let ts = json["timestamp"].as_str().unwrap();
        let now = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
            .unwrap();
        Some(Self {
            access_key: creds["access_key_id"].as_str().unwrap().into(),
            secret: creds["secret_access_key"].as_str().unwrap().into(),
            token: creds["token"].as_str().map(Into::into),
            region: json["region"].as_str().unwrap().into(),
            service: json["service"].as_str().unwrap().into(),
            now: now.unix_timestamp().try_into().unwrap(),
            normalize: json["normalize"].as_bool().unwrap(),
            omit_session_token: json["omit_session_token"].as_bool().unwrap_or(false),
        })
    }
}

/// Everything a case checks for one form; returns a description of the first difference.
fn check_form(name: &str, case: &Path, ctx: &Context, form: Form) -> Result<(), String> {
    let prefix = match form {
        Form::Header => "header",
        Form::Query => "query",
    };
    let signed = parse_http(&read(case, &format!("{prefix}-signed-request.txt")).unwrap());
    let view = signed.view();
    let auth = parse(&view)
        .map_err(|e| format!("parse: {e}"))?
        .ok_or("parse: no auth")?;
    if auth.form() != form {
        return Err(format!("form {:?}", auth.form()));
    }
    if auth.access_key_id() != ctx.access_key
        || auth.region() != ctx.region
        || auth.service() != ctx.service
    {
        return Err(format!("credential {}", auth.credential()));
    }
    // The token is captured whether or not it was signed (post-sts-header-after adds it unsigned).
    if auth.session_token() != ctx.token.as_deref() {
        return Err(format!("session token {:?}", auth.session_token()));
    }

    // Stage 1: canonical request.
    let hash = payload_hash(&auth, &view, &signed.body).map_err(|e| format!("payload: {e}"))?;
    let opts = CanonicalOptions {
        normalize_path: ctx.normalize,
        sign_query_session_token: !ctx.omit_session_token,
    };
    let creq = canonical_request_with(&auth, &view, &hash, opts);
    let want = read(case, &format!("{prefix}-canonical-request.txt")).unwrap();
    if creq.to_string() != content(&want) {
        return Err(format!("canonical request:\n{creq}\n--- want ---\n{want}"));
    }
    // Stage 2: string to sign.
    let sts = string_to_sign(&auth, &creq);
    let want = read(case, &format!("{prefix}-string-to-sign.txt")).unwrap();
    if sts.to_string() != content(&want) {
        return Err(format!("string to sign:\n{sts}\n--- want ---\n{want}"));
    }
    // Stage 3: signature.
    let key = SigningKey::derive(
        &ctx.secret,
        auth.scope_date(),
        auth.region(),
        auth.service(),
    );
    let sig = key.sign_hex(sts.as_str().as_bytes());
    let want = read(case, &format!("{prefix}-signature.txt")).unwrap();
    if sig != content(&want) || sig != auth.signature() {
        return Err(format!(
            "signature {sig}, file {want}, request {}",
            auth.signature()
        ));
    }
    // Stage 4: the verifier accepts the signed request as it arrived, without being told how the
    // client normalized or whether it signed the token.
    let verifier = Verifier::new(&ctx.region, &ctx.service);
    verifier
        .verify(&auth, &view, &signed.body, &ctx.secret, at(ctx.now))
        .map_err(|e| format!("verify: {e}"))?;

    // And refuses it once tampered with.
    let tampered = OwnedRequest {
        method: format!("{}X", signed.method),
        ..signed.clone()
    };
    let view = tampered.view();
    let auth = parse(&view).unwrap().unwrap();
    let err = verifier
        .verify(&auth, &view, &tampered.body, &ctx.secret, at(ctx.now))
        .unwrap_err();
    if err.error_type() != "InvalidSignatureException" {
        return Err(format!("tampered request: {err}"));
    }
    let _ = name;
    Ok(())
}

#[test]
fn every_case_with_context_verifies_stage_by_stage() {
    let mut cases: Vec<PathBuf> = fs::read_dir(suite_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 40, "the suite has 40 cases");

    let (mut checked, mut failures) = (0, Vec::new());
    for case in &cases {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(ctx) = Context::load(case) else {
            continue;
        };
        // The unsigned request carries no auth at all.
        let unsigned = parse_http(&read(case, "request.txt").unwrap());
        assert_eq!(
            parse(&unsigned.view()).unwrap(),
            None,
            "{name}: request.txt"
        );
        for form in [Form::Header, Form::Query] {
            let prefix = if form == Form::Header {
                "header"
            } else {
                "query"
            };
            if !case.join(format!("{prefix}-signed-request.txt")).exists() {
                continue;
            }
            checked += 1;
            if let Err(e) = check_form(&name, case, &ctx, form) {
                failures.push(format!("{name} ({prefix}): {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert_eq!(checked, 76, "38 cases × 2 forms");
}

/// `double-encode-path` has no `context.json`. Its signed request was produced by smithy-rs's
/// `test_sign_url_escape` with `Credentials::for_tests()` (ANOTREAL) in us-east-1/`service` at the
/// request's own `X-amz-date` (20150830T123600Z). Its canonical-request file, however, comes from
/// a different smithy-rs test that signed at 20210511T154045Z, so the canonical request is compared
/// with that date substituted, and the signature is verified at the request's date.
#[test]
fn double_encode_path() {
    let case = suite_dir().join("double-encode-path");
    let signed = parse_http(&read(&case, "header-signed-request.txt").unwrap());
    let secret = "notrealrnrELgWzOk3IfjzDKtFBhDby";

    let mut at_2021 = signed.clone();
    at_2021
        .headers
        .insert("x-amz-date", HeaderValue::from_static("20210511T154045Z"));
    let view = at_2021.view();
    let auth = parse(&view).unwrap().unwrap();
    let hash = payload_hash(&auth, &view, &at_2021.body).unwrap();
    let creq = canonical_request_with(&auth, &view, &hash, CanonicalOptions::default());
    assert_eq!(
        creq.to_string(),
        content(&read(&case, "header-canonical-request.txt").unwrap())
    );
    // The path is encoded again on top of the client's encoding: `@` → `%40`, `%3D` → `%253D`.
    assert!(
        creq.to_string()
            .contains("/test/%40connections/JBDvjfGEIAMCERw%253D")
    );

    let view = signed.view();
    let auth = parse(&view).unwrap().unwrap();
    assert_eq!(auth.access_key_id(), "ANOTREAL");
    let now = at(iso_to_unix("20150830T123600Z"));
    Verifier::new("us-east-1", "service")
        .verify(&auth, &view, &signed.body, secret, now)
        .unwrap();
}

/// `double-url-encode` has no `context.json` either; its files are self-consistent: AKIDEXAMPLE's
/// example secret, us-east-2, `lambda`, at the request's date. It has no signature file, so the
/// signature in its signed request is the one checked.
#[test]
fn double_url_encode() {
    let case = suite_dir().join("double-url-encode");
    let signed = parse_http(&read(&case, "header-signed-request.txt").unwrap());
    let view = signed.view();
    let auth = parse(&view).unwrap().unwrap();
    assert_eq!((auth.region(), auth.service()), ("us-east-2", "lambda"));

    let hash = payload_hash(&auth, &view, &signed.body).unwrap();
    let creq = canonical_request_with(&auth, &view, &hash, CanonicalOptions::default());
    assert_eq!(
        creq.to_string(),
        content(&read(&case, "header-canonical-request.txt").unwrap())
    );
    let sts = string_to_sign(&auth, &creq);
    assert_eq!(
        sts.to_string(),
        content(&read(&case, "header-string-to-sign.txt").unwrap())
    );

    let now = at(iso_to_unix(auth.amz_date()));
    Verifier::new("us-east-2", "lambda")
        .verify(&auth, &view, &signed.body, common::SECRET, now)
        .unwrap();
}
