//! node_exporter's `vmstat` collector: the `/proc/vmstat` fields its `fields` regex selects, each
//! as an untyped family `node_vmstat_<field>`.

use ingot_hostfs::read::KeptFile;
use ingot_prom::exposition::{FamilySet, MetricType};
use regex::Regex;

use super::fields::FieldMemo;
use super::{open_error, Collector, ConfigError, UnixConfig};

pub(super) struct VmstatCollector {
    file: KeptFile,
    fields: Regex,
    memo: FieldMemo,
    buf: Vec<u8>,
}

impl VmstatCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<VmstatCollector, ConfigError> {
        let fields = Regex::new(&config.vmstat.fields).map_err(|e| {
            ConfigError(format!("invalid regular expression for vmstat.fields: {e}"))
        })?;
        Ok(VmstatCollector {
            file: KeptFile::new(config.procfs_path.join("vmstat")),
            fields,
            memo: FieldMemo::new(),
            buf: Vec::new(),
        })
    }
}

impl Collector for VmstatCollector {
    fn name(&self) -> &'static str {
        "vmstat"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.file
            .read_into(&mut self.buf)
            .map_err(|e| open_error(self.file.path(), &e))?;
        let text = String::from_utf8_lossy(&self.buf);
        let (memo, fields) = (&mut self.memo, &self.fields);
        let mut index = 0;
        ingot_hostfs::vmstat::for_each(&text, |name, value| {
            let family = memo.get(index, name, || {
                fields.is_match(name).then(|| {
                    (
                        format!("node_vmstat_{name}"),
                        format!("/proc/vmstat information field {name}."),
                    )
                })
            });
            if let Some((family, help)) = family {
                out.family_with(family, help, MetricType::Unknown, &[])
                    .push(&[], value);
            }
            index += 1;
        })
        .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_fields_by_regex() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("vmstat"),
            "nr_free_pages 10\npgfault 20\noom_kill 0\npswpin 3\n",
        )
        .unwrap();
        let config = UnixConfig {
            procfs_path: dir.path().to_owned(),
            ..UnixConfig::default()
        };
        let mut c = VmstatCollector::new(&config).unwrap();
        for _ in 0..2 {
            let mut set = FamilySet::new();
            c.update(&mut set).unwrap();
            let text = set.encode_to_string();
            assert!(!text.contains("nr_free_pages"), "{text}");
            assert!(
                text.contains("# HELP node_vmstat_pgfault /proc/vmstat information field pgfault.\n# TYPE node_vmstat_pgfault untyped\nnode_vmstat_pgfault 20\n"),
                "{text}"
            );
            assert!(text.contains("node_vmstat_oom_kill 0\n"));
            assert!(text.contains("node_vmstat_pswpin 3\n"));
        }
        std::fs::write(dir.path().join("vmstat"), "pgfault x\n").unwrap();
        assert!(c.update(&mut FamilySet::new()).is_err());
    }
}
