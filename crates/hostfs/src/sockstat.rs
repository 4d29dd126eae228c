//! `/proc/net/sockstat` and `/proc/net/sockstat6`: `<protocol>: <key> <value> ...` lines.

use crate::ParseError;

/// One protocol line. Keys a line lacks are `None` (`inuse` reads 0 then, as procfs's struct field).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Protocol<'a> {
    pub name: &'a str,
    pub inuse: i64,
    pub orphan: Option<i64>,
    pub tw: Option<i64>,
    pub alloc: Option<i64>,
    pub mem: Option<i64>,
    pub memory: Option<i64>,
}

/// The file: `sockets: used N` and the protocols in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sockstat<'a> {
    pub used: Option<i64>,
    pub protocols: Vec<Protocol<'a>>,
}

/// procfs's `parseSockstat`: fields split on single spaces; a line of fewer than three fields, an odd
/// number of key/value fields or a value that is not an integer fails the file.
pub fn parse(text: &str) -> Result<Sockstat<'_>, ParseError> {
    let mut stat = Sockstat::default();
    for line in text.lines() {
        let mut fields = line.split(' ');
        let proto = fields.next().unwrap_or("");
        let count = line.split(' ').count();
        if count < 3 {
            return Err(ParseError::new(format!(
                "Malformed sockstat line: {line:?}"
            )));
        }
        if (count - 1) % 2 != 0 {
            return Err(ParseError::new(format!(
                "sockstat key/value pairs from {line:?}: Odd number of fields in key/value pairs"
            )));
        }
        let mut p = Protocol {
            name: proto.strip_suffix(':').unwrap_or(proto),
            ..Protocol::default()
        };
        let mut used = 0;
        while let (Some(key), Some(value)) = (fields.next(), fields.next()) {
            let v = crate::num::parse_i64_dec(value).ok_or_else(|| {
                ParseError::new(format!(
                    "sockstat key/value pairs from {line:?}: strconv.ParseInt: parsing {value:?}: invalid syntax"
                ))
            })?;
            match key {
                "used" => used = v,
                "inuse" => p.inuse = v,
                "orphan" => p.orphan = Some(v),
                "tw" => p.tw = Some(v),
                "alloc" => p.alloc = Some(v),
                "mem" => p.mem = Some(v),
                "memory" => p.memory = Some(v),
                _ => {}
            }
        }
        if p.name == "sockets" {
            stat.used = Some(used);
        } else {
            stat.protocols.push(p);
        }
    }
    Ok(stat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_protocols() {
        let s = parse(
            "sockets: used 229\nTCP: inuse 4 orphan 0 tw 4 alloc 17 mem 1\nFRAG: inuse 0 memory 0\n",
        )
        .unwrap();
        assert_eq!(s.used, Some(229));
        assert_eq!(s.protocols.len(), 2);
        assert_eq!(s.protocols[0].name, "TCP");
        assert_eq!(s.protocols[0].mem, Some(1));
        assert_eq!(s.protocols[1].memory, Some(0));
        assert_eq!(s.protocols[1].tw, None);
        assert!(parse("TCP: inuse\n").is_err());
        assert!(parse("TCP: inuse 1 tw\n").is_err());
        assert!(parse("TCP: inuse x\n").is_err());
        assert_eq!(parse("TCP6: inuse 17\n").unwrap().used, None);
    }
}
