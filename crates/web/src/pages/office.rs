//! The office (back-office) landing page per role, the audit page, and the account page.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{AppError, audit, authz};
use lienthong_domain::{
    Lang,
    role::{AccountKind, Role},
};

use super::{Layout, error_page, render, today};
use crate::{AppState, auth::Auth};

fn login_redirect(path: &str) -> Response {
    Redirect::to(&format!("/login?next={path}")).into_response()
}

fn forbidden(auth: &Auth, path: &str) -> Response {
    error_page(
        auth,
        path,
        StatusCode::FORBIDDEN,
        ("Không có quyền truy cập", "Access denied"),
        (
            "Tài khoản của bạn không được phép xem trang này.",
            "Your account may not open this page.",
        ),
    )
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    full_name: String,
    username: String,
    kind: String,
}

/// `GET /account`.
pub async fn account(State(state): State<AppState>, auth: Auth) -> Response {
    match lienthong_app::accounts::me(&state.app, &auth.caller).await {
        Ok(me) => {
            let kind = match (me.kind, auth.lang) {
                (AccountKind::Citizen, Lang::Vi) => "Công dân",
                (AccountKind::Organisation, Lang::Vi) => "Tổ chức, doanh nghiệp",
                (AccountKind::Official, Lang::Vi) => "Cán bộ, công chức",
                (AccountKind::Citizen, Lang::En) => "Citizen",
                (AccountKind::Organisation, Lang::En) => "Organisation",
                (AccountKind::Official, Lang::En) => "Official",
            };
            let page = AccountPage {
                layout: Layout::new(
                    &auth,
                    "/account",
                    auth.lang.pick("Tài khoản của tôi", "My account"),
                ),
                full_name: me.full_name,
                username: me.username,
                kind: kind.to_owned(),
            };
            render(StatusCode::OK, &page)
        }
        Err(AppError::Unauthenticated) => login_redirect("/account"),
        Err(_) => forbidden(&auth, "/account"),
    }
}

struct RoleCard {
    label: String,
    agency_code: String,
    agency_name: String,
    duty: String,
    links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "office.html")]
struct OfficePage {
    layout: Layout,
    full_name: String,
    roles: Vec<RoleCard>,
}

fn duty(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Reception => lang.pick(
            "Tiếp nhận hồ sơ trực tuyến và trực tiếp, hẹn ngày trả và trả kết quả.",
            "Receive online and in-person dossiers, set due dates and return results.",
        ),
        Role::Specialist => lang.pick(
            "Thụ lý, thẩm định hồ sơ được phân công.",
            "Process and review assigned dossiers.",
        ),
        Role::Leader => lang.pick(
            "Phân công, phê duyệt và ký kết quả giải quyết.",
            "Assign, approve and sign results.",
        ),
        Role::Clerk => lang.pick(
            "Vào sổ văn bản đến, phát hành văn bản đi.",
            "Register incoming documents and issue outgoing ones.",
        ),
        Role::Admin => lang.pick(
            "Quản trị cơ quan, tài khoản và danh mục.",
            "Administer the agency, accounts and catalogs.",
        ),
        Role::Auditor => lang.pick(
            "Kiểm tra nhật ký thao tác và tính toàn vẹn của dữ liệu.",
            "Inspect the audit log and the integrity of records.",
        ),
    }
}

/// `GET /office`: one card per role the official holds.
pub async fn landing(State(state): State<AppState>, auth: Auth) -> Response {
    let Some(p) = auth.caller.principal() else {
        return login_redirect("/office");
    };
    if authz::authorize(&auth.caller, authz::Action::UseOffice, None).is_err()
        || p.kind != AccountKind::Official
    {
        return forbidden(&auth, "/office");
    }
    let lang = auth.lang;
    let mut roles = Vec::new();
    let day = today(&state);
    for g in &p.roles {
        let name = match state.app.db.read().await {
            Ok(mut conn) => lienthong_store::org::agency_at(&mut conn, &g.agency_code, day)
                .await
                .ok()
                .flatten()
                .map(|a| a.name),
            Err(_) => None,
        };
        let l = |href: &str, vi: &str, en: &str| (href.to_owned(), lang.pick(vi, en).to_owned());
        let links = match g.role {
            Role::Admin => vec![
                l(
                    "/office/procedures",
                    "Quản lý danh mục thủ tục",
                    "Manage the procedure catalog",
                ),
                l(
                    "/office/notifications",
                    "Mẫu thông báo và nhật ký gửi",
                    "Message templates and delivery log",
                ),
                l("/office/workflows", "Luồng xử lý hồ sơ", "Workflows"),
            ],
            Role::Reception => vec![
                l("/office/dossiers", "Hồ sơ cần xử lý", "Work queue"),
                l(
                    "/office/desk",
                    "Nhận hồ sơ tại quầy",
                    "Register a dossier at the desk",
                ),
            ],
            Role::Specialist | Role::Leader => {
                vec![l("/office/dossiers", "Hồ sơ cần xử lý", "Work queue")]
            }
            Role::Auditor => vec![
                l(
                    "/office/audit",
                    "Xem nhật ký kiểm tra",
                    "View the audit log",
                ),
                l(
                    "/office/notifications",
                    "Nhật ký gửi thông báo",
                    "Delivery log",
                ),
            ],
            _ => Vec::new(),
        };
        let mut links = links;
        if matches!(g.role, Role::Leader | Role::Admin | Role::Auditor) {
            links.push(l(
                &format!("/office/reports?agency={}", g.agency_code),
                "Báo cáo, chỉ số",
                "Reports and indicators",
            ));
        }
        roles.push(RoleCard {
            label: lang.pick(g.role.label_vi(), g.role.label_en()).to_owned(),
            agency_code: g.agency_code.clone(),
            agency_name: name.unwrap_or_else(|| g.agency_code.clone()),
            duty: duty(g.role, lang).to_owned(),
            links,
        });
    }
    let page = OfficePage {
        layout: Layout::new(&auth, "/office", lang.pick("Văn phòng điện tử", "Office")),
        full_name: p.full_name.clone(),
        roles,
    };
    render(StatusCode::OK, &page)
}

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    object: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    intact: bool,
    verdict: String,
    rows: Vec<AuditRow>,
}

/// `GET /office/audit`: the newest audit rows and the state of the chain.
pub async fn audit(State(state): State<AppState>, auth: Auth) -> Response {
    if auth.caller.principal().is_none() {
        return login_redirect("/office/audit");
    }
    let rows = match audit::recent(&state.app, &auth.caller, 100).await {
        Ok(rows) => rows,
        Err(AppError::Forbidden | AppError::Unauthenticated) => {
            return forbidden(&auth, "/office/audit");
        }
        Err(e) => {
            tracing::error!(error = %e, "audit page failed");
            return error_page(
                &auth,
                "/office/audit",
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            );
        }
    };
    let report = audit::verify(&state.app).await;
    let lang = auth.lang;
    let (intact, verdict) = match report {
        Ok(r) if r.broken.is_none() => (
            true,
            match lang {
                Lang::Vi => format!("Chuỗi nhật ký toàn vẹn: đã kiểm tra {} dòng.", r.checked),
                Lang::En => format!("The audit chain is intact: {} rows checked.", r.checked),
            },
        ),
        Ok(r) => (
            false,
            match lang {
                Lang::Vi => format!(
                    "Chuỗi nhật ký bị phá vỡ: {}",
                    r.broken.map(|b| b.to_string()).unwrap_or_default()
                ),
                Lang::En => format!(
                    "The audit chain is broken: {}",
                    r.broken.map(|b| b.to_string()).unwrap_or_default()
                ),
            },
        ),
        Err(_) => (
            false,
            lang.pick(
                "Không kiểm tra được chuỗi nhật ký.",
                "The audit chain could not be checked.",
            )
            .to_owned(),
        ),
    };
    let tz = lienthong_domain::clock::business_tz();
    let rows = rows
        .into_iter()
        .map(|r| AuditRow {
            seq: r.seq,
            at: lienthong_domain::clock::from_micros(r.at_us)
                .to_zoned(tz.clone())
                .strftime("%d/%m/%Y %H:%M:%S")
                .to_string(),
            actor: r.actor,
            action: r.action,
            object: format!("{} {}", r.object_type, r.object_id),
        })
        .collect();
    let page = AuditPage {
        layout: Layout::new(
            &auth,
            "/office/audit",
            lang.pick("Nhật ký kiểm tra", "Audit log"),
        ),
        intact,
        verdict,
        rows,
    };
    render(StatusCode::OK, &page)
}
