//! `serve --watch`: the scenario file is polled (its size and modification time, then a hash
//! of its content when they change) and reloaded when its content changes.
//!
//! Polling, not the `notify` crate: one `stat` every [`INTERVAL`] costs nothing, works the
//! same on every file system (bind mounts into Docker, network shares, editors that replace
//! the file rather than write it), and needs no dependency. A file caught half-written is a
//! broken scenario: the old world keeps serving, and the next poll sees the rest.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::app::App;

/// How often the file is looked at.
pub const INTERVAL: Duration = Duration::from_millis(250);

/// What a poll compares.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
    hash: [u8; 32],
}

fn look(path: &Path, last: Option<&Seen>) -> Option<Seen> {
    let meta = std::fs::metadata(path).ok()?;
    let (len, modified) = (meta.len(), meta.modified().ok());
    if let Some(l) = last
        && l.len == len
        && l.modified == modified
    {
        return Some(l.clone());
    }
    let text = std::fs::read(path).ok()?;
    use sha2::Digest;
    Some(Seen {
        len,
        modified,
        hash: sha2::Sha256::digest(&text).into(),
    })
}

/// Watches `path` until the runtime stops, reloading `app` when the file's content changes.
/// Reloads run on the blocking pool, never on a request's worker.
pub async fn run(app: Arc<App>, path: PathBuf) {
    let mut last = look(&path, None);
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let probe = path.clone();
        let previous = last.clone();
        let Ok(now) = tokio::task::spawn_blocking(move || look(&probe, previous.as_ref())).await else {
            continue;
        };
        let Some(now) = now else {
            // Gone for a moment (an editor replacing it): look again next time.
            continue;
        };
        let changed = last.as_ref().is_none_or(|l| l.hash != now.hash);
        last = Some(now);
        if changed {
            tracing::info!(target: "sfstub::reload", "{} changed: reloading", path.display());
            let app = app.clone();
            let _ = tokio::task::spawn_blocking(move || crate::live::reload(&app)).await;
        }
    }
}
