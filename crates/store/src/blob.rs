//! A blob store on the local disk: one file per key under a root directory.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use agentry_domain::log::BlobStore;
use agentry_domain::{Error, Result};
use async_trait::async_trait;
use tokio::io::AsyncWriteExt as _;

/// Stores each blob as a file; writes go to a temporary file that is synced and
/// renamed into place, so a crash never leaves a half-written blob under its key.
#[derive(Clone, Debug)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        let relative = Path::new(key);
        let plain = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if key.is_empty() || !plain {
            return Err(Error::validation(
                "key",
                "must be a relative path without '..'",
            ));
        }
        Ok(self.root.join(relative))
    }
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(Error::internal)?;
        }
        let temporary = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7()));
        let mut file = tokio::fs::File::create(&temporary)
            .await
            .map_err(Error::internal)?;
        file.write_all(&bytes).await.map_err(Error::internal)?;
        file.sync_all().await.map_err(Error::internal)?;
        drop(file);
        tokio::fs::rename(&temporary, &path)
            .await
            .map_err(Error::internal)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::internal(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(Error::internal(e)),
            _ => Ok(()),
        }
    }
}
