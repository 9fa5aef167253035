use super::*;
use proptest::prelude::*;

fn input<'a>(
    headers: &'a HeaderMap,
    query: &'a str,
    body: &'a [u8],
    binary: bool,
) -> EventInput<'a> {
    static GET: http::Method = http::Method::GET;
    EventInput {
        resource: "/ride/{id}",
        path: "/ride/7",
        http_method: &GET,
        headers,
        query,
        path_parameters: vec![("id", "7".into())],
        stage_variables: None,
        body,
        binary,
        account_id: "123456789012",
        api_id: "rides",
        resource_id: "abc123",
        stage: "prod",
        request_id: "r-1",
        extended_request_id: "ext",
        request_time: "03/Dec/2026:09:00:00 +0000",
        request_time_epoch: 1_796_288_400_000,
        context_path: "/prod/ride/7",
        protocol: "HTTP/1.1",
        domain_name: Some("api.example.com"),
        identity: EventIdentity {
            source_ip: Some("127.0.0.1"),
            ..EventIdentity::default()
        },
        authorizer: EventAuthorizer::None,
    }
}

fn json(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn event_shape() {
    let mut headers = HeaderMap::new();
    headers.append("x-multi", "a".parse().unwrap());
    headers.append("x-multi", "b".parse().unwrap());
    headers.insert("host", "api.example.com".parse().unwrap());
    let e = json(&event(&input(&headers, "a=1&a=2&b=x+y", b"{\"k\":1}", false)).unwrap());
    assert_eq!(e["resource"], "/ride/{id}");
    assert_eq!(e["path"], "/ride/7");
    assert_eq!(e["httpMethod"], "GET");
    assert_eq!(e["headers"]["x-multi"], "b", "the last value");
    assert_eq!(
        e["multiValueHeaders"]["x-multi"],
        serde_json::json!(["a", "b"])
    );
    assert_eq!(e["queryStringParameters"]["a"], "2", "the last value");
    assert_eq!(e["queryStringParameters"]["b"], "x y");
    assert_eq!(
        e["multiValueQueryStringParameters"]["a"],
        serde_json::json!(["1", "2"])
    );
    assert_eq!(e["pathParameters"]["id"], "7");
    assert_eq!(e["stageVariables"], Value::Null);
    assert_eq!(e["body"], "{\"k\":1}");
    assert_eq!(e["isBase64Encoded"], false);
    let ctx = &e["requestContext"];
    assert_eq!(ctx["accountId"], "123456789012");
    assert_eq!(ctx["apiId"], "rides");
    assert_eq!(ctx["resourceId"], "abc123");
    assert_eq!(ctx["resourcePath"], "/ride/{id}");
    assert_eq!(ctx["path"], "/prod/ride/7");
    assert_eq!(ctx["stage"], "prod");
    assert_eq!(ctx["requestId"], "r-1");
    assert_eq!(ctx["extendedRequestId"], "ext");
    assert_eq!(ctx["requestTimeEpoch"], 1_796_288_400_000_i64);
    assert_eq!(ctx["domainPrefix"], "api");
    assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(ctx["identity"]["userArn"], Value::Null);
    // The function's own library reads it back.
    let parsed: ApiGatewayProxyRequest = serde_json::from_value(e).unwrap();
    assert_eq!(parsed.path_parameters["id"], "7");
}

#[test]
fn empty_parts_are_null_and_binary_bodies_base64() {
    let headers = HeaderMap::new();
    let e = json(&event(&input(&headers, "", &[0, 159, 255], true)).unwrap());
    assert_eq!(e["queryStringParameters"], Value::Null);
    assert_eq!(e["multiValueQueryStringParameters"], Value::Null);
    assert_eq!(e["headers"], Value::Null);
    assert_eq!(e["body"], "AJ//");
    assert_eq!(e["isBase64Encoded"], true);
    let e = json(&event(&input(&headers, "", b"", false)).unwrap());
    assert_eq!(e["body"], Value::Null);
}

#[test]
fn authorizers() {
    let headers = HeaderMap::new();
    let claims: BTreeMap<String, String> = [("sub".to_string(), "u-1".to_string())]
        .into_iter()
        .collect();
    let mut i = input(&headers, "", b"", false);
    i.authorizer = EventAuthorizer::Claims(&claims);
    let e = json(&event(&i).unwrap());
    assert_eq!(e["requestContext"]["authorizer"]["claims"]["sub"], "u-1");
    i.authorizer = EventAuthorizer::Lambda {
        principal_id: "user",
        context: &claims,
    };
    let e = json(&event(&i).unwrap());
    assert_eq!(e["requestContext"]["authorizer"]["principalId"], "user");
    assert_eq!(e["requestContext"]["authorizer"]["sub"], "u-1");
}

#[test]
fn binary_media_types() {
    let types = vec!["image/png".to_string(), "application/*".to_string()];
    assert!(is_binary(&types, Some("image/png")));
    assert!(is_binary(&types, Some("IMAGE/PNG; q=1")));
    assert!(is_binary(&types, Some("application/octet-stream")));
    assert!(!is_binary(&types, Some("image/jpeg")));
    assert!(!is_binary(&types, None));
    assert!(!is_binary(&types, Some("nonsense")));
    assert!(is_binary(&["*/*".to_string()], Some("text/plain")));
}

#[test]
fn responses() {
    let r = parse_response(
        br#"{"statusCode": 201, "headers": {"x-a": "1", "x-n": 2, "x-both": "single"},
             "multiValueHeaders": {"x-both": ["m1", "m2"], "set-cookie": ["a=1", "b=2"]},
             "body": "hi", "isBase64Encoded": false}"#,
        false,
    )
    .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.headers["x-a"], "1");
    assert_eq!(r.headers["x-n"], "2");
    let both: Vec<_> = r.headers.get_all("x-both").iter().collect();
    assert_eq!(both, ["m1", "m2"]);
    assert_eq!(r.headers.get_all("set-cookie").iter().count(), 2);
    assert_eq!(r.body, "hi");

    let r = parse_response(br#"{"statusCode": "200"}"#, false).unwrap();
    assert_eq!((r.status.as_u16(), r.body.len()), (200, 0));

    let b64 = br#"{"statusCode": 200, "body": "AJ//", "isBase64Encoded": true}"#;
    let r = parse_response(b64, true).unwrap();
    assert_eq!((&r.body[..], r.decoded), (&[0u8, 159, 255][..], true));
    let r = parse_response(b64, false).unwrap();
    assert_eq!((&r.body[..], r.decoded), (&b"AJ//"[..], false));
}

#[test]
fn malformed_responses() {
    for bad in [
        &b"not json"[..],
        b"\"text\"",
        b"[]",
        b"{}",
        br#"{"statusCode": 99}"#,
        br#"{"statusCode": 600}"#,
        br#"{"statusCode": -1}"#,
        br#"{"statusCode": 2.5}"#,
        br#"{"statusCode": "ok"}"#,
        br#"{"statusCode": 200, "body": {"a": 1}}"#,
        br#"{"statusCode": 200, "headers": []}"#,
        br#"{"statusCode": 200, "headers": {"x": {}}}"#,
        br#"{"statusCode": 200, "headers": {"bad name": "x"}}"#,
        br#"{"statusCode": 200, "headers": {"x": "a\nb"}}"#,
        br#"{"statusCode": 200, "multiValueHeaders": {"x": "a"}}"#,
        br#"{"statusCode": 200, "isBase64Encoded": "yes"}"#,
        br#"{"statusCode": 200, "body": "***", "isBase64Encoded": true}"#,
        br#"{"statusCode": 200, "cookies": []}"#,
    ] {
        assert!(
            parse_response(bad, true).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

proptest! {
    /// Any bytes: an answer or `Malformed`, never a panic.
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256), decode in any::<bool>()) {
        let _ = parse_response(&bytes, decode);
    }

    /// A well-formed response parses back to what was written.
    #[test]
    fn well_formed_responses_round_trip(
        status in 100u16..600,
        headers in proptest::collection::btree_map("x-[a-z]{1,8}", "[ -~]{0,16}", 0..4),
        body in proptest::collection::vec(any::<u8>(), 0..64),
        base64 in any::<bool>(),
    ) {
        let text = if base64 {
            base64::engine::general_purpose::STANDARD.encode(&body)
        } else {
            String::from_utf8_lossy(&body).into_owned()
        };
        let doc = serde_json::json!({
            "statusCode": status, "headers": headers, "body": text, "isBase64Encoded": base64,
        });
        let r = parse_response(doc.to_string().as_bytes(), true).unwrap();
        prop_assert_eq!(r.status.as_u16(), status);
        for (k, v) in &headers {
            prop_assert_eq!(r.headers[k.as_str()].to_str().unwrap(), v.as_str());
        }
        if base64 {
            prop_assert_eq!(&r.body[..], &body[..]);
        } else {
            prop_assert_eq!(&r.body[..], text.as_bytes());
        }
    }
}
