//! Cursors, as `sd_journal_get_cursor` prints them and `sd_journal_seek_cursor` reads them:
//! `s=<seqnum id>;i=<seqnum>;b=<boot id>;m=<monotonic>;t=<realtime>;x=<xor hash>` (ids as 32 hex
//! digits, numbers in lowercase hex). A cursor names an entry by where it sits, not by which file holds
//! it, so it stays valid across rotation and names the same entry in every copy of it.
//!
//! The order of entries is systemd's: entries from the same sequence-number source compare by seqnum,
//! else entries of the same boot by their monotonic clock, else by wall clock, and last by the XOR of
//! their fields' hashes. That is not a total order across sources; [`compare_entries`] and
//! [`compare_with`] follow the two comparisons `sd_journal_next` makes, so that files interleave as
//! journalctl interleaves them.

use std::cmp::Ordering;
use std::fmt;

use crate::format::Id128;

/// Where an entry sits: what a cursor holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Position {
    pub seqnum_id: Id128,
    pub seqnum: u64,
    pub boot_id: Id128,
    pub monotonic: u64,
    pub realtime: u64,
    pub xor_hash: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "s={};i={:x};b={};m={:x};t={:x};x={:x}",
            self.seqnum_id, self.seqnum, self.boot_id, self.monotonic, self.realtime, self.xor_hash
        )
    }
}

/// A parsed cursor: any field may be missing, as `sd_journal_seek_cursor` allows, as long as the
/// entry can be placed (seqnum with its source, monotonic time with its boot, or wall-clock time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub seqnum_id: Option<Id128>,
    pub seqnum: Option<u64>,
    pub boot_id: Option<Id128>,
    pub monotonic: Option<u64>,
    pub realtime: Option<u64>,
    pub xor_hash: Option<u64>,
}

/// `sscanf("%llx")` for what systemd itself writes: hex digits, an optional `0x`.
fn hex(s: &str) -> Option<u64> {
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

impl Cursor {
    /// Reads a cursor; `Err` says why it is not one (unknown keys are skipped, as systemd skips them).
    pub fn parse(text: &str) -> Result<Cursor, String> {
        let mut c = Cursor::default();
        let bad = |what: &str| format!("invalid journal cursor {text:?}: {what}");
        for word in text.split(';') {
            let b = word.as_bytes();
            if b.len() < 2 || b[1] != b'=' {
                return Err(bad(&format!("{word:?} is not a key=value item")));
            }
            let v = &word[2..];
            match b[0] {
                b's' => c.seqnum_id = Some(Id128::parse(v).ok_or_else(|| bad("bad s="))?),
                b'i' => c.seqnum = Some(hex(v).ok_or_else(|| bad("bad i="))?),
                b'b' => c.boot_id = Some(Id128::parse(v).ok_or_else(|| bad("bad b="))?),
                b'm' => c.monotonic = Some(hex(v).ok_or_else(|| bad("bad m="))?),
                b't' => c.realtime = Some(hex(v).ok_or_else(|| bad("bad t="))?),
                b'x' => c.xor_hash = Some(hex(v).ok_or_else(|| bad("bad x="))?),
                _ => {}
            }
        }
        let placed = (c.seqnum_id.is_some() && c.seqnum.is_some())
            || (c.boot_id.is_some() && c.monotonic.is_some())
            || c.realtime.is_some();
        if !placed {
            return Err(bad("it names no seqnum, monotonic or wall-clock time"));
        }
        Ok(c)
    }

    pub fn of(p: &Position) -> Cursor {
        Cursor {
            seqnum_id: Some(p.seqnum_id),
            seqnum: Some(p.seqnum),
            boot_id: Some(p.boot_id),
            monotonic: Some(p.monotonic),
            realtime: Some(p.realtime),
            xor_hash: Some(p.xor_hash),
        }
    }

    /// Whether `p` is the entry this cursor names.
    pub fn names(&self, p: &Position) -> bool {
        self.seqnum_id == Some(p.seqnum_id)
            && self.seqnum == Some(p.seqnum)
            && self.boot_id == Some(p.boot_id)
            && self.monotonic == Some(p.monotonic)
            && self.realtime == Some(p.realtime)
            && self.xor_hash == Some(p.xor_hash)
    }
}

/// `journal_file_compare_locations`: which of two files' current entries comes first.
pub fn compare_entries(a: &Position, b: &Position) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if a.seqnum_id == b.seqnum_id {
        match a.seqnum.cmp(&b.seqnum) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    if a.boot_id == b.boot_id {
        match a.monotonic.cmp(&b.monotonic) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match a.realtime.cmp(&b.realtime) {
        Ordering::Equal => a.xor_hash.cmp(&b.xor_hash),
        o => o,
    }
}

/// `compare_with_location`: an entry against where reading stands. `Equal` means the same entry (in
/// the same file or a copy of it in another), which is not read again.
pub fn compare_with(p: &Position, at: &Cursor) -> Ordering {
    if Some(p.seqnum_id) == at.seqnum_id {
        if let Some(s) = at.seqnum {
            match p.seqnum.cmp(&s) {
                Ordering::Equal => {}
                o => return o,
            }
        }
    }
    if Some(p.boot_id) == at.boot_id {
        if let Some(m) = at.monotonic {
            match p.monotonic.cmp(&m) {
                Ordering::Equal => {}
                o => return o,
            }
        }
    }
    if let Some(t) = at.realtime {
        match p.realtime.cmp(&t) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    if let Some(x) = at.xor_hash {
        return p.xor_hash.cmp(&x);
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos() -> Position {
        Position {
            seqnum_id: Id128::parse("1280c035e4d04dccb146d6aa4ca02c4c").unwrap(),
            seqnum: 1,
            boot_id: Id128::parse("0123456789abcdef0123456789abcdef").unwrap(),
            monotonic: 0x3e8,
            realtime: 0x60a24181e4000,
            xor_hash: 0xe0076bd5ca77c1bd,
        }
    }

    #[test]
    fn prints_and_reads_systemds_form() {
        let p = pos();
        let text = "s=1280c035e4d04dccb146d6aa4ca02c4c;i=1;b=0123456789abcdef0123456789abcdef;m=3e8;t=60a24181e4000;x=e0076bd5ca77c1bd";
        assert_eq!(p.to_string(), text);
        let c = Cursor::parse(text).unwrap();
        assert!(c.names(&p));
        assert_eq!(c, Cursor::of(&p));
        assert_eq!(compare_with(&p, &c), Ordering::Equal);
        // Partial cursors place an entry by what they have.
        let t = Cursor::parse("t=60a24181e4000").unwrap();
        assert_eq!(t.realtime, Some(0x60a24181e4000));
        assert!(Cursor::parse("i=5").is_err());
        assert!(Cursor::parse("").is_err());
        assert!(Cursor::parse("s=12;i=1").is_err());
        assert!(Cursor::parse("t=zz").is_err());
        // An unknown key is skipped.
        assert!(Cursor::parse("t=1;q=what").is_ok());
    }

    #[test]
    fn order_follows_seqnum_then_boot_then_wall_clock() {
        let a = pos();
        let mut b = a;
        b.seqnum = 2;
        b.realtime -= 10; // same source: seqnum wins over the clock
        assert_eq!(compare_entries(&a, &b), Ordering::Less);
        b.seqnum_id = Id128([9; 16]); // another source, same boot: monotonic
        b.monotonic += 1;
        assert_eq!(compare_entries(&a, &b), Ordering::Less);
        b.boot_id = Id128([7; 16]); // another boot: wall clock
        assert_eq!(compare_entries(&a, &b), Ordering::Greater);
        assert_eq!(compare_entries(&a, &a), Ordering::Equal);
    }
}
