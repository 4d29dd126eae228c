//! The web UI: plain HTML, CSS and JavaScript modules under `crates/server/ui/`, embedded in the binary (no build
//! step, no Node.js for `cargo build`) and served under `--server.http.ui-path-prefix`, behind the same
//! authentication as every other route.
//!
//! Paths under the prefix are the UI's: `assets/<file>` is a file of the table below (404 when it is not one, so
//! a broken import fails loudly instead of parsing a page as a script), `api/...` that no API route took is a 404
//! (the pages show the error instead of reading HTML as data), and any other path is the page itself, which
//! reads the location to decide what to show; deep links such as `<prefix>/component/prometheus.scrape.x` work.
//! The page's `<base href>` is the prefix, so every request it makes is relative to where it is served.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Every file of the UI but the page itself: its path under `<prefix>/`, its content type, its bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "assets/style.css",
        CSS,
        include_bytes!("../ui/assets/style.css"),
    ),
    (
        "assets/favicon.svg",
        SVG,
        include_bytes!("../ui/assets/favicon.svg"),
    ),
    ("assets/main.js", JS, include_bytes!("../ui/assets/main.js")),
    ("assets/dom.js", JS, include_bytes!("../ui/assets/dom.js")),
    ("assets/api.js", JS, include_bytes!("../ui/assets/api.js")),
    (
        "assets/alloy.js",
        JS,
        include_bytes!("../ui/assets/alloy.js"),
    ),
    (
        "assets/health.js",
        JS,
        include_bytes!("../ui/assets/health.js"),
    ),
    ("assets/list.js", JS, include_bytes!("../ui/assets/list.js")),
    (
        "assets/component.js",
        JS,
        include_bytes!("../ui/assets/component.js"),
    ),
    (
        "assets/graph.js",
        JS,
        include_bytes!("../ui/assets/graph.js"),
    ),
    (
        "assets/layout.js",
        JS,
        include_bytes!("../ui/assets/layout.js"),
    ),
    (
        "assets/debug.js",
        JS,
        include_bytes!("../ui/assets/debug.js"),
    ),
];

/// The page; `{{BASE}}` becomes the prefix (with a trailing `/`), HTML-escaped.
const INDEX: &str = include_str!("../ui/index.html");

/// The page may load and fetch from its own origin only; nothing leaves for another host.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

struct File {
    content_type: &'static str,
    body: Vec<u8>,
    etag: String,
}

impl File {
    fn new(content_type: &'static str, body: Vec<u8>) -> File {
        let digest = ring::digest::digest(&ring::digest::SHA256, &body);
        let hex: String = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        File {
            content_type,
            body,
            etag: format!("\"{hex}\""),
        }
    }
}

/// The UI's files, the page rendered for one prefix.
pub struct Ui {
    /// The prefix as Alloy joins it: `""` for the root, else `/a/b`.
    prefix: String,
    index: File,
    assets: HashMap<&'static str, File>,
}

impl Ui {
    pub fn new(prefix: &str) -> Arc<Ui> {
        let base = format!("{prefix}/");
        let index = INDEX.replace("{{BASE}}", &html_escape(&base));
        Arc::new(Ui {
            prefix: prefix.to_string(),
            index: File::new(HTML, index.into_bytes()),
            assets: ASSETS
                .iter()
                .map(|&(path, ty, body)| (path, File::new(ty, body.to_vec())))
                .collect(),
        })
    }

    /// Answers a request no other route took.
    pub fn handle(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
        let path = uri.path();
        let Some(rest) = path.strip_prefix(self.prefix.as_str()) else {
            return not_found(path);
        };
        if rest.is_empty() {
            // `<prefix>` without its slash: the page's relative links need the slash.
            return (StatusCode::FOUND, [(LOCATION, format!("{}/", self.prefix))]).into_response();
        }
        let Some(rest) = rest.strip_prefix('/') else {
            return not_found(path);
        };
        if rest.starts_with("api/") {
            return not_found(path);
        }
        if method != Method::GET && method != Method::HEAD {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [("allow", "GET, HEAD")],
                "the UI answers GET and HEAD only\n",
            )
                .into_response();
        }
        let file = if rest.starts_with("assets/") {
            match self.assets.get(rest) {
                Some(file) => file,
                None => return not_found(path),
            }
        } else {
            &self.index
        };
        serve(
            file,
            method == Method::HEAD,
            headers,
            file.content_type == HTML,
        )
    }
}

/// A file with its ETag. `no-cache` makes the browser revalidate each time (the file names carry no version,
/// and a new binary may serve new files), which costs a 304 without a body.
fn serve(file: &File, head: bool, headers: &HeaderMap, page: bool) -> Response {
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == file.etag || t.trim() == "*")
        });
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else if head {
        (StatusCode::OK, Body::empty()).into_response()
    } else {
        (StatusCode::OK, file.body.clone()).into_response()
    };
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, file.content_type.parse().expect("static"));
    h.insert(ETAG, file.etag.parse().expect("hex"));
    h.insert(CACHE_CONTROL, "no-cache".parse().expect("static"));
    h.insert(X_CONTENT_TYPE_OPTIONS, "nosniff".parse().expect("static"));
    if page {
        h.insert(CONTENT_SECURITY_POLICY, CSP.parse().expect("static"));
    }
    response
}

fn not_found(path: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("404 page not found: {path}\n"),
    )
        .into_response()
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(ui: &Ui, path: &str) -> Response {
        ui.handle(&Method::GET, &path.parse().unwrap(), &HeaderMap::new())
    }

    #[test]
    fn every_asset_the_page_names_is_in_the_table() {
        let ui = Ui::new("");
        let page = String::from_utf8(ui.index.body.clone()).unwrap();
        let mut named = 0;
        for part in page.split("\"./assets/").skip(1) {
            let path = format!("assets/{}", part.split('"').next().unwrap());
            let path = path.as_str();
            assert!(ui.assets.contains_key(path), "{path} is not served");
            named += 1;
        }
        assert!(named >= 3, "{page}");
        // Every module a module imports is served too.
        for (path, ty, body) in ASSETS {
            if *ty != JS {
                continue;
            }
            let text = std::str::from_utf8(body).unwrap();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let target = line.split(['\'', '"']).nth(1).unwrap();
                let target = format!("assets/{}", target.trim_start_matches("./"));
                assert!(
                    ui.assets.contains_key(target.as_str()),
                    "{path} imports {target}"
                );
            }
        }
    }

    #[test]
    fn deep_links_get_the_page_and_unknown_assets_a_404() {
        let ui = Ui::new("/ui");
        let r = get(&ui, "/ui/component/prometheus.scrape.x");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], HTML);
        assert!(String::from_utf8(ui.index.body.clone())
            .unwrap()
            .contains("<base href=\"/ui/\">"));
        assert_eq!(
            get(&ui, "/ui/assets/nope.js").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&ui, "/ui/api/v0/web/nope").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(get(&ui, "/other").status(), StatusCode::NOT_FOUND);
        assert_eq!(get(&ui, "/uix").status(), StatusCode::NOT_FOUND);
        let r = get(&ui, "/ui");
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(r.headers()[LOCATION], "/ui/");
        let r = get(&ui, "/ui/assets/main.js");
        assert_eq!(r.headers()[CONTENT_TYPE], JS);
    }

    #[test]
    fn a_known_etag_is_answered_without_a_body() {
        let ui = Ui::new("");
        let etag = get(&ui, "/assets/style.css").headers()[ETAG].clone();
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, etag);
        let r = ui.handle(
            &Method::GET,
            &"/assets/style.css".parse().unwrap(),
            &headers,
        );
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn the_prefix_is_escaped_in_the_page() {
        assert_eq!(html_escape("/a\"<b>&'"), "/a&quot;&lt;b&gt;&amp;&#39;");
    }
}
