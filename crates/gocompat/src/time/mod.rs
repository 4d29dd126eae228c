//! Go's `time.Duration.String` ([`format_duration`]) and `time.ParseDuration` ([`parse_duration`]); reference-layout
//! `time.Parse`, `ParseInLocation`, `Format`, `LoadLocation` and `AddDate` in [`layout`].

pub mod layout;

pub use layout::{date, format, load_location, parse, parse_in_location, Civil, Location, Time};

/// Go's `time.Duration(nanos).String()`: `1h30m0s`, `1.5s`, `500ms`, `1.5µs`, `7ns`, `0s`, `-1m0s`. Under a
/// second, one unit with a fraction; from a second up, seconds with their fraction, preceded by the minutes and
/// hours when there are any.
pub fn format_duration(nanos: i64) -> String {
    // Filled from the end; the longest text is "-2562047h47m16.854775808s" (25 bytes).
    let mut buf = [0u8; 32];
    let mut w = buf.len();
    let mut put = |bytes: &[u8]| {
        w -= bytes.len();
        buf[w..w + bytes.len()].copy_from_slice(bytes);
    };
    let mut u = nanos.unsigned_abs();
    if u == 0 {
        return "0s".to_string();
    }
    if u < 1_000_000_000 {
        let (unit, frac_digits): (&[u8], u32) = match u {
            1..=999 => (b"ns", 0),
            1_000..=999_999 => ("µs".as_bytes(), 3),
            _ => (b"ms", 6),
        };
        put(unit);
        u = put_fraction(&mut put, u, frac_digits);
        put_int(&mut put, u);
    } else {
        put(b"s");
        u = put_fraction(&mut put, u, 9);
        put_int(&mut put, u % 60);
        let minutes = u / 60;
        if minutes > 0 {
            put(b"m");
            put_int(&mut put, minutes % 60);
            let hours = minutes / 60;
            if hours > 0 {
                put(b"h");
                put_int(&mut put, hours);
            }
        }
    }
    if nanos < 0 {
        put(b"-");
    }
    // Only ASCII digits, units and `µ` were written.
    String::from_utf8_lossy(&buf[w..]).into_owned()
}

/// Go's `time.Duration.String` of a `std::time::Duration`; durations past Go's largest (about 292 years)
/// print as the largest.
pub fn format_std_duration(d: std::time::Duration) -> String {
    format_duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Writes `v mod 10^digits` as a fraction (`.5`, `.001`; nothing when it is zero) and returns the integer part.
fn put_fraction(put: &mut impl FnMut(&[u8]), v: u64, digits: u32) -> u64 {
    let div = 10u64.pow(digits);
    let mut frac = v % div;
    if frac != 0 {
        let mut printing = false;
        for _ in 0..digits {
            let digit = (frac % 10) as u8;
            frac /= 10;
            printing |= digit != 0;
            if printing {
                put(&[b'0' + digit]);
            }
        }
        put(b".");
    }
    v / div
}

fn put_int(put: &mut impl FnMut(&[u8]), mut v: u64) {
    loop {
        put(&[b'0' + (v % 10) as u8]);
        v /= 10;
        if v == 0 {
            break;
        }
    }
}

/// Go's `time.ParseDuration`, in nanoseconds: a sign, then one or more decimal numbers each with a unit (`ns`,
/// `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`), as in `1h30m` or `-1.5s`; `0` alone needs no unit. Errors are Go's
/// texts: `time: invalid duration "x"`, `time: missing unit in duration "1"`,
/// `time: unknown unit "d" in duration "1d"`.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    parse_duration_bytes(s.as_bytes())
}

/// [`parse_duration`] for a Go string holding any bytes.
pub fn parse_duration_bytes(s: &[u8]) -> Result<i64, String> {
    const MAX: u64 = 1 << 63;
    let invalid = || format!("time: invalid duration {}", time_quote(s));
    let (neg, mut rest) = match s.split_first() {
        Some((b'-', tail)) => (true, tail),
        Some((b'+', tail)) => (false, tail),
        _ => (false, s),
    };
    if rest == b"0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while let Some(&first) = rest.first() {
        if first != b'.' && !first.is_ascii_digit() {
            return Err(invalid());
        }
        // The integer part: past 2^63 it is an error at once, whatever follows.
        let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for &b in &rest[..int_len] {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .filter(|&v| v <= MAX)
                .ok_or_else(invalid)?;
        }
        rest = &rest[int_len..];
        // The fraction: digits that would take it past 2^63 are ignored.
        let (mut frac, mut scale, mut frac_len) = (0u64, 1f64, 0);
        if rest.first() == Some(&b'.') {
            rest = &rest[1..];
            frac_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            let mut full = false;
            for &b in &rest[..frac_len] {
                let next = frac
                    .checked_mul(10)
                    .and_then(|f| f.checked_add(u64::from(b - b'0')));
                match next {
                    Some(f) if !full && f <= MAX => {
                        frac = f;
                        scale *= 10.0;
                    }
                    _ => full = true,
                }
            }
            rest = &rest[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let unit_len = rest
            .iter()
            .take_while(|&&b| b != b'.' && !b.is_ascii_digit())
            .count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", time_quote(s)));
        }
        let (unit_text, tail) = rest.split_at(unit_len);
        rest = tail;
        let unit: u64 = match unit_text {
            b"ns" => 1,
            // U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU.
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    time_quote(unit_text),
                    time_quote(s)
                ))
            }
        };
        if v > MAX / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            // In float64, as Go computes it; at most an hour's nanoseconds, so no overflow here.
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > MAX {
                return Err(invalid());
            }
        }
        // Go adds in uint64, which wraps: two terms of 2^63 make 0.
        total = total.wrapping_add(v);
        if total > MAX {
            return Err(invalid());
        }
    }
    if neg {
        // 2^63 is allowed here and wraps to i64::MIN, as in Go.
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// How the `time` package quotes text in its errors (not `strconv.Quote`): `"` and `\` are escaped, and every
/// byte below U+0020 or of a non-ASCII character becomes `\xNN`; DEL is kept as it is.
fn time_quote(s: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7f => out.push(b as char),
            _ => {
                out.push_str("\\x");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xf)] as char);
            }
        }
    }
    out.push('"');
    out
}
