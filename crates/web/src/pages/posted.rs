//! A posted `application/x-www-form-urlencoded` form, and the anti-forgery check every
//! state-changing page form goes through.

use axum::http::HeaderMap;

use crate::{auth::Auth, csrf};

/// The fields of a posted form, in order (repeated names kept, as checkboxes need).
pub struct Posted(Vec<(String, String)>);

impl Posted {
    /// Parses a form body; a malformed body reads as an empty form.
    pub fn parse(body: &[u8]) -> Posted {
        Posted(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }

    /// The first value of `name`, or an empty string.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every (name, value) pair.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Whether the form carries the session's anti-forgery token and comes from our origin.
    pub fn csrf_ok(&self, auth: &Auth, headers: &HeaderMap) -> bool {
        token_ok(auth, headers, &self.get("csrf_token"))
    }
}

/// Whether `token` is the session's anti-forgery token and the request comes from our origin.
pub fn token_ok(auth: &Auth, headers: &HeaderMap, token: &str) -> bool {
    auth.csrf_token().is_some_and(|t| csrf::same(t, token)) && csrf::same_origin(headers)
}
