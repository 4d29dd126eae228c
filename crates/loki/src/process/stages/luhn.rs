//! `stage.luhn`: replaces numbers that pass the Luhn check (card numbers) of at least `min_length` digits
//! (default 13) with `replacement` (default `**REDACTED**`). With `delimiters`, those characters may sit
//! between the digits of one number (`4111 1111 1111 1111`). With `source`, the extracted string of that
//! name is read, and the line becomes the result, as in Alloy.

use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::process::args::invalid;
use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub replacement: String,
    pub source: Option<String>,
    pub min_length: usize,
    pub delimiters: String,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let replacement: String = d.optional_or("replacement", String::new())?;
        let source: Option<String> = d.optional("source")?;
        let min_length: i64 = d.optional_or("min_length", 0)?;
        let delimiters: String = d.optional_or("delimiters", String::new())?;
        if source.as_deref() == Some("") {
            return Err(d.error_at_attr("source", invalid("empty source")));
        }
        Ok(Config {
            replacement: if replacement.is_empty() {
                "**REDACTED**".to_string()
            } else {
                replacement
            },
            source,
            min_length: if min_length < 1 {
                13
            } else {
                min_length as usize
            },
            delimiters,
        })
    }
}

impl Config {
    pub fn build(&self) -> Luhn {
        Luhn(self.clone())
    }
}

pub struct Luhn(Config);

/// Alloy's `isLuhn` on the number (Go's `strconv.Atoi` of the digits: more than 19 digits, or digits
/// other than ASCII, are no number and so never replaced).
fn is_luhn(digits: &str) -> bool {
    let Ok(mut n) = ingot_gocompat::strconv::atoi(digits) else {
        return false;
    };
    let check = n % 10;
    n /= 10;
    let mut sum = 0;
    let mut i = 0;
    while n > 0 {
        let mut cur = n % 10;
        if i % 2 == 0 {
            cur *= 2;
            if cur > 9 {
                cur = cur % 10 + cur / 10;
            }
        }
        sum += cur;
        n /= 10;
        i += 1;
    }
    (check + sum % 10) % 10 == 0
}

impl Luhn {
    fn replace(&self, input: &str) -> String {
        let c = &self.0;
        let mut out = String::with_capacity(input.len());
        let mut number = String::new();
        // With delimiters: the number as written, and the delimiter just after its last digit.
        let mut written = String::new();
        let mut trailing: Option<char> = None;
        let flush = |out: &mut String,
                     number: &mut String,
                     written: &mut String,
                     trailing: &mut Option<char>| {
            if !number.is_empty() {
                let as_written = if c.delimiters.is_empty() {
                    &*number
                } else {
                    &*written
                };
                if number.len() >= c.min_length && is_luhn(number) {
                    out.push_str(&c.replacement);
                    if let Some(t) = trailing {
                        out.push(*t);
                    }
                } else {
                    out.push_str(as_written);
                }
            }
            number.clear();
            written.clear();
            *trailing = None;
        };
        for ch in input.chars() {
            if ingot_gocompat::unicode::is_digit(ch) {
                number.push(ch);
                written.push(ch);
                trailing = None;
            } else if !c.delimiters.is_empty() && c.delimiters.contains(ch) && !number.is_empty() {
                written.push(ch);
                trailing = Some(ch);
            } else {
                flush(&mut out, &mut number, &mut written, &mut trailing);
                out.push(ch);
            }
        }
        flush(&mut out, &mut number, &mut written, &mut trailing);
        out
    }
}

impl Stage for Luhn {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let input = match &self.0.source {
            None => Some(e.line.clone()),
            // Only a string value is read.
            Some(src) => match e.extracted.get(src) {
                Some(Value::Str(s)) => Some(s.to_string()),
                _ => None,
            },
        };
        if let Some(input) = input {
            e.line = self.replace(&input);
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;

    // Alloy's luhn_test.go.
    #[test]
    fn redacts_luhn_numbers() {
        let out = run_line(
            "stage.luhn {}",
            "card 4111111111111111 and 4111111111111112, id 1234",
        );
        assert_eq!(
            out[0].line,
            "card **REDACTED** and 4111111111111112, id 1234"
        );
        let out = run_line(
            "stage.luhn {\nreplacement = \"X\"\nmin_length = 4\n}",
            "pin 4242 or 79927398713",
        );
        assert_eq!(out[0].line, "pin X or X");
        let out = run_line(
            "stage.luhn { delimiters = \" -\" }",
            "card 4111 1111 1111 1111 ok, 4111-1111-1111-1112 no",
        );
        assert_eq!(out[0].line, "card **REDACTED** ok, 4111-1111-1111-1112 no");
        // A trailing delimiter stays after the replacement.
        let out = run_line(
            "stage.luhn { delimiters = \" \" }",
            "4111 1111 1111 1111 end",
        );
        assert_eq!(out[0].line, "**REDACTED** end");
        // More digits than an int64 holds: not a number.
        let out = run_line("stage.luhn {}", "41111111111111111111111");
        assert_eq!(out[0].line, "41111111111111111111111");
    }

    #[test]
    fn source() {
        let (mut p, _) = pipeline("stage.luhn { source = \"cc\" }");
        let mut e = entry(&[], "the line");
        e.extracted
            .insert("cc".to_string(), "4111111111111111".into());
        let mut out = Vec::new();
        p.run(e, &mut out);
        assert_eq!(out[0].line, "**REDACTED**");
        assert!(error("stage.luhn { source = \"\" }").contains("empty source"));
    }
}
