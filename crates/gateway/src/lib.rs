//! The Portcullis gateway: the request pipeline, integrations, gateway responses and listeners.
//!
//! [`Services`] is what lives as long as the process (storage, clock, metrics, the backend pool)
//! around the current [`Deployment`] — the configuration compiled for the request path, replaced
//! whole on reload. [`server::serve`] runs the edge and admin listeners around them. [`pipeline`]
//! is the request path itself, one named phase per module; read its module docs first. [`aws`]
//! dispatches AWS protocol requests (STS, and the services that follow) on the same endpoint.
// The request path must not panic: no `expect`, no `panic!`, no unchecked indexing.
#![cfg_attr(
    not(test),
    deny(clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod admin;
mod admission;
mod auth;
pub mod aws;
mod body;
pub mod cache;
mod client;
pub mod clock;
mod deploy;
pub mod error;
mod jwks;
pub mod lambda_authorizer;
pub mod lambda_proxy;
pub mod pipeline;
mod responses;
pub mod server;
mod services;
pub mod site;
pub mod tls;
pub mod usage;
mod workers;

pub use body::{Body, BoxError, MAX_PAYLOAD};
pub use deploy::{ApiRuntime, DeployError, Deployment};
pub use pipeline::ConnInfo;
pub use services::{ReloadError, Services};
