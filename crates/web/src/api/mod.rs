//! The JSON API under `/api/v1`, documented by OpenAPI 3.1.

mod accounts;
pub(crate) mod actions;
mod auth;
mod calendar;
mod catalog;
pub(crate) mod dossiers;
pub(crate) mod processing;
pub(crate) use catalog::parse_level;
mod json;
pub(crate) mod open_data;
mod ops;
mod org;
pub(crate) mod reports;
pub(crate) mod signatures;

use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lienthong API",
        description = "Nền tảng chính quyền điện tử mở cho tỉnh, thành phố — open e-government platform. \
                       Errors are RFC 9457 problem+json in Vietnamese (default) or English (Accept-Language: en).",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "auth", description = "Authentication"),
        (name = "organisation", description = "Administrative units and agencies"),
        (name = "catalog", description = "Administrative procedures"),
        (name = "dossiers", description = "Dossier submission, reading and tracking"),
        (name = "calendar", description = "Working days and holidays"),
        (name = "reports", description = "Biểu 06, indicators, public statistics and open data"),
        (name = "signatures", description = "Trust anchors, CRL and verification of signed files")
    ),
    components(schemas(crate::problem::Problem, crate::problem::ProblemField)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Documents the answers every operation can give besides its own: 400 when its parameters or
/// body cannot be read, 413 and 415 when it takes a body, 429 when a rate limit is reached and
/// 408 on timeout — all problem+json (see `middleware::api_problems`).
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |text: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(text)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let mut common = vec![
                    ("400", "Parameters or body could not be read"),
                    ("408", "The request did not complete in time"),
                    ("429", "Too many requests; see Retry-After"),
                ];
                if op.request_body.is_some() {
                    common.push(("413", "Body larger than allowed"));
                    common.push(("415", "Unsupported Content-Type"));
                }
                let responses = &mut op.responses.responses;
                for (code, text) in common {
                    responses
                        .entry(code.to_owned())
                        .or_insert_with(|| problem(text));
                }
            }
        }
    }
}

/// The API routes and their OpenAPI document, completed with the answers every operation can
/// give.
pub fn router_and_spec() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut spec) = router().split_for_parts();
    utoipa::Modify::modify(&CommonResponses, &mut spec);
    (router, spec)
}

/// Hard cap of an upload request; the configured per-file and per-dossier limits are enforced
/// while the files stream in.
pub const MAX_UPLOAD_BODY: usize = 128 * 1024 * 1024;

/// Every documented route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(auth::token))
        .routes(routes!(auth::me))
        .routes(routes!(accounts::create))
        .routes(routes!(catalog::search))
        .routes(routes!(catalog::detail))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(dossiers::submit))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        )
        .routes(routes!(dossiers::get))
        .routes(routes!(dossiers::receipt))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(actions::act))
                .routes(routes!(actions::register_at_desk))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        )
        .routes(routes!(processing::result))
        .routes(routes!(processing::document))
        .routes(routes!(processing::control_sheet))
        .routes(routes!(processing::register))
        .routes(routes!(processing::work_queue))
        .routes(routes!(processing::workflows))
        .routes(routes!(processing::save_workflow))
        .routes(routes!(dossiers::track))
        .routes(routes!(calendar::due))
        .routes(routes!(calendar::holidays))
        .routes(routes!(org::admin_units))
        .routes(routes!(org::agencies))
        .routes(routes!(org::agency))
        .routes(routes!(reports::tthc))
        .routes(routes!(reports::behind))
        .routes(routes!(reports::indicators))
        .routes(routes!(reports::statistics))
        .routes(routes!(open_data::dcat))
        .routes(routes!(open_data::procedures))
        .routes(routes!(open_data::statistics))
        .routes(routes!(signatures::trust_anchors))
        .routes(routes!(signatures::crl))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(signatures::tsa))
                .layer(axum::extract::DefaultBodyLimit::max(16 * 1024)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(signatures::verify))
                .layer(axum::extract::DefaultBodyLimit::max(
                    2 * signatures::MAX_VERIFY_BYTES + 65_536,
                )),
        )
}
