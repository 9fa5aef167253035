//! Whether the storage is there: for `/readyz` and the startup log.

use async_trait::async_trait;

use crate::StoreError;

#[async_trait]
pub trait Health: Send + Sync + 'static {
    /// Checks that the storage answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// A short description for logs, e.g. `sqlite:/path/portcullis.db`. Never holds a password.
    fn describe(&self) -> String;
}
