//! `/proc/<pid>/stat` (and `/proc/<pid>/task/<tid>/stat`, same layout).

use crate::num::{parse_i64_dec, parse_u64_dec};
use crate::ParseError;

/// The fields node_exporter's processes collector and client_golang's process collector read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat<'a> {
    pub comm: &'a str,
    pub state: &'a str,
    pub ppid: i64,
    pub num_threads: i64,
    /// CPU time in user and kernel mode, in clock ticks (USER_HZ, 1/100 s).
    pub utime: u64,
    pub stime: u64,
    /// When the process started, in clock ticks after boot.
    pub starttime: u64,
    /// Virtual memory size in bytes.
    pub vsize: u64,
    /// Resident set size in pages.
    pub rss: i64,
}

/// Signed (`i`) or unsigned (`u`) type of the 41 numbers after the state, as procfs declares
/// them: its `Fscan` fails on a value that does not fit, so we check every field as it does.
const FIELD_TYPES: &[u8; 41] = b"iiiiiuuuuuuuiiiiiiuuiuuuuuuuuuuuuuiuuuuui";
const PPID: usize = 0;
const UTIME: usize = 10;
const STIME: usize = 11;
const NUM_THREADS: usize = 16;
const STARTTIME: usize = 18;
const VSIZE: usize = 19;
const RSS: usize = 20;

/// Parses one stat file. The command name sits between the first `(` and the last `)`, since
/// it may itself contain parentheses and spaces.
pub fn parse_stat(text: &str) -> Result<ProcStat<'_>, ParseError> {
    let (Some(l), Some(r)) = (text.find('('), text.rfind(')')) else {
        return Err(ParseError::new(format!(
            "unexpected format, couldn't extract comm {text:?}"
        )));
    };
    if r < l || r + 2 > text.len() {
        return Err(ParseError::new(format!(
            "unexpected format, couldn't extract comm {text:?}"
        )));
    }
    let comm = &text[l + 1..r];
    let mut fields = text[r + 2..].split_ascii_whitespace();
    let state = fields
        .next()
        .ok_or_else(|| ParseError::new("unexpected EOF"))?;
    let mut out = ProcStat {
        comm,
        state,
        ppid: 0,
        num_threads: 0,
        utime: 0,
        stime: 0,
        starttime: 0,
        vsize: 0,
        rss: 0,
    };
    for (i, &kind) in FIELD_TYPES.iter().enumerate() {
        let field = fields
            .next()
            .ok_or_else(|| ParseError::new("unexpected EOF"))?;
        let value = match kind {
            b'i' => parse_i64_dec(field),
            _ => parse_u64_dec(field).map(|v| v as i64),
        }
        .ok_or_else(|| ParseError::new(format!("expected integer, got {field:?}")))?;
        match i {
            PPID => out.ppid = value,
            UTIME => out.utime = value as u64,
            STIME => out.stime = value as u64,
            NUM_THREADS => out.num_threads = value,
            STARTTIME => out.starttime = value as u64,
            VSIZE => out.vsize = value as u64,
            RSS => out.rss = value,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_state_and_threads() {
        let text = "1 (systemd) S 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 1 0 29 109604864 2507 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 0 0 0 19 0 0 0 0 0 0 0 0 0 0\n";
        let s = parse_stat(text).unwrap();
        assert_eq!(s.comm, "systemd");
        assert_eq!(s.state, "S");
        assert_eq!(s.ppid, 0);
        assert_eq!(s.num_threads, 1);
        assert_eq!((s.utime, s.stime), (36, 98));
        assert_eq!(s.starttime, 29);
        assert_eq!(s.vsize, 109604864);
        assert_eq!(s.rss, 2507);
    }

    #[test]
    fn comm_with_parentheses_and_spaces() {
        let text = "42 (a) b (c) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 7 0 1 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
        let s = parse_stat(text).unwrap();
        assert_eq!(s.comm, "a) b (c");
        assert_eq!(s.state, "R");
        assert_eq!(s.num_threads, 7);
    }

    #[test]
    fn truncated_or_malformed_fails() {
        assert!(parse_stat("1 (x) S 0 1\n").is_err());
        assert!(parse_stat("garbage").is_err());
        assert!(parse_stat("1 (x)").is_err());
    }
}
