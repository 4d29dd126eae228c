//! `/proc/cpuinfo` in the x86 layout (procfs's `parseCPUInfoX86`).
//!
//! Values are what follows the first `": "` on a line, untrimmed; keys are trimmed. A line
//! without `": "` (such as an empty `power management:`) never matches a key.

use crate::num::{parse_f64, parse_uint_base0};
use crate::ParseError;

/// One processor block. Text fields borrow from the file content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuInfo<'a> {
    pub processor: u32,
    pub vendor_id: &'a str,
    pub cpu_family: &'a str,
    pub model: &'a str,
    pub model_name: &'a str,
    pub stepping: &'a str,
    pub microcode: &'a str,
    pub cpu_mhz: f64,
    pub cache_size: &'a str,
    pub physical_id: &'a str,
    pub core_id: &'a str,
    /// The raw `flags` value; split on whitespace for the flag list.
    pub flags: &'a str,
    pub bugs: &'a str,
}

pub fn parse_x86(text: &str) -> Result<Vec<CpuInfo<'_>>, ParseError> {
    let mut lines = text.lines();
    let first = lines.by_ref().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.starts_with("processor") || !first.contains(':') {
        return Err(ParseError::new(format!("Cannot parse line: {first:?}")));
    }
    let mut cpus = vec![CpuInfo {
        processor: processor_number(first)?,
        ..CpuInfo::default()
    }];
    for line in lines {
        let Some((key, value)) = line.split_once(": ") else {
            continue;
        };
        let cpu = cpus.last_mut().expect("at least one processor");
        let bad = |what: &str| ParseError::new(format!("cannot parse {what} {value:?}"));
        match key.trim() {
            "processor" => {
                let processor = processor_number(line)?;
                cpus.push(CpuInfo {
                    processor,
                    ..CpuInfo::default()
                });
            }
            "vendor" | "vendor_id" => cpu.vendor_id = value,
            "cpu family" => cpu.cpu_family = value,
            "model" => cpu.model = value,
            "model name" => cpu.model_name = value,
            "stepping" => cpu.stepping = value,
            "microcode" => cpu.microcode = value,
            "cpu MHz" => cpu.cpu_mhz = parse_f64(value).ok_or_else(|| bad("cpu MHz"))?,
            "cache size" => cpu.cache_size = value,
            "physical id" => cpu.physical_id = value,
            "core id" => cpu.core_id = value,
            "flags" => cpu.flags = value,
            "bugs" => cpu.bugs = value,
            // procfs parses these too, so a malformed one fails the file.
            "siblings" | "cpu cores" | "cpuid level" | "clflush size" | "cache_alignment" => {
                parse_uint_base0(value, 32).ok_or_else(|| bad(key.trim()))?;
            }
            "bogomips" => {
                parse_f64(value).ok_or_else(|| bad("bogomips"))?;
            }
            _ => {}
        }
    }
    Ok(cpus)
}

fn processor_number(line: &str) -> Result<u32, ParseError> {
    let value = line
        .split_once(": ")
        .map(|(_, v)| v)
        .ok_or_else(|| ParseError::new(format!("Cannot parse line: {line:?}")))?;
    parse_uint_base0(value, 32)
        .map(|v| v as u32)
        .ok_or_else(|| ParseError::new(format!("cannot parse processor {value:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks() {
        let text = "\nprocessor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 142\n\
                    model name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz\nstepping\t: 10\n\
                    microcode\t: 0xb4\ncpu MHz\t\t: 799.998\ncache size\t: 8192 KB\nphysical id\t: 0\n\
                    siblings\t: 8\ncore id\t\t: 0\nflags\t\t: fpu vme aes\nbugs\t\t: cpu_meltdown mds\n\
                    power management:\n\nprocessor\t: 1\ncore id\t\t: 1\n";
        let cpus = parse_x86(text).unwrap();
        assert_eq!(cpus.len(), 2);
        assert_eq!(
            cpus[0].model_name,
            "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"
        );
        assert_eq!(cpus[0].cpu_mhz, 799.998);
        assert_eq!(
            cpus[0].flags.split_whitespace().collect::<Vec<_>>(),
            ["fpu", "vme", "aes"]
        );
        assert_eq!(cpus[1].processor, 1);
        assert_eq!(cpus[1].core_id, "1");
        assert_eq!(cpus[1].vendor_id, "");
    }

    #[test]
    fn rejects_unexpected_first_line_and_bad_numbers() {
        assert!(parse_x86("vendor_id : x\n").is_err());
        assert!(parse_x86("processor\t: 0\nsiblings\t: many\n").is_err());
        assert!(parse_x86("").is_err());
    }
}
