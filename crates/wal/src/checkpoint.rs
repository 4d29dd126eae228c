//! Small state files written atomically beside the log (a reader's delivered position): write to a
//! temporary file, then rename over the old one, so a crash leaves either the old or the new content.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::thread::WalThread;
use crate::Position;

/// Saves `pos` to `path`. With `durable`, the data and the directory are fsynced (survives power loss);
/// without, it survives a killed process, which is what matters between two syncs of the log itself.
pub fn save_position(path: &Path, pos: Position, durable: bool) -> io::Result<()> {
    let body = format!("{} {}", pos.segment, pos.offset);
    let crc = crc32fast::hash(body.as_bytes());
    let tmp = path.with_extension("tmp");
    {
        let mut f = fs::File::create(&tmp)?;
        writeln!(f, "{body} {crc:08x}")?;
        if durable {
            f.sync_all()?;
        }
    }
    fs::rename(&tmp, path)?;
    if durable {
        if let Some(dir) = path.parent() {
            fs::File::open(dir)?.sync_all()?;
        }
    }
    Ok(())
}

/// Loads a position saved by [`save_position`]; `Ok(None)` when there is no file, an error when its content
/// is damaged.
pub fn load_position(path: &Path) -> io::Result<Option<Position>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is damaged", path.display()),
        )
    };
    let mut parts = text.split_whitespace();
    let (seg, off, crc) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let body = format!("{seg} {off}");
    if format!("{:08x}", crc32fast::hash(body.as_bytes())) != crc {
        return Err(bad());
    }
    Ok(Some(Position::new(
        seg.parse().map_err(|_| bad())?,
        off.parse().map_err(|_| bad())?,
    )))
}

/// What a [`PositionSaver`] is told of each save: the file and the outcome.
pub type SaveReport = dyn Fn(&Path, io::Result<()>) + Send + Sync;

/// Saves a reader's delivered position on the WAL's thread, in order with the appends. Positions move
/// often; at most one save waits in the thread's queue, and it writes the newest position when it runs.
/// Each save's outcome goes to `report` (on the WAL's thread), which keeps health in step with it.
pub struct PositionSaver {
    thread: WalThread,
    path: PathBuf,
    report: Arc<SaveReport>,
    newest: Arc<Mutex<Option<Position>>>,
}

impl PositionSaver {
    pub fn new(
        thread: WalThread,
        path: PathBuf,
        report: impl Fn(&Path, io::Result<()>) + Send + Sync + 'static,
    ) -> PositionSaver {
        PositionSaver {
            thread,
            path,
            report: Arc::new(report),
            newest: Arc::new(Mutex::new(None)),
        }
    }

    /// Saves `position` soon (not synced: the final save of a stop is the durable one).
    pub fn save(&self, position: Position) {
        let queued = self
            .newest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(position)
            .is_some();
        if queued {
            return;
        }
        let (newest, path, report) = (self.newest.clone(), self.path.clone(), self.report.clone());
        let submitted = self.thread.submit(move |_| {
            let position = newest.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(p) = position {
                report(&path, save_position(&path, p, false));
            }
        });
        if submitted.is_err() {
            // The thread is gone or its queue full: the next move (or the final durable save) saves it.
            self.newest.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage_detection() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pos");
        assert_eq!(load_position(&p).unwrap(), None);
        save_position(&p, Position::new(3, 4096), true).unwrap();
        assert_eq!(load_position(&p).unwrap(), Some(Position::new(3, 4096)));
        save_position(&p, Position::new(4, 8), false).unwrap();
        assert_eq!(load_position(&p).unwrap(), Some(Position::new(4, 8)));
        let text = fs::read_to_string(&p).unwrap().replace("4 8", "4 9");
        fs::write(&p, text).unwrap();
        assert!(load_position(&p).is_err());
    }
}
