//! PAdES baseline signing (B-B; B-T when a timestamp is added): one incremental update per
//! signature, so that a seal added after a person's signature leaves the first one valid.

use std::time::SystemTime;

use sha2::{Digest as _, Sha256};
use x509_cert::Certificate;

use crate::{
    SignError,
    cms_build::{SignRequest, Timestamper, sign_digest},
    keys::KeySigner,
    pdf::update::{FieldSpec, prepare},
};

/// Who signs and how the signature is described in the PDF.
pub struct PdfSigner<'a> {
    /// The key.
    pub key: &'a dyn KeySigner,
    /// Its certificate.
    pub certificate: &'a Certificate,
    /// Issuing CAs to embed.
    pub chain: &'a [Certificate],
    /// `/Reason`.
    pub reason: String,
    /// `/Location`.
    pub location: String,
    /// Widget rectangle, `None` for an invisible signature.
    pub rect: Option<[f64; 4]>,
    /// Page (0-based) of the widget.
    pub page: usize,
}

/// A PDF date for `t` in Vietnam's time zone (UTC+7), e.g. `D:20261130231500+07'00'`.
pub fn pdf_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 7 * 3600;
    match der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs)) {
        Ok(d) => format!(
            "D:{:04}{:02}{:02}{:02}{:02}{:02}+07'00'",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minutes(),
            d.seconds()
        ),
        Err(_) => "D:19700101000000Z".into(),
    }
}

/// Room reserved for the CMS: the certificates, the signature, attributes and a timestamp.
fn reserve(signer: &PdfSigner<'_>, timestamped: bool) -> usize {
    use der::Encode as _;
    let certs: usize = std::iter::once(signer.certificate)
        .chain(signer.chain.iter())
        .map(|c| {
            c.encoded_len()
                .map_or(4096, |l| usize::try_from(u32::from(l)).unwrap_or(4096))
        })
        .sum();
    certs + 2048 + if timestamped { 8192 } else { 0 }
}

/// Signs `pdf` with one more signature. `timestamp`, when given, turns the signature value
/// into an RFC 3161 token (PAdES B-T).
pub fn sign_pdf(
    pdf: &[u8],
    signer: &PdfSigner<'_>,
    now: SystemTime,
    timestamp: Option<Timestamper<'_>>,
) -> Result<Vec<u8>, SignError> {
    let spec = FieldSpec {
        name: crate::trust::common_name(&signer.certificate.tbs_certificate.subject),
        reason: signer.reason.clone(),
        location: signer.location.clone(),
        pdf_date: pdf_date(now),
        contents_size: reserve(signer, timestamp.is_some()),
        rect: signer.rect,
        page: signer.page,
    };
    let prepared = prepare(pdf, &spec)?;
    let mut h = Sha256::new();
    for part in prepared.signed_parts() {
        h.update(part);
    }
    let digest: [u8; 32] = h.finalize().into();
    let cms = sign_digest(
        &SignRequest {
            key: signer.key,
            certificate: signer.certificate,
            chain: signer.chain,
            signing_time: None,
        },
        &digest,
        timestamp,
    )?;
    prepared.embed(&cms)
}
