//! `/proc/<pid>/limits`: the soft limits client_golang's process collector reports.

use crate::num::parse_u64_dec;
use crate::ParseError;

/// The soft limits of one process; `u64::MAX` stands for `unlimited`, as in procfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `Max open files`.
    pub open_files: u64,
    /// `Max address space`, in bytes.
    pub address_space: u64,
}

/// Parses the table. A row is its name, two or more spaces, then the soft and hard limits; a soft limit
/// that is neither a number nor `unlimited` fails the file, as procfs does.
pub fn parse_limits(text: &str) -> Result<Limits, ParseError> {
    let mut limits = Limits {
        open_files: 0,
        address_space: 0,
    };
    for line in text.lines().skip(1) {
        let Some(gap) = line.find("  ") else { continue };
        let name = &line[..gap];
        let slot = match name {
            "Max open files" => &mut limits.open_files,
            "Max address space" => &mut limits.address_space,
            _ => continue,
        };
        let soft = line[gap..].split_ascii_whitespace().next().unwrap_or("");
        *slot = match soft {
            "unlimited" => u64::MAX,
            _ => parse_u64_dec(soft).ok_or_else(|| {
                ParseError::new(format!("couldn't parse value {soft:?} of {name:?}"))
            })?,
        };
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str = "\
Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max open files            1024                 524288               files     
Max address space         unlimited            unlimited            bytes     
Max realtime timeout      unlimited            unlimited            us        
";

    #[test]
    fn soft_limits_with_unlimited_as_max() {
        assert_eq!(
            parse_limits(LIMITS),
            Ok(Limits {
                open_files: 1024,
                address_space: u64::MAX,
            })
        );
    }

    #[test]
    fn a_bad_value_fails() {
        let text = LIMITS.replace("1024 ", "lots ");
        assert!(parse_limits(&text).is_err());
    }
}
