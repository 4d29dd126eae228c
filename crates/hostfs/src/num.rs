//! Number parsing with Go's `strconv` rules, so the same inputs are accepted and rejected.

/// `strconv.ParseUint(s, 10, 64)`.
pub fn parse_u64_dec(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// `strconv.ParseInt(s, 10, 64)`: an optional sign, then decimal digits.
pub fn parse_i64_dec(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_u64_dec(digits)?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `strconv.ParseUint(s, 0, bits)`: base from the prefix (`0x`, `0o`, `0b`, or a leading `0`
/// for octal), underscores allowed only with a prefix, and the result must fit in `bits`.
pub fn parse_uint_base0(s: &str, bits: u32) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (base, digits, prefixed) = if b.len() >= 2 && b[0] == b'0' {
        match b[1].to_ascii_lowercase() {
            b'x' => (16, &b[2..], true),
            b'o' => (8, &b[2..], true),
            b'b' => (2, &b[2..], true),
            _ => (8, &b[1..], true),
        }
    } else {
        (10, b, false)
    };
    let mut n: u64 = 0;
    let mut seen_digit = b.len() == 1 || base == 8 && !b[1].is_ascii_alphabetic();
    for &c in digits {
        if c == b'_' && prefixed {
            continue;
        }
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' => c - b'a' + 10,
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        };
        if u32::from(d) >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
        seen_digit = true;
    }
    if !seen_digit {
        return None;
    }
    if bits < 64 && n >> bits != 0 {
        return None;
    }
    Some(n)
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms the kernel prints (Rust's parser accepts
/// the same decimal, `inf` and `nan` spellings).
pub fn parse_f64(s: &str) -> Option<f64> {
    if s.is_empty() || s.contains('_') {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_strconv_rules() {
        assert_eq!(parse_u64_dec("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64_dec("18446744073709551616"), None);
        assert_eq!(parse_u64_dec("+1"), None);
        assert_eq!(parse_u64_dec(""), None);
        assert_eq!(parse_i64_dec("-1"), Some(-1));
        assert_eq!(parse_i64_dec("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64_dec("9223372036854775808"), None);
        assert_eq!(parse_uint_base0("0x1f", 32), Some(31));
        assert_eq!(parse_uint_base0("010", 32), Some(8));
        assert_eq!(parse_uint_base0("0", 32), Some(0));
        assert_eq!(parse_uint_base0("4294967296", 32), None);
        assert_eq!(parse_uint_base0("0x", 32), None);
        assert_eq!(parse_uint_base0("09", 32), None);
        assert_eq!(parse_uint_base0("12", 64), Some(12));
        assert_eq!(parse_f64("799.998"), Some(799.998));
        assert_eq!(parse_f64("1_0"), None);
    }
}
