//! Server-rendered pages: portal home, login and logout, the caller's account, the office.

mod apply;
mod catalog;
mod catalog_admin;
mod charts;
mod dossier_actions;
mod dossiers;
mod layout;
mod office;
mod office_calendar;
mod office_desk;
mod office_dossiers;
mod office_notifications;
mod office_queue;
mod office_reports;
mod office_workflows;
mod posted;
mod register;
mod session;
mod verify;

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use lienthong_domain::Lang;
use serde::Deserialize;

pub use layout::Layout;

use crate::{AppState, auth::Auth, problem::Problem};

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/register", get(register::form).post(register::submit))
        .route("/account", get(office::account))
        .route("/procedures", get(catalog::search))
        .route("/procedures/{code}", get(catalog::detail))
        .route("/procedures/{code}/apply", post(apply::start))
        .route(
            "/procedures/{code}/templates/{slot}",
            get(catalog::template),
        )
        .route("/drafts/{id}", get(apply::resume))
        .route(
            "/drafts/{id}/files",
            get(apply::show_files)
                .post(apply::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::api::MAX_UPLOAD_BODY,
                )),
        )
        .route("/drafts/{id}/files/remove", post(apply::remove))
        .route("/drafts/{id}/files/done", post(apply::files_done))
        .route("/drafts/{id}/submit", post(apply::submit))
        .route("/drafts/{id}/{step}", get(apply::show).post(apply::save))
        .route("/dossiers/{code}", get(dossiers::show))
        .route(
            "/dossiers/{code}/supplement",
            post(dossier_actions::supplement).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::MAX_UPLOAD_BODY,
            )),
        )
        .route("/dossiers/{code}/rate", post(dossier_actions::rate))
        .route("/dossiers/{code}/withdraw", post(dossier_actions::withdraw))
        .route("/my", get(dossiers::my))
        .route("/track", get(dossiers::track))
        .route("/session/extend", post(dossiers::extend))
        .route("/office", get(office::landing))
        .route("/office/audit", get(office::audit))
        .route(
            "/office/calendar",
            get(office_calendar::show).post(office_calendar::save),
        )
        .route("/office/dossiers", get(office_queue::queue_page))
        .route("/office/reports", get(office_reports::show))
        .route("/office/reports/dossiers", get(office_reports::behind))
        .route("/statistics", get(office_reports::public))
        .route("/open-data", get(office_reports::open_data))
        .route(
            "/verify",
            get(verify::show)
                .post(verify::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    2 * crate::api::signatures::MAX_VERIFY_BYTES + 65_536,
                )),
        )
        .route(
            "/office/workflows",
            get(office_workflows::show).post(office_workflows::save),
        )
        .route(
            "/office/notifications",
            get(office_notifications::show).post(office_notifications::save),
        )
        .route(
            "/office/desk",
            get(office_desk::show).post(office_desk::register).layer(
                axum::extract::DefaultBodyLimit::max(crate::api::MAX_UPLOAD_BODY),
            ),
        )
        .route(
            "/office/dossiers/{code}",
            get(office_dossiers::show).post(office_dossiers::act),
        )
        .route("/office/procedures", get(catalog_admin::list))
        .route(
            "/office/procedures/{code}",
            get(catalog_admin::edit).post(catalog_admin::save),
        )
        .route("/lang/{tag}", get(switch_lang))
        .route("/static/app.css", get(stylesheet))
        .route("/static/session.js", get(session_script))
}

/// Renders a template into an HTML answer.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Lỗi hệ thống / Internal error",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
    extra: Option<(String, String)>,
}

/// An HTML error page in the caller's language.
pub fn error_page(
    auth: &Auth,
    path: &str,
    status: StatusCode,
    heading: (&str, &str),
    message: (&str, &str),
) -> Response {
    error_page_with_link(auth, path, status, heading, message, None)
}

/// The page for a use case that failed: the status and wording of its problem answer, or the
/// login page when the caller is not signed in. Internal errors are logged by the problem.
pub fn app_error_page(auth: &Auth, path: &str, e: &lienthong_app::AppError) -> Response {
    if matches!(e, lienthong_app::AppError::Unauthenticated) {
        return Redirect::to(&format!("/login?next={path}")).into_response();
    }
    let p = Problem::from_app(e, auth.lang);
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let page = ErrorPage {
        layout: Layout::new(auth, path, &p.title),
        heading: p.title.clone(),
        message: p.detail,
        extra: None,
    };
    render(status, &page)
}

/// Refuses a change to a province-wide setting (calendar, workflows, notification wording)
/// unless the caller may take `action` at a top-level agency.
pub async fn province_guard(
    state: &AppState,
    auth: &Auth,
    action: lienthong_app::authz::Action,
    path: &str,
) -> Option<Response> {
    lienthong_app::org::authorize_province(&state.app, &auth.caller, action)
        .await
        .err()
        .map(|e| app_error_page(auth, path, &e))
}

/// An HTML error page with a link that helps the reader on (e.g. to the search page).
pub fn error_page_with_link(
    auth: &Auth,
    path: &str,
    status: StatusCode,
    heading: (&str, &str),
    message: (&str, &str),
    link: Option<(&str, (&str, &str))>,
) -> Response {
    let lang = auth.lang;
    let page = ErrorPage {
        layout: Layout::new(auth, path, lang.pick(heading.0, heading.1)),
        heading: lang.pick(heading.0, heading.1).to_owned(),
        message: lang.pick(message.0, message.1).to_owned(),
        extra: link.map(|(href, text)| (href.to_owned(), lang.pick(text.0, text.1).to_owned())),
    };
    render(status, &page)
}

/// The answer for unknown routes: problem+json under `/api`, a Vietnamese page elsewhere.
pub async fn not_found(auth: Auth, uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            auth.lang,
            ("Không tìm thấy", "Not found"),
            (
                "Đường dẫn API này không tồn tại.",
                "This API path does not exist.",
            ),
        )
        .into_response();
    }
    error_page(
        &auth,
        uri.path(),
        StatusCode::NOT_FOUND,
        ("Không tìm thấy trang", "Page not found"),
        (
            "Địa chỉ bạn nhập không đúng hoặc trang đã được chuyển đi. Hãy kiểm tra lại địa chỉ.",
            "The address is wrong or the page has moved. Please check the address.",
        ),
    )
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    provinces: i64,
    communes: i64,
}

async fn home(State(state): State<AppState>, auth: Auth) -> Response {
    let counts = async {
        let mut conn = state.app.db.read().await?;
        lienthong_store::org::count_units_at(&mut conn, state.app.clock.today()).await
    };
    let (provinces, _, communes) = counts.await.unwrap_or_default();
    let page = HomePage {
        layout: Layout::new(&auth, "/", auth.lang.pick("Trang chủ", "Home")),
        provinces,
        communes,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// A local path to return to, never another site.
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.contains("://") =>
        {
            n.to_owned()
        }
        _ => default.to_owned(),
    }
}

async fn switch_lang(Path(tag): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = Lang::from_tag(&tag).unwrap_or_default();
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.tag()
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&safe_next(q.next.as_deref(), "/")),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

async fn session_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/session.js"),
    )
        .into_response()
}

/// Today in Vietnam, for pages.
pub fn today(state: &AppState) -> jiff::civil::Date {
    state.app.clock.today()
}

/// Names of the documents of dossier `dossier_id` still being signed and issued (none when
/// the backlog cannot be read: the page still shows what exists).
pub(crate) async fn waiting_documents(
    state: &AppState,
    dossier_id: &str,
    label: impl Fn(&str) -> &'static str,
) -> Vec<String> {
    lienthong_app::processing::issuer::waiting_kinds(&state.app, dossier_id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|k| label(k).to_owned())
        .collect()
}
