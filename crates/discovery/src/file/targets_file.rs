//! One file_sd file (JSON or YAML groups of `targets` and `labels`) read into targets, with Prometheus'
//! checks and error texts.

use std::collections::BTreeMap;
use std::path::Path;

/// One target: its labels.
pub type Target = BTreeMap<String, String>;

/// One file's targets, or why it could not be used.
pub fn read_file(path: &Path) -> Result<Vec<Target>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let groups = match ext.as_str() {
        "json" => parse_json(&text)?,
        "yml" | "yaml" => parse_yaml(&text)?,
        _ => {
            return Err(format!(
                "retrieval target groups from {}: unsupported file extension",
                path.display()
            ))
        }
    };
    let file = path.display().to_string();
    let mut out = Vec::new();
    for (targets, labels) in groups {
        for t in targets {
            let mut m = labels.clone();
            m.insert("__meta_filepath".into(), file.clone());
            m.insert("__address__".into(), t);
            out.push(m);
        }
    }
    Ok(out)
}

type Group = (Vec<String>, Target);

fn check_label_name(n: &str) -> Result<(), String> {
    if n.is_empty() {
        return Err(format!("{n:?} is not a valid label name"));
    }
    Ok(())
}

/// Prometheus reads a `null` list element into a nil group and refuses the file.
const NIL_GROUP: &str = "nil target group item found";

fn parse_json(text: &str) -> Result<Vec<Group>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    // A top-level `null` is Go's nil slice: no groups.
    if v.is_null() {
        return Ok(Vec::new());
    }
    let arr = v.as_array().ok_or("expected a list of target groups")?;
    let mut out = Vec::new();
    for g in arr {
        if g.is_null() {
            return Err(NIL_GROUP.into());
        }
        let obj = g.as_object().ok_or("expected a target group object")?;
        // Prometheus decodes groups with DisallowUnknownFields: a misspelt key is an error, not
        // a silently unlabeled target.
        // Go's encoding/json matches field names case-insensitively (`Targets` is `targets`).
        let field = |name: &str| {
            obj.iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        if let Some(unknown) = obj
            .keys()
            .find(|k| !k.eq_ignore_ascii_case("targets") && !k.eq_ignore_ascii_case("labels"))
        {
            return Err(format!("json: unknown field {unknown:?}"));
        }
        let mut targets = Vec::new();
        for t in field("targets")
            .and_then(|t| t.as_array())
            .into_iter()
            .flatten()
        {
            targets.push(t.as_str().ok_or("target must be a string")?.to_string());
        }
        let mut labels = Target::new();
        if let Some(ls) = field("labels").filter(|l| !l.is_null()) {
            for (k, v) in ls.as_object().ok_or("labels must be an object")? {
                check_label_name(k)?;
                let v = v
                    .as_str()
                    .ok_or_else(|| format!("label {k:?}: value must be a string"))?;
                labels.insert(k.clone(), v.to_string());
            }
        }
        out.push((targets, labels));
    }
    Ok(out)
}

fn yaml_scalar(y: &yaml_rust2::Yaml) -> Option<String> {
    use yaml_rust2::Yaml;
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_yaml(text: &str) -> Result<Vec<Group>, String> {
    use ingot_syntax::stdlib::yaml::YamlError;
    use yaml_rust2::Yaml;
    // Aliases and nesting are checked as Go's YAML decoder checks them before anything is built: a few
    // hundred bytes of aliases can stand for billions of nodes.
    let docs = ingot_syntax::stdlib::yaml::load(text).map_err(|e| match e {
        YamlError::Scan(e) => e.to_string(),
        YamlError::Refused(message) => message,
    })?;
    let Some(doc) = docs.first() else {
        return Ok(Vec::new());
    };
    if doc.is_null() {
        return Ok(Vec::new());
    }
    let arr = doc.as_vec().ok_or("expected a list of target groups")?;
    let mut out = Vec::new();
    for g in arr {
        if g.is_null() {
            return Err(NIL_GROUP.into());
        }
        let h = g.as_hash().ok_or("expected a target group mapping")?;
        let mut targets = Vec::new();
        let mut labels = Target::new();
        for (k, v) in h {
            match k.as_str() {
                Some("targets") => {
                    for t in v.as_vec().into_iter().flatten() {
                        targets.push(yaml_scalar(t).ok_or("target must be a string")?);
                    }
                }
                Some("labels") => {
                    if let Yaml::Hash(ls) = v {
                        for (lk, lv) in ls {
                            let lk = yaml_scalar(lk).ok_or("label name must be a string")?;
                            check_label_name(&lk)?;
                            let lv = yaml_scalar(lv)
                                .ok_or_else(|| format!("label {lk:?}: value must be a string"))?;
                            labels.insert(lk, lv);
                        }
                    } else if !v.is_null() {
                        return Err("labels must be a mapping".into());
                    }
                }
                Some(other) => {
                    return Err(format!("field {other} not found in type targetgroup.Group"))
                }
                None => return Err("unexpected key in target group".into()),
            }
        }
        out.push((targets, labels));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::expand_pattern;

    #[test]
    fn json_and_yaml_groups_become_targets() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("a.json");
        std::fs::write(
            &j,
            r#"[{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"env": "prod", "__metrics_path__": "/m"}}]"#,
        )
        .unwrap();
        let y = dir.path().join("b.yaml");
        std::fs::write(&y, "- targets: ['h:1']\n  labels:\n    port: 1\n").unwrap();
        let t = read_file(&j).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1]["__address__"], "10.0.0.2:9100");
        assert_eq!(t[1]["env"], "prod");
        assert_eq!(t[1]["__metrics_path__"], "/m");
        assert_eq!(t[1]["__meta_filepath"], j.display().to_string());
        let t = read_file(&y).unwrap();
        assert_eq!(t[0]["port"], "1");
        let pattern = format!("{}/*.json", dir.path().display());
        assert_eq!(expand_pattern(&pattern), vec![j.clone()]);
        // As Prometheus: unknown JSON keys and null groups are errors, a null file has no groups.
        std::fs::write(&j, r#"[{"targets": ["h:1"], "label": {"env": "prod"}}]"#).unwrap();
        assert_eq!(read_file(&j).unwrap_err(), r#"json: unknown field "label""#);
        std::fs::write(&j, r#"[{"Targets": ["h:1"], "LABELS": {"env": "prod"}}]"#).unwrap();
        let t = read_file(&j).unwrap();
        assert_eq!(
            (t[0]["__address__"].as_str(), t[0]["env"].as_str()),
            ("h:1", "prod")
        );
        std::fs::write(&j, "[null]").unwrap();
        assert_eq!(read_file(&j).unwrap_err(), NIL_GROUP);
        std::fs::write(&j, "null").unwrap();
        assert_eq!(read_file(&j).unwrap(), Vec::<Target>::new());
        std::fs::write(&y, "- targets: ['h:1']\n-\n").unwrap();
        assert_eq!(read_file(&y).unwrap_err(), NIL_GROUP);
        std::fs::write(&y, "- targets: ['h:1']\n  extra: 1\n").unwrap();
        assert!(read_file(&y).unwrap_err().contains("extra"));
        let bad = dir.path().join("c.txt");
        std::fs::write(&bad, "[]").unwrap();
        assert!(read_file(&bad)
            .unwrap_err()
            .contains("unsupported file extension"));
    }

    /// A file_sd file whose labels hold a "billion laughs": nine anchors, each nine aliases of the one before
    /// (9^9 strings once expanded).
    fn alias_bomb() -> String {
        let mut doc = String::from(
            "- targets: [\"localhost:9100\"]\n  labels:\n    a: &a [x,x,x,x,x,x,x,x,x]\n",
        );
        for name in "bcdefghi".chars() {
            let prev = (name as u8 - 1) as char;
            let items = vec![format!("*{prev}"); 9].join(",");
            doc.push_str(&format!("    {name}: &{name} [{items}]\n"));
        }
        doc
    }

    #[test]
    fn yaml_alias_bombs_and_deep_nesting_are_refused_as_go_refuses_them() {
        let dir = tempfile::tempdir().unwrap();
        let y = dir.path().join("bomb.yml");
        let bomb = alias_bomb();
        // Under 400 bytes, that once took the agent past 5 GB.
        assert!(bomb.len() < 400, "{}", bomb.len());
        std::fs::write(&y, &bomb).unwrap();
        assert_eq!(
            read_file(&y).unwrap_err(),
            "yaml: document contains excessive aliasing"
        );
        std::fs::write(&y, format!("{}x\n", "- ".repeat(100_000))).unwrap();
        assert_eq!(
            read_file(&y).unwrap_err(),
            format!(
                "yaml: line 1: exceeded max depth of {}",
                ingot_syntax::limits::MAX_DECODE_DEPTH
            )
        );
        // An alias or two is ordinary YAML.
        std::fs::write(
            &y,
            "- targets: ['h:1']\n  labels: &l {env: prod}\n- targets: ['h:2']\n  labels: *l\n",
        )
        .unwrap();
        let t = read_file(&y).unwrap();
        assert_eq!(
            (t[1]["__address__"].as_str(), t[1]["env"].as_str()),
            ("h:2", "prod")
        );
    }
}
