//! The Lambda proxy integration's own work per request, apart from the function: building the
//! REST API proxy event from a typical request and parsing a typical proxy response. Run with
//! `cargo bench -p gateway --bench lambda_proxy`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gateway::lambda_proxy::{self, EventAuthorizer, EventIdentity, EventInput};
use http::HeaderMap;

fn typical_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in [
        ("host", "abc123.execute-api.us-east-1.amazonaws.com"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        ),
        ("accept", "application/json"),
        ("accept-encoding", "gzip, deflate, br"),
        ("content-type", "application/json"),
        (
            "authorization",
            "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.e30.c2lnbmF0dXJl",
        ),
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-port", "443"),
        (
            "x-amzn-trace-id",
            "Root=1-5f84c7a1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1",
        ),
    ] {
        h.insert(k, v.parse().unwrap());
    }
    h
}

fn bench(c: &mut Criterion) {
    let headers = typical_headers();
    let claims: BTreeMap<String, String> = [
        ("sub", "7d8ca528-4931-4254-9273-ea5ee853f271"),
        ("cognito:username", "7d8ca528-4931-4254-9273-ea5ee853f271"),
        ("email", "rider@example.com"),
        ("token_use", "id"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let body =
        br#"{"PickupLocation":{"Latitude":47.6174755835663,"Longitude":-122.28837066650185}}"#;
    let method = http::Method::POST;
    let input = EventInput {
        resource: "/ride",
        path: "/ride",
        http_method: &method,
        headers: &headers,
        query: "src=app&lang=en",
        path_parameters: Vec::new(),
        stage_variables: None,
        body,
        binary: false,
        account_id: "123456789012",
        api_id: "abc123",
        resource_id: "x1y2z3",
        stage: "prod",
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        extended_request_id: "bZ4cQFgYoAMFo3Q=",
        request_time: "03/Dec/2026:09:00:00 +0000",
        request_time_epoch: 1_796_288_400_000,
        context_path: "/prod/ride",
        protocol: "HTTP/1.1",
        domain_name: Some("abc123.execute-api.us-east-1.amazonaws.com"),
        identity: EventIdentity {
            source_ip: Some("203.0.113.7"),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"),
            ..EventIdentity::default()
        },
        authorizer: EventAuthorizer::Claims(&claims),
    };
    c.bench_function("lambda_proxy/event", |b| {
        b.iter(|| lambda_proxy::event(black_box(&input)).unwrap())
    });
    let response = br#"{"statusCode":201,"headers":{"Access-Control-Allow-Origin":"*","Content-Type":"application/json"},"body":"{\"RideId\":\"1a2b3c\",\"Unicorn\":{\"Name\":\"Shadowfax\",\"Color\":\"White\",\"Gender\":\"Male\"},\"Eta\":\"30 seconds\",\"Rider\":\"rider\"}","isBase64Encoded":false}"#;
    c.bench_function("lambda_proxy/response", |b| {
        b.iter(|| lambda_proxy::parse_response(black_box(response), false).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
