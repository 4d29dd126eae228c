//! The `settings` collector.

use ingot_prom::exposition::{FamilySet, MetricType};

use super::{rows, text, Error, Input};
use MetricType::Gauge;

const SETTINGS_QUERY: &str =
    "SELECT name, setting, COALESCE(unit, ''), COALESCE(short_desc, ''), vartype \
FROM pg_settings WHERE vartype IN ('bool', 'integer', 'real') \
AND name NOT IN ('sync_commit_cancel_wait', 'google_dataplex.max_messages')";

/// A setting's value in base units and the unit suffix of its metric name (`seconds`, `bytes`), as
/// upstream's `normaliseUnit`; `None` for a value or unit it cannot convert (upstream logs and skips those).
pub fn normalise_setting(setting: &str, unit: &str) -> Option<(f64, &'static str)> {
    let mut setting = setting;
    // Upstream strips a unit written after the number (with the separator before it).
    for suffix in ["ms", "s", "min", "h", "d", "B", "kB", "MB", "GB", "TB"] {
        if setting.ends_with(suffix) {
            setting = &setting[..setting.len().saturating_sub(suffix.len() + 1)];
            break;
        }
    }
    let mut val: f64 = setting.parse().ok()?;
    let (suffix, factor) = match unit {
        "" => return Some((val, "")),
        "ms" => ("seconds", 1.0 / 1000.0),
        "s" => ("seconds", 1.0),
        "min" => ("seconds", 60.0),
        "h" => ("seconds", 3600.0),
        "d" => ("seconds", 86400.0),
        "B" => ("bytes", 1.0),
        "kB" | "1kB" => ("bytes", 1024.0),
        "2kB" => ("bytes", 2048.0),
        "4kB" => ("bytes", 4096.0),
        "8kB" => ("bytes", 8192.0),
        "16kB" => ("bytes", 16384.0),
        "32kB" => ("bytes", 32768.0),
        "64kB" => ("bytes", 65536.0),
        "MB" => ("bytes", 1048576.0),
        "16MB" => ("bytes", 16777216.0),
        "32MB" => ("bytes", 33554432.0),
        "64MB" => ("bytes", 67108864.0),
        "GB" => ("bytes", 1073741824.0),
        "TB" => ("bytes", 1099511627776.0),
        _ => return None,
    };
    // -1 means "disabled" and stays -1 in any unit.
    if val != -1.0 {
        if unit == "ms" {
            val /= 1000.0;
        } else {
            val *= factor;
        }
    }
    Some((val, suffix))
}

pub(super) async fn settings(input: &Input<'_>, out: &mut FamilySet) -> Result<(), Error> {
    let mut name_buf = String::new();
    let mut help_buf = String::new();
    for r in rows(input.client, SETTINGS_QUERY).await? {
        let (Some(name), Some(setting), Some(unit), Some(vartype)) =
            (text(&r, 0), text(&r, 1), text(&r, 2), text(&r, 4))
        else {
            continue;
        };
        name_buf.clear();
        name_buf.push_str("pg_settings_");
        name_buf.extend(
            name.chars()
                .map(|c| if c == '.' || c == '-' { '_' } else { c }),
        );
        help_buf.clear();
        help_buf.push_str("Server Parameter: ");
        help_buf.push_str(name);
        let value = match vartype {
            "bool" => {
                if setting == "on" {
                    1.0
                } else {
                    0.0
                }
            }
            _ => {
                let Some((v, suffix)) = normalise_setting(setting, unit) else {
                    continue;
                };
                if !suffix.is_empty() {
                    name_buf.push('_');
                    name_buf.push_str(suffix);
                    help_buf.push_str(" [Units converted to ");
                    help_buf.push_str(suffix);
                    help_buf.push_str(".]");
                }
                v
            }
        };
        out.family_with(&name_buf, &help_buf, Gauge, &[])
            .push(&[], value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_units_as_upstream_normalises_them() {
        assert_eq!(normalise_setting("200", "ms"), Some((0.2, "seconds")));
        assert_eq!(normalise_setting("5", "min"), Some((300.0, "seconds")));
        assert_eq!(
            normalise_setting("16384", "8kB"),
            Some((134217728.0, "bytes"))
        );
        assert_eq!(normalise_setting("-1", "kB"), Some((-1.0, "bytes")));
        assert_eq!(normalise_setting("100", ""), Some((100.0, "")));
        assert_eq!(normalise_setting("1", "parsecs"), None);
        assert_eq!(normalise_setting("abc", "s"), None);
    }
}
