//! `/proc/slabinfo` (version 2.1), as procfs reads it.

use crate::ParseError;

/// One cache: its name and the five numbers node_exporter reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slab<'a> {
    pub name: &'a str,
    pub active_objects: i64,
    pub objects: i64,
    pub object_size: i64,
    pub objects_per_slab: i64,
    pub pages_per_slab: i64,
}

/// procfs's `parseSlabInfo21`: lines other than the version and the `# name` header must have 16
/// fields with integers where procfs reads them.
pub fn parse(text: &str) -> Result<Vec<Slab<'_>>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.contains("slabinfo -") || line.contains("# name") {
            continue;
        }
        // procfs collapses every run of white space into one space and splits on it, so leading or
        // trailing space makes an empty field.
        let mut fields: Vec<&str> = Vec::with_capacity(16);
        let mut rest = line;
        loop {
            match rest.find(char::is_whitespace) {
                Some(i) => {
                    fields.push(&rest[..i]);
                    rest = rest[i..].trim_start();
                    if rest.is_empty() {
                        fields.push("");
                        break;
                    }
                }
                None => {
                    fields.push(rest);
                    break;
                }
            }
        }
        if fields.len() != 16 {
            return Err(ParseError::new(format!("unable to parse: {line:?}")));
        }
        let int = |i: usize| {
            crate::num::parse_i64_dec(fields[i]).ok_or_else(|| {
                ParseError::new(format!(
                    "strconv.ParseInt: parsing {:?}: invalid syntax",
                    fields[i]
                ))
            })
        };
        for i in [8, 9, 10, 13, 14, 15] {
            int(i)?;
        }
        out.push(Slab {
            name: fields[0],
            active_objects: int(1)?,
            objects: int(2)?,
            object_size: int(3)?,
            objects_per_slab: int(4)?,
            pages_per_slab: int(5)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches() {
        let text = "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n\
            kmalloc-8192         132    148   8192    4    8 : tunables    0    0    0 : slabdata     37     37      0\n";
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "kmalloc-8192");
        assert_eq!(
            (s[0].active_objects, s[0].objects, s[0].object_size),
            (132, 148, 8192)
        );
        assert_eq!((s[0].objects_per_slab, s[0].pages_per_slab), (4, 8));
        assert!(parse("x 1 2 3\n").is_err());
    }
}
