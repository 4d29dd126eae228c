//! `/proc/pressure/<resource>`: pressure stall information.

use crate::ParseError;

/// The `total` of the `some` and `full` lines, in microseconds; `None` when the line is absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Psi {
    pub some: Option<u64>,
    pub full: Option<u64>,
}

/// procfs's `parsePSIStats`: lines `some|full avg10=F avg60=F avg300=F total=N`; other lines are
/// skipped, a malformed `some` or `full` line fails the file.
pub fn parse(text: &str) -> Result<Psi, ParseError> {
    let mut psi = Psi::default();
    for line in text.lines() {
        let mut fields = line.split(' ');
        let slot = match fields.next() {
            Some("some") => &mut psi.some,
            Some("full") => &mut psi.full,
            _ => continue,
        };
        let bad = || ParseError::new(format!("unexpected pressure line {line:?}"));
        for key in ["avg10=", "avg60=", "avg300="] {
            let value = fields
                .next()
                .and_then(|f| f.strip_prefix(key))
                .ok_or_else(bad)?;
            crate::num::parse_f64(value).ok_or_else(bad)?;
        }
        let total = fields
            .next()
            .and_then(|f| f.strip_prefix("total="))
            .and_then(crate::num::parse_u64_dec)
            .ok_or_else(bad)?;
        *slot = Some(total);
    }
    Ok(psi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_and_full() {
        let p = parse(
            "some avg10=0.10 avg60=2.00 avg300=3.85 total=15\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n",
        )
        .unwrap();
        assert_eq!(
            p,
            Psi {
                some: Some(15),
                full: Some(7)
            }
        );
        assert_eq!(
            parse("some avg10=0.1 avg60=2 avg300=3 total=15\n")
                .unwrap()
                .full,
            None
        );
        assert!(parse("some avg10=x avg60=2 avg300=3 total=15\n").is_err());
        assert!(parse("full avg10=1 avg60=2 avg300=3\n").is_err());
    }
}
