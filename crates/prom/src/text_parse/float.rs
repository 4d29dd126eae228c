//! Number parsing and formatting with Go's `strconv` semantics, because the
//! error text and the accepted spellings are part of what a scrape reports.

/// Prometheus canonicalises every parsed NaN to this bit pattern
/// (`value.NormalNaN`), so the stale marker can never come from a scrape.
pub const NORMAL_NAN: u64 = 0x7ff8_0000_0000_0001;

/// Why a float failed to parse; rendered as Go does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatError {
    /// Prometheus rejects `p`, `P` and `_` before calling `ParseFloat`, to keep
    /// to pre-Go-1.13 spellings (no hex floats, no digit separators).
    Unsupported,
    Syntax,
    Range,
}

impl FloatError {
    /// The text Go's error would print for input `s`.
    pub fn message(self, s: &[u8]) -> String {
        match self {
            FloatError::Unsupported => "unsupported character in float".to_string(),
            FloatError::Syntax => format!(
                "strconv.ParseFloat: parsing {}: invalid syntax",
                super::go_quote(s)
            ),
            FloatError::Range => format!(
                "strconv.ParseFloat: parsing {}: value out of range",
                super::go_quote(s)
            ),
        }
    }
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses a sample value as Prometheus' `parseFloat` does: Go's
/// `strconv.ParseFloat(s, 64)` after rejecting `p`, `P` and `_`. NaN is
/// canonicalised to [`NORMAL_NAN`].
#[inline]
pub fn parse_prom_float(s: &[u8]) -> Result<f64, FloatError> {
    match fast_decimal(s) {
        Decimal::Exact(v) => return Ok(v),
        Decimal::Plain => {
            // Only digits, one '.', an exponent: a spelling Rust's and Go's grammars both
            // accept with the same value (both round correctly), so Rust's parser finishes it.
            // SAFETY: `fast_decimal` saw only ASCII bytes.
            let text = unsafe { std::str::from_utf8_unchecked(s) };
            let v: f64 = text.parse().map_err(|_| FloatError::Syntax)?;
            return if v.is_infinite() {
                Err(FloatError::Range)
            } else {
                Ok(v)
            };
        }
        Decimal::Other => {}
    }
    if s.iter().any(|&c| matches!(c, b'p' | b'P' | b'_')) {
        return Err(FloatError::Unsupported);
    }
    let v = go_parse_float(s)?;
    Ok(if v.is_nan() {
        f64::from_bits(NORMAL_NAN)
    } else {
        v
    })
}

/// What [`fast_decimal`] made of a value.
enum Decimal {
    /// Done, correctly rounded.
    Exact(f64),
    /// A plain decimal (`[+-]digits[.digits][e[+-]digits]`) it could not round by itself.
    Plain,
    /// Anything else: special spellings, underscores, hex, junk.
    Other,
}

/// The value of eight ASCII digits, or `None` if any of the eight bytes is not a digit.
#[inline]
fn eight_digits(s: &[u8], i: usize) -> Option<u64> {
    let chunk = u64::from_le_bytes(s.get(i..i + 8)?.try_into().ok()?);
    // Each byte: high nibble 3, and adding 6 keeps it there (so the low nibble is 0..9).
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let digits = (chunk & HIGH) | ((chunk.wrapping_add(0x0606_0606_0606_0606) & HIGH) >> 4);
    if digits != 0x3333_3333_3333_3333 {
        return None;
    }
    // Combine neighbours pairwise: bytes into 2-digit, then 4-digit, then the 8-digit value.
    let v = chunk & 0x0F0F_0F0F_0F0F_0F0F;
    let v = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    Some(v.wrapping_mul(10_000 << 32 | 1) >> 32)
}

/// Reads a run of digits into `mant`; returns how many there were.
#[inline]
fn digit_run(s: &[u8], i: &mut usize, mant: &mut u64) -> u32 {
    let start = *i;
    while let Some(v) = eight_digits(s, *i) {
        *mant = mant.wrapping_mul(100_000_000).wrapping_add(v);
        *i += 8;
    }
    while *i < s.len() && s[*i].is_ascii_digit() {
        *mant = mant.wrapping_mul(10).wrapping_add((s[*i] - b'0') as u64);
        *i += 1;
    }
    (*i - start) as u32
}

/// Clinger's fast path: when the decimal mantissa fits in 53 bits and the
/// power of ten is at most 22, one IEEE multiply or divide of two exact values
/// is correctly rounded. Covers nearly every value real exporters print.
#[inline]
fn fast_decimal(s: &[u8]) -> Decimal {
    let (neg, mut i) = match s.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        Some(_) => (false, 0),
        None => return Decimal::Other,
    };
    let mut mant: u64 = 0;
    let mut digits = digit_run(s, &mut i, &mut mant);
    let mut frac = 0i32;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let n = digit_run(s, &mut i, &mut mant);
        frac = n as i32;
        digits += n;
    }
    if digits == 0 {
        return Decimal::Other;
    }
    let mut exp: i32 = 0;
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        let eneg = match s.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            // Saturates: beyond this the value is 0 or infinite either way.
            exp = (exp * 10 + (s[i] - b'0') as i32).min(100_000);
            i += 1;
        }
        if i == start {
            return Decimal::Other;
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != s.len() {
        return Decimal::Other;
    }
    // Up to 19 digits (leading zeros included) cannot overflow the u64; the mantissa must then
    // be exact in an f64 (at most 2^53) for one correctly rounded operation.
    if digits > 19 || mant > 1 << 53 {
        return Decimal::Plain;
    }
    let e = exp - frac;
    let m = mant as f64;
    let v = if mant == 0 {
        0.0
    } else if (0..=22).contains(&e) {
        m * POW10[e as usize]
    } else if (-22..0).contains(&e) {
        m / POW10[(-e) as usize]
    } else {
        return Decimal::Plain;
    };
    Decimal::Exact(if neg { -v } else { v })
}

/// Go `strconv.ParseFloat(s, 64)` for base-10 and special spellings (hex
/// floats are excluded by the caller). Rust's parser is correctly rounded like
/// Go's, but differs on what it accepts and on overflow, handled here.
pub fn go_parse_float(s: &[u8]) -> Result<f64, FloatError> {
    if let Some(v) = go_special(s) {
        return Ok(v);
    }
    // Validate Go's decimal grammar first: Rust accepts spellings Go rejects
    // (e.g. "+nan", "infinity" handled above, "1." is fine in both).
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let mut mant_digits = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
        mant_digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
            mant_digits += 1;
        }
    }
    if mant_digits == 0 {
        return Err(FloatError::Syntax);
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(FloatError::Syntax);
        }
    }
    if i != s.len() {
        return Err(FloatError::Syntax);
    }
    // The grammar check above guarantees ASCII.
    let text = std::str::from_utf8(s).map_err(|_| FloatError::Syntax)?;
    let v: f64 = text.parse().map_err(|_| FloatError::Syntax)?;
    if v.is_infinite() {
        return Err(FloatError::Range);
    }
    Ok(v)
}

/// Go's `special()`: optional sign with "inf"/"infinity", or unsigned "nan",
/// all case-insensitive and required to span the whole input.
fn go_special(s: &[u8]) -> Option<f64> {
    let (neg, rest) = match s.first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if rest.len() == s.len() && s.eq_ignore_ascii_case(b"nan") {
        return Some(f64::NAN);
    }
    None
}

/// Go `strconv.ParseInt(s, 10, 64)`; the lexer has already ensured digits.
pub fn parse_go_int(s: &[u8]) -> Result<i64, String> {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    if i == s.len() {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            super::go_quote(s)
        ));
    }
    let mut v: i64 = 0;
    for &c in &s[i..] {
        if !c.is_ascii_digit() {
            return Err(format!(
                "strconv.ParseInt: parsing {}: invalid syntax",
                super::go_quote(s)
            ));
        }
        let d = (c - b'0') as i64;
        v = match v.checked_mul(10).and_then(|v| {
            if neg {
                v.checked_sub(d)
            } else {
                v.checked_add(d)
            }
        }) {
            Some(v) => v,
            None => {
                return Err(format!(
                    "strconv.ParseInt: parsing {}: value out of range",
                    super::go_quote(s)
                ))
            }
        };
    }
    Ok(v)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, appended to a `String` without allocating.
pub use ingot_gocompat::strconv::push_float_g as write_go_float_g;

/// Prometheus' `labels.FormatOpenMetricsFloat`: Go `'g'` formatting with a
/// `.0` added to integral values, used to normalise `le` and `quantile`.
pub fn write_openmetrics_float(out: &mut String, f: f64) {
    let start = out.len();
    write_go_float_g(out, f);
    let s = &out[start..];
    if f.is_finite() && !s.contains(['e', '.']) {
        out.push_str(".0");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_float() {
        let f = |x: f64| {
            let mut s = String::new();
            write_openmetrics_float(&mut s, x);
            s
        };
        assert_eq!(f(1.0), "1.0");
        assert_eq!(f(0.0), "0.0");
        assert_eq!(f(-1.0), "-1.0");
        assert_eq!(f(10.0), "10.0");
        assert_eq!(f(0.005), "0.005");
        assert_eq!(f(2.5e6), "2.5e+06");
        assert_eq!(f(f64::INFINITY), "+Inf");
        assert_eq!(f(f64::NEG_INFINITY), "-Inf");
        assert_eq!(f(f64::NAN), "NaN");
    }

    #[test]
    fn go_parse_float_spellings() {
        let ok = |s: &str| parse_prom_float(s.as_bytes()).unwrap();
        assert_eq!(ok("1"), 1.0);
        assert_eq!(ok("-0"), 0.0);
        assert!(ok("-0").is_sign_negative());
        assert_eq!(ok(".5"), 0.5);
        assert_eq!(ok("5."), 5.0);
        assert_eq!(ok("1e3"), 1000.0);
        assert_eq!(ok("1E+3"), 1000.0);
        assert_eq!(ok("+Inf"), f64::INFINITY);
        assert_eq!(ok("-inf"), f64::NEG_INFINITY);
        assert_eq!(ok("Inf"), f64::INFINITY);
        assert_eq!(ok("infinity"), f64::INFINITY);
        assert_eq!(ok("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(ok("NaN").to_bits(), NORMAL_NAN);
        assert_eq!(ok("nan").to_bits(), NORMAL_NAN);
        assert_eq!(ok("7.424100000000001e-05"), 7.424100000000001e-05);
        assert_eq!(ok("1e-400"), 0.0);
        assert_eq!(ok("123456789012345678901234567890"), 1.2345678901234568e29);
        assert_eq!(ok("0.1"), 0.1);
        assert_eq!(ok("3.0000000000000004"), 3.0000000000000004);
        let err = |s: &str| parse_prom_float(s.as_bytes()).unwrap_err();
        assert_eq!(err("+nan"), FloatError::Syntax);
        assert_eq!(err("infin"), FloatError::Syntax);
        assert_eq!(err("1e"), FloatError::Syntax);
        assert_eq!(err("."), FloatError::Syntax);
        assert_eq!(err(""), FloatError::Syntax);
        assert_eq!(err("0x10"), FloatError::Syntax);
        assert_eq!(err("1_0"), FloatError::Unsupported);
        assert_eq!(err("0x1p-3"), FloatError::Unsupported);
        assert_eq!(err("1e400"), FloatError::Range);
        assert_eq!(err("-1e400"), FloatError::Range);
        assert_eq!(err("StaleNaN"), FloatError::Syntax);
        assert_eq!(
            err("true").message(b"true"),
            r#"strconv.ParseFloat: parsing "true": invalid syntax"#
        );
    }

    #[test]
    fn fast_path_agrees_with_std() {
        for s in [
            "0.005",
            "12345.678",
            "-1.5e-7",
            "900719925474099",
            "1e22",
            "1e-22",
            "0.000001",
            "42",
            "100000000000000",
            "12345678.87654321",
            "+00000000.5",
            "1.",
            ".5",
        ] {
            match fast_decimal(s.as_bytes()) {
                Decimal::Exact(v) => {
                    assert_eq!(v.to_bits(), s.parse::<f64>().unwrap().to_bits(), "{s}")
                }
                _ => panic!("{s}: not taken by the fast path"),
            }
        }
        // Too many significant digits, or a power of ten too large for one exact operation:
        // deferred; not a decimal at all: left to Go's grammar.
        for s in [
            "12345678901234567",
            "142857.14285714287",
            "1e23",
            "1e-400",
            "1e99999999",
        ] {
            assert!(matches!(fast_decimal(s.as_bytes()), Decimal::Plain), "{s}");
        }
        for s in [
            "", "-", ".", "e5", "1e", "1e+", "1.5.5", "0x10", "Inf", "1_000", "1 ", "١",
        ] {
            assert!(
                matches!(fast_decimal(s.as_bytes()), Decimal::Other),
                "{s:?}"
            );
        }
    }

    /// The eight-digit step against the digit-by-digit value, over every byte position of
    /// digit runs and with a non-digit in each place.
    #[test]
    fn eight_digits_matches_bytewise() {
        let text = b"0123456789987654321000000000999999991";
        for i in 0..=text.len() - 8 {
            let want = text[i..i + 8]
                .iter()
                .fold(0u64, |acc, &c| acc * 10 + (c - b'0') as u64);
            assert_eq!(eight_digits(text, i), Some(want));
        }
        for bad in [b'/', b':', b'.', b'e', b' ', 0xB0, 0x39 + 0x80] {
            for k in 0..8 {
                let mut chunk = *b"12345678";
                chunk[k] = bad;
                assert_eq!(eight_digits(&chunk, 0), None, "{bad:#x} at {k}");
            }
        }
        assert_eq!(eight_digits(b"1234567", 0), None);
    }

    /// Values near the fast path's limits agree with Rust's parser bit for bit.
    #[test]
    fn prom_float_agrees_with_std_on_decimals() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x >> 2);
            if !v.is_finite() {
                continue;
            }
            for s in [
                format!("{v}"),
                format!("{v:e}"),
                format!("{:.3}", v.fract() * 1e6),
            ] {
                let got = parse_prom_float(s.as_bytes()).unwrap();
                assert_eq!(got.to_bits(), s.parse::<f64>().unwrap().to_bits(), "{s}");
            }
        }
    }

    #[test]
    fn parse_int() {
        assert_eq!(parse_go_int(b"123").unwrap(), 123);
        assert_eq!(
            parse_go_int(b"99999999999999999999").unwrap_err(),
            r#"strconv.ParseInt: parsing "99999999999999999999": value out of range"#
        );
        assert_eq!(parse_go_int(b"-9223372036854775808").unwrap(), i64::MIN);
    }
}
