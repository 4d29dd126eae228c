//! `adjtimex(2)`: the kernel's clock discipline state, read without changing it.

use std::io;

/// The fields node_exporter's `timex` collector reports, as the kernel returns them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timex {
    /// The call's result: the clock state (`TIME_ERROR` = 5 when unsynchronised).
    pub state: i32,
    pub offset: i64,
    pub freq: i64,
    pub maxerror: i64,
    pub esterror: i64,
    pub status: i32,
    pub constant: i64,
    pub tick: i64,
    pub ppsfreq: i64,
    pub jitter: i64,
    pub shift: i32,
    pub stabil: i64,
    pub jitcnt: i64,
    pub calcnt: i64,
    pub errcnt: i64,
    pub stbcnt: i64,
    pub tai: i32,
}

/// `STA_NANO`: offsets and jitter are in nanoseconds rather than microseconds.
pub const STA_NANO: i32 = 0x2000;
/// The state `adjtimex` returns when the clock is not synchronised.
pub const TIME_ERROR: i32 = 5;

/// Reads the clock state (`modes` 0: nothing is set).
pub fn adjtimex() -> io::Result<Timex> {
    // SAFETY: timex is plain old data, for which all-zero bytes are a valid value (modes 0 = read).
    let mut t: libc::timex = unsafe { std::mem::zeroed() };
    // SAFETY: adjtimex reads `modes` (0) and writes into the struct we own.
    let state = unsafe { libc::adjtimex(&mut t) };
    if state < 0 {
        return Err(io::Error::last_os_error());
    }
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    Ok(Timex {
        state,
        offset: t.offset as i64,
        freq: t.freq as i64,
        maxerror: t.maxerror as i64,
        esterror: t.esterror as i64,
        status: t.status as i32,
        constant: t.constant as i64,
        tick: t.tick as i64,
        ppsfreq: t.ppsfreq as i64,
        jitter: t.jitter as i64,
        shift: t.shift as i32,
        stabil: t.stabil as i64,
        jitcnt: t.jitcnt as i64,
        calcnt: t.calcnt as i64,
        errcnt: t.errcnt as i64,
        stbcnt: t.stbcnt as i64,
        tai: t.tai as i32,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_clock_state() {
        let t = super::adjtimex().unwrap();
        // The kernel's tick is 1e6 / HZ microseconds, HZ between 24 and 1200.
        assert!((800..=41_667).contains(&t.tick), "{t:?}");
        assert!((0..=5).contains(&t.state), "{t:?}");
    }
}
