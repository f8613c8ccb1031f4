//! Citizen self-registration: one form, every field checked on the server, each problem shown
//! next to its field and in the summary; nothing typed is lost on an error.

use askama::Template;
use axum::{
    Form,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use lienthong_app::{
    AppError, FieldError,
    accounts::{self, NewAccount},
    secrets::random_token,
};
use serde::Deserialize;

use super::{
    Layout, error_page, render,
    session::{cookie_of, signed_in_redirect},
};
use crate::{
    AppState,
    auth::Auth,
    csrf::{self, LOGIN_CSRF_COOKIE},
    ratelimit::ClientIp,
};

/// One input of the form as shown.
pub struct FieldView {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    inputmode: &'static str,
    hint: Option<&'static str>,
    required: bool,
    value: String,
    error: Option<String>,
    describedby: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    form_token: String,
    fields: Vec<FieldView>,
    errors: Vec<(String, String)>,
}

/// What the citizen typed.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    cccd: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    csrf_token: String,
}

type Spec = (
    &'static str,
    (&'static str, &'static str),
    &'static str,
    &'static str,
    &'static str,
    Option<(&'static str, &'static str)>,
    bool,
);

const SPECS: [Spec; 7] = [
    (
        "full_name",
        ("Họ và tên", "Full name"),
        "text",
        "name",
        "",
        None,
        true,
    ),
    (
        "cccd",
        (
            "Số định danh cá nhân (CCCD)",
            "Personal identification number (CCCD)",
        ),
        "text",
        "off",
        "numeric",
        Some((
            "12 chữ số in trên thẻ căn cước",
            "The 12 digits printed on the identity card",
        )),
        true,
    ),
    (
        "phone",
        ("Số điện thoại di động", "Mobile phone"),
        "tel",
        "tel",
        "tel",
        Some(("Ví dụ: 0912345678", "For example: 0912345678")),
        false,
    ),
    (
        "email",
        ("Thư điện tử", "E-mail"),
        "email",
        "email",
        "email",
        None,
        false,
    ),
    (
        "username",
        ("Tên đăng nhập", "Username"),
        "text",
        "username",
        "",
        Some((
            "Chữ không dấu, chữ số và . _ - @",
            "Unaccented letters, digits and . _ - @",
        )),
        true,
    ),
    (
        "password",
        ("Mật khẩu", "Password"),
        "password",
        "new-password",
        "",
        Some(("Ít nhất 10 ký tự", "At least 10 characters")),
        true,
    ),
    (
        "password_confirm",
        ("Nhập lại mật khẩu", "Repeat the password"),
        "password",
        "new-password",
        "",
        None,
        true,
    ),
];

fn page(auth: &Auth, status: StatusCode, form: &RegisterForm, errors: &[FieldError]) -> Response {
    let Ok(token) = random_token() else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Lỗi hệ thống / Internal error",
        )
            .into_response();
    };
    let lang = auth.lang;
    let value = |name: &str| match name {
        "full_name" => form.full_name.clone(),
        "cccd" => form.cccd.clone(),
        "phone" => form.phone.clone(),
        "email" => form.email.clone(),
        "username" => form.username.clone(),
        _ => String::new(),
    };
    let fields = SPECS
        .iter()
        .map(
            |(name, label, kind, autocomplete, inputmode, hint, required)| {
                let error = errors
                    .iter()
                    .find(|e| e.field == *name)
                    .map(|e| e.message(lang).to_owned());
                let mut describedby = Vec::new();
                if hint.is_some() {
                    describedby.push(format!("{name}-hint"));
                }
                if error.is_some() {
                    describedby.push(format!("{name}-error"));
                }
                FieldView {
                    name,
                    label: lang.pick(label.0, label.1),
                    kind,
                    autocomplete,
                    inputmode,
                    hint: hint.map(|h| lang.pick(h.0, h.1)),
                    required: *required,
                    value: value(name),
                    error,
                    describedby: describedby.join(" "),
                }
            },
        )
        .collect();
    let summary = SPECS
        .iter()
        .filter_map(|(name, ..)| {
            errors
                .iter()
                .find(|e| e.field == *name)
                .map(|e| ((*name).to_owned(), e.message(lang).to_owned()))
        })
        .collect();
    let title = lang.pick("Đăng ký tài khoản", "Register");
    let view = RegisterPage {
        layout: Layout::new(auth, "/register", title),
        form_token: token.clone(),
        fields,
        errors: summary,
    };
    let cookie = format!("{LOGIN_CSRF_COOKIE}={token}; Path=/register; HttpOnly; SameSite=Strict");
    ([(header::SET_COOKIE, cookie)], render(status, &view)).into_response()
}

/// `GET /register`.
pub async fn form(auth: Auth) -> Response {
    page(&auth, StatusCode::OK, &RegisterForm::default(), &[])
}

/// `POST /register`: creates the citizen account and signs the citizen in.
pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Response {
    let token_ok =
        cookie_of(&headers, LOGIN_CSRF_COOKIE).is_some_and(|c| csrf::same(c, &form.csrf_token));
    if !token_ok || !csrf::same_origin(&headers) {
        let e = FieldError::new(
            "full_name",
            "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này. Vui lòng gửi lại.",
            "The form expired or was not sent from this site. Please send it again.",
        );
        return page(&auth, StatusCode::FORBIDDEN, &form, &[e]);
    }
    if state
        .login_limiter
        .check(&format!("register:{ip}"), std::time::Instant::now())
        .is_err()
    {
        let e = FieldError::new(
            "full_name",
            "Bạn đã gửi quá nhiều lần. Vui lòng thử lại sau ít phút.",
            "Too many attempts. Please try again in a few minutes.",
        );
        return page(&auth, StatusCode::TOO_MANY_REQUESTS, &form, &[e]);
    }
    if form.password != form.password_confirm {
        let e = FieldError::new(
            "password_confirm",
            "Hai lần nhập mật khẩu không khớp.",
            "The two passwords differ.",
        );
        return page(&auth, StatusCode::UNPROCESSABLE_ENTITY, &form, &[e]);
    }
    let blank = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    let input = NewAccount {
        username: form.username.clone(),
        full_name: form.full_name.clone(),
        password: form.password.clone(),
        cccd: Some(form.cccd.clone()),
        phone: blank(&form.phone),
        email: blank(&form.email),
        ..NewAccount::default()
    };
    let ctx = auth.audit();
    let view = match accounts::register_citizen(&state.app, &auth.caller, &ctx, &input).await {
        Ok(v) => v,
        Err(AppError::Validation(errors)) => {
            return page(&auth, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors);
        }
        Err(AppError::Conflict(_)) => {
            let e = FieldError::new(
                "username",
                "Tên đăng nhập hoặc số định danh này đã được đăng ký. Nếu là bạn, hãy đăng nhập.",
                "This username or identification number is already registered. If it is yours, log in.",
            );
            return page(&auth, StatusCode::CONFLICT, &form, &[e]);
        }
        Err(e) => {
            tracing::error!(error = %lienthong_domain::redact::redact(&e.to_string()), "registration failed");
            return error_page(
                &auth,
                "/register",
                StatusCode::INTERNAL_SERVER_ERROR,
                ("Lỗi hệ thống", "Internal error"),
                ("Vui lòng thử lại sau.", "Please try again later."),
            );
        }
    };
    let principal = match accounts::principal(&state.app, &view.id).await {
        Ok(Some(p)) => p,
        _ => return Redirect::to("/login").into_response(),
    };
    let mut ctx = ctx;
    ctx.actor.clone_from(&principal.account_id);
    let session = match accounts::open_session(
        &state.app,
        &ctx,
        &principal,
        auth.session.as_ref().map(|(t, _)| t.as_str()),
    )
    .await
    {
        Ok(s) => s,
        Err(_) => return Redirect::to("/login").into_response(),
    };
    signed_in_redirect(&state, "/account", Some(&session), "/register")
}
