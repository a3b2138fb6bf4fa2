//! A binary's revision (its build id), promoted builds kept by revision, and
//! the `process.started` every process of the engine records.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use agentry_domain::id::EventId;
use agentry_domain::operations::{ProcessEvent, ProcessLog, ProcessStarted};
use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

/// The first 16 hex digits of the file's SHA-256: the same build gives the
/// same revision wherever it is copied.
pub(crate) async fn revision_of(path: &Path) -> anyhow::Result<String> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)
            .with_context(|| format!("reading the build {}", path.display()))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0; 1 << 16];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        let digest = hasher.finalize();
        anyhow::Ok(hex::encode(&digest[..8]))
    })
    .await?
}

/// Where a promoted revision's build is kept.
pub(crate) fn kept(builds: &Path, revision: &str) -> PathBuf {
    builds.join(revision)
}

/// Keeps `binary` as `revision`'s build, unless it is kept already; written
/// aside and renamed, so a crash never leaves half a build under its name.
pub(crate) async fn keep(builds: &Path, revision: &str, binary: &Path) -> anyhow::Result<()> {
    let target = kept(builds, revision);
    if tokio::fs::try_exists(&target).await? {
        return Ok(());
    }
    tokio::fs::create_dir_all(builds).await?;
    let partial = builds.join(format!(".{revision}.partial"));
    tokio::fs::copy(binary, &partial)
        .await
        .with_context(|| format!("copying {} into {}", binary.display(), builds.display()))?;
    tokio::fs::rename(&partial, &target).await?;
    Ok(())
}

/// Records this process's start as `role` under `parent`; the event's id.
pub(crate) async fn record_start(
    log: &ProcessLog,
    role: &str,
    parent: Option<EventId>,
) -> anyhow::Result<EventId> {
    let binary = std::env::current_exe().context("finding this binary")?;
    let started = ProcessStarted {
        role: role.to_owned(),
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        revision: revision_of(&binary).await?,
    };
    log.record(parent, ProcessEvent::ProcessStarted(started))
        .await
        .context("recording process.started")
}
