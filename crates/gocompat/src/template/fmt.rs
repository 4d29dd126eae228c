//! The parts of Go's `fmt` that templates reach: `Sprint`, `Sprintln` and `Sprintf` on template values.

use super::Val;
use crate::strconv::{format_float, quote};

/// `%v` of a value.
pub fn v(out: &mut String, x: &Val) {
    match x {
        Val::Missing | Val::Nil => out.push_str("<nil>"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Int(i) => out.push_str(&i.to_string()),
        Val::Float(f) => out.push_str(&format_float(*f, 'g', -1)),
        Val::Str(s) => out.push_str(s),
        Val::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                v(out, e);
            }
            out.push(']');
        }
        Val::StrMap(m) => {
            out.push_str("map[");
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                out.push_str(e);
            }
            out.push(']');
        }
        Val::Map(m) => {
            out.push_str("map[");
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                v(out, e);
            }
            out.push(']');
        }
    }
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub fn sprint(args: &[Val]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Val::Str(_)) && !matches!(args[i - 1], Val::Str(_)) {
            out.push(' ');
        }
        v(&mut out, a);
    }
    out
}

/// `fmt.Sprintln`.
pub fn sprintln(args: &[Val]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        v(&mut out, a);
    }
    out.push('\n');
    out
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn go_type(x: &Val) -> &'static str {
    x.type_name()
}

fn pad(out: &mut String, s: &str, spec: &Spec, numeric: bool) {
    let len = s.chars().count();
    let w = spec.width.unwrap_or(0);
    if len >= w {
        out.push_str(s);
        return;
    }
    let fill = w - len;
    if spec.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        // Zeros go after the sign.
        let (sign, digits) = match s.as_bytes().first() {
            Some(b'-' | b'+' | b' ') => s.split_at(1),
            _ => ("", s),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(s);
    }
}

fn bad_verb(out: &mut String, verb: char, x: &Val) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    match x {
        Val::Missing | Val::Nil => out.push_str("<nil>"),
        _ => {
            out.push_str(go_type(x));
            out.push('=');
            v(out, x);
        }
    }
    out.push(')');
}

fn int_text(i: i64, base: u32, upper: bool, spec: &Spec) -> String {
    let mag = i.unsigned_abs();
    let mut digits = match base {
        2 => format!("{mag:b}"),
        8 => format!("{mag:o}"),
        16 if upper => format!("{mag:X}"),
        16 => format!("{mag:x}"),
        _ => mag.to_string(),
    };
    if let Some(p) = spec.prec {
        if p == 0 && i == 0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    if spec.sharp {
        match base {
            8 if !digits.starts_with('0') => digits.insert(0, '0'),
            16 => digits.insert_str(0, if upper { "0X" } else { "0x" }),
            2 => digits.insert_str(0, "0b"),
            _ => {}
        }
    }
    if i < 0 {
        digits.insert(0, '-');
    } else if spec.plus {
        digits.insert(0, '+');
    } else if spec.space {
        digits.insert(0, ' ');
    }
    digits
}

fn float_text(f: f64, verb: char, spec: &Spec) -> String {
    let (fmt, prec) = match verb {
        'v' => ('g', spec.prec.map_or(-1, |p| p as i32)),
        'f' | 'F' => ('f', spec.prec.map_or(6, |p| p as i32)),
        'e' | 'E' => (verb, spec.prec.map_or(6, |p| p as i32)),
        'g' | 'G' => (verb, spec.prec.map_or(-1, |p| p as i32)),
        _ => ('g', -1),
    };
    let mut s = format_float(f, fmt, prec);
    if f.is_infinite() || f.is_nan() {
        s = match (f.is_nan(), f > 0.0) {
            (true, _) => "NaN".to_string(),
            (false, true) => "+Inf".to_string(),
            (false, false) => "-Inf".to_string(),
        };
        if s == "+Inf" && !spec.plus {
            s = if spec.space {
                " Inf".to_string()
            } else {
                "Inf".to_string()
            };
        }
        return s;
    }
    if !s.starts_with('-') {
        if spec.plus {
            s.insert(0, '+');
        } else if spec.space {
            s.insert(0, ' ');
        }
    }
    s
}

/// `fmt.Sprintf` for the verbs templates use: `v s q d b o x X c U e E f F g G t %`, flags `-+# 0`,
/// width and precision (`*` too).
pub fn sprintf(format: &str, args: &[Val]) -> String {
    let mut out = String::new();
    let mut argi = 0;
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut spec = Spec::default();
        while i < chars.len() {
            match chars[i] {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = !spec.minus,
                ' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        let num = |i: &mut usize, argi: &mut usize| -> Option<usize> {
            if chars.get(*i) == Some(&'*') {
                *i += 1;
                let a = args.get(*argi);
                *argi += 1;
                return match a {
                    Some(Val::Int(n)) if *n >= 0 => Some(*n as usize),
                    _ => None,
                };
            }
            let s = *i;
            while *i < chars.len() && chars[*i].is_ascii_digit() {
                *i += 1;
            }
            (*i > s).then(|| chars[s..*i].iter().collect::<String>().parse().unwrap_or(0))
        };
        spec.width = num(&mut i, &mut argi);
        if chars.get(i) == Some(&'.') {
            i += 1;
            spec.prec = Some(num(&mut i, &mut argi).unwrap_or(0));
        }
        let Some(&verb) = chars.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(MISSING)");
            continue;
        };
        argi += 1;
        let mut s = String::new();
        let numeric;
        match (verb, arg) {
            ('v', Val::Float(f)) => {
                s = float_text(*f, 'v', &spec);
                numeric = true;
            }
            ('v', Val::Int(n)) => {
                s = int_text(*n, 10, false, &spec);
                numeric = true;
            }
            ('v', x) => {
                v(&mut s, x);
                numeric = false;
            }
            ('s', Val::Str(x)) => {
                s = match spec.prec {
                    Some(p) => x.chars().take(p).collect(),
                    None => x.clone(),
                };
                numeric = false;
            }
            ('s', x @ (Val::List(_) | Val::Map(_) | Val::StrMap(_))) => {
                v(&mut s, x);
                numeric = false;
            }
            ('q', Val::Str(x)) => {
                s = if spec.sharp && crate::strconv::can_backquote(x) {
                    format!("`{x}`")
                } else if spec.plus {
                    crate::strconv::quote_to_ascii(x)
                } else {
                    quote(x)
                };
                numeric = false;
            }
            ('q', Val::Int(n)) => {
                s = match char::from_u32(*n as u32) {
                    Some(c) if *n >= 0 => crate::strconv::quote_rune(c),
                    _ => "'\u{fffd}'".to_string(),
                };
                numeric = false;
            }
            ('t', Val::Bool(b)) => {
                s = b.to_string();
                numeric = false;
            }
            ('d', Val::Int(n)) => {
                s = int_text(*n, 10, false, &spec);
                numeric = true;
            }
            ('b', Val::Int(n)) => {
                s = int_text(*n, 2, false, &spec);
                numeric = true;
            }
            ('o', Val::Int(n)) => {
                s = int_text(*n, 8, false, &spec);
                numeric = true;
            }
            ('x' | 'X', Val::Int(n)) => {
                s = int_text(*n, 16, verb == 'X', &spec);
                numeric = true;
            }
            ('x' | 'X', Val::Str(x)) => {
                for b in x.bytes() {
                    if verb == 'x' {
                        s.push_str(&format!("{b:02x}"));
                    } else {
                        s.push_str(&format!("{b:02X}"));
                    }
                }
                numeric = false;
            }
            ('c', Val::Int(n)) => {
                s.push(char::from_u32(*n as u32).unwrap_or('\u{fffd}'));
                numeric = false;
            }
            ('U', Val::Int(n)) => {
                s = format!("U+{:04X}", n);
                numeric = false;
            }
            ('e' | 'E' | 'f' | 'F' | 'g' | 'G', Val::Float(f)) => {
                s = float_text(*f, verb, &spec);
                numeric = true;
            }
            _ => {
                bad_verb(&mut out, verb, arg);
                continue;
            }
        }
        pad(&mut out, &s, &spec, numeric);
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, a) in args[argi..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            match a {
                Val::Missing | Val::Nil => out.push_str("<nil>"),
                _ => {
                    out.push_str(go_type(a));
                    out.push('=');
                    v(&mut out, a);
                }
            }
        }
        out.push(')');
    }
    out
}
