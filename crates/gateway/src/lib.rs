//! The Portcullis gateway: the request pipeline, integrations, gateway responses and listeners.
//!
//! [`Gateway`] is a deployment — the configuration compiled for the request path. [`server::serve`]
//! runs the edge and admin listeners around it. [`pipeline`] is the request path itself, one named
//! phase per module; read its module docs first.

pub mod admin;
mod auth;
mod body;
mod client;
pub mod clock;
mod deploy;
pub mod error;
pub mod pipeline;
mod responses;
pub mod server;
pub mod services;
pub mod tls;

pub use body::{Body, BoxError, MAX_PAYLOAD};
pub use deploy::{ApiRuntime, DeployError, Gateway};
pub use pipeline::ConnInfo;
