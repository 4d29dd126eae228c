//! Small state files written atomically beside the log (a reader's delivered position): write to a
//! temporary file, then rename over the old one, so a crash leaves either the old or the new content.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

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
