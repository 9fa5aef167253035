//! Property tests against the independent signer (`aws-sigv4`):
//! - any request it signs verifies, in either form;
//! - any one-byte change to a signed component — method, path, query, a signed header's value, the
//!   body, the date, the credential — is refused;
//! - `parse`, `precheck` and `verify` never panic on arbitrary header values, paths and queries.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{
    AKID, BodyMode, OwnedRequest, SECRET, SignSpec, T0, at, form_encode, request,
    sign_with_aws_sigv4,
};
use http::HeaderValue;
use proptest::prelude::*;
use sigv4::{Request, Verifier, parse};

/// One path character: unreserved, a sub-delimiter legal in paths, or any char percent-encoded.
fn path_atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9_.~-]",
        1 => "[!$&'()*+,;=:@]",
        2 => any::<char>().prop_map(|c| form_encode(&c.to_string())),
    ]
}

/// A path of one or more segments, none empty or dots only: one-byte changes then always change
/// its meaning.
fn simple_path() -> impl Strategy<Value = String> {
    let segment = prop::collection::vec(path_atom(), 1..6)
        .prop_map(|v| v.concat())
        .prop_map(|s| {
            if s.bytes().all(|b| b == b'.') {
                format!("{s}x")
            } else {
                s
            }
        });
    (prop::collection::vec(segment, 1..4), any::<bool>()).prop_map(|(segs, trailing)| {
        let mut p = format!("/{}", segs.join("/"));
        if trailing {
            p.push('/');
        }
        p
    })
}

/// Any path a client may send, dot segments and repeated slashes included.
fn any_path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        6 => prop::collection::vec(path_atom(), 1..6).prop_map(|v| v.concat()),
        1 => Just(String::new()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
    ];
    prop::collection::vec(segment, 0..5).prop_map(|segs| format!("/{}", segs.join("/")))
}

fn query_atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9_.~-]",
        1 => "[!$'()*,;:@/?+]",
        2 => any::<char>().prop_map(|c| form_encode(&c.to_string())),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let key = prop::collection::vec(query_atom(), 1..5).prop_map(|v| v.concat());
    let value = prop::option::of(prop::collection::vec(
        prop_oneof![query_atom(), Just("=".to_owned())],
        0..5,
    ))
    .prop_map(|v| v.map(|v| v.concat()));
    prop::collection::vec((key, value), 0..5).prop_map(|pairs| {
        pairs
            .into_iter()
            .filter(|(k, _)| !k.starts_with("X-Amz-"))
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k,
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn header_value() -> impl Strategy<Value = String> {
    "[!-~]([ !-~]{0,15}[!-~])?"
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    presign: bool,
    token: bool,
    body_mode: BodyMode,
}

fn case(path: impl Strategy<Value = String>, any_body_mode: bool) -> impl Strategy<Value = Case> {
    let body_mode = if any_body_mode {
        prop_oneof![
            Just(BodyMode::Hashed),
            Just(BodyMode::HashedWithHeader),
            Just(BodyMode::Unsigned),
            Just(BodyMode::UnsignedNoHeader)
        ]
        .boxed()
    } else {
        prop_oneof![Just(BodyMode::Hashed), Just(BodyMode::HashedWithHeader)].boxed()
    };
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
        path,
        query(),
        prop::collection::vec(
            (
                prop::sample::select(vec!["x-h1", "x-h2", "content-type"]),
                header_value(),
            ),
            0..4,
        ),
        prop::collection::vec(any::<u8>(), 0..200),
        any::<bool>(),
        any::<bool>(),
        body_mode,
    )
        .prop_map(
            |(method, path, query, headers, body, presign, token, body_mode)| {
                // Without a header to carry it, only presigned URLs can be signed UNSIGNED-PAYLOAD.
                let body_mode = if body_mode == BodyMode::UnsignedNoHeader && !presign {
                    BodyMode::Unsigned
                } else {
                    body_mode
                };
                Case {
                    method,
                    path,
                    query,
                    headers,
                    body,
                    presign,
                    token,
                    body_mode,
                }
            },
        )
}

fn sign(c: &Case) -> OwnedRequest {
    let mut req = request(c.method, &c.path, &c.query, &c.body);
    for (k, v) in &c.headers {
        req.headers.append(*k, HeaderValue::from_str(v).unwrap());
    }
    let spec = SignSpec {
        token: c.token.then_some("IQoJb3JpZ2luX2VjE/+token=="),
        presign: c.presign.then(|| Duration::from_secs(300)),
        body_mode: c.body_mode,
        ..SignSpec::default()
    };
    sign_with_aws_sigv4(&mut req, &spec);
    req
}

/// What the gateway does: parse, look the key up, verify.
fn gateway(req: &OwnedRequest) -> Result<(), String> {
    gateway_with(req, false)
}

/// [`gateway`] with [`Verifier::allow_unsigned_payload`] set to `allow_unsigned`.
fn gateway_with(req: &OwnedRequest, allow_unsigned: bool) -> Result<(), String> {
    let view = req.view();
    let auth = parse(&view).map_err(|e| e.to_string())?.ok_or("no auth")?;
    let secret = if auth.access_key_id() == AKID {
        SECRET
    } else {
        return Err("unknown access key".into());
    };
    Verifier::new(common::REGION, common::SERVICE)
        .allow_unsigned_payload(allow_unsigned)
        .verify(&auth, &view, &req.body, secret, at(T0))
        .map_err(|e| e.to_string())
}

/// Replaces the byte at `pos` (modulo the length) with a different printable ASCII byte.
fn flip(s: &str, pos: usize, byte: u8) -> Option<String> {
    let mut b = s.as_bytes().to_vec();
    let len = b.len();
    if len == 0 {
        return None;
    }
    let i = pos % len;
    let mut new = byte;
    if new == b[i] {
        new = if new == b'~' { b'!' } else { new + 1 };
    }
    b[i] = new;
    String::from_utf8(b).ok()
}

fn printable() -> impl Strategy<Value = u8> {
    b' '..=b'~'
}

/// The query as a server reads it: decoded pairs, sorted, without the signature.
fn decoded_pairs(q: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn anything_the_signer_signs_verifies(c in case(any_path(), true)) {
        let req = sign(&c);
        prop_assert_eq!(gateway_with(&req, true), Ok(()));
        // By default a body left outside the signature is refused; an empty one is covered.
        let unsigned = matches!(c.body_mode, BodyMode::Unsigned | BodyMode::UnsignedNoHeader);
        if unsigned && !c.body.is_empty() {
            let e = gateway(&req).unwrap_err();
            prop_assert!(e.starts_with("The request signature we calculated does not match"), "{}", e);
        } else {
            prop_assert_eq!(gateway(&req), Ok(()));
        }
    }

    #[test]
    fn changing_the_method_is_refused(c in case(simple_path(), false), pos in any::<usize>(), byte in b'A'..=b'Z') {
        let mut req = sign(&c);
        req.method = flip(&req.method, pos, byte).unwrap();
        prop_assert!(gateway(&req).is_err());
    }

    #[test]
    fn changing_the_path_is_refused(c in case(simple_path(), false), pos in any::<usize>(), byte in printable()) {
        let mut req = sign(&c);
        // Paths on the wire start with `/` (origin form; `.` alone would normalize to `/`), so
        // the leading slash stays.
        req.path = format!("/{}", flip(&req.path[1..], pos, byte).unwrap());
        prop_assert!(gateway(&req).is_err(), "{:?}", req.path);
    }

    #[test]
    fn changing_the_query_is_refused(c in case(simple_path(), false), pos in any::<usize>(), byte in printable()) {
        prop_assume!(!c.query.is_empty());
        let mut req = sign(&c);
        // Only the client's own parameters: the presign parameters are covered below.
        let (user, rest) = req.query.split_at(c.query.len());
        let tampered = format!("{}{rest}", flip(user, pos, byte).unwrap());
        // Some one-byte edits keep the meaning (`+` ↔ space, `%2f` ↔ `%2F`); those are not changes.
        prop_assume!(decoded_pairs(&tampered) != decoded_pairs(&req.query));
        req.query = tampered;
        prop_assert!(gateway(&req).is_err(), "{:?}", req.query);
    }

    #[test]
    fn changing_a_signed_header_is_refused(
        c in case(simple_path(), false),
        which in any::<prop::sample::Index>(),
        pos in any::<usize>(),
        byte in printable(),
    ) {
        let mut req = sign(&c);
        let names: Vec<&str> = ["host", "x-h1", "x-h2", "content-type"]
            .into_iter()
            .filter(|n| req.headers.contains_key(*n))
            .collect();
        let name = *which.get(&names);
        let old = req.headers.get(name).unwrap().to_str().unwrap().to_owned();
        let new = flip(&old, pos, byte).unwrap();
        // A value may not end in whitespace on the wire; HTTP parsers strip it.
        prop_assume!(new.trim() == new);
        req.headers.insert(name, HeaderValue::from_str(&new).unwrap());
        prop_assert!(gateway(&req).is_err(), "{name}: {old:?} -> {new:?}");
    }

    #[test]
    fn changing_the_body_is_refused(c in case(simple_path(), false), pos in any::<usize>(), byte in any::<u8>()) {
        prop_assume!(!c.body.is_empty());
        let mut req = sign(&c);
        let i = pos % req.body.len();
        req.body[i] = if req.body[i] == byte { byte.wrapping_add(1) } else { byte };
        prop_assert!(gateway(&req).is_err());
    }

    #[test]
    fn changing_the_date_is_refused(c in case(simple_path(), false), delta in prop_oneof![-120i64..0, 1i64..120]) {
        let mut req = sign(&c);
        let shifted = common::iso_to_unix("20150830T123600Z").checked_add_signed(delta).unwrap();
        let iso = time::OffsetDateTime::from_unix_timestamp(shifted.try_into().unwrap()).unwrap();
        let iso = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            iso.year(), u8::from(iso.month()), iso.day(), iso.hour(), iso.minute(), iso.second()
        );
        if c.presign {
            req.query = req.query.replace("X-Amz-Date=20150830T123600Z", &format!("X-Amz-Date={iso}"));
        } else {
            req.headers.insert("x-amz-date", HeaderValue::from_str(&iso).unwrap());
        }
        prop_assert!(gateway(&req).is_err());
    }

    #[test]
    fn changing_the_credential_is_refused(c in case(simple_path(), false), pos in any::<usize>(), byte in b'0'..=b'z') {
        let mut req = sign(&c);
        let credential = "AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request";
        let tampered = flip(credential, pos, byte).unwrap();
        prop_assume!(!tampered.contains(['/', ',', '=', ';', '\\', '`']) || tampered.matches('/').count() == 4);
        if c.presign {
            req.query = req.query.replace(&form_encode(credential), &form_encode(&tampered));
        } else {
            let auth = req.headers.get("authorization").unwrap().to_str().unwrap().replace(credential, &tampered);
            req.headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        }
        prop_assert!(gateway(&req).is_err(), "{tampered}");
    }

    #[test]
    fn parse_and_verify_never_panic(
        auth in prop::option::of(prop::collection::vec(prop_oneof![b' '..=b'~', Just(b'\t'), 0x80u8..=0xff], 0..120)),
        date in prop::option::of("[ -~]{0,20}"),
        path in "\\PC{0,30}",
        query in "\\PC{0,80}",
        prefix in prop::sample::select(vec![
            "", "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20150830%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=",
        ]),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut headers = http::HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("h"));
        let mut query = query;
        if let Some(mut a) = auth {
            if prefix.starts_with("AWS4") {
                let mut full = prefix.as_bytes().to_vec();
                full.append(&mut a);
                a = full;
            }
            if let Ok(v) = HeaderValue::from_bytes(&a) {
                headers.insert("authorization", v);
            }
        } else if prefix.starts_with("X-Amz") {
            query = format!("{prefix}{query}");
        }
        if let Some(d) = date.and_then(|d| HeaderValue::from_str(&d).ok()) {
            headers.insert("x-amz-date", d);
        }
        let req = Request { method: "GET", path: &path, query: &query, headers: &headers };
        if let Ok(Some(auth)) = parse(&req) {
            let v = Verifier::new("us-east-1", "execute-api");
            let _ = v.precheck(&auth, at(T0));
            let _ = v.verify(&auth, &req, &body, SECRET, at(T0));
            let _ = format!("{auth:?}");
        }
    }
}
