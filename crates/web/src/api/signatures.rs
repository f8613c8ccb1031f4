//! Signatures and trust: the roots the platform trusts, the internal CA's CRL, and the
//! verification of signed PDFs and detached CMS signatures anyone can bring.

use axum::{
    Json,
    extract::{Multipart, State},
    http::header,
    response::{IntoResponse, Response},
};
use lienthong_app::signatures;
use lienthong_sign::verify::{Report, SignatureReport};
use serde::Serialize;
use utoipa::ToSchema;

use super::dossiers::field_error;
use lienthong_domain::Lang;

use crate::{AppState, auth::Auth, problem::ApiError};

/// Largest file accepted for verification.
pub const MAX_VERIFY_BYTES: usize = 30 * 1024 * 1024;

/// One certificate of a path.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertOut {
    /// Subject common name.
    pub subject: String,
    /// Issuer common name.
    pub issuer: String,
    /// Serial number (hex).
    pub serial: String,
    /// Validity start (RFC 3339).
    pub not_before: String,
    /// Validity end (RFC 3339).
    pub not_after: String,
    /// SHA-256 of the certificate (hex).
    pub sha256: String,
}

/// What was found about one signature.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureOut {
    /// Form field of a PDF signature.
    pub field: Option<String>,
    /// Signer's name.
    pub signer: String,
    /// Signing time (RFC 3339).
    pub signed_at: Option<String>,
    /// `signed-attribute`, `claimed` (the PDF's own date) or `verification-time`.
    pub time_source: String,
    /// Signer first, root last.
    pub certificate_chain: Vec<CertOut>,
    /// The signed bytes are unchanged.
    pub integrity: bool,
    /// The certificate chains to a trusted root.
    pub trusted: bool,
    /// Revocation was checked along the whole chain.
    pub revocation_checked: bool,
    /// `valid`, `modified`, `untrusted`, `expired`, `revoked`, `bad_signature`, `unsupported`.
    pub status: String,
    /// Explanation in the request's language.
    pub reason: String,
    /// Revision (1-based) the signature covers, for PDFs.
    pub revision: Option<usize>,
    /// The signature covers the whole file.
    pub covers_whole_document: bool,
}

/// The verdict on a file.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyOut {
    /// Every signature valid and the file unchanged since the last one.
    pub valid: bool,
    /// Revisions of the PDF.
    pub revisions: usize,
    /// One entry per signature.
    pub signatures: Vec<SignatureOut>,
}

fn signature_out(s: &SignatureReport, lang: Lang) -> SignatureOut {
    SignatureOut {
        field: s.field.clone(),
        signer: s.signer.clone(),
        signed_at: s.signed_at.clone(),
        time_source: s.time_source.to_owned(),
        certificate_chain: s
            .certificate_chain
            .iter()
            .map(|c| CertOut {
                subject: c.subject.clone(),
                issuer: c.issuer.clone(),
                serial: c.serial.clone(),
                not_before: c.not_before.clone(),
                not_after: c.not_after.clone(),
                sha256: c.sha256.clone(),
            })
            .collect(),
        integrity: s.integrity,
        trusted: s.trusted,
        revocation_checked: s.revocation_checked,
        status: s.status.code().to_owned(),
        reason: if lang == Lang::En {
            s.reason_en.clone()
        } else {
            s.reason_vi.clone()
        },
        revision: s.revision,
        covers_whole_document: s.covers_whole_document,
    }
}

/// The report as clients see it.
pub fn report_out(r: &Report, lang: Lang) -> VerifyOut {
    VerifyOut {
        valid: r.valid,
        revisions: r.revisions,
        signatures: r
            .signatures
            .iter()
            .map(|s| signature_out(s, lang))
            .collect(),
    }
}

/// Reads `file` and optional `signature` parts, in memory, bounded.
pub async fn read_verify_parts(
    lang: Lang,
    mut multipart: Multipart,
) -> Result<(Vec<u8>, Option<Vec<u8>>), ApiError> {
    let malformed = |_| {
        field_error(
            "file",
            "Dữ liệu gửi lên không đúng dạng multipart/form-data.",
            "The body is not valid multipart/form-data.",
            lang,
        )
    };
    let (mut file, mut signature) = (None, None);
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if buf.len() + chunk.len() > MAX_VERIFY_BYTES {
                return Err(field_error(
                    &name,
                    "Tệp quá lớn (tối đa 30 MB).",
                    "The file is too large (at most 30 MB).",
                    lang,
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" if !buf.is_empty() => file = Some(buf),
            "signature" if !buf.is_empty() => signature = Some(buf),
            _ => {}
        }
    }
    let file = file.ok_or_else(|| {
        field_error(
            "file",
            "Chọn tệp cần kiểm tra chữ ký.",
            "Choose the file whose signatures to check.",
            lang,
        )
    })?;
    Ok((file, signature))
}

/// Verifies every signature of an uploaded PDF, or a detached CMS (`signature`) over `file`.
#[utoipa::path(post, path = "/api/v1/signatures/verify", tag = "signatures",
    request_body(content_type = "multipart/form-data", description = "`file`, and `signature` (.p7s, DER or PEM) for a detached signature"),
    responses(
        (status = 200, body = VerifyOut),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    auth: Auth,
    multipart: Multipart,
) -> Result<Json<VerifyOut>, ApiError> {
    let (file, signature) = read_verify_parts(auth.lang, multipart).await?;
    let report = signatures::verify_file(&state.app, &file, signature.as_deref())
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(Json(report_out(&report, auth.lang)))
}

/// PEM of the root certificates the platform trusts and issues under.
#[utoipa::path(get, path = "/api/v1/pki/trust-anchors", tag = "signatures",
    responses((status = 200, content_type = "application/x-pem-file", body = String)))]
pub async fn trust_anchors(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, ApiError> {
    let pem = signatures::trust_anchors_pem(&state.app)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}

/// The internal issuing CA's current certificate revocation list (DER).
#[utoipa::path(get, path = "/api/v1/pki/crl", tag = "signatures",
    responses((status = 200, content_type = "application/pkix-crl", body = Vec<u8>)))]
pub async fn crl(State(state): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    let der = signatures::crl_der(&state.app)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response())
}

/// The platform's own RFC 3161 timestamp authority (`application/timestamp-query` in,
/// `application/timestamp-reply` out); malformed requests get a rejection reply.
#[utoipa::path(post, path = "/api/v1/tsa", tag = "signatures",
    request_body(content_type = "application/timestamp-query", content = Vec<u8>),
    responses((status = 200, content_type = "application/timestamp-reply", body = Vec<u8>)))]
pub async fn tsa(
    State(state): State<AppState>,
    auth: Auth,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let reply = signatures::timestamp(&state.app, &body)
        .await
        .map_err(|e| ApiError(e, auth.lang))?;
    Ok((
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        reply,
    )
        .into_response())
}
