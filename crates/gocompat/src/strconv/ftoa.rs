//! `strconv.FormatFloat(f, fmt, prec, 64)` for the formats `e`, `E`, `f`, `g` and `G`.
//!
//! Go first finds decimal digits, then lays them out. The digits are either the shortest that parse back to
//! the same float (precision -1; ryu finds the same digits as Go's shortest algorithm: the fewest, and of
//! those the closest to the exact value) or the exact value correctly rounded, ties to even, to a number of
//! digits (Rust's `{:.N}` and `{:.Ne}` formatting is exact, as Go's fixed-precision paths are). The layout
//! rules below are Go's.

use std::fmt::Write as _;

/// Go's `strconv.FormatFloat(f, fmt, prec, 64)`. `fmt` is `'e'`, `'E'`, `'f'`, `'g'` or `'G'`; a negative
/// `prec` asks for the shortest digits that parse back to `f`. NaN and the infinities are `NaN`, `+Inf`
/// and `-Inf` in every format. Another `fmt` gives what Go gives for a format it does not know (`%` and
/// the format); Go's `'b'`, `'x'` and `'X'` are not implemented.
pub fn format_float(f: f64, fmt: char, prec: i32) -> String {
    let mut out = String::new();
    push_float(&mut out, f, fmt, prec);
    out
}

/// Appends [`format_float`]'s text to `dst` (Go's `strconv.AppendFloat`).
pub fn append_float(dst: &mut Vec<u8>, f: f64, fmt: char, prec: i32) {
    write_float(dst, f, fmt, prec);
}

/// Appends [`format_float`]'s text to a `String`.
pub fn push_float(dst: &mut String, f: f64, fmt: char, prec: i32) {
    write_float(dst, f, fmt, prec);
}

/// Appends `strconv.FormatFloat(f, 'g', -1, 64)`, the form Prometheus' text exposition writes sample values
/// in (client_golang), without allocating.
pub fn append_float_g(dst: &mut Vec<u8>, f: f64) {
    write_float(dst, f, 'g', -1);
}

/// Appends `strconv.FormatFloat(f, 'g', -1, 64)` to a `String`, without allocating.
pub fn push_float_g(dst: &mut String, f: f64) {
    write_float(dst, f, 'g', -1);
}

/// Where formatted ASCII goes.
trait Sink {
    fn byte(&mut self, b: u8);
    fn bytes(&mut self, b: &[u8]);
}

impl Sink for Vec<u8> {
    fn byte(&mut self, b: u8) {
        self.push(b);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
}

impl Sink for String {
    fn byte(&mut self, b: u8) {
        debug_assert!(b.is_ascii());
        self.push(b as char);
    }
    fn bytes(&mut self, b: &[u8]) {
        for &c in b {
            self.byte(c);
        }
    }
}

/// Decimal digits `0.d[0]d[1]… × 10^dp`, without leading or trailing zeros; zero has no digits.
struct Decimal<'a> {
    neg: bool,
    d: &'a [u8],
    dp: i32,
}

fn write_float(out: &mut impl Sink, f: f64, fmt: char, prec: i32) {
    if f.is_nan() {
        return out.bytes(b"NaN");
    }
    if f.is_infinite() {
        return out.bytes(if f > 0.0 { b"+Inf" } else { b"-Inf" });
    }
    let neg = f.is_sign_negative();
    let abs = f.abs();
    let upper = fmt.is_ascii_uppercase();
    match fmt {
        'e' | 'E' | 'f' | 'g' | 'G' => {}
        _ => {
            out.byte(b'%');
            let mut utf8 = [0u8; 4];
            return out.bytes(fmt.encode_utf8(&mut utf8).as_bytes());
        }
    }
    if prec < 0 {
        // Integers below 1e6 print as their digits in the 'g' and 'f' forms; the common case skips ryu.
        if fmt != 'e' && fmt != 'E' && abs < 1e6 && abs.fract() == 0.0 {
            if neg {
                out.byte(b'-');
            }
            return write_u64(out, abs as u64);
        }
        let mut buf = [0u8; 24];
        let d = shortest(neg, abs, &mut buf);
        let nd = d.d.len() as i32;
        match fmt {
            'e' | 'E' => fmt_e(out, &d, (nd - 1).max(0), upper),
            'f' => fmt_f(out, &d, (nd - d.dp).max(0)),
            _ => fmt_g(out, &d, nd, true, upper),
        }
        return;
    }
    if fmt == 'f' {
        // The exact value rounded to `prec` decimals, which is what Rust's `{:.N}` prints.
        if neg {
            out.byte(b'-');
        }
        // An f64 has at most 1074 digits after the point; past them every digit is 0. Rust's formatter
        // takes precisions up to 65535 only, so the zeros beyond are added here.
        let exact = (prec as usize).min(MAX_FRACTION_DIGITS);
        let mut text = String::new();
        let _ = write!(text, "{:.*}", exact, abs);
        out.bytes(text.as_bytes());
        for _ in exact..prec as usize {
            out.byte(b'0');
        }
        return;
    }
    // 'e' and 'g' with a precision: the exact value rounded to that many significant digits.
    let digits = match fmt {
        'e' | 'E' => prec as usize + 1,
        _ => (prec as usize).max(1),
    };
    let mut buf = Vec::new();
    let d = fixed(neg, abs, digits, &mut buf);
    match fmt {
        'e' | 'E' => fmt_e(out, &d, prec, upper),
        _ => fmt_g(out, &d, digits as i32, false, upper),
    }
}

/// Digits after the point of the smallest subnormal f64: any f64 is exact within this many.
const MAX_FRACTION_DIGITS: usize = 1074;
/// Significant digits of the longest exact decimal expansion of an f64.
const MAX_SIGNIFICANT_DIGITS: usize = 767;

/// The shortest digits of a finite, positive `abs` (or zero), from ryu's text.
fn shortest<'a>(neg: bool, abs: f64, buf: &'a mut [u8; 24]) -> Decimal<'a> {
    let mut ryu = ryu::Buffer::new();
    let text = ryu.format_finite(abs).as_bytes();
    // ryu writes `123.45`, `0.0001`, `1e-7`, `1.5e300` or `1e16`.
    let (mantissa, exp) = match text.iter().position(|&c| c == b'e') {
        Some(i) => (&text[..i], parse_i32(&text[i + 1..])),
        None => (text, 0),
    };
    let mut nd = 0usize;
    let mut dp = 0i32;
    let mut after_point = false;
    for &c in mantissa {
        match c {
            b'.' => after_point = true,
            // A leading zero after the point moves the point; one before it means nothing.
            b'0' if nd == 0 => dp -= i32::from(after_point),
            c => {
                buf[nd] = c;
                nd += 1;
                dp += i32::from(!after_point);
            }
        }
    }
    while nd > 0 && buf[nd - 1] == b'0' {
        nd -= 1;
    }
    Decimal {
        neg,
        d: &buf[..nd],
        dp: if nd == 0 { 0 } else { dp + exp },
    }
}

/// The exact `abs` rounded to `n` significant digits (ties to even), from Rust's `{:.Ne}` text (`1.2340e-7`),
/// with trailing zeros dropped as Go's rounding drops them.
fn fixed<'a>(neg: bool, abs: f64, n: usize, buf: &'a mut Vec<u8>) -> Decimal<'a> {
    use std::io::Write as _;
    // An f64's exact decimal value has at most 767 significant digits; more would be zeros, which are
    // dropped below anyway (and Rust's formatter refuses precisions past 65535).
    let n = n.min(MAX_SIGNIFICANT_DIGITS);
    buf.clear();
    let _ = write!(buf, "{:.*e}", n - 1, abs);
    let e = buf.iter().position(|&c| c == b'e').unwrap_or(buf.len());
    let exp = parse_i32(buf.get(e + 1..).unwrap_or(b""));
    buf.truncate(e);
    if buf.len() > 1 {
        buf.remove(1); // the point
    }
    while buf.last() == Some(&b'0') {
        buf.pop();
    }
    let dp = if buf.is_empty() { 0 } else { exp + 1 };
    Decimal { neg, d: buf, dp }
}

/// Go's `%e`: one digit, the point and `prec` digits (zeros past the known digits), then the exponent with
/// its sign and at least two digits.
fn fmt_e(out: &mut impl Sink, d: &Decimal<'_>, prec: i32, upper: bool) {
    if d.neg {
        out.byte(b'-');
    }
    out.byte(d.d.first().copied().unwrap_or(b'0'));
    if prec > 0 {
        out.byte(b'.');
        let known = d.d.get(1..).unwrap_or(b"");
        let take = known.len().min(prec as usize);
        out.bytes(&known[..take]);
        zeros(out, prec as usize - take);
    }
    out.byte(if upper { b'E' } else { b'e' });
    let exp = if d.d.is_empty() { 0 } else { d.dp - 1 };
    out.byte(if exp < 0 { b'-' } else { b'+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.byte(b'0');
    }
    write_u64(out, u64::from(exp));
}

/// Go's `%f`: the integer digits (at least `0`), then the point and `prec` digits when `prec > 0`.
fn fmt_f(out: &mut impl Sink, d: &Decimal<'_>, prec: i32) {
    if d.neg {
        out.byte(b'-');
    }
    if d.dp > 0 {
        let int = d.dp as usize;
        let take = d.d.len().min(int);
        out.bytes(&d.d[..take]);
        zeros(out, int - take);
    } else {
        out.byte(b'0');
    }
    if prec > 0 {
        out.byte(b'.');
        for i in 0..prec {
            let j = d.dp + i;
            let digit = if j >= 0 { d.d.get(j as usize) } else { None };
            out.byte(digit.copied().unwrap_or(b'0'));
        }
    }
}

/// Go's `%g` with `prec` significant digits (the digit count when `shortest`): `%e` when the exponent is below
/// -4 or at least the precision (6 for the shortest form), `%f` otherwise, never with trailing zeros.
fn fmt_g(out: &mut impl Sink, d: &Decimal<'_>, mut prec: i32, shortest: bool, upper: bool) {
    let nd = d.d.len() as i32;
    let mut eprec = prec;
    if eprec > nd && nd >= d.dp {
        eprec = nd;
    }
    if shortest {
        eprec = 6;
    }
    let exp = d.dp - 1;
    if exp < -4 || exp >= eprec {
        if prec > nd {
            prec = nd;
        }
        return fmt_e(out, d, prec - 1, upper);
    }
    if prec > d.dp {
        prec = nd;
    }
    fmt_f(out, d, (prec - d.dp).max(0));
}

fn zeros(out: &mut impl Sink, n: usize) {
    for _ in 0..n {
        out.byte(b'0');
    }
}

fn parse_i32(s: &[u8]) -> i32 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = digits
        .iter()
        .fold(0i32, |v, &c| v * 10 + i32::from(c - b'0'));
    if neg {
        -v
    } else {
        v
    }
}

fn write_u64(out: &mut impl Sink, mut n: u64) {
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
    out.bytes(&tmp[i..]);
}
