//! Alloy's standard library: the namespaces (`string`, `encoding`, `array`, …), the top-level functions
//! (`coalesce`, `json_path`), the `constants` object and the deprecated top-level aliases.
//!
//! Namespaces are plain objects of functions, as in Alloy, so `string.nope` fails with
//! `field "nope" does not exist` and a scope variable named `string` hides the whole namespace.

pub mod codec;
pub mod gofmt;
pub mod jsonpath;
pub mod yaml;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use crate::value::{
    CallError, FromValue, Function, NativeFn, Number, Object, Secret, Value, ValueError, ValueType,
};

/// The warning Alloy logs when a deprecated top-level stdlib name is used.
pub const DEPRECATION_WARNING: &str =
    "this stdlib function is deprecated; please refer to the documentation for updated usage and alternatives";

/// Deprecated top-level names, each with its namespaced replacement.
pub const DEPRECATED: &[(&str, &str)] = &[
    ("env", "sys.env"),
    ("nonsensitive", "convert.nonsensitive"),
    ("concat", "array.concat"),
    ("json_decode", "encoding.from_json"),
    ("yaml_decode", "encoding.from_yaml"),
    ("base64_decode", "encoding.from_base64"),
    ("format", "string.format"),
    ("join", "string.join"),
    ("replace", "string.replace"),
    ("split", "string.split"),
    ("to_lower", "string.to_lower"),
    ("to_upper", "string.to_upper"),
    ("trim", "string.trim"),
    ("trim_prefix", "string.trim_prefix"),
    ("trim_suffix", "string.trim_suffix"),
    ("trim_space", "string.trim_space"),
];

/// Full names of experimental functions (usable only with `--stability.level=experimental`).
pub const EXPERIMENTAL: &[&str] = &["array.combine_maps", "array.group_by"];

pub fn is_deprecated(name: &str) -> bool {
    DEPRECATED.iter().any(|(n, _)| *n == name)
}

pub fn is_experimental(full_name: &str) -> bool {
    EXPERIMENTAL.contains(&full_name)
}

static VERSION: OnceLock<String> = OnceLock::new();

/// Sets `constants.version` (normalised to `vX.Y.Z`). Must be called before the stdlib is first used;
/// later calls have no effect. Without it the version is `v0.0.0`, as in an Alloy build without one.
pub fn set_version(version: &str) {
    let _ = VERSION.set(normalize_version(version));
}

/// Alloy's `normalizeVersion`: a tolerant semver parse, printed with a `v`; unparsable text is kept.
pub fn normalize_version(version: &str) -> String {
    let v = version.trim();
    if v.is_empty() {
        return "v0.0.0".to_string();
    }
    let bare = v.trim_start_matches('v');
    let (core, suffix) = match bare.find(['-', '+']) {
        Some(i) => bare.split_at(i),
        None => (bare, ""),
    };
    let mut parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return v.to_string();
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    let nums: Vec<String> = parts
        .iter()
        .map(|p| p.trim_start_matches('0').to_string())
        .map(|p| if p.is_empty() { "0".into() } else { p })
        .collect();
    format!("v{}{}", nums.join("."), suffix)
}

/// Go's `GOOS` for the running system.
pub fn go_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

/// Go's `GOARCH` for the running system.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

fn hostname() -> String {
    // Go's os.Hostname reads this file on Linux before asking the kernel.
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

fn func(name: &'static str, f: NativeFn) -> Value {
    Value::Function(Function {
        name,
        func: f,
        experimental: is_experimental(name),
    })
}

fn namespace(entries: Vec<(&str, Value)>) -> Value {
    Value::object(entries)
}

/// Every stdlib identifier: namespaces, top-level functions and deprecated aliases.
pub fn identifiers() -> &'static BTreeMap<&'static str, Value> {
    static IDENTS: OnceLock<BTreeMap<&'static str, Value>> = OnceLock::new();
    IDENTS.get_or_init(|| {
        let mut m: BTreeMap<&'static str, Value> = BTreeMap::new();
        m.insert(
            "constants",
            Value::object([
                ("hostname", Value::string(hostname())),
                ("os", Value::string(go_os())),
                ("arch", Value::string(go_arch())),
                (
                    "version",
                    Value::string(VERSION.get_or_init(|| normalize_version("")).as_str()),
                ),
            ]),
        );
        m.insert("coalesce", func("coalesce", coalesce));
        m.insert("json_path", func("json_path", json_path));
        m.insert("sys", namespace(vec![("env", func("sys.env", env))]));
        m.insert(
            "convert",
            namespace(vec![(
                "nonsensitive",
                func("convert.nonsensitive", nonsensitive),
            )]),
        );
        m.insert(
            "array",
            namespace(vec![
                ("concat", func("array.concat", concat)),
                ("combine_maps", func("array.combine_maps", combine_maps)),
                ("group_by", func("array.group_by", group_by)),
            ]),
        );
        m.insert(
            "encoding",
            namespace(vec![
                ("from_json", func("encoding.from_json", from_json)),
                ("from_yaml", func("encoding.from_yaml", from_yaml)),
                ("from_base64", func("encoding.from_base64", from_base64)),
                (
                    "from_URLbase64",
                    func("encoding.from_URLbase64", from_url_base64),
                ),
                ("to_json", func("encoding.to_json", to_json)),
                ("to_base64", func("encoding.to_base64", to_base64)),
                ("to_URLbase64", func("encoding.to_URLbase64", to_url_base64)),
                ("url_encode", func("encoding.url_encode", url_encode)),
                ("url_decode", func("encoding.url_decode", url_decode)),
            ]),
        );
        m.insert(
            "string",
            namespace(vec![
                ("format", func("string.format", format)),
                ("join", func("string.join", join)),
                ("replace", func("string.replace", replace)),
                ("split", func("string.split", split)),
                ("to_lower", func("string.to_lower", to_lower)),
                ("to_upper", func("string.to_upper", to_upper)),
                ("trim", func("string.trim", trim)),
                ("trim_prefix", func("string.trim_prefix", trim_prefix)),
                ("trim_suffix", func("string.trim_suffix", trim_suffix)),
                ("trim_space", func("string.trim_space", trim_space)),
            ]),
        );
        m.insert(
            "file",
            namespace(vec![("path_join", func("file.path_join", path_join))]),
        );

        // Deprecated aliases share the implementation of their replacement.
        for (alias, target) in DEPRECATED {
            let (ns, name) = target
                .split_once('.')
                .expect("deprecated targets are namespaced");
            let f = m
                .get(ns)
                .and_then(|n| n.get(name))
                .cloned()
                .expect("deprecated target exists");
            let f = match f {
                Value::Function(f) => Value::Function(Function { name: alias, ..f }),
                other => other,
            };
            m.insert(alias, f);
        }
        m
    })
}

/// Looks up a top-level stdlib identifier.
pub fn lookup(name: &str) -> Option<&'static Value> {
    identifiers().get(name)
}

// ---------------------------------------------------------------------------------------------------------
// Argument helpers: the messages of Go's reflection-based calls.

fn arity(args: &[Value], n: usize) -> Result<(), CallError> {
    if args.len() != n {
        return Err(CallError::Function(format!(
            "expected {n} args, got {}",
            args.len()
        )));
    }
    Ok(())
}

fn arg<T: FromValue>(args: &[Value], i: usize) -> Result<T, CallError> {
    T::from_value(&args[i]).map_err(|e| CallError::arg(i, e))
}

fn str_args<const N: usize>(args: &[Value]) -> Result<[String; N], CallError> {
    arity(args, N)?;
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = arg(args, i)?;
    }
    Ok(out)
}

fn fail(e: impl Into<String>) -> CallError {
    CallError::Function(e.into())
}

fn type_arg(i: usize, expected: ValueType, got: &Value) -> CallError {
    CallError::arg(i, ValueError::type_mismatch(expected, got))
}

// ---------------------------------------------------------------------------------------------------------
// Functions

fn env(args: &[Value]) -> Result<Value, CallError> {
    let [name] = str_args(args)?;
    Ok(Value::string(
        std::env::var_os(name)
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default(),
    ))
}

fn nonsensitive(args: &[Value]) -> Result<Value, CallError> {
    arity(args, 1)?;
    let s: Secret = arg(args, 0)?;
    Ok(Value::string(s.expose()))
}

fn concat(args: &[Value]) -> Result<Value, CallError> {
    for (i, a) in args.iter().enumerate() {
        if !matches!(a, Value::Array(_)) {
            return Err(type_arg(i, ValueType::Array, a));
        }
    }
    if args.len() == 1 {
        return Ok(args[0].clone());
    }
    Ok(Value::array(
        args.iter()
            .flat_map(|a| a.as_array().unwrap_or(&[]).iter().cloned()),
    ))
}

/// An object, or a capsule that can be seen as one.
fn object_view(v: &Value) -> Option<&Object> {
    match v {
        Value::Object(o) => Some(o),
        Value::Capsule(c) => c.as_object().map(|o| &**o),
        _ => None,
    }
}

fn combine_maps(args: &[Value]) -> Result<Value, CallError> {
    if args.len() != 3 && args.len() != 4 {
        return Err(CallError::Plain(format!(
            "combine_maps: expected 3 or 4 arguments, got {}",
            args.len()
        )));
    }
    for (i, list) in args[..2].iter().enumerate() {
        let Value::Array(items) = list else {
            return Err(type_arg(i, ValueType::Array, list));
        };
        for (j, item) in items.iter().enumerate() {
            if object_view(item).is_none() {
                return Err(CallError::arg(
                    i,
                    ValueError::type_mismatch(ValueType::Object, item).in_element(j),
                ));
            }
        }
    }
    let Value::Array(conditions) = &args[2] else {
        return Err(type_arg(2, ValueType::Array, &args[2]));
    };
    if conditions.is_empty() {
        return Err(CallError::arg(
            2,
            ValueError::new("combine_maps: merge conditions must not be empty"),
        ));
    }
    let mut keys = Vec::with_capacity(conditions.len());
    for (j, c) in conditions.iter().enumerate() {
        match c {
            Value::String(s) => keys.push(s.clone()),
            other => {
                return Err(CallError::arg(
                    2,
                    ValueError::type_mismatch(ValueType::String, other).in_element(j),
                ))
            }
        }
    }
    let passthrough = match args.get(3) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(type_arg(3, ValueType::Bool, other)),
    };
    let (lhs, rhs) = (
        args[0].as_array().unwrap_or(&[]),
        args[1].as_array().unwrap_or(&[]),
    );
    let mut out = Vec::new();
    for l in lhs {
        let lo = object_view(l).expect("checked above");
        for r in rhs {
            let ro = object_view(r).expect("checked above");
            // Alloy compares join keys with Go's reflect equality, so 1 and "1" (or 1 and 1.0) never join.
            let joins = keys.iter().all(|k| match (lo.get(&**k), ro.get(&**k)) {
                (Some(a), Some(b)) => a.strict_eq(b),
                _ => false,
            });
            if joins {
                let mut merged = lo.clone();
                merged.extend(ro.iter().map(|(k, v)| (k.clone(), v.clone())));
                out.push(Value::Object(Arc::new(merged)));
            } else if passthrough {
                out.push(l.clone());
            }
        }
    }
    Ok(Value::array(out))
}

fn group_by(args: &[Value]) -> Result<Value, CallError> {
    if args.len() != 3 {
        return Err(CallError::Plain(format!(
            "group_by: expected 3 arguments, got {}",
            args.len()
        )));
    }
    let Value::Array(items) = &args[0] else {
        return Err(type_arg(0, ValueType::Array, &args[0]));
    };
    let Value::String(key) = &args[1] else {
        return Err(type_arg(1, ValueType::String, &args[1]));
    };
    let Value::Bool(drop_missing) = &args[2] else {
        return Err(type_arg(2, ValueType::Bool, &args[2]));
    };
    // Groups keep the order in which their key first appears (Alloy's order is a Go map's: random).
    let mut order: Vec<Arc<str>> = Vec::new();
    let mut groups: BTreeMap<Arc<str>, Vec<Value>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = object_view(item) else {
            return Err(CallError::arg(
                0,
                ValueError::type_mismatch(ValueType::Object, item).in_element(i),
            ));
        };
        let item = Value::Object(Arc::new(obj.clone()));
        let group: Arc<str> = match obj.get(&**key) {
            None if *drop_missing => continue,
            None => "".into(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(CallError::arg(
                    0,
                    ValueError::type_mismatch(ValueType::String, other)
                        .in_field(key.to_string())
                        .in_element(i),
                ))
            }
        };
        if !groups.contains_key(&group) {
            order.push(group.clone());
        }
        groups.entry(group).or_default().push(item);
    }
    Ok(Value::array(order.into_iter().map(|g| {
        let items = groups.remove(&g).unwrap_or_default();
        Value::object([
            (key.to_string(), Value::String(g)),
            ("items".to_string(), Value::array(items)),
        ])
    })))
}

fn coalesce(args: &[Value]) -> Result<Value, CallError> {
    let Some(last) = args.last() else {
        return Ok(Value::Null);
    };
    for a in args {
        let empty = match a {
            Value::Null => true,
            Value::Number(Number::Int(i)) => *i == 0,
            Value::Number(Number::Uint(u)) => *u == 0,
            // Go's IsZero looks at the bits: -0.0 is not zero.
            Value::Number(Number::Float(f)) => f.to_bits() == 0,
            Value::String(s) => s.is_empty(),
            Value::Bool(b) => !b,
            Value::Array(items) => items.is_empty(),
            Value::Object(fields) => fields.is_empty(),
            Value::Secret(s) => s.expose().is_empty(),
            Value::OptionalSecret(s) => s.value.is_empty() && !s.is_secret,
            Value::Capsule(c) => c.as_object().is_some_and(|o| o.is_empty()),
            Value::Function(_) => false,
        };
        if !empty {
            return Ok(a.clone());
        }
    }
    Ok(last.clone())
}

fn json_path(args: &[Value]) -> Result<Value, CallError> {
    let [json, path] = str_args(args)?;
    // Alloy parses the path before the document, so a bad path is reported first.
    let doc_result = codec::parse_json(&json, codec::JsonNumbers::KeepIntegers);
    let probe = jsonpath::query(&Value::Null, &path);
    if let Err(e) = probe {
        return Err(fail(e));
    }
    let doc = doc_result.map_err(fail)?;
    jsonpath::query(&doc, &path).map(Value::array).map_err(fail)
}

fn from_json(args: &[Value]) -> Result<Value, CallError> {
    let [text] = str_args(args)?;
    codec::parse_json(&text, codec::JsonNumbers::Float).map_err(fail)
}

fn from_yaml(args: &[Value]) -> Result<Value, CallError> {
    let [text] = str_args(args)?;
    // Aliases, and nesting, are checked as Go's yaml.v3 checks them before anything is built.
    let docs = yaml::load(&text).map_err(|e| match e {
        yaml::YamlError::Scan(e) => {
            // Go's yaml.v3 names the problem without libyaml's context ("while parsing a node, …"), on a line
            // that never lies past the end of the text.
            let info = e.info();
            let problem = match info.split_once(", ") {
                Some((context, problem)) if context.starts_with("while ") => problem,
                _ => info,
            };
            let line = e.marker().line().min(text.lines().count().max(1));
            fail(format!("yaml: line {line}: {problem}"))
        }
        yaml::YamlError::Refused(message) => fail(message),
    })?;
    Ok(docs.first().map(yaml_to_value).unwrap_or(Value::Null))
}

fn yaml_to_value(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) => {
            let t = s.trim_start_matches('+');
            let f = match t.to_ascii_lowercase().as_str() {
                ".inf" => f64::INFINITY,
                "-.inf" => f64::NEG_INFINITY,
                ".nan" => f64::NAN,
                _ => t.parse().unwrap_or(0.0),
            };
            Value::float(f)
        }
        Yaml::Integer(i) => Value::int(*i),
        Yaml::String(s) => Value::string(s.as_str()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::array(items.iter().map(yaml_to_value)),
        Yaml::Hash(h) => Value::object(h.iter().map(|(k, v)| {
            let key = match k {
                Yaml::String(s) | Yaml::Real(s) => s.clone(),
                Yaml::Integer(i) => i.to_string(),
                Yaml::Boolean(b) => b.to_string(),
                Yaml::Null => "null".to_string(),
                other => format!("{other:?}"),
            };
            (key, yaml_to_value(v))
        })),
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

/// Decoded bytes as a string. Alloy returns a Go `[]byte`, which only ever reaches users converted to a
/// string; bytes that are not UTF-8 are replaced.
fn bytes_value(bytes: Vec<u8>) -> Value {
    Value::string(String::from_utf8_lossy(&bytes).into_owned())
}

fn from_base64(args: &[Value]) -> Result<Value, CallError> {
    let [text] = str_args(args)?;
    codec::base64_decode(&text, false)
        .map(bytes_value)
        .map_err(fail)
}

fn from_url_base64(args: &[Value]) -> Result<Value, CallError> {
    let [text] = str_args(args)?;
    codec::base64_decode(&text, true)
        .map(bytes_value)
        .map_err(fail)
}

fn to_base64(args: &[Value]) -> Result<Value, CallError> {
    let [text] = str_args(args)?;
    Ok(Value::string(codec::base64_encode(text.as_bytes(), false)))
}

fn to_url_base64(args: &[Value]) -> Result<Value, CallError> {
    let [text] = str_args(args)?;
    Ok(Value::string(codec::base64_encode(text.as_bytes(), true)))
}

fn to_json(args: &[Value]) -> Result<Value, CallError> {
    arity(args, 1)?;
    if !matches!(args[0], Value::Object(_)) {
        return Err(fail("jsonEncode only supports map"));
    }
    codec::to_json(&args[0]).map(Value::string).map_err(fail)
}

fn url_encode(args: &[Value]) -> Result<Value, CallError> {
    let [text] = str_args(args)?;
    Ok(Value::string(codec::query_escape(&text)))
}

fn url_decode(args: &[Value]) -> Result<Value, CallError> {
    let [text] = str_args(args)?;
    codec::query_unescape(&text)
        .map(Value::string)
        .map_err(fail)
}

fn path_join(args: &[Value]) -> Result<Value, CallError> {
    let parts: Vec<String> = (0..args.len())
        .map(|i| arg(args, i))
        .collect::<Result<_, _>>()?;
    Ok(Value::string(codec::path_join(&parts)))
}

fn format(args: &[Value]) -> Result<Value, CallError> {
    if args.is_empty() {
        return Err(CallError::Function(
            "expected at least 1 args, got 0".to_string(),
        ));
    }
    let fmt: String = arg(args, 0)?;
    Ok(Value::string(gofmt::sprintf(&fmt, &args[1..])))
}

fn join(args: &[Value]) -> Result<Value, CallError> {
    arity(args, 2)?;
    let items: Vec<String> = arg(args, 0)?;
    let sep: String = arg(args, 1)?;
    Ok(Value::string(items.join(&sep)))
}

fn replace(args: &[Value]) -> Result<Value, CallError> {
    let [s, old, new] = str_args(args)?;
    Ok(Value::string(s.replace(&old, &new)))
}

fn split(args: &[Value]) -> Result<Value, CallError> {
    let [s, sep] = str_args(args)?;
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::string(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::from).collect()
    };
    Ok(Value::array(parts))
}

/// Go's per-rune simple case mapping: a rune whose full mapping is several runes is kept.
fn map_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.pop().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn to_lower(args: &[Value]) -> Result<Value, CallError> {
    let [s] = str_args(args)?;
    Ok(Value::string(map_case(&s, false)))
}

fn to_upper(args: &[Value]) -> Result<Value, CallError> {
    let [s] = str_args(args)?;
    Ok(Value::string(map_case(&s, true)))
}

fn trim(args: &[Value]) -> Result<Value, CallError> {
    let [s, cutset] = str_args(args)?;
    Ok(Value::string(s.trim_matches(|c| cutset.contains(c))))
}

fn trim_prefix(args: &[Value]) -> Result<Value, CallError> {
    let [s, prefix] = str_args(args)?;
    Ok(Value::string(s.strip_prefix(prefix.as_str()).unwrap_or(&s)))
}

fn trim_suffix(args: &[Value]) -> Result<Value, CallError> {
    let [s, suffix] = str_args(args)?;
    Ok(Value::string(s.strip_suffix(suffix.as_str()).unwrap_or(&s)))
}

fn trim_space(args: &[Value]) -> Result<Value, CallError> {
    let [s] = str_args(args)?;
    Ok(Value::string(s.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_normalised() {
        assert_eq!(normalize_version(""), "v0.0.0");
        assert_eq!(normalize_version("1.18.0"), "v1.18.0");
        assert_eq!(normalize_version("v1.18"), "v1.18.0");
        assert_eq!(normalize_version("1.18.0-rc.1"), "v1.18.0-rc.1");
        assert_eq!(normalize_version("devel"), "devel");
    }

    #[test]
    fn every_deprecated_alias_and_namespace_resolves() {
        for (alias, target) in DEPRECATED {
            let Some(Value::Function(f)) = lookup(alias) else {
                panic!("{alias} missing")
            };
            assert_eq!(f.name, *alias);
            let (ns, name) = target.split_once('.').unwrap();
            assert!(
                matches!(
                    lookup(ns).and_then(|n| n.get(name)),
                    Some(Value::Function(_))
                ),
                "{target}"
            );
        }
        for name in EXPERIMENTAL {
            let (ns, f) = name.split_once('.').unwrap();
            let Some(Value::Function(f)) = lookup(ns).and_then(|n| n.get(f)) else {
                panic!()
            };
            assert!(f.experimental);
        }
        assert_eq!(
            lookup("constants").unwrap().get("os").unwrap().as_str(),
            Some(go_os())
        );
    }
}
