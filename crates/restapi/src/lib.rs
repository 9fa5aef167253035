//! The REST API model and its import from OpenAPI.
//!
//! An API is what API Gateway calls a REST API: resources (paths) with methods, each method with an
//! authorization type and an integration, plus API-wide gateway responses and a resource policy.
//! [`import`] turns an OpenAPI 3 document with API Gateway's `x-amazon-apigateway-*` extensions —
//! exactly what `aws apigateway get-export` writes — into an [`Api`], reporting every problem with
//! a JSON pointer.
//!
//! This crate is pure: it reads `serde_json::Value`s and never touches files or the network.
//! Loading files (and mapping pointers to line numbers) is the `config` crate's job.
// The request path must not panic: no `expect`, no `panic!`, no unchecked indexing.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod authorizer;
pub mod context;
pub mod import;
pub mod model;
pub mod render;
pub mod template;

pub use authorizer::*;
pub use context::ContextVar;
pub use import::{ImportError, ImportOptions, import, import_with};
pub use model::*;
pub use template::{Template, TemplateError};
