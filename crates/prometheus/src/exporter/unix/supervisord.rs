//! node_exporter's `supervisord` collector (deprecated upstream, still in Alloy's schema): the
//! processes `supervisor.getAllProcessInfo` lists over supervisord's XML-RPC interface, on an
//! `http://` URL or a `unix://` socket as node_exporter reaches them (mattn/go-xmlrpc over Go's HTTP
//! client, 10 s per call).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use ingot_gocompat::base64::Encoding;
use ingot_gocompat::strconv::quote;
use ingot_prom::exposition::{Desc, FamilySet, MetricType};

use super::{Collector, ConfigError, UnixConfig};

const LABELS: &[&str] = &["group", "name"];
const UP: Desc = Desc::new(
    "node_supervisord_up",
    "Process Up",
    MetricType::Gauge,
    LABELS,
);
const STATE: Desc = Desc::new(
    "node_supervisord_state",
    "Process State",
    MetricType::Gauge,
    LABELS,
);
const EXIT_STATUS: Desc = Desc::new(
    "node_supervisord_exit_status",
    "Process Exit Status",
    MetricType::Gauge,
    LABELS,
);
const START_TIME: Desc = Desc::new(
    "node_supervisord_start_time_seconds",
    "Process start time",
    MetricType::Counter,
    LABELS,
);

/// go-xmlrpc's client timeout: the whole call.
const TIMEOUT: Duration = Duration::from_secs(10);
/// A reply larger than this is refused rather than read into memory.
const MAX_REPLY: usize = 16 << 20;
const REQUEST_BODY: &str = "<?xml version=\"1.0\"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>";

/// Where supervisord listens.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    Tcp {
        host: String,
        port: u16,
        path: String,
        authorization: Option<String>,
    },
    Unix(String),
}

pub(super) struct SupervisordCollector {
    url: String,
    endpoint: Endpoint,
}

impl SupervisordCollector {
    pub(super) fn new(config: &UnixConfig) -> Result<SupervisordCollector, ConfigError> {
        let url = config.supervisord.url.clone();
        let endpoint = parse_url(&url)
            .map_err(|e| ConfigError(format!("supervisord url {}: {e}", quote(&url))))?;
        Ok(SupervisordCollector { url, endpoint })
    }
}

/// `http://[user:password@]host[:port][/path]` or `unix:///path/to/socket` (node_exporter then
/// posts to `/RPC2` over the socket).
fn parse_url(url: &str) -> Result<Endpoint, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("not an http:// or unix:// URL")?;
    match scheme.to_ascii_lowercase().as_str() {
        "unix" => {
            let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            if path.is_empty() {
                return Err("no socket path".into());
            }
            Ok(Endpoint::Unix(percent_decode(path)?))
        }
        "http" => {
            let (authority, path) = match rest.find(['/', '?']) {
                Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
                Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
                None => (rest, "/".to_owned()),
            };
            let path = path.split('#').next().unwrap_or("/").to_owned();
            let (userinfo, hostport) = match authority.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, authority),
            };
            let authorization = userinfo
                .map(|u| -> Result<String, String> {
                    let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                    let plain = format!("{}:{}", percent_decode(user)?, percent_decode(pass)?);
                    Ok(format!(
                        "Basic {}",
                        Encoding::Std.encode_to_string(plain.as_bytes())
                    ))
                })
                .transpose()?;
            let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
                let (h, after) = v6.split_once(']').ok_or("missing ']' in host")?;
                (h.to_owned(), after.strip_prefix(':').unwrap_or(""))
            } else {
                match hostport.rsplit_once(':') {
                    Some((h, p)) => (h.to_owned(), p),
                    None => (hostport.to_owned(), ""),
                }
            };
            if host.is_empty() {
                return Err("no host".into());
            }
            let port = if port.is_empty() {
                80
            } else {
                port.parse()
                    .map_err(|_| format!("invalid port {}", quote(port)))?
            };
            Ok(Endpoint::Tcp {
                host,
                port,
                path,
                authorization,
            })
        }
        other => Err(format!(
            "ingot reaches supervisord over http:// and unix:// only, not {other}://"
        )),
    }
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!("invalid URL escape {}", quote(&s[i..(i + 3).min(s.len())]))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "invalid UTF-8 in URL".to_owned())
}

/// One XML-RPC value, as much of the type system as supervisord uses.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(i64),
    Bool(bool),
    Double(f64),
    Str(String),
    Array(Vec<Value>),
    Struct(Vec<(String, Value)>),
    Nil,
}

/// A small XML reader: elements, text and entities, skipping the prolog, comments and processing
/// instructions; CDATA is text.
struct Xml<'a> {
    s: &'a str,
    pos: usize,
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Start(&'a str),
    End(&'a str),
    /// `<name/>`
    Empty(&'a str),
    Text(String),
}

impl<'a> Xml<'a> {
    fn next(&mut self) -> Result<Option<Token<'a>>, String> {
        loop {
            let rest = &self.s[self.pos..];
            if rest.is_empty() {
                return Ok(None);
            }
            if let Some(r) = rest.strip_prefix("<?") {
                self.pos += 2 + r.find("?>").ok_or("unterminated <?")? + 2;
            } else if let Some(r) = rest.strip_prefix("<!--") {
                self.pos += 4 + r.find("-->").ok_or("unterminated comment")? + 3;
            } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
                let end = r.find("]]>").ok_or("unterminated CDATA")?;
                self.pos += 9 + end + 3;
                return Ok(Some(Token::Text(r[..end].to_owned())));
            } else if let Some(r) = rest.strip_prefix("<!") {
                self.pos += 2 + r.find('>').ok_or("unterminated <!")? + 1;
            } else if rest.starts_with('<') {
                let end = rest.find('>').ok_or("unterminated tag")?;
                let inner = &rest[1..end];
                self.pos += end + 1;
                if let Some(name) = inner.strip_prefix('/') {
                    return Ok(Some(Token::End(name.trim())));
                }
                let (inner, empty) = match inner.strip_suffix('/') {
                    Some(i) => (i, true),
                    None => (inner, false),
                };
                let name = inner.split_whitespace().next().ok_or("empty tag")?;
                // Namespaces are not used by XML-RPC: the local name is the name.
                let name = name.rsplit(':').next().unwrap_or(name);
                return Ok(Some(if empty {
                    Token::Empty(name)
                } else {
                    Token::Start(name)
                }));
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                self.pos += end;
                return Ok(Some(Token::Text(unescape(&rest[..end])?)));
            }
        }
    }

    /// The next start (or empty) element, skipping text.
    fn start(&mut self) -> Result<(&'a str, bool), String> {
        loop {
            match self.next()? {
                Some(Token::Start(n)) => return Ok((n, false)),
                Some(Token::Empty(n)) => return Ok((n, true)),
                Some(Token::Text(_)) => continue,
                Some(Token::End(n)) => return Err(format!("unexpected </{n}>")),
                None => return Err("unexpected end of document".into()),
            }
        }
    }

    /// Text up to the end of element `name`.
    fn text(&mut self, name: &str) -> Result<String, String> {
        let mut out = String::new();
        loop {
            match self.next()? {
                Some(Token::Text(t)) => out.push_str(&t),
                Some(Token::End(n)) if n == name => return Ok(out),
                other => return Err(format!("unexpected {other:?} in <{name}>")),
            }
        }
    }

    /// Skips text up to the end of element `name`.
    fn end(&mut self, name: &str) -> Result<(), String> {
        loop {
            match self.next()? {
                Some(Token::Text(t)) if t.trim().is_empty() => continue,
                Some(Token::End(n)) if n == name => return Ok(()),
                other => return Err(format!("expected </{name}>, found {other:?}")),
            }
        }
    }

    /// The content of a `<value>` whose start tag was just read, through its end tag.
    fn value(&mut self) -> Result<Value, String> {
        let mut text = String::new();
        let v = loop {
            match self.next()? {
                Some(Token::Text(t)) => text.push_str(&t),
                // A value without a type element is a string.
                Some(Token::End("value")) => return Ok(Value::Str(text)),
                Some(Token::Empty(t)) => {
                    break match t {
                        "nil" => Value::Nil,
                        "string" => Value::Str(String::new()),
                        "struct" => Value::Struct(Vec::new()),
                        other => return Err(format!("empty <{other}/>")),
                    }
                }
                Some(Token::Start(t)) => break self.typed(t)?,
                other => return Err(format!("unexpected {other:?} in <value>")),
            }
        };
        self.end("value")?;
        Ok(v)
    }

    fn typed(&mut self, t: &str) -> Result<Value, String> {
        Ok(match t {
            "string" => Value::Str(self.text(t)?),
            "int" | "i1" | "i2" | "i4" | "i8" => {
                let s = self.text(t)?;
                Value::Int(
                    s.trim()
                        .parse()
                        .map_err(|_| format!("invalid <{t}> {}", quote(s.trim())))?,
                )
            }
            "boolean" => match self.text(t)?.trim() {
                "1" | "true" => Value::Bool(true),
                "0" | "false" => Value::Bool(false),
                _ => return Err("invalid boolean value".into()),
            },
            "double" => {
                let s = self.text(t)?;
                Value::Double(
                    s.trim()
                        .parse()
                        .map_err(|_| format!("invalid <double> {}", quote(s.trim())))?,
                )
            }
            "dateTime.iso8601" | "base64" => Value::Str(self.text(t)?),
            "nil" => {
                self.end("nil")?;
                Value::Nil
            }
            "array" => {
                let mut items = Vec::new();
                let (data, empty) = self.start()?;
                if data != "data" {
                    return Err(format!("expected <data>, found <{data}>"));
                }
                if !empty {
                    loop {
                        match self.next()? {
                            Some(Token::Text(_)) => continue,
                            Some(Token::Start("value")) => items.push(self.value()?),
                            Some(Token::End("data")) => break,
                            other => return Err(format!("unexpected {other:?} in <data>")),
                        }
                    }
                }
                self.end("array")?;
                Value::Array(items)
            }
            "struct" => {
                let mut members = Vec::new();
                loop {
                    match self.next()? {
                        Some(Token::Text(_)) => continue,
                        Some(Token::Start("member")) => {
                            let (n, _) = self.start()?;
                            if n != "name" {
                                return Err("invalid response".into());
                            }
                            let name = self.text("name")?;
                            let (v, _) = self.start()?;
                            if v != "value" {
                                return Err("invalid response".into());
                            }
                            members.push((name, self.value()?));
                            self.end("member")?;
                        }
                        Some(Token::End("struct")) => break,
                        other => return Err(format!("unexpected {other:?} in <struct>")),
                    }
                }
                Value::Struct(members)
            }
            other => return Err(format!("unknown type <{other}>")),
        })
    }
}

fn unescape(s: &str) -> Result<String, String> {
    if !s.contains('&') {
        return Ok(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').ok_or("unterminated entity")? + i;
        let entity = &rest[i + 1..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(h) = entity.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = entity.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("invalid entity &{entity};"))?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A `methodResponse` body: its one parameter, or the fault it reports.
fn parse_response(body: &str) -> Result<Value, String> {
    let mut xml = Xml { s: body, pos: 0 };
    let (root, _) = xml.start()?;
    if root != "methodResponse" {
        return Err("invalid response: missing methodResponse".into());
    }
    let (params, _) = xml.start()?;
    if params == "fault" {
        let (v, _) = xml.start()?;
        let fault = if v == "value" {
            xml.value()?
        } else {
            Value::Nil
        };
        let text = match &fault {
            Value::Struct(m) => m
                .iter()
                .find(|(k, _)| k == "faultString")
                .map(|(_, v)| format!("{v:?}"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        return Err(format!("invalid response: missing params (fault {text})"));
    }
    if params != "params" {
        return Err("invalid response: missing params".into());
    }
    if xml.start()?.0 != "param" {
        return Err("invalid response: missing param".into());
    }
    if xml.start()?.0 != "value" {
        return Err("invalid response: missing value".into());
    }
    xml.value()
}

impl SupervisordCollector {
    /// POSTs the call and returns the reply's body.
    fn call(&self) -> Result<String, String> {
        let deadline = Instant::now() + TIMEOUT;
        let post = |e: String| format!("Post {}: {e}", quote(&self.url));
        let (host_header, path, authorization) = match &self.endpoint {
            Endpoint::Tcp {
                host,
                port,
                path,
                authorization,
            } => {
                let host_header = if *port == 80 {
                    host.clone()
                } else if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                (host_header, path.as_str(), authorization.as_deref())
            }
            Endpoint::Unix(_) => ("unix".to_owned(), "/RPC2", None),
        };
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: {}\r\nContent-Type: text/xml\r\nConnection: close\r\n",
            REQUEST_BODY.len()
        );
        if let Some(a) = authorization {
            request.push_str(&format!("Authorization: {a}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(REQUEST_BODY);

        let mut reply = Vec::new();
        match &self.endpoint {
            Endpoint::Tcp { host, port, .. } => {
                let addr = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| post(format!("dial tcp: lookup {host}: {e}")))?
                    .next()
                    .ok_or_else(|| post(format!("dial tcp: lookup {host}: no such host")))?;
                let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
                    .map_err(|e| post(format!("dial tcp {addr}: connect: {}", io_text(&e))))?;
                exchange(&mut stream, &request, &mut reply, deadline, |s, t| {
                    s.set_read_timeout(t)
                })
                .map_err(post)?;
            }
            Endpoint::Unix(socket) => {
                let mut stream = UnixStream::connect(socket)
                    .map_err(|e| post(format!("dial unix {socket}: connect: {}", io_text(&e))))?;
                exchange(&mut stream, &request, &mut reply, deadline, |s, t| {
                    s.set_read_timeout(t)
                })
                .map_err(post)?;
            }
        }
        let body = http_body(&reply)?;
        String::from_utf8(body).map_err(|_| "invalid UTF-8 in response".to_owned())
    }
}

fn io_text(e: &std::io::Error) -> String {
    ingot_hostfs::errno::go_error_text(e)
}

/// Writes the request and reads the reply until the server closes, within the deadline and the
/// size bound.
fn exchange<S: Read + Write>(
    stream: &mut S,
    request: &str,
    reply: &mut Vec<u8>,
    deadline: Instant,
    set_timeout: impl Fn(&S, Option<Duration>) -> std::io::Result<()>,
) -> Result<(), String> {
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("write: {}", io_text(&e)))?;
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(
                "context deadline exceeded (Client.Timeout exceeded while awaiting headers)".into(),
            );
        }
        set_timeout(stream, Some(left)).map_err(|e| io_text(&e))?;
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if reply.len() + n > MAX_REPLY {
                    return Err(format!("reply larger than {MAX_REPLY} bytes"));
                }
                reply.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(
                    "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
                        .into(),
                )
            }
            Err(e) => return Err(format!("read: {}", io_text(&e))),
        }
    }
}

/// The body of an HTTP/1.x reply read to its end: a status other than 2xx is go-xmlrpc's "Bad
/// Request"; chunked and sized bodies are taken apart.
fn http_body(reply: &[u8]) -> Result<Vec<u8>, String> {
    let head_end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed HTTP response")?;
    let head = std::str::from_utf8(&reply[..head_end]).map_err(|_| "malformed HTTP response")?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or("malformed HTTP response")?;
    if status / 100 != 2 {
        return Err("Bad Request".into());
    }
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        }
    }
    let body = &reply[head_end + 4..];
    if chunked {
        let mut out = Vec::new();
        let mut rest = body;
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or("malformed chunked encoding")?;
            let size_text =
                std::str::from_utf8(&rest[..line_end]).map_err(|_| "malformed chunked encoding")?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| "malformed chunked encoding")?;
            rest = &rest[line_end + 2..];
            if size == 0 {
                return Ok(out);
            }
            if rest.len() < size + 2 {
                return Err("unexpected EOF".into());
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
    }
    match length {
        Some(n) if body.len() < n => Err("unexpected EOF".into()),
        Some(n) => Ok(body[..n].to_vec()),
        None => Ok(body.to_vec()),
    }
}

/// supervisord's process states in which the process exists.
fn is_running(state: i64) -> bool {
    matches!(state, 10 | 20 | 40)
}

impl Collector for SupervisordCollector {
    fn name(&self) -> &'static str {
        "supervisord"
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        let reply = self
            .call()
            .and_then(|body| parse_response(&body))
            .map_err(|e| format!("unable to call supervisord: {e}"))?;
        let Value::Array(processes) = reply else {
            return Err(format!(
                "unable to call supervisord: expected an array of processes, got {reply:?}"
            ));
        };
        for p in &processes {
            let Value::Struct(members) = p else {
                return Err(format!("supervisord: expected a process struct, got {p:?}"));
            };
            let (mut name, mut group, mut start, mut state, mut exit_status) = ("", "", 0, 0, 0);
            for (k, v) in members {
                match (k.as_str(), v) {
                    ("name", Value::Str(s)) => name = s,
                    ("group", Value::Str(s)) => group = s,
                    ("start", Value::Int(i)) => start = *i,
                    ("state", Value::Int(i)) => state = *i,
                    ("exitstatus", Value::Int(i)) => exit_status = *i,
                    ("name" | "group" | "start" | "state" | "exitstatus", other) => {
                        return Err(format!(
                            "supervisord: process field {k} has an unexpected type: {other:?}"
                        ))
                    }
                    _ => {}
                }
            }
            let labels = [group, name];
            out.push(&STATE, &labels, state as f64);
            out.push(&EXIT_STATUS, &labels, exit_status as f64);
            if is_running(state) {
                out.push(&UP, &labels, 1.0);
                out.push(&START_TIME, &labels, start as f64);
            } else {
                out.push(&UP, &labels, 0.0);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_node_exporter_reaches_them() {
        assert_eq!(
            parse_url("http://localhost:9001/RPC2").unwrap(),
            Endpoint::Tcp {
                host: "localhost".into(),
                port: 9001,
                path: "/RPC2".into(),
                authorization: None
            }
        );
        assert_eq!(
            parse_url("http://us%65r:p%40ss@[::1]/RPC2").unwrap(),
            Endpoint::Tcp {
                host: "::1".into(),
                port: 80,
                path: "/RPC2".into(),
                authorization: Some(format!(
                    "Basic {}",
                    Encoding::Std.encode_to_string(b"user:p@ss")
                ))
            }
        );
        assert_eq!(
            parse_url("unix:///run/supervisor.sock").unwrap(),
            Endpoint::Unix("/run/supervisor.sock".into())
        );
        assert!(parse_url("https://localhost:9001/RPC2")
            .unwrap_err()
            .contains("not https://"));
        assert!(parse_url("localhost:9001").is_err());
    }

    #[test]
    fn all_process_info_as_supervisord_sends_it() {
        let body = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n<member>\n<name>description</name>\n<value><string>pid 42, uptime 0:00:01</string></value>\n</member>\n<member>\n<name>exitstatus</name>\n<value><int>0</int></value>\n</member>\n<member>\n<name>group</name>\n<value><string>web &amp; co</string></value>\n</member>\n<member>\n<name>name</name>\n<value><string>sleeper</string></value>\n</member>\n<member>\n<name>start</name>\n<value><int>1700000000</int></value>\n</member>\n<member>\n<name>state</name>\n<value><int>20</int></value>\n</member>\n<member>\n<name>stdout_logfile</name>\n<value><string></string></value>\n</member>\n<member><name>flag</name><value><boolean>1</boolean></value></member>\n</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
        let Value::Array(items) = parse_response(body).unwrap() else {
            panic!()
        };
        let Value::Struct(m) = &items[0] else {
            panic!()
        };
        assert!(m.contains(&("group".into(), Value::Str("web & co".into()))));
        assert!(m.contains(&("start".into(), Value::Int(1_700_000_000))));
        assert!(m.contains(&("flag".into(), Value::Bool(true))));
        let fault = "<?xml version='1.0'?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value><string>UNKNOWN_METHOD</string></value></member></struct></value></fault></methodResponse>";
        assert!(parse_response(fault)
            .unwrap_err()
            .starts_with("invalid response: missing params"));
        assert!(parse_response("<html/>").is_err());
    }

    #[test]
    fn http_bodies_sized_chunked_and_refused() {
        assert_eq!(
            http_body(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef").unwrap(),
            b"abc"
        );
        assert_eq!(
            http_body(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                .unwrap(),
            b"abcde"
        );
        assert_eq!(
            http_body(b"HTTP/1.0 401 Unauthorized\r\n\r\n").unwrap_err(),
            "Bad Request"
        );
    }
}
