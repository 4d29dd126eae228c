//! Which proxy a request goes through, as Prometheus' `ProxyConfig.Proxy()` decides it: `proxy_url` alone
//! proxies every request (Go's `http.ProxyURL`); `proxy_url` with `no_proxy`, and `proxy_from_environment`,
//! follow `golang.org/x/net/http/httpproxy` (`localhost` and loopback addresses are never proxied there,
//! `no_proxy` entries are IPs, CIDRs, domains with optional ports, or `*`).

use std::net::IpAddr;

use url::Url;

/// A proxy to use: where to connect, and the `Proxy-Authorization` its URL's user info implies.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `Basic <base64(user:password)>` from the proxy URL, as Go's transport sends it.
    pub authorization: Option<String>,
    /// The proxy URL with its password hidden, for messages.
    pub redacted: String,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

/// Decides the proxy of each request.
#[derive(Clone, Debug, Default)]
pub enum ProxySelector {
    #[default]
    Direct,
    /// `proxy_url` without `no_proxy`: every request, loopback included.
    Always(Proxy),
    /// `httpproxy.Config`: `proxy_url` with `no_proxy`, or the environment.
    Config {
        http: Option<Proxy>,
        https: Option<Proxy>,
        no_proxy: NoProxy,
        /// `REQUEST_METHOD` was set (a CGI environment): `HTTP_PROXY` is not trusted there.
        cgi: bool,
    },
}

impl ProxySelector {
    /// `proxy_url` (and `no_proxy`), as Prometheus builds it. The URL was checked at configuration time.
    pub fn from_url(proxy_url: &str, no_proxy: Option<&str>) -> Result<ProxySelector, String> {
        let proxy = parse_proxy(proxy_url)?;
        match no_proxy.filter(|n| !n.is_empty()) {
            None => Ok(ProxySelector::Always(proxy)),
            Some(n) => Ok(ProxySelector::Config {
                http: Some(proxy.clone()),
                https: Some(proxy),
                no_proxy: NoProxy::parse(n),
                cgi: false,
            }),
        }
    }

    /// `proxy_from_environment`: `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (or their lower-case forms),
    /// read once, as Go's `httpproxy.FromEnvironment`. A variable that does not parse is ignored, as Go does.
    pub fn from_environment(env: impl Fn(&str) -> Option<String>) -> ProxySelector {
        let any = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| env(n).filter(|v| !v.is_empty()))
                .unwrap_or_default()
        };
        let http = any(&["HTTP_PROXY", "http_proxy"]);
        let https = any(&["HTTPS_PROXY", "https_proxy"]);
        let no_proxy = any(&["NO_PROXY", "no_proxy"]);
        ProxySelector::Config {
            http: (!http.is_empty())
                .then(|| parse_proxy(&http).ok())
                .flatten(),
            https: (!https.is_empty())
                .then(|| parse_proxy(&https).ok())
                .flatten(),
            no_proxy: NoProxy::parse(&no_proxy),
            cgi: env("REQUEST_METHOD").is_some_and(|v| !v.is_empty()),
        }
    }

    /// The proxy for a request to `scheme://host:port` (`host` without brackets).
    pub fn proxy_for(&self, scheme: &str, host: &str, port: u16) -> Result<Option<&Proxy>, String> {
        match self {
            ProxySelector::Direct => Ok(None),
            ProxySelector::Always(p) => Ok(Some(p)),
            ProxySelector::Config {
                http,
                https,
                no_proxy,
                cgi,
            } => {
                let proxy = match scheme {
                    "https" => https.as_ref(),
                    "http" => {
                        if http.is_some() && *cgi {
                            return Err("refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy".into());
                        }
                        http.as_ref()
                    }
                    _ => None,
                };
                let Some(proxy) = proxy else { return Ok(None) };
                Ok(no_proxy.use_proxy(host, port).then_some(proxy))
            }
        }
    }
}

/// Go's `parseProxy`: a URL, or `host:port` taken as `http://host:port`. Only `http` proxies are spoken
/// (Go also speaks `https` and `socks5` proxies; ingot refuses them by name rather than connect directly).
pub fn parse_proxy(s: &str) -> Result<Proxy, String> {
    let parsed = match Url::parse(s) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => u,
        // Go retries any bogus address with `http://` in front; one that already has a scheme would then
        // parse into nonsense with its user info in the path, so it is refused instead.
        Err(e) if s.contains("://") => {
            return Err(format!(
                "invalid proxy address {}: {e}",
                go_quote(&hide_userinfo(s))
            ))
        }
        _ => Url::parse(&format!("http://{s}"))
            .map_err(|e| format!("invalid proxy address {}: {e}", go_quote(&hide_userinfo(s))))?,
    };
    let redacted = redact(&parsed);
    if parsed.scheme() != "http" {
        return Err(format!(
            "proxy scheme {} of {} is not supported by ingot (only http proxies are)",
            go_quote(parsed.scheme()),
            go_quote(&redacted)
        ));
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("invalid proxy address {}: no host", go_quote(&redacted)))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let authorization = (!parsed.username().is_empty() || parsed.password().is_some()).then(|| {
        let user = percent_decode(parsed.username());
        let password = percent_decode(parsed.password().unwrap_or(""));
        format!(
            "Basic {}",
            ingot_gocompat::base64::Encoding::Std
                .encode_to_string(format!("{user}:{password}").as_bytes())
        )
    });
    Ok(Proxy {
        host,
        port: parsed.port_or_known_default().unwrap_or(80),
        authorization,
        redacted,
    })
}

/// A URL with its password replaced, as Go's `URL.Redacted`.
pub fn redact(u: &Url) -> String {
    let mut u = u.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("xxxxx"));
    }
    u.to_string()
}

/// A proxy address that did not parse, with whatever could be a password hidden.
fn hide_userinfo(s: &str) -> String {
    let start = s.find("://").map_or(0, |i| i + 3);
    match s[start..].rfind('@') {
        Some(at) => format!("{}xxxxx{}", &s[..start], &s[start + at..]),
        None => s.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn go_quote(s: &str) -> String {
    format!("{s:?}")
}

/// The `no_proxy` / `NO_PROXY` list, as `httpproxy.config.init` reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    ips: Vec<IpMatcher>,
    domains: Vec<DomainMatcher>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum IpMatcher {
    Cidr(IpAddr, u8),
    Ip(IpAddr, Option<u16>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct DomainMatcher {
    /// Always starts with a dot.
    host: String,
    port: Option<u16>,
    /// The entry had no leading dot: the domain itself matches too.
    match_host: bool,
}

impl NoProxy {
    pub fn parse(list: &str) -> NoProxy {
        let mut n = NoProxy::default();
        for p in list.split(',') {
            let p = p.trim().to_ascii_lowercase();
            if p.is_empty() {
                continue;
            }
            if p == "*" {
                return NoProxy {
                    all: true,
                    ..NoProxy::default()
                };
            }
            if let Some(cidr) = parse_cidr(&p) {
                n.ips.push(cidr);
                continue;
            }
            let (mut host, port) = match split_host_port(&p) {
                Some((h, port)) => {
                    if h.is_empty() {
                        continue;
                    }
                    // Go keeps the entry with a port it cannot read as a number; it then matches no request.
                    (h.to_string(), Some(port.parse::<u16>().unwrap_or(0)))
                }
                None => (p.clone(), None),
            };
            if host.starts_with('[') && host.ends_with(']') {
                host = host[1..host.len() - 1].to_string();
            }
            if let Ok(ip) = host.parse::<IpAddr>() {
                n.ips.push(IpMatcher::Ip(ip, port));
                continue;
            }
            if host.is_empty() {
                continue;
            }
            if let Some(rest) = host.strip_prefix("*.") {
                host = format!(".{rest}");
            }
            let match_host = !host.starts_with('.');
            if match_host {
                host = format!(".{host}");
            }
            let host = url::Host::parse(&host[1..])
                .map(|h| format!(".{h}"))
                .unwrap_or(host);
            n.domains.push(DomainMatcher {
                host,
                port,
                match_host,
            });
        }
        n
    }

    /// Go's `useProxy(canonicalAddr(url))`.
    pub fn use_proxy(&self, host: &str, port: u16) -> bool {
        if host == "localhost" {
            return false;
        }
        let ip = host.parse::<IpAddr>().ok().map(unmap);
        if ip.is_some_and(|ip| ip.is_loopback()) {
            return false;
        }
        if self.all {
            return false;
        }
        let host = host.trim().to_ascii_lowercase();
        if let Some(ip) = ip {
            for m in &self.ips {
                let hit = match *m {
                    IpMatcher::Cidr(net, bits) => cidr_contains(net, bits, ip),
                    IpMatcher::Ip(want, want_port) => {
                        unmap(want) == ip && want_port.is_none_or(|p| p == port)
                    }
                };
                if hit {
                    return false;
                }
            }
        }
        for m in &self.domains {
            if (host.ends_with(&m.host) || (m.match_host && host == m.host[1..]))
                && m.port.is_none_or(|p| p == port)
            {
                return false;
            }
        }
        true
    }
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn parse_cidr(s: &str) -> Option<IpMatcher> {
    let (ip, bits) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some(IpMatcher::Cidr(ip, bits))
}

fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// Go's `net.SplitHostPort`, for what `no_proxy` entries need: `host:port` or `[v6]:port`.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((h, port));
    }
    let (h, port) = s.rsplit_once(':')?;
    if h.contains(':') {
        return None;
    }
    Some((h, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn via(sel: &ProxySelector, url: &str) -> Option<String> {
        let u = Url::parse(url).unwrap();
        let host = u.host_str().unwrap().trim_matches(|c| c == '[' || c == ']');
        sel.proxy_for(u.scheme(), host, u.port_or_known_default().unwrap())
            .unwrap()
            .map(|p| format!("{}:{}", p.host, p.port))
    }

    #[test]
    fn proxy_url_alone_proxies_everything_even_loopback() {
        let sel = ProxySelector::from_url("http://proxy.example:3128", None).unwrap();
        assert_eq!(
            via(&sel, "http://127.0.0.1:9100/metrics").as_deref(),
            Some("proxy.example:3128")
        );
        assert_eq!(
            via(&sel, "https://localhost/").as_deref(),
            Some("proxy.example:3128")
        );
    }

    // The cases of golang.org/x/net/http/httpproxy's proxy_test.go that concern the matching.
    #[test]
    fn no_proxy_matches_as_go_httpproxy() {
        let np = NoProxy::parse(
            "foobar.com, .barbaz.net, *.wildcard.com, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64, bar.com:8080",
        );
        let cases: &[(&str, u16, bool)] = &[
            ("localhost", 80, false),
            ("127.0.0.1", 80, false),
            ("127.0.0.2", 80, false),
            ("::1", 80, false),
            ("::ffff:127.0.0.1", 80, false),
            ("192.168.1.1", 80, false),
            ("192.168.1.2", 80, true),
            ("192.168.1.2", 81, false),
            ("192.168.1.3", 80, false),
            ("192.168.1.3", 443, true),
            ("10.0.0.2", 80, false),
            ("10.0.0.4", 80, true),
            ("2001:db8::52:0:1", 80, false),
            ("2001:db8::52:0:2", 443, false),
            ("2001:db8::52:0:2", 80, true),
            ("2001:db8::52:0:3", 443, true),
            ("2002:db8:a::123", 80, false),
            ("fe80::424b:c8be:1643:a1b6", 80, true),
            ("barbaz.net", 80, true),
            ("www.barbaz.net", 80, false),
            ("foobar.com", 80, false),
            ("www.foobar.com", 80, false),
            ("afoobar.com", 80, true),
            ("wildcard.com", 80, true),
            ("www.wildcard.com", 80, false),
            ("bar.com", 80, true),
            ("bar.com", 8080, false),
            ("www.bar.com", 8080, false),
            ("example.com", 80, true),
        ];
        for (host, port, want) in cases {
            assert_eq!(np.use_proxy(host, *port), *want, "{host}:{port}");
        }
        assert!(!NoProxy::parse("*").use_proxy("example.com", 80));
        assert!(NoProxy::parse("").use_proxy("example.com", 80));
    }

    #[test]
    fn environment_picks_the_variable_of_the_scheme() {
        let sel = ProxySelector::from_environment(env(&[
            ("HTTP_PROXY", "http-proxy:3128"),
            ("https_proxy", "http://user:p%40ss@https-proxy:3129"),
            ("NO_PROXY", "internal.example"),
        ]));
        assert_eq!(
            via(&sel, "http://a.example/").as_deref(),
            Some("http-proxy:3128")
        );
        assert_eq!(
            via(&sel, "https://a.example/").as_deref(),
            Some("https-proxy:3129")
        );
        assert_eq!(via(&sel, "https://x.internal.example/"), None);
        assert_eq!(via(&sel, "http://127.0.0.1:9090/"), None);
        let ProxySelector::Config { https, .. } = &sel else {
            panic!()
        };
        let p = https.as_ref().unwrap();
        assert_eq!(
            p.authorization.as_deref(),
            Some("Basic dXNlcjpwQHNz"),
            "user:p@ss"
        );
        assert!(!format!("{p:?}").contains("p%40ss"));
        let cgi = ProxySelector::from_environment(env(&[
            ("HTTP_PROXY", "http://p:1"),
            ("REQUEST_METHOD", "GET"),
        ]));
        assert!(cgi.proxy_for("http", "a.example", 80).is_err());
        assert_eq!(
            ProxySelector::from_environment(env(&[]))
                .proxy_for("http", "a.example", 80)
                .unwrap(),
            None
        );
    }

    #[test]
    fn an_unparsable_proxy_address_does_not_show_its_password() {
        let e = parse_proxy("http://user:hunter2@[::1").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("xxxxx@"), "{e}");
    }

    #[test]
    fn socks_and_https_proxies_are_refused_by_name() {
        let e = parse_proxy("socks5://127.0.0.1:1080").unwrap_err();
        assert!(e.contains("\"socks5\""), "{e}");
    }
}
