//! The declared permission of every route. A test fails when a route exists without an entry
//! here, or an entry names a route that does not exist.

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    Authenticated,
    /// An official (any role); finer checks happen in the use case.
    Official,
    /// An admin or auditor role.
    AuditReader,
    /// An admin of the agency concerned (or of one above it).
    AccountAdmin,
    /// A citizen or organisation account.
    Applicant,
    /// An administrator (role `admin`).
    CatalogAdmin,
    /// The applicant of the dossier, or an official of its agency (not clerks).
    DossierReader,
    /// The role the action names (reception, leader) at the dossier's agency, or its applicant.
    DossierActor,
}

/// One route and its permission.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: &'static str,
    /// Path template as registered.
    pub path: &'static str,
    /// Required permission.
    pub permission: Permission,
}

const fn r(method: &'static str, path: &'static str, permission: Permission) -> RouteSpec {
    RouteSpec {
        method,
        path,
        permission,
    }
}

/// Every route of the application.
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/healthz", Permission::Public),
    r("GET", "/readyz", Permission::Public),
    r("GET", "/metrics", Permission::Public),
    r("GET", "/api/openapi.json", Permission::Public),
    r("POST", "/api/v1/auth/token", Permission::Public),
    r("GET", "/api/v1/me", Permission::Authenticated),
    r("POST", "/api/v1/accounts", Permission::AccountAdmin),
    r("GET", "/register", Permission::Public),
    r("POST", "/register", Permission::Public),
    r("GET", "/api/v1/procedures", Permission::Public),
    r("GET", "/api/v1/procedures/{code}", Permission::Public),
    r("GET", "/procedures", Permission::Public),
    r("GET", "/procedures/{code}", Permission::Public),
    r("POST", "/api/v1/dossiers", Permission::Applicant),
    r("GET", "/api/v1/dossiers/{code}", Permission::DossierReader),
    r(
        "POST",
        "/api/v1/dossiers/{code}/actions",
        Permission::DossierActor,
    ),
    r(
        "GET",
        "/api/v1/dossiers/{code}/receipt.pdf",
        Permission::DossierReader,
    ),
    r(
        "GET",
        "/api/v1/dossiers/{code}/result.pdf",
        Permission::DossierReader,
    ),
    r(
        "GET",
        "/api/v1/dossiers/{code}/documents/{id}",
        Permission::DossierReader,
    ),
    r(
        "GET",
        "/api/v1/dossiers/{code}/control-sheet.pdf",
        Permission::DossierReader,
    ),
    r(
        "GET",
        "/api/v1/agencies/{code}/register",
        Permission::Official,
    ),
    r("GET", "/api/v1/queue", Permission::Official),
    r("POST", "/api/v1/desk/dossiers", Permission::Official),
    r("GET", "/api/v1/workflows", Permission::Official),
    r("PUT", "/api/v1/workflows/{name}", Permission::CatalogAdmin),
    r("GET", "/api/v1/tracking", Permission::Public),
    r("GET", "/api/v1/calendar/due", Permission::Public),
    r("GET", "/api/v1/calendar/holidays", Permission::Public),
    r("GET", "/api/v1/admin-units", Permission::Public),
    r("GET", "/api/v1/agencies", Permission::Public),
    r("GET", "/api/v1/agencies/{code}", Permission::Public),
    r("GET", "/", Permission::Public),
    r("GET", "/login", Permission::Public),
    r("POST", "/login", Permission::Public),
    // Without a session, signing out changes nothing and leads home.
    r("POST", "/logout", Permission::Public),
    r("GET", "/account", Permission::Authenticated),
    r("GET", "/office", Permission::Official),
    r("GET", "/office/audit", Permission::AuditReader),
    r("GET", "/office/calendar", Permission::CatalogAdmin),
    r("POST", "/office/calendar", Permission::CatalogAdmin),
    r("GET", "/office/dossiers", Permission::Official),
    r("GET", "/office/workflows", Permission::CatalogAdmin),
    r("POST", "/office/workflows", Permission::CatalogAdmin),
    r("GET", "/office/notifications", Permission::AuditReader),
    r("POST", "/office/notifications", Permission::CatalogAdmin),
    r("GET", "/office/desk", Permission::Official),
    r("POST", "/office/desk", Permission::Official),
    r("GET", "/office/dossiers/{code}", Permission::DossierReader),
    r("POST", "/office/dossiers/{code}", Permission::DossierActor),
    r("GET", "/office/procedures", Permission::CatalogAdmin),
    r("GET", "/office/procedures/{code}", Permission::CatalogAdmin),
    r(
        "POST",
        "/office/procedures/{code}",
        Permission::CatalogAdmin,
    ),
    r("POST", "/procedures/{code}/apply", Permission::Applicant),
    r(
        "GET",
        "/procedures/{code}/templates/{slot}",
        Permission::Public,
    ),
    r("GET", "/drafts/{id}", Permission::Applicant),
    r("GET", "/drafts/{id}/files", Permission::Applicant),
    r("POST", "/drafts/{id}/files", Permission::Applicant),
    r("POST", "/drafts/{id}/files/remove", Permission::Applicant),
    r("POST", "/drafts/{id}/files/done", Permission::Applicant),
    r("POST", "/drafts/{id}/submit", Permission::Applicant),
    r("GET", "/drafts/{id}/{step}", Permission::Applicant),
    r("POST", "/drafts/{id}/{step}", Permission::Applicant),
    r("GET", "/dossiers/{code}", Permission::DossierReader),
    r(
        "POST",
        "/dossiers/{code}/supplement",
        Permission::DossierActor,
    ),
    r("POST", "/dossiers/{code}/rate", Permission::DossierActor),
    r(
        "POST",
        "/dossiers/{code}/withdraw",
        Permission::DossierActor,
    ),
    r("GET", "/my", Permission::Authenticated),
    r("GET", "/track", Permission::Public),
    r("POST", "/session/extend", Permission::Authenticated),
    r("GET", "/static/session.js", Permission::Public),
    r("GET", "/lang/{tag}", Permission::Public),
    r("GET", "/static/app.css", Permission::Public),
    r("GET", "/office/reports", Permission::Official),
    r("GET", "/office/reports/dossiers", Permission::Official),
    r("GET", "/statistics", Permission::Public),
    r("GET", "/open-data", Permission::Public),
    r("GET", "/api/v1/reports/tthc", Permission::Official),
    r("GET", "/api/v1/reports/tthc/dossiers", Permission::Official),
    r("GET", "/api/v1/kpis", Permission::Official),
    r("GET", "/api/v1/statistics", Permission::Public),
    r("GET", "/api/v1/open-data/catalog", Permission::Public),
    r("GET", "/api/v1/open-data/procedures", Permission::Public),
    r("GET", "/api/v1/open-data/statistics", Permission::Public),
    r("GET", "/api/v1/pki/trust-anchors", Permission::Public),
    r("GET", "/api/v1/pki/crl", Permission::Public),
    r("POST", "/api/v1/signatures/verify", Permission::Public),
    r("POST", "/api/v1/tsa", Permission::Public),
    r("GET", "/verify", Permission::Public),
    r("POST", "/verify", Permission::Public),
];
