//! Go's `fmt.Sprintf`, as `string.format` exposes it: the verbs, flags, widths, precisions and argument
//! indexes of Go, and Go's in-band error forms (`%!d(string=hi)`, `%!d(MISSING)`, `%!(EXTRA int=1)`).
//!
//! Arguments are Alloy values seen the way Alloy hands them to Go: numbers become `int`, `int64`, `uint64`
//! or `float64`; arrays `[]interface {}`; objects `map[string]interface {}`.

use ingot_gocompat::strconv::{
    self, can_backquote, is_print, quote, quote_rune, quote_rune_to_ascii, quote_to_ascii,
};

use crate::value::{Number, Value};

#[derive(Clone, Copy, Default)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

struct Printer {
    buf: String,
    f: Flags,
}

/// Go's `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer {
        buf: String::new(),
        f: Flags::default(),
    };
    p.do_printf(format, args);
    p.buf
}

fn too_large(n: usize) -> bool {
    n > 1_000_000
}

/// Reads a decimal number at `s[start..end]`; returns (number, found, index after it).
fn parse_num(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    let mut num = 0usize;
    let mut found = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + (s[i] - b'0') as usize;
        found = true;
        i += 1;
    }
    (num, found, i)
}

/// Parses `[n]` at the start of `s`: (zero-based index, bytes consumed, ok).
fn parse_arg_number(s: &[u8]) -> (isize, usize, bool) {
    if s.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..s.len() {
        if s[i] == b']' {
            let (width, ok, newi) = parse_num(s, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (width as isize - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

impl Printer {
    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let s = format.as_bytes();
        let end = s.len();
        let mut arg_num = 0usize;
        let mut reordered = false;
        let mut i = 0;
        'outer: while i < end {
            let mut good_arg_num = true;
            let last = i;
            while i < end && s[i] != b'%' {
                i += 1;
            }
            if i > last {
                self.buf.push_str(&format[last..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while i < end {
                match s[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }

            // An explicit argument index.
            let mut after_index;
            let mut arg_number =
                |arg_num: usize, i: usize, good: &mut bool| -> (usize, usize, bool) {
                    if i >= end || s[i] != b'[' {
                        return (arg_num, i, false);
                    }
                    reordered = true;
                    let (index, wid, ok) = parse_arg_number(&s[i..]);
                    if ok && index >= 0 && (index as usize) < args.len() {
                        return (index as usize, i + wid, true);
                    }
                    *good = false;
                    (arg_num, i + wid, ok)
                };
            (arg_num, i, after_index) = arg_number(arg_num, i, &mut good_arg_num);

            // Width.
            if i < end && s[i] == b'*' {
                i += 1;
                let (w, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                    self.f.wid = None;
                } else if w < 0 {
                    self.f.wid = Some(w.unsigned_abs());
                    self.f.minus = true;
                    self.f.zero = false;
                } else {
                    self.f.wid = Some(w as usize);
                }
                after_index = false;
            } else {
                let (w, found, next) = parse_num(s, i, end);
                i = next;
                self.f.wid = found.then_some(w);
                if after_index && found {
                    good_arg_num = false;
                }
            }

            // Precision.
            if i + 1 < end && s[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) = arg_number(arg_num, i, &mut good_arg_num);
                if i < end && s[i] == b'*' {
                    i += 1;
                    let (p, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    self.f.prec = if ok && p >= 0 { Some(p as usize) } else { None };
                    if !ok {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, found, next) = parse_num(s, i, end);
                    i = next;
                    self.f.prec = Some(if found { p } else { 0 });
                }
            }

            if !after_index {
                (arg_num, i, _) = arg_number(arg_num, i, &mut good_arg_num);
            }

            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break 'outer;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();

            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                self.buf.push_str(&format!("%!{verb}(BADINDEX)"));
            } else if arg_num >= args.len() {
                self.buf.push_str(&format!("%!{verb}(MISSING)"));
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }

        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (i, arg) in args[arg_num..].iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_null() {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(&go_type_name(arg));
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    fn print_arg(&mut self, arg: &Value, verb: char) {
        if arg.is_null() {
            match verb {
                'T' | 'v' => self.pad_str("<nil>"),
                _ => self.bad_verb(verb, arg),
            }
            return;
        }
        if verb == 'T' {
            let t = go_type_name(arg);
            self.fmt_s(&t);
            return;
        }
        self.print_value(arg, verb);
    }

    fn print_value(&mut self, arg: &Value, verb: char) {
        match arg {
            Value::Null => {
                if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str("<nil>");
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad_str(if *b { "true" } else { "false" }),
                _ => self.bad_verb(verb, arg),
            },
            Value::Number(Number::Float(x)) => self.fmt_float_verb(*x, verb, arg),
            Value::Number(n) => {
                let (u, signed) = match go_int(*n) {
                    GoInt::Signed(i) => (i as u64, true),
                    GoInt::Unsigned(u) => (u, false),
                };
                self.fmt_integer_verb(u, signed, verb, arg);
            }
            Value::String(s) => self.fmt_string_verb(s, verb, arg),
            Value::Secret(s) => self.fmt_string_verb(s.expose(), verb, arg),
            Value::OptionalSecret(s) => {
                if self.f.sharp_v {
                    self.buf.push_str("alloytypes.OptionalSecret");
                }
                self.buf.push('{');
                let named = self.f.plus_v || self.f.sharp_v;
                if named {
                    self.buf.push_str("IsSecret:");
                }
                self.print_value(&Value::Bool(s.is_secret), verb);
                self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                if named {
                    self.buf.push_str("Value:");
                }
                self.print_value(&Value::String(s.value.clone()), verb);
                self.buf.push('}');
            }
            Value::Array(items) => {
                if self.f.sharp_v {
                    self.buf.push_str("[]interface {}{");
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_value(item, verb);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.print_value(item, verb);
                    }
                    self.buf.push(']');
                }
            }
            Value::Object(fields) => {
                if self.f.sharp_v {
                    self.buf.push_str("map[string]interface {}{");
                } else {
                    self.buf.push_str("map[");
                }
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                    }
                    self.print_value(&Value::String(k.as_str().into()), verb);
                    self.buf.push(':');
                    self.print_value(v, verb);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::Function(_) | Value::Capsule(_) => {
                let text = arg.to_string();
                self.pad_str(&text);
            }
        }
    }

    fn bad_verb(&mut self, verb: char, arg: &Value) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if arg.is_null() {
            self.buf.push_str("<nil>");
        } else {
            self.buf.push_str(&go_type_name(arg));
            self.buf.push('=');
            self.print_arg(arg, 'v');
        }
        self.buf.push(')');
    }

    // Padding.

    fn write_padding(&mut self, n: usize) {
        let c = if self.f.zero { '0' } else { ' ' };
        for _ in 0..n {
            self.buf.push(c);
        }
    }

    fn pad_str(&mut self, s: &str) {
        let Some(wid) = self.f.wid.filter(|w| *w > 0) else {
            self.buf.push_str(s);
            return;
        };
        let n = wid.saturating_sub(s.chars().count());
        if self.f.minus {
            self.buf.push_str(s);
            // Right padding is always spaces.
            let zero = self.f.zero;
            self.f.zero = false;
            self.write_padding(n);
            self.f.zero = zero;
        } else {
            self.write_padding(n);
            self.buf.push_str(s);
        }
    }

    // Integers.

    fn fmt_integer_verb(&mut self, u: u64, signed: bool, verb: char, arg: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    let sharp = self.f.sharp;
                    self.f.sharp = true;
                    self.fmt_integer(u, 16, signed, 'v', false);
                    self.f.sharp = sharp;
                } else {
                    self.fmt_integer(u, 10, signed, verb, false);
                }
            }
            'd' => self.fmt_integer(u, 10, signed, verb, false),
            'b' => self.fmt_integer(u, 2, signed, verb, false),
            'o' | 'O' => self.fmt_integer(u, 8, signed, verb, false),
            'x' => self.fmt_integer(u, 16, signed, verb, false),
            'X' => self.fmt_integer(u, 16, signed, verb, true),
            'c' => {
                let c = char::from_u32(u as u32)
                    .filter(|_| u <= 0x10FFFF)
                    .unwrap_or('\u{FFFD}');
                self.pad_str(&c.to_string());
            }
            'q' => {
                let c = char::from_u32(u as u32)
                    .filter(|_| u <= 0x10FFFF)
                    .unwrap_or('\u{FFFD}');
                let q = if self.f.plus {
                    quote_rune_to_ascii(c)
                } else {
                    quote_rune(c)
                };
                self.pad_str(&q);
            }
            'U' => {
                let mut s = format!("U+{u:04X}");
                if self.f.sharp {
                    if let Some(c) = char::from_u32(u as u32).filter(|c| is_print(*c)) {
                        s.push_str(&format!(" '{c}'"));
                    }
                }
                let zero = self.f.zero;
                self.f.zero = false;
                self.pad_str(&s);
                self.f.zero = zero;
            }
            _ => self.bad_verb(verb, arg),
        }
    }

    fn fmt_integer(&mut self, u: u64, base: u32, signed: bool, verb: char, upper: bool) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative {
            (u as i64).unsigned_abs()
        } else {
            u
        };
        let mut prec = 0usize;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && u == 0 {
                let zero = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid.unwrap_or(0));
                self.f.zero = zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid.is_some() {
            prec = self.f.wid.unwrap_or(0);
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        // Digits, most significant last.
        let digits: &[u8] = if upper {
            b"0123456789ABCDEFX"
        } else {
            b"0123456789abcdefx"
        };
        let mut rev: Vec<u8> = Vec::new();
        loop {
            rev.push(digits[(u % base as u64) as usize]);
            u /= base as u64;
            if u == 0 {
                break;
            }
        }
        while rev.len() < prec {
            rev.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => rev.extend_from_slice(b"b0"),
                8 if rev.last() != Some(&b'0') => rev.push(b'0'),
                16 => {
                    rev.push(digits[16]);
                    rev.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            rev.extend_from_slice(b"o0");
        }
        if negative {
            rev.push(b'-');
        } else if self.f.plus {
            rev.push(b'+');
        } else if self.f.space {
            rev.push(b' ');
        }
        rev.reverse();
        let s = String::from_utf8(rev).unwrap_or_default();
        let zero = self.f.zero;
        self.f.zero = false;
        self.pad_str(&s);
        self.f.zero = zero;
    }

    // Floats.

    fn fmt_float_verb(&mut self, x: f64, verb: char, arg: &Value) {
        match verb {
            'v' => self.fmt_float(x, 'g', None),
            'g' | 'G' | 'b' | 'x' | 'X' => self.fmt_float(x, verb, None),
            'f' | 'F' | 'e' | 'E' => self.fmt_float(x, verb, Some(6)),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn fmt_float(&mut self, x: f64, verb: char, default_prec: Option<usize>) {
        let prec = self.f.prec.or(default_prec);
        // Hexadecimal and binary float forms are rare in configurations; they fall back to %g.
        let conv = match verb {
            'b' | 'x' | 'X' => 'g',
            'F' => 'f',
            v => v,
        };
        let mut num = format_float(x, conv, prec);
        if !num.starts_with(['-', '+']) {
            num.insert(0, '+');
        }
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(0..1, " ");
        }
        let body = &num[1..];
        if body.starts_with('I') || body.starts_with('N') {
            let zero = self.f.zero;
            self.f.zero = false;
            let text = if body.starts_with('N') && !self.f.space && !self.f.plus {
                body.to_string()
            } else {
                num.clone()
            };
            self.pad_str(&text);
            self.f.zero = zero;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: isize = match verb {
                'v' | 'g' | 'G' | 'x' => prec.map(|p| p as isize).unwrap_or(6),
                _ => 0,
            };
            let bytes: Vec<u8> = num.bytes().collect();
            let mut head: Vec<u8> = vec![bytes[0]];
            let mut tail: Vec<u8> = Vec::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'.' => {
                        has_point = true;
                        head.push(b'.');
                    }
                    b'e' | b'E' => {
                        tail.extend_from_slice(&bytes[i..]);
                        break;
                    }
                    d => {
                        if d != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                        head.push(d);
                    }
                }
                i += 1;
            }
            if !has_point {
                if head.len() == 2 && head[1] == b'0' {
                    digits -= 1;
                }
                head.push(b'.');
            }
            while digits > 0 {
                head.push(b'0');
                digits -= 1;
            }
            head.extend_from_slice(&tail);
            num = String::from_utf8(head).unwrap_or_default();
        }
        if self.f.plus || !num.starts_with('+') {
            if let Some(w) = self.f.wid {
                if self.f.zero && !self.f.minus && w > num.len() {
                    let (sign, rest) = num.split_at(1);
                    self.buf.push_str(sign);
                    self.write_padding(w - num.len());
                    self.buf.push_str(rest);
                    return;
                }
            }
            self.pad_str(&num);
            return;
        }
        let rest = num[1..].to_string();
        self.pad_str(&rest);
    }

    // Strings.

    fn fmt_string_verb(&mut self, s: &str, verb: char, arg: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s)
                } else {
                    self.fmt_s(s)
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, false),
            'X' => self.fmt_sx(s, true),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, arg),
        }
    }

    fn truncate<'a>(&self, s: &'a str) -> &'a str {
        match self.f.prec {
            Some(p) => match s.char_indices().nth(p) {
                Some((i, _)) => &s[..i],
                None => s,
            },
            None => s,
        }
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s).to_string();
        self.pad_str(&s);
    }

    fn fmt_sx(&mut self, s: &str, upper: bool) {
        let bytes = s.as_bytes();
        let len = self
            .f
            .prec
            .map(|p| p.min(bytes.len()))
            .unwrap_or(bytes.len());
        let mut out = String::new();
        for (i, b) in bytes[..len].iter().enumerate() {
            if self.f.space && i > 0 {
                out.push(' ');
            }
            if self.f.sharp && (self.f.space || i == 0) {
                out.push_str(if upper { "0X" } else { "0x" });
            }
            if upper {
                out.push_str(&format!("{b:02X}"));
            } else {
                out.push_str(&format!("{b:02x}"));
            }
        }
        self.pad_str(&out);
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        let q = if self.f.sharp && can_backquote(s) {
            format!("`{s}`")
        } else if self.f.plus {
            quote_to_ascii(s)
        } else {
            quote(s)
        };
        self.pad_str(&q);
    }
}

enum GoInt {
    Signed(i64),
    Unsigned(u64),
}

/// The Go integer type Alloy decodes a number into for `any` arguments (int, int64 or uint64).
fn go_int(n: Number) -> GoInt {
    match n {
        Number::Int(i) => GoInt::Signed(i),
        Number::Uint(u) if u <= i64::MAX as u64 => GoInt::Signed(u as i64),
        Number::Uint(u) => GoInt::Unsigned(u),
        Number::Float(f) => GoInt::Signed(f as i64),
    }
}

/// The Go type name of the value Alloy would pass to `fmt.Sprintf`.
fn go_type_name(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Number(Number::Float(_)) => "float64".into(),
        Value::Number(Number::Uint(u)) if *u > i64::MAX as u64 => "uint64".into(),
        Value::Number(_) => "int".into(),
        Value::String(_) => "string".into(),
        Value::Bool(_) => "bool".into(),
        Value::Array(_) => "[]interface {}".into(),
        Value::Object(_) => "map[string]interface {}".into(),
        Value::Secret(_) => "alloytypes.Secret".into(),
        Value::OptionalSecret(_) => "alloytypes.OptionalSecret".into(),
        Value::Capsule(c) => c.type_name().to_string(),
        Value::Function(_) => "func".into(),
    }
}

/// `fmt`'s width/precision argument (`%*d`): only integers count.
fn int_from_arg(args: &[Value], arg_num: usize) -> (isize, bool, usize) {
    if arg_num >= args.len() {
        return (0, false, arg_num);
    }
    let next = arg_num + 1;
    match &args[arg_num] {
        Value::Number(Number::Int(i)) if i.unsigned_abs() <= 1_000_000 => (*i as isize, true, next),
        Value::Number(Number::Uint(u)) if *u <= 1_000_000 => (*u as isize, true, next),
        _ => (0, false, next),
    }
}

/// Go's `strconv.FormatFloat(x, fmt, prec, 64)` with `None` for Go's -1 (the shortest digits that parse back).
pub fn format_float(x: f64, fmt: char, prec: Option<usize>) -> String {
    let prec = prec.map_or(-1, |p| i32::try_from(p).unwrap_or(i32::MAX));
    strconv::format_float(x, fmt, prec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn sprintf_matches_go() {
        let arr = Value::array([Value::int(1), s("a"), Value::Bool(true)]);
        let obj = Value::object([("b", Value::int(2)), ("a", s("x"))]);
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("Hello %s", vec![s("World")], "Hello World"),
            ("%#v", vec![Value::int(1)], "1"),
            ("%#v", vec![Value::Bool(true)], "true"),
            ("%q", vec![s("hello")], "\"hello\""),
            ("%d%%", vec![Value::int(50)], "50%"),
            (
                "%5d|%-5d|%05d",
                vec![Value::int(42), Value::int(42), Value::int(-42)],
                "   42|42   |-0042",
            ),
            ("%+d % d", vec![Value::int(5), Value::int(5)], "+5  5"),
            (
                "%x %X %o %O %b",
                vec![
                    Value::int(255),
                    Value::int(255),
                    Value::int(8),
                    Value::int(8),
                    Value::int(5),
                ],
                "ff FF 10 0o10 101",
            ),
            ("%#x %#o", vec![Value::int(255), Value::int(8)], "0xff 010"),
            ("%.3d", vec![Value::int(7)], "007"),
            ("%t", vec![Value::Bool(false)], "false"),
            (
                "%f %.2f %e %E",
                vec![
                    Value::float(3.14259),
                    Value::float(3.14259),
                    Value::float(1234.5678),
                    Value::float(0.000123),
                ],
                "3.142590 3.14 1.234568e+03 1.230000E-04",
            ),
            (
                "%g %g %g %g",
                vec![
                    Value::float(100000.0),
                    Value::float(1e6),
                    Value::float(0.0001),
                    Value::float(0.00001),
                ],
                "100000 1e+06 0.0001 1e-05",
            ),
            ("%v %v", vec![Value::float(3.0), Value::float(2.5)], "3 2.5"),
            (
                "%.3g %G",
                vec![Value::float(1234.5678), Value::float(1e-7)],
                "1.23e+03 1E-07",
            ),
            (
                "%8.3f|%-8.2f|%08.3f",
                vec![
                    Value::float(3.14259),
                    Value::float(2.5),
                    Value::float(-3.14259),
                ],
                "   3.143|2.50    |-003.143",
            ),
            ("%s", vec![Value::int(5)], "%!s(int=5)"),
            ("%d", vec![s("hi")], "%!d(string=hi)"),
            ("%t", vec![Value::int(1)], "%!t(int=1)"),
            ("%d %d", vec![Value::int(1)], "1 %!d(MISSING)"),
            (
                "%d",
                vec![Value::int(1), s("a"), Value::float(1.5)],
                "1%!(EXTRA string=a, float64=1.5)",
            ),
            ("%", vec![], "%!(NOVERB)"),
            ("%[2]d %[1]d", vec![Value::int(1), Value::int(2)], "2 1"),
            ("%[3]d", vec![Value::int(1), Value::int(2)], "%!d(BADINDEX)"),
            (
                "%[2]d %d",
                vec![Value::int(1), Value::int(2), Value::int(3)],
                "2 3",
            ),
            (
                "%*d|%-*d",
                vec![Value::int(4), Value::int(1), Value::int(3), Value::int(2)],
                "   1|2  ",
            ),
            ("%.*f", vec![Value::int(1), Value::float(2.25)], "2.2"),
            ("%v", vec![arr.clone()], "[1 a true]"),
            ("%d", vec![arr], "[1 %!d(string=a) %!d(bool=true)]"),
            ("%v", vec![obj.clone()], "map[a:x b:2]"),
            (
                "%#v",
                vec![obj],
                "map[string]interface {}{\"a\":\"x\", \"b\":2}",
            ),
            ("%v %s", vec![Value::Null, Value::Null], "<nil> %!s(<nil>)"),
            (
                "%5s|%-5s|%.2s",
                vec![s("ab"), s("ab"), s("abc")],
                "   ab|ab   |ab",
            ),
            (
                "%x %X % x",
                vec![s("hi"), s("hi"), s("hi")],
                "6869 6869 68 69",
            ),
            (
                "%q %+q %#q",
                vec![s("a\"b\n"), s("é"), s("x")],
                "\"a\\\"b\\n\" \"\\u00e9\" `x`",
            ),
            (
                "%c %q %U",
                vec![Value::int(65), Value::int(65), Value::int(0x1F600)],
                "A 'A' U+1F600",
            ),
            (
                "%T %T %T",
                vec![Value::int(1), s("x"), Value::float(1.0)],
                "int string float64",
            ),
            (
                "%v",
                vec![Value::uint(18446744073709551615)],
                "18446744073709551615",
            ),
            (
                "%d",
                vec![Value::int(-9223372036854775808)],
                "-9223372036854775808",
            ),
            ("%6.2v", vec![Value::float(3.14259)], "   3.1"),
            (
                "%#g %#.3e",
                vec![Value::float(1.0), Value::float(2.0)],
                "1.00000 2.000e+00",
            ),
            (
                "%v %v",
                vec![Value::float(f64::INFINITY), Value::float(f64::NAN)],
                "+Inf NaN",
            ),
            ("%v", vec![Value::float(123456789.0)], "1.23456789e+08"),
            (
                "%.0f %.1f",
                vec![Value::float(0.5), Value::float(0.25)],
                "0 0.2",
            ),
            ("%z", vec![Value::int(1)], "%!z(int=1)"),
            ("no verbs", vec![], "no verbs"),
        ];
        for (format, args, want) in cases {
            assert_eq!(sprintf(format, &args), want, "format {format:?}");
        }
    }

    #[test]
    fn format_float_matches_strconv() {
        assert_eq!(format_float(1e21, 'g', None), "1e+21");
        assert_eq!(format_float(0.0, 'g', None), "0");
        assert_eq!(format_float(-0.0, 'g', None), "-0");
        assert_eq!(format_float(0.0, 'e', Some(2)), "0.00e+00");
        assert_eq!(format_float(1.5, 'f', None), "1.5");
        assert_eq!(format_float(123.0, 'e', None), "1.23e+02");
        assert_eq!(format_float(1e100, 'e', Some(1)), "1.0e+100");
        assert_eq!(format_float(100.0, 'g', Some(2)), "1e+02");
        assert_eq!(format_float(0.1, 'g', Some(10)), "0.1");
    }
}
