//! The detectors: `env` reads `OTEL_RESOURCE_ATTRIBUTES` (`key=value` pairs separated by commas, values
//! percent-decoded, as the OpenTelemetry SDKs read it), `system` the host's name, OS type, architecture
//! and machine id.

use std::path::Path;

use super::args::System;

/// `OTEL_RESOURCE_ATTRIBUTES` as pairs; an entry without `=` is an error naming it.
pub fn env_attributes(value: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("invalid resource format in attribute: {part:?}"));
        };
        let v = percent_decode(v.trim())
            .ok_or_else(|| format!("invalid escape in the value of {k:?}"))?;
        out.push((k.trim().to_string(), v));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The fully qualified name of `host` from the hosts file under `root` (the name of the line that lists
/// `host` whose first name has a dot), as a resolver that reads `files` finds it.
fn fqdn_from_hosts(root: &Path, host: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join("etc/hosts")).ok()?;
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>())
        .find(|names| names.contains(&host))
        .and_then(|names| {
            names
                .first()
                .filter(|n| n.contains('.'))
                .map(|n| n.to_string())
        })
}

/// Go's `runtime.GOARCH` names.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// What the `system` detector finds under `root`.
pub fn system_attributes(root: &Path, cfg: &System) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    if cfg.host_name {
        let os = std::fs::read_to_string(root.join("proc/sys/kernel/hostname"))
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty());
        let mut name = None;
        for src in &cfg.hostname_sources {
            name = match src.as_str() {
                "os" => os.clone(),
                _ => os.as_deref().and_then(|h| fqdn_from_hosts(root, h)),
            };
            if name.is_some() {
                break;
            }
        }
        let name = name.ok_or("failed getting host name from every hostname source")?;
        out.push(("host.name".into(), name));
    }
    if cfg.os_type {
        out.push(("os.type".into(), std::env::consts::OS.into()));
    }
    if cfg.host_arch {
        out.push(("host.arch".into(), go_arch().into()));
    }
    if cfg.host_id {
        let id = ["etc/machine-id", "var/lib/dbus/machine-id"]
            .iter()
            .find_map(|p| std::fs::read_to_string(root.join(p)).ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or("host.id: no machine id in /etc/machine-id or /var/lib/dbus/machine-id")?;
        out.push(("host.id".into(), id));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_pairs_are_percent_decoded() {
        assert_eq!(
            env_attributes("service.name=shop, deployment.environment=prod%20eu,").unwrap(),
            vec![
                ("service.name".into(), "shop".into()),
                ("deployment.environment".into(), "prod eu".into())
            ]
        );
        assert!(env_attributes("novalue").is_err());
    }

    #[test]
    fn system_from_a_root() {
        let root = tempfile::tempdir().unwrap();
        for d in ["proc/sys/kernel", "etc"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        std::fs::write(root.path().join("proc/sys/kernel/hostname"), "web1\n").unwrap();
        std::fs::write(
            root.path().join("etc/hosts"),
            "127.0.0.1 localhost\n10.0.0.5 web1.example.com web1 # me\n",
        )
        .unwrap();
        std::fs::write(root.path().join("etc/machine-id"), "abc123\n").unwrap();
        let mut cfg = System {
            host_arch: true,
            host_id: true,
            ..System::default()
        };
        let got = system_attributes(root.path(), &cfg).unwrap();
        assert_eq!(got[0], ("host.name".into(), "web1.example.com".into()));
        assert_eq!(got[1], ("os.type".into(), "linux".into()));
        assert_eq!(got[3], ("host.id".into(), "abc123".into()));
        cfg.hostname_sources = vec!["os".into()];
        assert_eq!(system_attributes(root.path(), &cfg).unwrap()[0].1, "web1");
    }
}
