//! What every page's layout needs.

use lienthong_domain::{Lang, role::AccountKind};

use crate::auth::Auth;

/// Layout data shared by every page.
pub struct Layout {
    /// Page language.
    pub lang: Lang,
    /// Page title.
    pub title: String,
    /// Signed-in user's name.
    pub user: Option<String>,
    /// Whether the user is an official (shows the office link).
    pub is_official: bool,
    /// CSRF token for the logout form.
    pub csrf_token: String,
    /// Current path (for the language switch).
    pub path: String,
}

impl Layout {
    /// Layout for a page at `path` titled `title`.
    pub fn new(auth: &Auth, path: &str, title: &str) -> Self {
        let principal = auth.caller.principal();
        Layout {
            lang: auth.lang,
            title: title.to_owned(),
            user: principal.map(|p| p.full_name.clone()),
            is_official: principal.is_some_and(|p| p.kind == AccountKind::Official),
            csrf_token: auth.csrf_token().unwrap_or_default().to_owned(),
            path: path.to_owned(),
        }
    }
}
