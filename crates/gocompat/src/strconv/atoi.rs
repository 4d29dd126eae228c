//! Go's `strconv.ParseInt(s, 10, 64)`, `strconv.Atoi` and `strconv.ParseFloat(s, 64)`, with Go's error texts.

/// `strconv.ParseInt(s, 10, 64)`: an optional sign and decimal digits (no underscores, no base prefix).
/// Errors are Go's: `strconv.ParseInt: parsing "x": invalid syntax` and `... value out of range`.
pub fn parse_int(s: &str) -> Result<i64, String> {
    let err = |what: &str| format!("strconv.ParseInt: parsing {}: {what}", super::quote(s));
    let bytes = s.as_bytes();
    let (neg, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return Err(err("invalid syntax"));
    }
    // Go stops at the first digit that overflows: what follows it is not looked at.
    let mut n: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(err("invalid syntax"));
        }
        match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
        {
            Some(v) => n = v,
            None => return Err(err("value out of range")),
        }
    }
    let limit = if neg { 1u64 << 63 } else { (1u64 << 63) - 1 };
    if n > limit {
        return Err(err("value out of range"));
    }
    Ok(if neg {
        (n as i64).wrapping_neg()
    } else {
        n as i64
    })
}

/// `strconv.Atoi`: [`parse_int`] with Atoi's name in the error.
pub fn atoi(s: &str) -> Result<i64, String> {
    parse_int(s).map_err(|e| e.replacen("strconv.ParseInt", "strconv.Atoi", 1))
}

/// `strconv.ParseFloat(s, 64)` for decimal numbers, `Inf`/`Infinity`/`NaN` in any case with an optional sign,
/// and hexadecimal floats (`0x1p-2`); underscores between digits, as Go allows them. A value too large for a
/// float64 is Go's range error (Go returns ±Inf with it).
pub fn parse_float(s: &str) -> Result<f64, String> {
    let err = |what: &str| format!("strconv.ParseFloat: parsing {}: {what}", super::quote(s));
    if s.contains('_') {
        if !underscore_ok(s) {
            return Err(err("invalid syntax"));
        }
        return parse_float(&s.replace('_', ""))
            .map_err(|e| e.replacen(&super::quote(&s.replace('_', "")), &super::quote(s), 1));
    }
    let b = s.as_bytes();
    let (neg, body) = match b.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let sign = if neg { -1.0 } else { 1.0 };
    match lower.as_str() {
        "inf" | "infinity" => return Ok(sign * f64::INFINITY),
        // Go takes no sign on NaN, and returns this NaN.
        "nan" if body.len() == s.len() => return Ok(f64::from_bits(0x7ff8_0000_0000_0001)),
        _ => {}
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        return parse_hex_float(hex)
            .map(|v| sign * v)
            .ok_or_else(|| err("invalid syntax"))
            .and_then(|v| {
                if v.is_infinite() {
                    Err(err("value out of range"))
                } else {
                    Ok(v)
                }
            });
    }
    // Decimal: digits with at most one point, then an optional exponent; nothing else.
    let d = body.as_bytes();
    let mut i = 0;
    let mut mantissa_digits = 0;
    while i < d.len() && d[i].is_ascii_digit() {
        i += 1;
        mantissa_digits += 1;
    }
    if i < d.len() && d[i] == b'.' {
        i += 1;
        while i < d.len() && d[i].is_ascii_digit() {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return Err(err("invalid syntax"));
    }
    if i < d.len() && (d[i] == b'e' || d[i] == b'E') {
        i += 1;
        if i < d.len() && (d[i] == b'+' || d[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < d.len() && d[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(err("invalid syntax"));
        }
    }
    if i != d.len() {
        return Err(err("invalid syntax"));
    }
    // What is left is a form Rust's parser reads to the same correctly rounded value.
    let v: f64 = body.parse().map_err(|_| err("invalid syntax"))?;
    if v.is_infinite() {
        return Err(err("value out of range"));
    }
    Ok(sign * v)
}

/// Go's `underscoreOK`: each underscore sits between two digits (a base prefix counts as a digit).
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i = 1;
    }
    let mut saw = b'^';
    let mut hex = false;
    if b.len() >= i + 2
        && b[i] == b'0'
        && matches!(b[i + 1].to_ascii_lowercase(), b'b' | b'o' | b'x')
    {
        hex = b[i + 1].eq_ignore_ascii_case(&b'x');
        i += 2;
        saw = b'0';
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&c.to_ascii_lowercase())) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// The digits of a hexadecimal float after `0x`: `h[.h]p[+-]d`, the exponent required by Go; underscores
/// between digits are allowed there.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once('p')?;
    let exp: i32 = {
        let (neg, digits) = match exp.as_bytes().first() {
            Some(b'-') => (true, &exp[1..]),
            Some(b'+') => (false, &exp[1..]),
            _ => (false, exp),
        };
        let digits = digits.replace('_', "");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: i32 = digits.parse().unwrap_or(i32::MAX / 2).min(100_000);
        if neg {
            -v
        } else {
            v
        }
    };
    let mant = mant.replace('_', "");
    let (int, frac) = mant.split_once('.').unwrap_or((&mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    let mut scale = 0i32;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    for c in frac.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
        scale -= 4;
    }
    Some(v * 2f64.powi(exp + scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_as_go() {
        assert_eq!(parse_int("123"), Ok(123));
        assert_eq!(parse_int("+7"), Ok(7));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            parse_int("9223372036854775808").unwrap_err(),
            "strconv.ParseInt: parsing \"9223372036854775808\": value out of range"
        );
        assert_eq!(
            parse_int("1_000").unwrap_err(),
            "strconv.ParseInt: parsing \"1_000\": invalid syntax"
        );
        assert!(parse_int("").is_err());
        assert!(parse_int("-").is_err());
        assert!(parse_int(" 1").is_err());
    }

    #[test]
    fn parse_float_as_go() {
        assert_eq!(parse_float("0.804"), Ok(0.804));
        assert_eq!(parse_float("1e3"), Ok(1000.0));
        assert_eq!(parse_float(".5"), Ok(0.5));
        assert_eq!(parse_float("5."), Ok(5.0));
        assert_eq!(parse_float("-Inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_float("NaN").unwrap().is_nan());
        assert!(parse_float("-NaN").is_err());
        assert_eq!(parse_float("0x1p-2"), Ok(0.25));
        assert_eq!(
            parse_float("1e400").unwrap_err(),
            "strconv.ParseFloat: parsing \"1e400\": value out of range"
        );
        assert!(parse_float("10ms").is_err());
        assert_eq!(parse_float("1_0"), Ok(10.0));
        assert!(parse_float("_1").is_err());
        assert!(parse_float("1__0").is_err());
        assert!(parse_float("").is_err());
        assert!(parse_float("e5").is_err());
    }
}
