//! The PetStore example's backend: `GET /pets[?type=&page=]`, `POST /pets`, `GET /pets/{id}`.
//! Pets live in memory. Listens on the address given as the first argument (default
//! 127.0.0.1:9000).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
struct Pet {
    #[serde(default)]
    id: u64,
    #[serde(rename = "type")]
    kind: String,
    price: f64,
}

type Store = Arc<Mutex<Vec<Pet>>>;

const PAGE_SIZE: usize = 3;

fn json(status: StatusCode, value: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

async fn handle(store: Store, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let method = req.method().clone();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::GET, ["pets"]) => {
            let pets = store.lock().map(|p| p.clone()).unwrap_or_default();
            let kind = query_param(&query, "type");
            let page: usize = query_param(&query, "page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1)
                .max(1);
            let selected: Vec<Pet> = pets
                .into_iter()
                .filter(|p| kind.is_none_or(|k| p.kind.eq_ignore_ascii_case(k)))
                .skip((page - 1) * PAGE_SIZE)
                .take(PAGE_SIZE)
                .collect();
            json(StatusCode::OK, &serde_json::json!(selected))
        }
        (Method::POST, ["pets"]) => {
            let body = req.into_body().collect().await.map(|c| c.to_bytes());
            let Ok(mut pet) = body
                .ok()
                .and_then(|b| serde_json::from_slice::<Pet>(&b).ok())
                .ok_or(())
            else {
                return json(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({"message": "expected {\"type\": string, \"price\": number}"}),
                );
            };
            let Ok(mut pets) = store.lock() else {
                return json(StatusCode::INTERNAL_SERVER_ERROR, &serde_json::json!({}));
            };
            pet.id = pets.len() as u64 + 1;
            pets.push(pet.clone());
            json(
                StatusCode::OK,
                &serde_json::json!({"pet": pet, "message": "success"}),
            )
        }
        (Method::GET, ["pets", id]) => {
            let pet = id
                .parse::<u64>()
                .ok()
                .and_then(|id| store.lock().ok()?.iter().find(|p| p.id == id).cloned());
            match pet {
                Some(p) => json(StatusCode::OK, &serde_json::json!(p)),
                None => json(
                    StatusCode::NOT_FOUND,
                    &serde_json::json!({"message": "no such pet"}),
                ),
            }
        }
        _ => json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"message": "not found"}),
        ),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".to_string());
    let store: Store = Arc::new(Mutex::new(vec![
        Pet {
            id: 1,
            kind: "dog".into(),
            price: 249.99,
        },
        Pet {
            id: 2,
            kind: "cat".into(),
            price: 124.99,
        },
        Pet {
            id: 3,
            kind: "fish".into(),
            price: 0.99,
        },
    ]));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("petstore backend listening on http://{addr}");
    loop {
        let (stream, _) = listener.accept().await?;
        let store = store.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let store = store.clone();
                async move { Ok::<_, Infallible>(handle(store, req).await) }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
