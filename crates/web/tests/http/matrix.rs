//! The authorization matrix: every declared route × every kind of caller. The expected answer
//! (allowed or denied) follows from the route's declared permission and the caller's relation
//! to the data the route names: a dossier of `citizen1` received by the Department of Justice,
//! and a draft of `citizen1`. Allowed requests carry stale versions or incomplete forms, so
//! nothing changes while the matrix runs; a refusal is 401, 403, 404 or a redirect to the login
//! page, and no caller ever gets a 5xx.

use lienthong_domain::role::Role;

use super::*;

/// The agency that receives the dossier.
const HOME: &str = "000.00.04.H13";
/// An agency with nothing to do with it.
const OTHER: &str = "000.00.05.H13";
/// The procedure of the dossier and the draft.
const PROCEDURE: &str = "2.000488";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Owner,
    OtherCitizen,
    /// An official of `HOME` (true) or of `OTHER` (false).
    Official(Role, bool),
    /// An official of the provincial people's committee, above every department.
    Province(Role),
}

impl Who {
    fn username(self) -> Option<String> {
        match self {
            Who::Anonymous => None,
            Who::Owner => Some("citizen1".into()),
            Who::OtherCitizen => Some("citizen2".into()),
            Who::Official(role, home) => Some(format!(
                "{}@{}",
                role.as_str(),
                if home { HOME } else { OTHER }
            )),
            Who::Province(role) => Some(format!("{}@{}", role.as_str(), demo::PROVINCE_AGENCY)),
        }
    }

    fn official(self) -> bool {
        matches!(self, Who::Official(..) | Who::Province(_))
    }

    fn role(self) -> Option<Role> {
        match self {
            Who::Official(r, _) | Who::Province(r) => Some(r),
            _ => None,
        }
    }

    /// Holds `role` at the dossier's agency or above it.
    fn over_home(self, role: Role) -> bool {
        matches!(self, Who::Official(r, true) | Who::Province(r) if r == role)
    }

    /// May read the dossier: its applicant, or an official over its agency who is not a clerk.
    fn reads_dossier(self) -> bool {
        match self {
            Who::Owner => true,
            Who::Official(r, true) | Who::Province(r) => r != Role::Clerk,
            _ => false,
        }
    }
}

fn everyone() -> Vec<Who> {
    let mut all = vec![Who::Anonymous, Who::Owner, Who::OtherCitizen];
    for role in demo::DEMO_ROLES {
        all.push(Who::Official(role, true));
        all.push(Who::Official(role, false));
    }
    all.push(Who::Province(Role::Admin));
    all.push(Who::Province(Role::Auditor));
    all
}

/// How a caller authenticates: a bearer token for the API, a session (and its form token)
/// for pages.
struct Credentials {
    who: Who,
    bearer: Option<String>,
    cookie: Option<String>,
    csrf: String,
}

async fn credentials(w: &TestWeb, who: Who) -> Credentials {
    let Some(user) = who.username() else {
        return Credentials {
            who,
            bearer: None,
            cookie: None,
            csrf: String::new(),
        };
    };
    let bearer = format!("Bearer {}", w.token(&user).await);
    let login = w.login(&user, demo::DEMO_PASSWORD).await;
    let cookie = format!(
        "lt_session={}",
        login
            .cookie("lt_session")
            .unwrap_or_else(|| panic!("{user} logs in"))
    );
    let csrf = form_token(&w.get("/account", &[("cookie", &cookie)]).await.body);
    Credentials {
        who,
        bearer: Some(bearer),
        cookie: Some(cookie),
        csrf,
    }
}

/// One request of the matrix: what is sent and who should get through.
struct Probe {
    label: String,
    method: &'static str,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
    allowed: fn(Who, &str, &str) -> bool,
    /// A cookie sent besides the session (the login form's anti-forgery cookie).
    extra_cookie: Option<String>,
}

/// The data the routes name.
struct Fixture {
    /// Submitted, waiting for the reception desk.
    dossier: String,
    /// Approved, with a signed result.
    decided: String,
    /// The result document of `decided`.
    document: String,
    draft: String,
    step: String,
    /// The anti-forgery token of the login and registration forms, with its cookie.
    login_csrf: String,
}

async fn submit(w: &TestWeb, bearer: &str) -> String {
    let (ct, body) = multipart(
        LLTP,
        &[
            ("to_khai", "to-khai.pdf", "application/pdf", pdf()),
            ("giay_to_tuy_than", "cccd.pdf", "application/pdf", pdf()),
        ],
    );
    let created = w
        .post("/api/v1/dossiers", &ct, body, &[("authorization", bearer)])
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.json()["code"].as_str().unwrap().to_owned()
}

async fn fixture(w: &TestWeb) -> Fixture {
    let bearer = format!("Bearer {}", w.token("citizen1").await);
    let dossier = submit(w, &bearer).await;
    let decided = submit(w, &bearer).await;
    for (version, (who, action)) in [
        ("reception", "accept"),
        ("reception", "forward"),
        ("specialist", "forward"),
        ("leader", "approve"),
    ]
    .into_iter()
    .enumerate()
    {
        let official = format!("Bearer {}", w.token(&format!("{who}@{HOME}")).await);
        let r = w
            .post(
                &format!("/api/v1/dossiers/{decided}/actions"),
                "application/json",
                serde_json::json!({"action": action, "version": version + 1}).to_string(),
                &[("authorization", &official)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    w.issue_documents().await;
    let view = w
        .get(
            &format!("/api/v1/dossiers/{decided}"),
            &[("authorization", &bearer)],
        )
        .await
        .json();
    let document = view["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "result")
        .unwrap_or_else(|| panic!("a result: {view}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let login_csrf = w.get("/login", &[]).await.cookie("lt_csrf").unwrap();
    let login = w.login("citizen1", demo::DEMO_PASSWORD).await;
    let me = format!("lt_session={}", login.cookie("lt_session").unwrap());
    let token = form_token(&w.get("/account", &[("cookie", &me)]).await.body);
    let started = w
        .post(
            &format!("/procedures/{PROCEDURE}/apply"),
            "application/x-www-form-urlencoded",
            format!("csrf_token={token}"),
            &[("cookie", &me)],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let draft = started.headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/drafts/")
        .to_owned();
    let first = w.get(&format!("/drafts/{draft}"), &[("cookie", &me)]).await;
    let step = first.headers["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    Fixture {
        dossier,
        decided,
        document,
        draft,
        step,
        login_csrf,
    }
}

/// Who the declared permission lets through, for the path the route has in the fixture.
fn by_permission(permission: Permission) -> fn(Who, &str, &str) -> bool {
    match permission {
        Permission::Public => |_, _, _| true,
        Permission::Authenticated => |who, _, _| who != Who::Anonymous,
        Permission::Official => |who, method, path| match path {
            // The probes name the dossier's agency: its officials and those above.
            // The desk's register: officials over the agency who read its dossiers.
            "/api/v1/agencies/{code}/register" => {
                matches!(who, Who::Official(_, true) | Who::Province(_))
                    && who.role() != Some(Role::Clerk)
            }
            "/api/v1/reports/tthc" | "/api/v1/kpis" | "/office/reports" => {
                matches!(who, Who::Official(_, true) | Who::Province(_))
            }
            // The dossiers behind a figure: as for reading them.
            "/api/v1/reports/tthc/dossiers" | "/office/reports/dossiers" => {
                matches!(who, Who::Official(_, true) | Who::Province(_))
                    && who.role() != Some(Role::Clerk)
            }
            // The one-stop desk's page: any reception official.
            "/office/desk" if method == "GET" => who.role() == Some(Role::Reception),
            // Registering a dossier of the probed agency: its reception desk (or one above).
            "/office/desk" | "/api/v1/desk/dossiers" => who.over_home(Role::Reception),
            // Queues of dossiers: not the clerks of the document register.
            "/api/v1/queue" | "/office/dossiers" => {
                who.official() && who.role() != Some(Role::Clerk)
            }
            _ => who.official(),
        },
        Permission::AuditReader => {
            |who, _, _| matches!(who.role(), Some(Role::Admin | Role::Auditor))
        }
        Permission::AccountAdmin => |who, _, _| who.over_home(Role::Admin),
        Permission::Applicant => |who, _, path| {
            if path.starts_with("/drafts/") {
                who == Who::Owner
            } else {
                matches!(who, Who::Owner | Who::OtherCitizen)
            }
        },
        Permission::CatalogAdmin => |who, method, path| match (method, path) {
            // Reading the catalog administration and the province's settings: any administrator.
            ("GET", _) => who.role() == Some(Role::Admin),
            // A procedure of the dossier's agency: its administrators and those above.
            (_, "/office/procedures/{code}") => who.over_home(Role::Admin),
            // Province-wide settings: administrators of the province only.
            _ => who == Who::Province(Role::Admin),
        },
        Permission::DossierReader => |who, _, _| who.reads_dossier(),
        Permission::DossierActor => |who, _, path| {
            if path.starts_with("/dossiers/") {
                who == Who::Owner
            } else {
                // The probes ask to accept: the reception desk over the dossier's agency.
                who.over_home(Role::Reception)
            }
        },
    }
}

fn form(csrf: &str, fields: &str) -> (Option<String>, Vec<u8>) {
    (
        Some("application/x-www-form-urlencoded".into()),
        format!("csrf_token={csrf}{fields}").into_bytes(),
    )
}

fn multipart_fields(fields: &[(&str, &str)]) -> (Option<String>, Vec<u8>) {
    let boundary = "matrix-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        Some(format!("multipart/form-data; boundary={boundary}")),
        body.into_bytes(),
    )
}

fn json(value: serde_json::Value) -> (Option<String>, Vec<u8>) {
    (
        Some("application/json".into()),
        value.to_string().into_bytes(),
    )
}

/// The body each route gets: enough to pass parsing, never enough to change anything.
fn body_for(method: &str, path: &str, c: &Credentials, f: &Fixture) -> (Option<String>, Vec<u8>) {
    let csrf = c.csrf.as_str();
    // The sign-in routes get the caller's own credentials (a citizen's for anonymous callers).
    let user = c.who.username().unwrap_or_else(|| "citizen3".into());
    match (method, path) {
        ("POST", "/api/v1/auth/token") => {
            json(serde_json::json!({"username": user, "password": demo::DEMO_PASSWORD}))
        }
        ("POST", "/login") => (
            Some("application/x-www-form-urlencoded".into()),
            format!(
                "csrf_token={}&username={}&password={}&next=",
                f.login_csrf,
                urlencode(&user),
                demo::DEMO_PASSWORD
            )
            .into_bytes(),
        ),
        ("POST", "/register") => form(&f.login_csrf, ""),
        ("POST", "/office/desk") => multipart_fields(&[
            ("csrf_token", csrf),
            ("procedure", PROCEDURE),
            ("agency_code", HOME),
            ("channel", "direct"),
        ]),
        ("GET", _) => (None, Vec::new()),
        ("POST", "/api/v1/dossiers/{code}/actions") => {
            json(serde_json::json!({"action": "accept", "version": 0}))
        }
        ("POST", "/office/dossiers/{code}") => form(csrf, "&action=accept&version=0"),
        ("POST", "/dossiers/{code}/supplement") => {
            multipart_fields(&[("csrf_token", csrf), ("version", "0")])
        }
        ("POST", "/dossiers/{code}/rate") => form(csrf, "&version=0&rating=3"),
        ("POST", "/dossiers/{code}/withdraw") => form(csrf, "&version=0&note=th%E1%BB%AD"),
        ("POST", "/api/v1/dossiers" | "/api/v1/desk/dossiers") => {
            // Well formed, without the required documents.
            let dossier = serde_json::json!({
                "procedure_code": PROCEDURE, "agency_code": HOME, "channel": "direct",
                "answers": {}
            });
            let (ct, body) = multipart(&dossier.to_string(), &[]);
            (Some(ct), body)
        }
        ("POST", "/api/v1/accounts") => json(serde_json::json!({
            "username": "", "password": "", "full_name": "", "kind": "official",
            "agency_code": HOME, "roles": ["reception"]
        })),
        ("PUT", "/api/v1/workflows/{name}") => json(serde_json::json!({"definition": ""})),
        ("POST", "/api/v1/signatures/verify" | "/drafts/{id}/files" | "/verify") => {
            multipart_fields(&[("csrf_token", csrf)])
        }
        ("POST", "/api/v1/tsa") => (
            Some("application/timestamp-query".into()),
            b"not a query".to_vec(),
        ),
        ("POST", "/drafts/{id}/files/remove") => form(csrf, "&slot=to_khai&index=99"),
        _ => form(csrf, ""),
    }
}

fn probes(f: &Fixture, c: &Credentials) -> Vec<Probe> {
    let csrf = c.csrf.as_str();
    let mut out: Vec<Probe> = ROUTES
        .iter()
        .filter(|r| r.path != "/logout")
        .map(|r| {
            let code = if r.path.starts_with("/api/v1/agencies/") {
                HOME
            } else if r.path.contains("procedures") {
                PROCEDURE
            } else if r.path.ends_with("result.pdf") || r.path.contains("/documents/") {
                &f.decided
            } else {
                &f.dossier
            };
            let mut path = r
                .path
                .replace("{code}", code)
                .replace(
                    "{id}",
                    if r.path.contains("/documents/") {
                        &f.document
                    } else {
                        &f.draft
                    },
                )
                .replace("{step}", &f.step)
                .replace("{tag}", "en")
                .replace("{slot}", "to_khai")
                .replace("{name}", "mot-cua-co-ban");
            match r.path {
                "/api/v1/agencies/{code}/register" => {
                    path.push_str("?from=2026-11-01&to=2026-11-30")
                }
                "/api/v1/reports/tthc"
                | "/api/v1/reports/tthc/dossiers"
                | "/api/v1/kpis"
                | "/office/reports"
                | "/office/reports/dossiers" => {
                    path.push_str(&format!(
                        "?agency={HOME}&from=2026-01-01&to=2026-11-20&column=received_total"
                    ));
                }
                _ => {}
            }
            let (content_type, body) = body_for(r.method, r.path, c, f);
            let extra_cookie = matches!(r.path, "/login" | "/register")
                .then(|| format!("lt_csrf={}", f.login_csrf));
            Probe {
                label: format!("{} {}", r.method, r.path),
                method: r.method,
                path,
                content_type,
                body,
                allowed: by_permission(r.permission),
                extra_cookie,
            }
        })
        .collect();
    // The applicant's action through the API: only the applicant may withdraw.
    let (content_type, body) =
        json(serde_json::json!({"action": "withdraw", "version": 0, "note": "thử"}));
    out.push(Probe {
        label: "POST /api/v1/dossiers/{code}/actions withdraw".into(),
        method: "POST",
        path: format!("/api/v1/dossiers/{}/actions", f.dossier),
        content_type,
        body,
        allowed: |who, _, _| who == Who::Owner,
        extra_cookie: None,
    });
    // Signing out last: it ends the session the other probes use.
    let (content_type, body) = form(csrf, "");
    out.push(Probe {
        label: "POST /logout".into(),
        method: "POST",
        path: "/logout".into(),
        content_type,
        body,
        allowed: by_permission(
            ROUTES
                .iter()
                .find(|r| r.path == "/logout")
                .map_or(Permission::Authenticated, |r| r.permission),
        ),
        extra_cookie: None,
    });
    // Signing in again replaces the session: after everything else.
    let login = out.iter().position(|p| p.label == "POST /login").unwrap();
    let login = out.remove(login);
    out.push(login);
    out
}

fn route_template(label: &str) -> &'static str {
    let path = label.split(' ').nth(1).unwrap_or_default();
    ROUTES
        .iter()
        .find(|r| r.path == path)
        .map_or("", |r| r.path)
}

fn denied(reply: &Reply) -> bool {
    match reply.status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => true,
        StatusCode::SEE_OTHER | StatusCode::FOUND => reply
            .headers
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/login")),
        _ => false,
    }
}

#[tokio::test]
async fn every_route_answers_every_kind_of_caller_as_its_permission_says() {
    // Every caller signs in twice (token and form): more than the per-minute login limit.
    let w = web_with(WebSettings {
        login_per_minute: 1_000,
        ..WebSettings::default()
    })
    .await;
    let f = fixture(&w).await;
    let mut wrong = Vec::new();
    let mut cells = 0;
    for who in everyone() {
        let c = credentials(&w, who).await;
        for p in probes(&f, &c) {
            let api = p.path.starts_with("/api/");
            let mut b = Request::builder()
                .method(Method::from_bytes(p.method.as_bytes()).unwrap())
                .uri(&p.path);
            if let Some(ct) = &p.content_type {
                b = b.header(header::CONTENT_TYPE, ct);
            }
            let cookies: Vec<&str> = [
                c.cookie.as_deref().filter(|_| !api),
                p.extra_cookie.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !cookies.is_empty() {
                b = b.header(header::COOKIE, cookies.join("; "));
            }
            if let (true, Some(bearer)) = (api, &c.bearer) {
                b = b.header(header::AUTHORIZATION, bearer);
            }
            let reply = w.send(b.body(Body::from(p.body)).unwrap()).await;
            cells += 1;
            let expected = (p.allowed)(c.who, p.method, route_template(&p.label));
            let got = !denied(&reply);
            if reply.status.is_server_error() || expected != got {
                wrong.push(format!(
                    "{:<60} {:<32} expected {}, got {} {}",
                    p.label,
                    format!("{:?}", c.who),
                    if expected { "allowed" } else { "denied" },
                    reply.status.as_u16(),
                    reply
                        .body
                        .split("<title>")
                        .nth(1)
                        .unwrap_or(&reply.body)
                        .chars()
                        .take(90)
                        .collect::<String>()
                        .replace('\n', " ")
                ));
            }
        }
    }
    eprintln!("authorization matrix: {cells} requests");
    assert!(
        wrong.is_empty(),
        "{} of {cells} answers differ from the declared permissions:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Every `.route(…)` in the page router names a declared route: a new page without a declared
/// permission fails here (API routes are checked through the OpenAPI document).
#[test]
fn every_page_route_in_the_source_is_declared() {
    let source = include_str!("../../src/pages/mod.rs");
    let mut found = 0;
    for chunk in source.split(".route(").skip(1) {
        let Some(path) = chunk.split('"').nth(1) else {
            continue;
        };
        for (method, call) in [("GET", "get("), ("POST", "post("), ("PUT", "put(")] {
            let called = chunk.match_indices(call).any(|(i, _)| {
                i > 0
                    && !chunk.as_bytes()[i - 1].is_ascii_alphanumeric()
                    && chunk.as_bytes()[i - 1] != b'_'
            });
            if called {
                found += 1;
                assert!(
                    ROUTES.iter().any(|r| r.method == method && r.path == path),
                    "{method} {path} is routed in pages/mod.rs without a declared permission"
                );
            }
        }
    }
    assert!(found > 40, "the parse found {found} page routes");
}
