//! Lambda (`CUSTOM`) authorizers, the parts that do no I/O: the event API Gateway sends the
//! function ([`event`]), the answer it must give and how that answer is checked and compiled
//! ([`result`]), and the cache of answers by identity ([`cache`]). The pipeline's side — reading
//! the identity sources, invoking through the function host, turning outcomes into API Gateway's
//! refusals — is `pipeline/lambda_auth.rs`; the operator's view is `docs/lambda.md`.

pub mod cache;
pub mod event;
pub mod result;

pub use cache::{AuthorizerCache, CacheKey, Cached, cache_key};
pub use event::{RequestEvent, request_event, token_event};
pub use result::{Malformed, parse_result};
