//! `os-release` files, read as hashicorp/go-envparse (which node_exporter uses) reads them.

use std::collections::HashMap;

use crate::ParseError;

/// go-envparse's `Parse`: `KEY=value` lines, blank lines and `#` comments skipped, an optional
/// `export ` prefix, single and double quotes, backslash escapes inside double quotes. A line with an
/// empty value sets nothing. The first malformed line fails the file (`error on line N: ...`).
pub fn parse(text: &str) -> Result<HashMap<String, String>, ParseError> {
    let mut env = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let (key, value) = parse_line(line)
            .map_err(|e| ParseError::new(format!("error on line {}: {e}", i + 1)))?;
        if !value.is_empty() {
            env.insert(key.to_owned(), value);
        }
    }
    Ok(env)
}

fn parse_line(line: &str) -> Result<(&str, String), String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(("", String::new()));
    }
    let (key, value) = line.split_once('=').ok_or("missing =")?;
    let mut key = key.trim();
    let value = value.trim().as_bytes();
    if key.len() > "export ".len() {
        key = key.strip_prefix("export ").unwrap_or(key);
    }
    let first = *key.as_bytes().first().ok_or("empty key")?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return Err(format!(
            "key must start with [A-Za-z_] but found {:?}",
            first as char
        ));
    }
    for &c in &key.as_bytes()[1..] {
        if !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/')) {
            return Err(format!(
                "key characters must be [A-Za-z0-9/_.] but found {:?}",
                c as char
            ));
        }
    }
    #[derive(PartialEq)]
    enum Mode {
        Normal,
        Double,
        Single,
        Escape,
    }
    let mut out: Vec<u8> = Vec::with_capacity(value.len());
    let mut last_significant = 0;
    let mut mode = Mode::Normal;
    let mut i = 0;
    while i < value.len() {
        let c = value[i];
        i += 1;
        if c < 32 {
            return Err(format!("0x{c:02x} is an invalid value character"));
        }
        if c > 127 {
            if mode == Mode::Escape {
                return Err("multibyte characters disallowed in escape sequences".into());
            }
            out.push(c);
            last_significant = out.len();
            continue;
        }
        match mode {
            Mode::Normal => match c {
                b'"' => mode = Mode::Double,
                b'\'' => mode = Mode::Single,
                b'#' => {
                    out.truncate(last_significant);
                    return Ok((key, String::from_utf8_lossy(&out).into_owned()));
                }
                b' ' | b'\t' => out.push(c),
                _ => {
                    out.push(c);
                    last_significant = out.len();
                }
            },
            Mode::Double => match c {
                b'"' => mode = Mode::Normal,
                b'\\' => mode = Mode::Escape,
                _ => {
                    out.push(c);
                    last_significant = out.len();
                }
            },
            Mode::Single => match c {
                b'\'' => mode = Mode::Normal,
                _ => {
                    out.push(c);
                    last_significant = out.len();
                }
            },
            Mode::Escape => {
                match c {
                    b'"' | b'\\' | b'/' => out.push(c),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'r' => out.push(b'\r'),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let mut r = hex4(&value[i..])?;
                        i += 4;
                        if (0xd800..0xe000).contains(&r) {
                            if value.len() < i + 6 || value[i] != b'\\' || value[i + 1] != b'u' {
                                return Err("incomplete Unicode surrogate pair".into());
                            }
                            let r2 = hex4(&value[i + 2..])?;
                            i += 6;
                            r = if (0xd800..0xdc00).contains(&r) && (0xdc00..0xe000).contains(&r2) {
                                0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00)
                            } else {
                                0xfffd
                            };
                        }
                        let ch = char::from_u32(r).unwrap_or('\u{fffd}');
                        let mut b = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                    }
                    _ => return Err(format!("invalid escape sequence: {:?}", c as char)),
                }
                last_significant = out.len();
                mode = Mode::Double;
            }
        }
    }
    match mode {
        Mode::Normal => Ok((key, String::from_utf8_lossy(&out).into_owned())),
        Mode::Double => Err("unmatched \"".into()),
        Mode::Single => Err("unmatched '".into()),
        Mode::Escape => Err("incomplete escape sequence".into()),
    }
}

fn hex4(b: &[u8]) -> Result<u32, String> {
    if b.len() < 4 {
        return Err("incomplete hex sequence".into());
    }
    let mut r = 0;
    for &d in &b[..4] {
        let v = (d as char)
            .to_digit(16)
            .ok_or_else(|| format!("invalid hex character: {:?}", d as char))?;
        r = r * 16 + v;
    }
    Ok(r)
}

/// node_exporter's `versionRegex` (`^[0-9]+\.?[0-9]*`) applied to `VERSION_ID`: the major.minor
/// number, 0 when there is none.
pub fn major_minor(version_id: &str) -> f64 {
    let b = version_id.as_bytes();
    let mut end = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if end == 0 {
        return 0.0;
    }
    if b.get(end) == Some(&b'.') {
        end += 1;
        end += b[end..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    version_id[..end].parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_comments_and_escapes() {
        let env = parse(
            "# comment\nNAME=\"Ubuntu\"\nVERSION='20.04.2 LTS (Focal Fossa)'\nID=ubuntu # trailing\n\
             export PRETTY_NAME=\"a \\\"b\\\" \\u00e9\"\nEMPTY=\nBUG_REPORT_URL=\"https://x/\"\n",
        )
        .unwrap();
        assert_eq!(env["NAME"], "Ubuntu");
        assert_eq!(env["VERSION"], "20.04.2 LTS (Focal Fossa)");
        assert_eq!(env["ID"], "ubuntu");
        assert_eq!(env["PRETTY_NAME"], "a \"b\" é");
        assert!(!env.contains_key("EMPTY"));
        let err = parse("A=1\nnot a pair\n").unwrap_err();
        assert_eq!(err.to_string(), "error on line 2: missing =");
        assert!(parse("A=\"open\n").is_err());
        assert!(parse("1A=x\n").is_err());
    }

    #[test]
    fn version_numbers() {
        assert_eq!(major_minor("20.04"), 20.04);
        assert_eq!(major_minor("12"), 12.0);
        assert_eq!(major_minor("3.18.4"), 3.18);
        assert_eq!(major_minor("rolling"), 0.0);
        assert_eq!(major_minor("7."), 7.0);
    }
}
