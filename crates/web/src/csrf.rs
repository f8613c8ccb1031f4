//! Cross-site request forgery defences for cookie-authenticated requests: a per-session token
//! in every form (or a double-submit cookie before login), plus an origin check.

use axum::http::HeaderMap;

/// Cookie holding the pre-login anti-forgery token.
pub const LOGIN_CSRF_COOKIE: &str = "lt_csrf";

/// Constant-time comparison of two tokens.
pub fn same(a: &str, b: &str) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Whether the request comes from our own pages: `Sec-Fetch-Site` (when the browser sends it)
/// is `same-origin` or `none`, and `Origin` (when present) names the host the request was sent to.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let site_ok = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|s| matches!(s, "same-origin" | "none"));
    let origin_ok = match (
        headers
            .get(axum::http::header::ORIGIN)
            .and_then(|v| v.to_str().ok()),
        headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok()),
    ) {
        (None, _) => true,
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => origin.split("://").nth(1).is_some_and(|h| h == host),
        (Some(_), None) => false,
    };
    site_ok && origin_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_rules() {
        let mut h = HeaderMap::new();
        h.insert("host", "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert("origin", "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert("origin", "http://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
        h.remove("origin");
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!same_origin(&h));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("", ""));
    }
}
