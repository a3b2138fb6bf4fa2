//! The local-disk blob store.

use agentry_domain::log::BlobStore as _;
use agentry_store::LocalBlobStore;

#[tokio::test]
async fn a_blob_round_trips_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = LocalBlobStore::new(dir.path());
    blobs.put("p/one", b"bytes".to_vec()).await.unwrap();
    assert_eq!(
        blobs.get("p/one").await.unwrap().as_deref(),
        Some(&b"bytes"[..])
    );
    blobs.delete("p/one").await.unwrap();
    assert_eq!(blobs.get("p/one").await.unwrap(), None);
    blobs.delete("p/one").await.unwrap();
}

#[tokio::test]
async fn a_key_cannot_escape_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = LocalBlobStore::new(dir.path().join("root"));
    for key in ["../escape", "/etc/passwd", "", "a/../../b"] {
        assert!(blobs.put(key, vec![1]).await.is_err(), "{key:?}");
    }
}
