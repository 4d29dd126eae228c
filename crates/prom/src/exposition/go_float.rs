//! Go's `strconv.FormatFloat(v, 'g', -1, 64)`, as client_golang's text encoder prints sample values.
//!
//! Shortest round-trip digits come from ryu (the same digits Go's shortest algorithm finds: both
//! produce the shortest decimal that parses back to the same f64, closest to the exact value). The
//! layout rules are Go's: `%e` when the decimal exponent is below -4 or at least 6 (the `shortest`
//! case always compares against 6, whatever the digit count), `%f` otherwise, and at least two
//! exponent digits with an explicit sign.

/// Appends the text client_golang writes for a sample value.
///
/// client_golang short-cuts 0, 1 and -1 before calling `FormatFloat`, which is why `-0.0` prints
/// as `0` rather than Go's `-0`.
pub fn write_sample_value(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 {
        out.push(b'0');
    } else if v == 1.0 {
        out.push(b'1');
    } else if v == -1.0 {
        out.extend_from_slice(b"-1");
    } else {
        write_go_float(out, v);
    }
}

/// Appends `strconv.FormatFloat(v, 'g', -1, 64)`.
pub fn write_go_float(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let abs = v.abs();
    if abs == 0.0 {
        out.push(b'0');
        return;
    }
    // Integers below 1e6 print as plain digits in both notations; skip ryu for the common case.
    if abs < 1e6 && abs.fract() == 0.0 {
        write_u64(out, abs as u64);
        return;
    }
    let mut digits = [0u8; 24];
    let (nd, dp) = shortest_digits(abs, &mut digits);
    let digits = &digits[..nd];
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        out.push(digits[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        write_u64(out, u64::from(e));
        return;
    }
    // %f with exactly as many fractional digits as the shortest representation needs.
    if dp > 0 {
        let int_len = dp as usize;
        if int_len >= nd {
            out.extend_from_slice(digits);
            out.resize(out.len() + (int_len - nd), b'0');
        } else {
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-dp) as usize, b'0');
        out.extend_from_slice(digits);
    }
}

/// Formats into a new `String`; convenient for tests and for label values.
pub fn format_go_float(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_go_float(&mut out, v);
    // Only ASCII digits, signs, '.', 'e', "NaN" and "Inf" are ever written.
    String::from_utf8(out).expect("ASCII output")
}

fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Shortest digits of a finite positive `v` as Go's `decimalSlice`: returns `(nd, dp)` where
/// `v = 0.d1d2…dnd × 10^dp`, without leading or trailing zeros.
fn shortest_digits(v: f64, digits: &mut [u8; 24]) -> (usize, i32) {
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v).as_bytes();
    let (mantissa, exp10) = match text.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (&text[..i], parse_exp(&text[i + 1..])),
        None => (text, 0),
    };
    let mut nd = 0usize;
    let mut dp = 0i32;
    let mut after_point = false;
    let mut leading = true;
    for &c in mantissa {
        match c {
            b'.' => after_point = true,
            // Leading zeros after the point move the point; before it they mean nothing.
            b'0' if leading && after_point => dp -= 1,
            b'0' if leading => {}
            b'0'..=b'9' => {
                leading = false;
                digits[nd] = c;
                nd += 1;
                if !after_point {
                    dp += 1;
                }
            }
            _ => {}
        }
    }
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    (nd, dp + exp10)
}

fn parse_exp(s: &[u8]) -> i32 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut e = 0i32;
    for &c in digits {
        e = e * 10 + i32::from(c - b'0');
    }
    if neg {
        -e
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(v: f64) -> String {
        let mut out = Vec::new();
        write_sample_value(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn go_g_format() {
        let cases: &[(f64, &str)] = &[
            (1e6, "1e+06"),
            (999999.0, "999999"),
            (192730.0, "192730"),
            (1.6777216e7, "1.6777216e+07"),
            (18446744073709551615.0, "1.8446744073709552e+19"),
            (2.70553174016e11, "2.70553174016e+11"),
            (1.7955449818197408e9, "1.7955449818197408e+09"),
            (6.6609e-05, "6.6609e-05"),
            (0.0001, "0.0001"),
            (0.00012838, "0.00012838"),
            (0.00001, "1e-05"),
            (2077872228.0 * 0.001, "2.0778722280000001e+06"),
            (9653880.0 * 0.001, "9653.880000000001"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456.5, "123456.5"),
            (-2.5, "-2.5"),
            (-1234567.0, "-1.234567e+06"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (1.5e-300, "1.5e-300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (100.0, "100"),
            (0.5, "0.5"),
            (10.0, "10"),
            (444.9, "444.9"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (-0.0, "-0"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_go_float(v), want, "value {v:?}");
        }
    }

    /// Every sample value in node_exporter's golden file was printed by Go; parsing it and
    /// printing it again must give the same bytes.
    #[test]
    fn round_trips_every_value_go_printed() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/node_exporter/e2e-output.txt");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "missing {}",
                path.display()
            );
            eprintln!("note: skipped, no {}", path.display());
            return;
        };
        let mut checked = 0;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let printed = line.rsplit(' ').next().unwrap();
            let v: f64 = match printed {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                other => other.parse().unwrap(),
            };
            assert_eq!(sample(v), printed, "line {line}");
            checked += 1;
        }
        assert!(checked > 3000, "only {checked} values");
    }

    #[test]
    fn client_golang_shortcuts() {
        assert_eq!(sample(-0.0), "0");
        assert_eq!(sample(0.0), "0");
        assert_eq!(sample(1.0), "1");
        assert_eq!(sample(-1.0), "-1");
        assert_eq!(sample(0.01), "0.01");
    }
}
