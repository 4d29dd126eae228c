//! Go's `net/url` where ingot shows URLs: `URL.Redacted`, which replaces a password in the userinfo with
//! `xxxxx` so that a URL can be logged, labelled and shown.

/// `url` with its password (if any) shown as `xxxxx`, as Go's `URL.Redacted` shows it. Text that is not a
/// URL with an authority is returned as it is. Go splits userinfo at the last `@` of the authority; so
/// does this.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:xxxxx@{host}{tail}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_are_replaced_as_go_replaces_them() {
        assert_eq!(
            redacted("http://u:s3cret@host:9090/api/v1/write"),
            "http://u:xxxxx@host:9090/api/v1/write"
        );
        // The last @ of the authority ends the userinfo.
        assert_eq!(
            redacted("https://u:p@ss@h/path?q=a@b"),
            "https://u:xxxxx@h/path?q=a@b"
        );
        assert_eq!(redacted("http://u@h/"), "http://u@h/");
        assert_eq!(redacted("http://h/a@b"), "http://h/a@b");
        assert_eq!(redacted("not a url"), "not a url");
        assert_eq!(redacted("http://:p@h"), "http://:xxxxx@h");
    }
}
