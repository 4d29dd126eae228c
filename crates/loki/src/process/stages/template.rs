//! `stage.template`: runs a Go template on the extracted values (as strings, with `.Value` the `source`'s
//! and `.Entry` the line) and stores the output in `source` (an empty output deletes it). Also the
//! template functions Alloy adds (`ToLower`, `ToUpper`, `Replace`, `Trim*`, `Hash`, `Sha2Hash`,
//! `regexReplaceAll`, `regexReplaceAllLiteral`) and the Sprig functions ingot has, which `stage.replace`
//! uses too. A Sprig function ingot lacks is refused when the template is parsed, by name.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use ingot_gocompat::template::{builtins, Func, Funcs, Kind, Val};
use ingot_syntax::decode::{BodyDecoder, Decode, Failed};
use sha2::Digest;

use crate::process::pipeline::{PEntry, Stage};
use crate::process::value::{get_string, Value};

/// A template parsed with Alloy's functions.
#[derive(Clone, Debug, PartialEq)]
pub struct Template(ingot_gocompat::template::Template);

/// Sprig's text functions that ingot does not have: a template naming one is refused with this said.
const SPRIG_MISSING: &[&str] = &[
    "abbrevboth",
    "adler32sum",
    "ago",
    "append",
    "bcrypt",
    "buildCustomCert",
    "camelcase",
    "chunk",
    "compact",
    "concat",
    "date",
    "dateInZone",
    "dateModify",
    "date_in_zone",
    "date_modify",
    "decryptAES",
    "deepCopy",
    "deepEqual",
    "derivePassword",
    "dict",
    "dig",
    "duration",
    "durationRound",
    "encryptAES",
    "env",
    "expandenv",
    "fail",
    "first",
    "float64",
    "floor",
    "ceil",
    "round",
    "fromJson",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "get",
    "getHostByName",
    "has",
    "hasKey",
    "htmlDate",
    "htmlDateInZone",
    "htpasswd",
    "initial",
    "initials",
    "kebabcase",
    "keys",
    "kindIs",
    "kindOf",
    "last",
    "list",
    "merge",
    "mergeOverwrite",
    "mustAppend",
    "mustChunk",
    "mustCompact",
    "mustDateModify",
    "mustDeepCopy",
    "mustFirst",
    "mustFromJson",
    "mustHas",
    "mustInitial",
    "mustLast",
    "mustMerge",
    "mustMergeOverwrite",
    "mustPrepend",
    "mustPush",
    "mustRegexFind",
    "mustRegexFindAll",
    "mustRegexMatch",
    "mustRegexReplaceAll",
    "mustRegexReplaceAllLiteral",
    "mustRegexSplit",
    "mustRest",
    "mustReverse",
    "mustSlice",
    "mustToDate",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "mustUniq",
    "mustWithout",
    "now",
    "omit",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "pick",
    "pluck",
    "plural",
    "prepend",
    "push",
    "randAlpha",
    "randAlphaNum",
    "randAscii",
    "randBytes",
    "randInt",
    "randNumeric",
    "regexFindAll",
    "regexQuoteMeta",
    "regexSplit",
    "rest",
    "reverse",
    "semver",
    "semverCompare",
    "seq",
    "set",
    "shuffle",
    "snakecase",
    "sortAlpha",
    "split",
    "splitn",
    "swapcase",
    "toDate",
    "toDecimal",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "toStrings",
    "tuple",
    "typeIs",
    "typeIsLike",
    "typeOf",
    "uniq",
    "unixEpoch",
    "unset",
    "until",
    "untilStep",
    "urlJoin",
    "urlParse",
    "uuidv4",
    "values",
    "without",
    "wrap",
    "wrapWith",
    "int",
    "int64",
    "atoi",
    "addf",
    "add1f",
    "subf",
    "mulf",
    "divf",
    "maxf",
    "minf",
    "biggest",
    "base",
    "dir",
    "ext",
    "clean",
    "isAbs",
    "b32enc",
    "b32dec",
    "sha512sum",
    "randomPassword",
    "title",
    "untitle",
    "cat",
    "indent",
    "nindent",
    "sortAlpha",
    "sha1sum",
];

fn s(v: &Val) -> &str {
    match v {
        Val::Str(s) => s,
        _ => "",
    }
}

fn int(v: &Val) -> i64 {
    match v {
        Val::Int(i) => *i,
        _ => 0,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `strings.Trim` family: the characters of `cutset`.
fn trim_set(x: &str, cutset: &str, left: bool, right: bool) -> String {
    let set: Vec<char> = cutset.chars().collect();
    let mut t = x;
    if left {
        t = t.trim_start_matches(|c| set.contains(&c));
    }
    if right {
        t = t.trim_end_matches(|c| set.contains(&c));
    }
    t.to_string()
}

/// Go's `strings.TrimSpace` (Unicode white space).
fn trim_space(x: &str) -> String {
    x.trim_matches(|c: char| c.is_whitespace()).to_string()
}

/// Go's `strings.Replace(s, old, new, n)`.
fn go_replace(x: &str, old: &str, new: &str, n: i64) -> String {
    if n < 0 {
        if old.is_empty() {
            // Go inserts `new` around every rune.
            let mut out = String::from(new);
            for c in x.chars() {
                out.push(c);
                out.push_str(new);
            }
            return out;
        }
        return x.replace(old, new);
    }
    if old.is_empty() {
        let mut out = String::new();
        let mut left = n;
        for c in x.chars() {
            if left > 0 {
                out.push_str(new);
                left -= 1;
            }
            out.push(c);
        }
        if left > 0 {
            out.push_str(new);
        }
        return out;
    }
    x.replacen(old, new, n as usize)
}

/// `regexp.MustCompile`: a template whose pattern does not compile fails to execute (Go panics, and
/// text/template reports the panic as the call's error).
fn regex(pattern: &str) -> Result<regex::Regex, String> {
    ingot_gocompat::regexp::compile(pattern).map_err(|e| {
        format!(
            "regexp: Compile({}): {e}",
            ingot_gocompat::strconv::quote(pattern)
        )
    })
}

/// Go's `Regexp.ReplaceAllString`: `$1`, `${name}` expanded as Go's `Expand` does.
fn go_expand_replace(re: &regex::Regex, x: &str, repl: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for caps in re.captures_iter(x) {
        let m = caps.get(0).expect("group 0");
        out.push_str(&x[last..m.start()]);
        let mut rest = repl;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            rest = &rest[i + 1..];
            if let Some(r) = rest.strip_prefix('$') {
                out.push('$');
                rest = r;
                continue;
            }
            // ${name} or $name (the longest run of word characters).
            let (name, after) = if let Some(r) = rest.strip_prefix('{') {
                match r.find('}') {
                    Some(end)
                        if end > 0
                            && r[..end]
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        (&r[..end], &r[end + 1..])
                    }
                    _ => {
                        out.push('$');
                        continue;
                    }
                }
            } else {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if end == 0 {
                    out.push('$');
                    continue;
                }
                (&rest[..end], &rest[end..])
            };
            let value = match name.parse::<usize>() {
                Ok(n) => caps.get(n).map_or("", |m| m.as_str()),
                Err(_) => caps.name(name).map_or("", |m| m.as_str()),
            };
            out.push_str(value);
            rest = after;
        }
        out.push_str(rest);
        last = m.end();
    }
    out.push_str(&x[last..]);
    out
}

fn strval(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        Val::Nil | Val::Missing => String::new(),
        other => {
            let mut o = String::new();
            ingot_gocompat::template::print_val(&mut o, other);
            o
        }
    }
}

/// A Sprig number argument (`cast.ToInt64`): ints, floats truncated, numeric strings; anything else 0.
fn to_i64(v: &Val) -> i64 {
    match v {
        Val::Int(i) => *i,
        Val::Float(f) => *f as i64,
        Val::Bool(b) => i64::from(*b),
        Val::Str(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// Alloy's function map: Go's builtins, Sprig's text functions that ingot has, and Alloy's own.
pub fn functions() -> Arc<Funcs> {
    static FUNCS: OnceLock<Arc<Funcs>> = OnceLock::new();
    FUNCS
        .get_or_init(|| {
            use Kind::*;
            let mut m = builtins();
            // Alloy's (stages/template.go).
            m.insert(
                "ToLower",
                Func::plain(&[Str], |a| Ok(Val::Str(s(&a[0]).to_lowercase()))),
            );
            m.insert(
                "ToUpper",
                Func::plain(&[Str], |a| Ok(Val::Str(s(&a[0]).to_uppercase()))),
            );
            m.insert(
                "Replace",
                Func::plain(&[Str, Str, Str, Int], |a| {
                    Ok(Val::Str(go_replace(
                        s(&a[0]),
                        s(&a[1]),
                        s(&a[2]),
                        int(&a[3]),
                    )))
                }),
            );
            m.insert(
                "Trim",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(trim_set(s(&a[0]), s(&a[1]), true, true)))
                }),
            );
            m.insert(
                "TrimLeft",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(trim_set(s(&a[0]), s(&a[1]), true, false)))
                }),
            );
            m.insert(
                "TrimRight",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(trim_set(s(&a[0]), s(&a[1]), false, true)))
                }),
            );
            m.insert(
                "TrimPrefix",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(
                        s(&a[0])
                            .strip_prefix(s(&a[1]))
                            .unwrap_or(s(&a[0]))
                            .to_string(),
                    ))
                }),
            );
            m.insert(
                "TrimSuffix",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(
                        s(&a[0])
                            .strip_suffix(s(&a[1]))
                            .unwrap_or(s(&a[0]))
                            .to_string(),
                    ))
                }),
            );
            m.insert(
                "TrimSpace",
                Func::plain(&[Str], |a| Ok(Val::Str(trim_space(s(&a[0]))))),
            );
            m.insert(
                "Hash",
                Func::plain(&[Str, Str], |a| {
                    let mut h = sha3::Sha3_256::new();
                    h.update(s(&a[0]).as_bytes());
                    h.update(s(&a[1]).as_bytes());
                    Ok(Val::Str(hex(&h.finalize())))
                }),
            );
            m.insert(
                "Sha2Hash",
                Func::plain(&[Str, Str], |a| {
                    let mut h = sha2::Sha256::new();
                    h.update(s(&a[0]).as_bytes());
                    h.update(s(&a[1]).as_bytes());
                    Ok(Val::Str(hex(&h.finalize())))
                }),
            );
            m.insert(
                "regexReplaceAll",
                Func::plain(&[Str, Str, Str], |a| {
                    Ok(Val::Str(go_expand_replace(
                        &regex(s(&a[0]))?,
                        s(&a[1]),
                        s(&a[2]),
                    )))
                }),
            );
            m.insert(
                "regexReplaceAllLiteral",
                Func::plain(&[Str, Str, Str], |a| {
                    let re = regex(s(&a[0]))?;
                    Ok(Val::Str(
                        re.replace_all(s(&a[1]), regex::NoExpand(s(&a[2])))
                            .into_owned(),
                    ))
                }),
            );
            // Sprig's (github.com/Masterminds/sprig/v3), the ones ingot has.
            m.insert(
                "upper",
                Func::plain(&[Str], |a| Ok(Val::Str(s(&a[0]).to_uppercase()))),
            );
            m.insert(
                "lower",
                Func::plain(&[Str], |a| Ok(Val::Str(s(&a[0]).to_lowercase()))),
            );
            m.insert(
                "trim",
                Func::plain(&[Str], |a| Ok(Val::Str(trim_space(s(&a[0]))))),
            );
            m.insert(
                "trimAll",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(trim_set(s(&a[1]), s(&a[0]), true, true)))
                }),
            );
            m.insert(
                "trimPrefix",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(
                        s(&a[1])
                            .strip_prefix(s(&a[0]))
                            .unwrap_or(s(&a[1]))
                            .to_string(),
                    ))
                }),
            );
            m.insert(
                "trimSuffix",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(
                        s(&a[1])
                            .strip_suffix(s(&a[0]))
                            .unwrap_or(s(&a[1]))
                            .to_string(),
                    ))
                }),
            );
            m.insert(
                "contains",
                Func::plain(&[Str, Str], |a| Ok(Val::Bool(s(&a[1]).contains(s(&a[0]))))),
            );
            m.insert(
                "hasPrefix",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Bool(s(&a[1]).starts_with(s(&a[0]))))
                }),
            );
            m.insert(
                "hasSuffix",
                Func::plain(&[Str, Str], |a| Ok(Val::Bool(s(&a[1]).ends_with(s(&a[0]))))),
            );
            m.insert(
                "replace",
                Func::plain(&[Str, Str, Str], |a| {
                    Ok(Val::Str(go_replace(s(&a[2]), s(&a[0]), s(&a[1]), -1)))
                }),
            );
            m.insert(
                "repeat",
                Func::plain(&[Int, Str], |a| {
                    Ok(Val::Str(s(&a[1]).repeat(int(&a[0]).max(0) as usize)))
                }),
            );
            m.insert(
                "trunc",
                Func::plain(&[Int, Str], |a| {
                    let (c, x) = (int(&a[0]), s(&a[1]));
                    Ok(Val::Str(if c < 0 && x.len() as i64 + c > 0 {
                        x[(x.len() as i64 + c) as usize..].to_string()
                    } else if c >= 0 && x.len() as i64 > c {
                        x[..c as usize].to_string()
                    } else {
                        x.to_string()
                    }))
                }),
            );
            m.insert(
                "substr",
                Func::plain(&[Int, Int, Str], |a| {
                    let (start, end, x) = (int(&a[0]), int(&a[1]), s(&a[2]));
                    let len = x.len() as i64;
                    Ok(Val::Str(if start < 0 {
                        x[..end.clamp(0, len) as usize].to_string()
                    } else if end < 0 || end > len {
                        x[start.min(len) as usize..].to_string()
                    } else {
                        x[start.min(end) as usize..end as usize].to_string()
                    }))
                }),
            );
            m.insert(
                "nospace",
                Func::plain(&[Str], |a| {
                    Ok(Val::Str(
                        s(&a[0]).chars().filter(|c| !c.is_whitespace()).collect(),
                    ))
                }),
            );
            m.insert(
                "toString",
                Func::plain(&[Any], |a| Ok(Val::Str(strval(&a[0])))),
            );
            m.insert(
                "quote",
                Func::variadic(&[], Any, |a| {
                    let parts: Vec<String> = a
                        .iter()
                        .filter(|v| !matches!(v, Val::Nil))
                        .map(|v| ingot_gocompat::strconv::quote(&strval(v)))
                        .collect();
                    Ok(Val::Str(parts.join(" ")))
                }),
            );
            m.insert(
                "squote",
                Func::variadic(&[], Any, |a| {
                    let parts: Vec<String> = a
                        .iter()
                        .filter(|v| !matches!(v, Val::Nil))
                        .map(|v| format!("'{}'", strval(v)))
                        .collect();
                    Ok(Val::Str(parts.join(" ")))
                }),
            );
            m.insert(
                "default",
                Func::variadic(&[Any], Any, |a| {
                    let given = a.get(1).cloned().unwrap_or(Val::Nil);
                    Ok(if ingot_gocompat::template::truth(&given) {
                        given
                    } else {
                        a[0].clone()
                    })
                }),
            );
            m.insert(
                "empty",
                Func::plain(&[Any], |a| {
                    Ok(Val::Bool(!ingot_gocompat::template::truth(&a[0])))
                }),
            );
            m.insert(
                "coalesce",
                Func::variadic(&[], Any, |a| {
                    Ok(a.iter()
                        .find(|v| ingot_gocompat::template::truth(v))
                        .cloned()
                        .unwrap_or(Val::Nil))
                }),
            );
            m.insert(
                "ternary",
                Func::plain(&[Any, Any, Bool], |a| {
                    Ok(if matches!(a[2], Val::Bool(true)) {
                        a[0].clone()
                    } else {
                        a[1].clone()
                    })
                }),
            );
            m.insert(
                "splitList",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::List(s(&a[1]).split(s(&a[0])).map(Val::from).collect()))
                }),
            );
            m.insert(
                "join",
                Func::plain(&[Str, Any], |a| {
                    let parts: Vec<String> = match &a[1] {
                        Val::List(l) => l.iter().map(strval).collect(),
                        other => vec![strval(other)],
                    };
                    Ok(Val::Str(parts.join(s(&a[0]))))
                }),
            );
            m.insert(
                "sha256sum",
                Func::plain(&[Str], |a| {
                    Ok(Val::Str(hex(&sha2::Sha256::digest(s(&a[0]).as_bytes()))))
                }),
            );
            m.insert(
                "b64enc",
                Func::plain(&[Str], |a| {
                    Ok(Val::Str(
                        ingot_gocompat::base64::Encoding::Std.encode_to_string(s(&a[0]).as_bytes()),
                    ))
                }),
            );
            m.insert(
                "b64dec",
                Func::plain(&[Str], |a| {
                    Ok(Val::Str(
                        match ingot_gocompat::base64::Encoding::Std.decode_string(s(&a[0])) {
                            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                            Err(e) => e,
                        },
                    ))
                }),
            );
            m.insert(
                "regexMatch",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Bool(regex(s(&a[0]))?.is_match(s(&a[1]))))
                }),
            );
            m.insert(
                "regexFind",
                Func::plain(&[Str, Str], |a| {
                    Ok(Val::Str(
                        regex(s(&a[0]))?
                            .find(s(&a[1]))
                            .map_or(String::new(), |m| m.as_str().to_string()),
                    ))
                }),
            );
            m.insert(
                "add",
                Func::variadic(&[], Any, |a| {
                    Ok(Val::Int(a.iter().map(to_i64).fold(0i64, i64::wrapping_add)))
                }),
            );
            m.insert(
                "add1",
                Func::plain(&[Any], |a| Ok(Val::Int(to_i64(&a[0]).wrapping_add(1)))),
            );
            m.insert(
                "sub",
                Func::plain(&[Any, Any], |a| {
                    Ok(Val::Int(to_i64(&a[0]).wrapping_sub(to_i64(&a[1]))))
                }),
            );
            m.insert(
                "mul",
                Func::variadic(&[Any], Any, |a| {
                    Ok(Val::Int(a.iter().map(to_i64).fold(1i64, i64::wrapping_mul)))
                }),
            );
            m.insert(
                "div",
                Func::plain(&[Any, Any], |a| match to_i64(&a[1]) {
                    0 => Err("runtime error: integer divide by zero".to_string()),
                    d => Ok(Val::Int(to_i64(&a[0]).wrapping_div(d))),
                }),
            );
            m.insert(
                "mod",
                Func::plain(&[Any, Any], |a| match to_i64(&a[1]) {
                    0 => Err("runtime error: integer divide by zero".to_string()),
                    d => Ok(Val::Int(to_i64(&a[0]).wrapping_rem(d))),
                }),
            );
            m.insert(
                "max",
                Func::variadic(&[Any], Any, |a| {
                    Ok(Val::Int(a.iter().map(to_i64).max().unwrap_or(0)))
                }),
            );
            m.insert(
                "min",
                Func::variadic(&[Any], Any, |a| {
                    Ok(Val::Int(a.iter().map(to_i64).min().unwrap_or(0)))
                }),
            );
            Arc::new(m)
        })
        .clone()
}

impl Template {
    /// Parses `text` with Alloy's functions; a Sprig function ingot lacks is named in the error.
    pub fn parse(name: &str, text: &str) -> Result<Template, String> {
        ingot_gocompat::template::Template::parse(name, text, functions())
            .map(Template)
            .map_err(|e| {
                for f in SPRIG_MISSING {
                    if e.ends_with(&format!("function \"{f}\" not defined")) {
                        return format!("{e} (Sprig's {f} is not implemented in ingot yet)");
                    }
                }
                e
            })
    }

    pub fn text(&self) -> &str {
        self.0.text()
    }

    /// Runs the template on a `map[string]string` (`stage.replace`'s data).
    pub fn execute_map(&self, data: &[(String, String)]) -> Result<String, String> {
        let map: BTreeMap<String, String> = data.iter().cloned().collect();
        self.0.execute(&Val::StrMap(map))
    }

    /// Runs the template on a `map[string]any` of strings (`stage.template`'s data).
    pub fn execute_any(&self, data: BTreeMap<String, Val>) -> Result<String, String> {
        self.0.execute(&Val::Map(data))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub source: String,
    pub template: Template,
}

impl Decode for Config {
    fn decode(d: &mut BodyDecoder<'_, '_>) -> Result<Self, Failed> {
        let source: String = d.required("source")?;
        let text: String = d.required("template")?;
        // Alloy checks the template while decoding (Template.UnmarshalText), then Validate the source.
        let template = Template::parse("pipeline_template", &text)
            .map_err(|e| d.error_at_attr("template", e))?;
        if source.is_empty() {
            return Err(d.error_at_attr("source", "template source value is required"));
        }
        Ok(Config { source, template })
    }
}

impl Config {
    pub fn build(&self) -> TemplateStage {
        TemplateStage(self.clone())
    }
}

pub struct TemplateStage(Config);

impl Stage for TemplateStage {
    fn process(&mut self, mut e: PEntry, out: &mut Vec<PEntry>) {
        let mut data: BTreeMap<String, Val> = BTreeMap::new();
        for (k, v) in e.extracted.iter() {
            if let Ok(s) = get_string(v) {
                if k == self.0.source {
                    data.insert("Value".to_string(), Val::Str(s.clone()));
                }
                data.insert(k.to_string(), Val::Str(s));
            }
        }
        data.insert("Entry".to_string(), Val::Str(e.line.clone()));
        match self.0.template.execute_any(data) {
            Ok(s) if s.is_empty() => {
                e.extracted.remove(&self.0.source);
            }
            Ok(s) => {
                e.extracted.insert(self.0.source.as_str(), Value::from(s));
            }
            Err(err) => tracing::debug!("failed to execute template on extracted value: {err}"),
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use crate::process::stages::testing::*;
    use crate::process::value::Value;

    // Alloy's template_test.go cases.
    #[test]
    fn template_stage_cases() {
        let run = |tmpl: &str, line: &str| {
            let cfg = format!(
                "stage.json {{ expressions = {{ app = \"\", level = \"\" }} }}\nstage.template {{\n source = \"app\"\n template = {}\n}}",
                ingot_gocompat::strconv::quote(tmpl)
            );
            run_line(&cfg, line)[0].extracted.get("app").cloned()
        };
        let line = r#"{"app":"loki","level":"WARN"}"#;
        assert_eq!(
            run("{{ .Value | ToUpper }}", line),
            Some(Value::Str("LOKI".into()))
        );
        assert_eq!(
            run("{{ ToLower .level }}-{{ .Value }}", line),
            Some(Value::Str("warn-loki".into()))
        );
        assert_eq!(
            run("{{ Replace .Value \"o\" \"0\" -1 }}", line),
            Some(Value::Str("l0ki".into()))
        );
        assert_eq!(
            run("{{ TrimSpace \"  x \" }}", line),
            Some(Value::Str("x".into()))
        );
        assert_eq!(
            run("{{ regexReplaceAll \"(o)\" .Value \"[$1]\" }}", line),
            Some(Value::Str("l[o]ki".into()))
        );
        assert_eq!(
            run("{{ .Entry }}", "{\"app\":\"a\"}"),
            Some(Value::Str("{\"app\":\"a\"}".into()))
        );
        // An empty output deletes the value.
        assert_eq!(run("{{ if eq .Value \"nope\" }}x{{ end }}", line), None);
        // A template that fails to run leaves the value as it was.
        assert_eq!(
            run("{{ ToUpper .missing }}", line),
            Some(Value::Str("loki".into()))
        );
    }

    #[test]
    fn sprig_functions() {
        let run = |tmpl: &str| {
            let cfg = format!(
                "stage.template {{\n source = \"out\"\n template = {}\n}}",
                ingot_gocompat::strconv::quote(tmpl)
            );
            match run_line(&cfg, "line").remove(0).extracted.remove("out") {
                Some(Value::Str(s)) => s.to_string(),
                other => format!("{other:?}"),
            }
        };
        assert_eq!(
            run(r#"{{ "Hello" | upper }} {{ lower "A" }} {{ trim "  x " }}"#),
            "HELLO a x"
        );
        assert_eq!(
            run(r#"{{ "abcdef" | trunc 3 }} {{ substr 1 3 "abcdef" }} {{ repeat 2 "ab" }}"#),
            "abc bc abab"
        );
        assert_eq!(
            run(
                r#"{{ default "d" "" }} {{ default "d" "g" }} {{ empty "" }} {{ coalesce "" "c" }}"#
            ),
            "d g true c"
        );
        assert_eq!(
            run(r#"{{ splitList "," "a,b" | join "+" }} {{ quote "a" 1 }} {{ add 1 2 "3" }}"#),
            "a+b \"a\" \"1\" 6"
        );
        assert_eq!(
            run(r#"{{ "aGk=" | b64dec }} {{ b64enc "hi" }} {{ regexMatch "^a" "abc" }}"#),
            "hi aGk= true"
        );
    }

    #[test]
    fn errors() {
        assert!(error(
            r#"stage.template {
            source = "a"
            template = "{{ .Value"
        }"#
        )
        .contains("template: pipeline_template:1: unclosed action"));
        assert!(error(
            r#"stage.template {
            source = "a"
            template = "{{ uuidv4 }}"
        }"#
        )
        .contains("Sprig's uuidv4 is not implemented in ingot yet"));
        assert!(error(
            r#"stage.template {
            source = ""
            template = "x"
        }"#
        )
        .contains("template source value is required"));
    }
}
