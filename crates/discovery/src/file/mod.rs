//! `discovery.file`: Prometheus file_sd. Reads JSON or YAML files of `[{targets, labels}]` groups
//! (patterns may glob the last path segment), exports one target per entry with the group's labels
//! and `__meta_filepath`, re-reads every `refresh_interval` and whenever a file's size or
//! modification time changes (checked every second). A file that cannot be read or parsed keeps its
//! last good targets, and the component is unhealthy naming the file and the error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ingot_runtime::component::{ComponentType, Context};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};

use crate::discovery::targets_value;

pub const NAME: &str = "discovery.file";

type Target = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq)]
pub struct Arguments {
    pub files: Vec<String>,
    pub refresh_interval: Duration,
}

impl Decode for Arguments {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        Ok(Arguments {
            files: d.required("files")?,
            refresh_interval: d.optional_or("refresh_interval", Duration::from_secs(300))?,
        })
    }
}

/// Go's `filepath.Match` for one path segment: `*`, `?`, `[...]` (with `^`/`!` negation and ranges)
/// and `\` escapes.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    fn class(p: &[char], c: char) -> Option<(bool, usize)> {
        let mut i = 1;
        let negate = matches!(p.get(1), Some('^') | Some('!'));
        if negate {
            i += 1;
        }
        let mut matched = false;
        let mut first = true;
        while i < p.len() {
            if p[i] == ']' && !first {
                return Some((matched != negate, i + 1));
            }
            first = false;
            let mut lo = p[i];
            if lo == '\\' {
                i += 1;
                lo = *p.get(i)?;
            }
            let mut hi = lo;
            if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&x| x != ']') {
                hi = p[i + 2];
                i += 2;
            }
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 1;
        }
        None
    }
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|k| go(&p[1..], &n[k..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => match (n.first(), class(p, *n.first().unwrap_or(&'\0'))) {
                (Some(_), Some((true, used))) => go(&p[used..], &n[1..]),
                _ => false,
            },
            Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && go(&p[2..], &n[1..]),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// The files a pattern names, sorted; only the last segment may hold glob characters.
pub fn expand_pattern(pattern: &str) -> Vec<PathBuf> {
    let path = Path::new(pattern);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains(['*', '?', '[']) {
        return if path.is_file() {
            vec![path.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| glob_match(name, n)))
        .map(|e| clean_path(&dir.join(e.file_name())))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// Go's `filepath.Clean`, lexically: Go's `Glob` joins the directory and each match with
/// `filepath.Join`, which cleans, so `./*.json` finds `a.json` and `__meta_filepath` says so.
fn clean_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

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
    use yaml_rust2::Yaml;
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
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

/// A file's identity for change detection.
type Stamp = (PathBuf, Option<SystemTime>, u64);

#[derive(Default)]
struct State {
    /// Last good targets per file.
    last_good: BTreeMap<PathBuf, Vec<Target>>,
    errors: BTreeMap<PathBuf, String>,
    stamps: Vec<Stamp>,
}

struct Shared {
    ctx: Context,
    args: Mutex<Arguments>,
    state: Mutex<State>,
}

pub struct Component {
    shared: Arc<Shared>,
}

fn stamps(files: &[String]) -> Vec<Stamp> {
    let mut out = Vec::new();
    for p in files {
        for f in expand_pattern(p) {
            let meta = std::fs::metadata(&f).ok();
            out.push((
                f,
                meta.as_ref().and_then(|m| m.modified().ok()),
                meta.map_or(0, |m| m.len()),
            ));
        }
    }
    out
}

impl Shared {
    /// Re-reads every file and publishes the targets.
    fn refresh(&self) {
        let files = self
            .args
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .files
            .clone();
        let now_stamps = stamps(&files);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut good = BTreeMap::new();
        let mut errors = BTreeMap::new();
        for (path, _, _) in &now_stamps {
            match read_file(path) {
                Ok(t) => {
                    good.insert(path.clone(), t);
                }
                Err(e) => {
                    if let Some(prev) = state.last_good.get(path) {
                        good.insert(path.clone(), prev.clone());
                    }
                    errors.insert(path.clone(), e);
                }
            }
        }
        state.last_good = good;
        state.errors = errors;
        state.stamps = now_stamps;
        let targets: Vec<Target> = state.last_good.values().flatten().cloned().collect();
        if state.errors.is_empty() {
            self.ctx.health.healthy(format!(
                "read {} targets from {} files",
                targets.len(),
                state.last_good.len()
            ));
        } else {
            let msgs: Vec<String> = state
                .errors
                .iter()
                .map(|(p, e)| format!("{}: {e}", p.display()))
                .collect();
            self.ctx.health.unhealthy(format!(
                "error reading file (keeping its last good targets): {}",
                msgs.join("; ")
            ));
        }
        drop(state);
        self.ctx
            .exports
            .publish(ingot_syntax::value::Value::object([(
                "targets",
                targets_value(&targets),
            )]));
    }

    fn changed(&self) -> bool {
        let files = self
            .args
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .files
            .clone();
        let now = stamps(&files);
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stamps != now
    }
}

impl ComponentType for Component {
    type Args = Arguments;

    fn build(ctx: Context, args: Arguments) -> Result<Component, String> {
        let shared = Arc::new(Shared {
            ctx,
            args: Mutex::new(args),
            state: Mutex::new(State::default()),
        });
        // The first read is synchronous so that dependants see the targets at once; the exports are
        // set before anyone depends on them.
        shared.refresh();
        Ok(Component { shared })
    }

    fn start(self: &Arc<Self>) {
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let mut last_full = Instant::now();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shared.ctx.shutdown.cancelled() => return,
                }
                let refresh = shared
                    .args
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .refresh_interval;
                let due = !refresh.is_zero() && last_full.elapsed() >= refresh;
                let s = shared.clone();
                let changed = tokio::task::spawn_blocking(move || s.changed())
                    .await
                    .unwrap_or(true);
                if due || changed {
                    let s = shared.clone();
                    let _ = tokio::task::spawn_blocking(move || s.refresh()).await;
                    last_full = Instant::now();
                }
            }
        });
    }

    fn update(&self, args: Arguments) -> Result<(), String> {
        *self.shared.args.lock().unwrap_or_else(|e| e.into_inner()) = args;
        self.shared.refresh();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_results_are_cleaned_like_go_join() {
        assert_eq!(clean_path(Path::new("./a.json")), PathBuf::from("a.json"));
        assert_eq!(
            clean_path(Path::new("sd/../other//./b.yml")),
            PathBuf::from("other/b.yml")
        );
        assert_eq!(clean_path(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(clean_path(Path::new("../x")), PathBuf::from("../x"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), "[]").unwrap();
        let pattern = format!("{}/./sub/../*.json", dir.path().display());
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(expand_pattern(&pattern), vec![dir.path().join("a.json")]);
    }

    #[test]
    fn glob_matches_like_go() {
        assert!(glob_match("*.json", "a.json"));
        assert!(!glob_match("*.json", "a.yml"));
        assert!(glob_match("t?.y[am]l", "t1.yml"));
        assert!(glob_match("[!a]*", "b"));
        assert!(!glob_match("[!a]*", "a"));
        assert!(glob_match("[a-c]x", "bx"));
    }

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
}
