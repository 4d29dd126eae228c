//! node_exporter's `xfrm` collector (off by default): the IPsec transformation counters of
//! `/proc/net/xfrm_stat`, one `node_xfrm_*_packets_total` counter each.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use ingot_gocompat::strconv::quote;

use super::{open_error, Collector, UnixConfig};

macro_rules! xfrm {
    ($name:literal, $help:literal) => {
        Desc::new(
            concat!("node_xfrm_", $name, "_packets_total"),
            $help,
            MetricType::Counter,
            &[],
        )
    };
}

/// The kernel's field names and their families, in the order node_exporter reports them. A field the
/// file lacks (an older kernel) is reported as 0, as procfs leaves it.
const FIELDS: [(&str, Desc); 28] = [
    (
        "XfrmInError",
        xfrm!("in_error", "All errors not matched by other"),
    ),
    (
        "XfrmInBufferError",
        xfrm!("in_buffer_error", "No buffer is left"),
    ),
    ("XfrmInHdrError", xfrm!("in_hdr_error", "Header error")),
    (
        "XfrmInNoStates",
        xfrm!(
            "in_no_states",
            "No state is found i.e. Either inbound SPI, address, or IPsec protocol at SA is wrong"
        ),
    ),
    (
        "XfrmInStateProtoError",
        xfrm!(
            "in_state_proto_error",
            "Transformation protocol specific error e.g. SA key is wrong"
        ),
    ),
    (
        "XfrmInStateModeError",
        xfrm!("in_state_mode_error", "Transformation mode specific error"),
    ),
    (
        "XfrmInStateSeqError",
        xfrm!(
            "in_state_seq_error",
            "Sequence error i.e. Sequence number is out of window"
        ),
    ),
    (
        "XfrmInStateExpired",
        xfrm!("in_state_expired", "State is expired"),
    ),
    (
        "XfrmInStateMismatch",
        xfrm!(
            "in_state_mismatch",
            "State has mismatch option e.g. UDP encapsulation type is mismatch"
        ),
    ),
    (
        "XfrmInStateInvalid",
        xfrm!("in_state_invalid", "State is invalid"),
    ),
    (
        "XfrmInTmplMismatch",
        xfrm!(
            "in_tmpl_mismatch",
            "No matching template for states e.g. Inbound SAs are correct but SP rule is wrong"
        ),
    ),
    (
        "XfrmInNoPols",
        xfrm!(
            "in_no_pols",
            "No policy is found for states e.g. Inbound SAs are correct but no SP is found"
        ),
    ),
    ("XfrmInPolBlock", xfrm!("in_pol_block", "Policy discards")),
    ("XfrmInPolError", xfrm!("in_pol_error", "Policy error")),
    (
        "XfrmOutError",
        xfrm!("out_error", "All errors which is not matched others"),
    ),
    (
        "XfrmOutBundleGenError",
        xfrm!("out_bundle_gen_error", "Bundle generation error"),
    ),
    (
        "XfrmOutBundleCheckError",
        xfrm!("out_bundle_check_error", "Bundle check error"),
    ),
    (
        "XfrmOutNoStates",
        xfrm!("out_no_states", "No state is found"),
    ),
    (
        "XfrmOutStateProtoError",
        xfrm!(
            "out_state_proto_error",
            "Transformation protocol specific error"
        ),
    ),
    (
        "XfrmOutStateModeError",
        xfrm!("out_state_mode_error", "Transformation mode specific error"),
    ),
    (
        "XfrmOutStateSeqError",
        xfrm!(
            "out_state_seq_error",
            "Sequence error i.e. Sequence number overflow"
        ),
    ),
    (
        "XfrmOutStateExpired",
        xfrm!("out_state_expired", "State is expired"),
    ),
    ("XfrmOutPolBlock", xfrm!("out_pol_block", "Policy discards")),
    ("XfrmOutPolDead", xfrm!("out_pol_dead", "Policy is dead")),
    ("XfrmOutPolError", xfrm!("out_pol_error", "Policy error")),
    (
        "XfrmFwdHdrError",
        xfrm!(
            "fwd_hdr_error",
            "Forward routing of a packet is not allowed"
        ),
    ),
    (
        "XfrmOutStateInvalid",
        xfrm!("out_state_invalid", "State is invalid, perhaps expired"),
    ),
    (
        "XfrmAcquireError",
        xfrm!(
            "acquire_error",
            "State hasn\u{2019}t been fully acquired before use"
        ),
    ),
];

pub(super) struct XfrmCollector {
    file: KeptFile,
    buf: Vec<u8>,
}

impl XfrmCollector {
    pub(super) fn new(config: &UnixConfig) -> XfrmCollector {
        XfrmCollector {
            file: KeptFile::new(config.procfs_path.join("net/xfrm_stat")),
            buf: Vec::new(),
        }
    }
}

/// procfs' `NewXfrmStat`: every line is a name and an integer (`strconv.Atoi`); any other line fails
/// the whole file, as there.
fn parse(text: &str, path: &std::path::Path) -> Result<[i64; FIELDS.len()], String> {
    let mut values = [0i64; FIELDS.len()];
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let (Some(name), Some(value), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!(
                "error parsing file: {} line {}",
                quote(&path.display().to_string()),
                quote(line)
            ));
        };
        let value = ingot_gocompat::strconv::atoi(value)?;
        if let Some(i) = FIELDS.iter().position(|(field, _)| *field == name) {
            values[i] = value;
        }
    }
    Ok(values)
}

impl Collector for XfrmCollector {
    fn name(&self) -> &'static str {
        "xfrm"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file
            .read_into(&mut self.buf)
            .map_err(|e| open_error(self.file.path(), &e))?;
        let values = parse(&String::from_utf8_lossy(&self.buf), self.file.path())?;
        for ((_, desc), value) in FIELDS.iter().zip(values) {
            out.push(desc, &[], value as f64);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_must_be_a_name_and_an_integer() {
        let path = std::path::Path::new("/proc/net/xfrm_stat");
        let v = parse("XfrmInError 1\nXfrmAcquireError\t -7\nXfrmNew 3\n", path).unwrap();
        assert_eq!((v[0], v[27], v[1]), (1, -7, 0));
        assert_eq!(
            parse("XfrmInError 1 2\n", path).unwrap_err(),
            "error parsing file: \"/proc/net/xfrm_stat\" line \"XfrmInError 1 2\""
        );
        assert_eq!(
            parse("XfrmInError x\n", path).unwrap_err(),
            "strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert!(parse("", path).unwrap().iter().all(|v| *v == 0));
    }
}
