//! Verification of signed PDFs (every signature, every revision) and of detached CMS.

use std::time::SystemTime;

use cms::{
    cert::CertificateChoices,
    content_info::ContentInfo,
    revocation::RevocationInfoChoice,
    signed_data::{SignedData, SignerIdentifier, SignerInfo},
};
use der::{Decode as _, Encode as _, asn1::OctetString};
use x509_cert::{Certificate, crl::CertificateList, ext::pkix::SubjectKeyIdentifier};

use crate::{
    SignError,
    crypto::{Check, Hash, verify_digest},
    oids,
    pdf::{self, file},
    trust::{CertInfo, PathStatus, TrustStore, common_name, rfc3339},
};

/// The verdict on one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Intact, trusted, valid at signing time, not revoked.
    Valid,
    /// The signed bytes changed, or revisions were added after the signature.
    Modified,
    /// The certificate does not chain to a trusted root.
    Untrusted,
    /// A certificate was outside its validity at signing time.
    Expired,
    /// A certificate was revoked.
    Revoked,
    /// The signature value does not match the signer's key.
    BadSignature,
    /// An algorithm or structure this verifier does not support.
    Unsupported,
}

impl Status {
    /// Stable code for clients.
    pub fn code(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Modified => "modified",
            Status::Untrusted => "untrusted",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::BadSignature => "bad_signature",
            Status::Unsupported => "unsupported",
        }
    }
}

/// What was found about one signature.
#[derive(Debug, Clone)]
pub struct SignatureReport {
    /// Form field (PDF) or `None` (detached CMS).
    pub field: Option<String>,
    /// Signer's common name.
    pub signer: String,
    /// Signing time (RFC 3339) and where it comes from.
    pub signed_at: Option<String>,
    /// `timestamp`, `signed-attribute` or `claimed` (the PDF's `/M`).
    pub time_source: &'static str,
    /// Signer first, root last.
    pub certificate_chain: Vec<CertInfo>,
    /// Whether the signed bytes are unchanged (digest and signature value check out).
    pub integrity: bool,
    /// Whether the path reaches a trusted root.
    pub trusted: bool,
    /// Whether revocation could be checked along the whole path.
    pub revocation_checked: bool,
    /// The verdict.
    pub status: Status,
    /// Explanation in Vietnamese.
    pub reason_vi: String,
    /// Explanation in English.
    pub reason_en: String,
    /// 1-based revision the signature covers (PDF).
    pub revision: Option<usize>,
    /// Whether the signature covers the whole file (PDF).
    pub covers_whole_document: bool,
    /// `/Reason` (PDF).
    pub stated_reason: Option<String>,
}

/// The verdict on a file.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every signature valid and the newest one covering the whole file.
    pub valid: bool,
    /// Revisions in the file (PDF).
    pub revisions: usize,
    /// One entry per signature.
    pub signatures: Vec<SignatureReport>,
}

fn cms_err(e: impl std::fmt::Display) -> SignError {
    SignError::MalformedCms(e.to_string())
}

/// Reads a CMS from DER, or PEM (`PKCS7` / `CMS` labels).
pub fn parse_cms(bytes: &[u8]) -> Result<SignedData, SignError> {
    let der = match ContentInfo::from_der(bytes) {
        Ok(ci) => return signed_data(&ci),
        Err(_) => {
            der::pem::decode_vec(bytes)
                .map_err(|_| cms_err("neither DER nor PEM"))?
                .1
        }
    };
    signed_data(&ContentInfo::from_der(&der).map_err(cms_err)?)
}

fn signed_data(ci: &ContentInfo) -> Result<SignedData, SignError> {
    if ci.content_type != oids::SIGNED_DATA {
        return Err(cms_err("not SignedData"));
    }
    ci.content.decode_as::<SignedData>().map_err(cms_err)
}

struct CmsOutcome {
    report: SignatureReport,
}

fn find_signer<'a>(sd: &'a [Certificate], si: &SignerInfo) -> Option<&'a Certificate> {
    sd.iter().find(|c| match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(is) => {
            c.tbs_certificate.issuer == is.issuer
                && c.tbs_certificate.serial_number == is.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => c
            .tbs_certificate
            .get::<SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, k)| k.0 == ski.0),
    })
}

fn attr(si: &SignerInfo, oid: const_oid::ObjectIdentifier) -> Option<&der::Any> {
    si.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == oid)
        .and_then(|a| a.values.iter().next())
}

fn texts(status: Status, detail: &str) -> (String, String) {
    match status {
        Status::Valid => ("Chữ ký hợp lệ.".into(), "The signature is valid.".into()),
        Status::Modified => (
            format!("Không hợp lệ — tài liệu đã bị thay đổi sau khi ký ({detail})."),
            format!("Invalid — changed after signing ({detail})."),
        ),
        Status::Untrusted => (
            format!(
                "Không được tin cậy — chứng thư số không thuộc tổ chức cung cấp dịch vụ chứng thực được tin cậy ({detail})."
            ),
            format!("Untrusted — the certificate does not chain to a trusted root ({detail})."),
        ),
        Status::Expired => (
            format!(
                "Không hợp lệ — chứng thư số hết hiệu lực hoặc chưa có hiệu lực tại thời điểm ký ({detail})."
            ),
            format!("Invalid — a certificate was not valid at signing time ({detail})."),
        ),
        Status::Revoked => (
            format!("Không hợp lệ — chứng thư số đã bị thu hồi ({detail})."),
            format!("Invalid — the certificate was revoked ({detail})."),
        ),
        Status::BadSignature if detail.is_empty() => (
            "Không hợp lệ — giá trị chữ ký không khớp với khóa của người ký.".into(),
            "Invalid — the signature value does not match the signer's key.".into(),
        ),
        Status::BadSignature => (
            format!("Không hợp lệ — dấu thời gian không đúng ({detail})."),
            format!("Invalid — {detail}."),
        ),
        Status::Unsupported => (
            format!("Chưa kiểm tra được — thuật toán chưa được hỗ trợ ({detail})."),
            format!("Not checked — unsupported algorithm ({detail})."),
        ),
    }
}

/// Verifies the first signer of `sd` over content given as `parts`; `claimed` is a time the
/// container states (PDF `/M`), used when the CMS has none.
fn verify_signed_data(
    sd: &SignedData,
    parts: &[&[u8]],
    trust: &TrustStore,
    claimed: Option<SystemTime>,
    now: SystemTime,
    depth: usize,
) -> Result<CmsOutcome, SignError> {
    let certs: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let crls: Vec<CertificateList> = sd
        .crls
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            RevocationInfoChoice::Crl(l) => Some(l.clone()),
            RevocationInfoChoice::Other(_) => None,
        })
        .collect();
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| cms_err("no signer"))?;
    let signer =
        find_signer(&certs, si).ok_or_else(|| cms_err("signer certificate not included"))?;
    let mut report = SignatureReport {
        field: None,
        signer: common_name(&signer.tbs_certificate.subject),
        signed_at: None,
        time_source: "claimed",
        certificate_chain: vec![CertInfo::of(signer)],
        integrity: false,
        trusted: false,
        revocation_checked: false,
        status: Status::BadSignature,
        reason_vi: String::new(),
        reason_en: String::new(),
        revision: None,
        covers_whole_document: true,
        stated_reason: None,
    };
    let finish = |mut r: SignatureReport, status: Status, detail: &str| {
        r.status = status;
        (r.reason_vi, r.reason_en) = texts(status, detail);
        Ok(CmsOutcome { report: r })
    };
    let Some(hash) = Hash::from_oid(&si.digest_alg.oid) else {
        return finish(report, Status::Unsupported, &si.digest_alg.oid.to_string());
    };
    let content_digest = hash.digest(parts);
    // Integrity: message digest attribute, then the signature over the attributes.
    let (signed, sig_hash) = match &si.signed_attrs {
        Some(attrs) => {
            let md = attr(si, oids::MESSAGE_DIGEST)
                .and_then(|a| a.decode_as::<OctetString>().ok())
                .ok_or_else(|| cms_err("no message-digest attribute"))?;
            if md.as_bytes() != content_digest.as_slice() {
                return finish(report, Status::Modified, "message digest");
            }
            (attrs.to_der().map_err(cms_err)?, hash)
        }
        None => (Vec::new(), hash),
    };
    let to_check = if si.signed_attrs.is_some() {
        sig_hash.digest(&[&signed])
    } else {
        content_digest
    };
    let key = &signer.tbs_certificate.subject_public_key_info;
    let sig_alg_hash = Hash::of_signature(&si.signature_algorithm.oid).unwrap_or(sig_hash);
    if sig_alg_hash != sig_hash {
        return finish(report, Status::Unsupported, "mixed digest algorithms");
    }
    match verify_digest(key, sig_hash, &to_check, si.signature.as_bytes()) {
        Check::Good => report.integrity = true,
        Check::Bad => return finish(report, Status::BadSignature, ""),
        Check::Unsupported => {
            return finish(report, Status::Unsupported, &key.algorithm.oid.to_string());
        }
    }
    // Signing time: a valid timestamp over the signature value, else a signed attribute,
    // else what the container claims, else now.
    let stamped = if depth == 0 {
        timestamp_of(si, trust, now)?
    } else {
        None
    };
    if let Some(Err(detail)) = &stamped {
        return finish(report, Status::BadSignature, detail);
    }
    let (at, source) = match attr(si, oids::SIGNING_TIME)
        .and_then(|a| a.to_der().ok())
        .and_then(|d| x509_cert::time::Time::from_der(&d).ok())
    {
        _ if matches!(stamped, Some(Ok(_))) => (
            stamped
                .as_ref()
                .and_then(|s| s.as_ref().ok())
                .copied()
                .unwrap_or(now),
            "timestamp",
        ),
        Some(t) => (t.to_system_time(), "signed-attribute"),
        None => match claimed {
            Some(t) => (t, "claimed"),
            None => (now, "verification-time"),
        },
    };
    report.signed_at = Some(rfc3339(at));
    report.time_source = source;
    let path = trust.validate(signer, &certs, &crls, at, source == "timestamp");
    report.certificate_chain = path.chain.iter().map(CertInfo::of).collect();
    report.revocation_checked = path.revocation_checked;
    match path.status {
        PathStatus::Good => {
            report.trusted = true;
            finish(report, Status::Valid, "")
        }
        PathStatus::Untrusted => {
            let top = path
                .chain
                .last()
                .map(|c| common_name(&c.tbs_certificate.issuer))
                .unwrap_or_default();
            finish(report, Status::Untrusted, &format!("issuer: {top}"))
        }
        PathStatus::OutOfValidity {
            subject,
            not_before,
            not_after,
        } => {
            report.trusted = true;
            finish(
                report,
                Status::Expired,
                &format!("{subject}: {not_before} → {not_after}"),
            )
        }
        PathStatus::Revoked { subject, at } => {
            report.trusted = true;
            finish(report, Status::Revoked, &format!("{subject}: {at}"))
        }
    }
}

/// The time a timestamp token in `si`'s unsigned attributes vouches for: `None` without a
/// token, `Some(Err(why))` when the token is not valid for this signature.
fn timestamp_of(
    si: &SignerInfo,
    trust: &TrustStore,
    now: SystemTime,
) -> Result<Option<Result<SystemTime, String>>, SignError> {
    let Some(value) = si
        .unsigned_attrs
        .as_ref()
        .and_then(|u| u.iter().find(|a| a.oid == oids::TIMESTAMP_TOKEN))
        .and_then(|a| a.values.iter().next())
    else {
        return Ok(None);
    };
    let token = crate::tsa::token_of(value)?;
    let info = crate::tsa::tst_info(&token)?;
    if !crate::tsa::imprint_matches(&info, si.signature.as_bytes()) {
        return Ok(Some(Err("timestamp over another signature".into())));
    }
    let sd = signed_data(&token)?;
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|c| c.decode_as::<OctetString>().ok())
        .ok_or_else(|| cms_err("timestamp token without content"))?;
    let stamped_at = info.gen_time.to_system_time();
    let checked = verify_signed_data(&sd, &[content.as_bytes()], trust, Some(stamped_at), now, 1)?;
    Ok(Some(if checked.report.status == Status::Valid {
        Ok(stamped_at)
    } else {
        Err(format!("timestamp: {}", checked.report.reason_en))
    }))
}

/// Verifies a detached CMS `signature` over `data` (or the content the CMS carries).
pub fn verify_detached(
    data: Option<&[u8]>,
    signature: &[u8],
    trust: &TrustStore,
    now: SystemTime,
) -> Result<Report, SignError> {
    let sd = parse_cms(signature)?;
    let embedded = sd.encap_content_info.econtent.as_ref().map(|c| {
        c.decode_as::<OctetString>()
            .map(|o| o.as_bytes().to_vec())
            .unwrap_or_else(|_| c.value().to_vec())
    });
    let content = match (data, embedded.as_deref()) {
        (Some(d), _) => d,
        (None, Some(e)) => e,
        (None, None) => return Err(cms_err("detached signature without the signed file")),
    };
    let out = verify_signed_data(&sd, &[content], trust, None, now, 0)?;
    Ok(Report {
        valid: out.report.status == Status::Valid,
        revisions: 0,
        signatures: vec![out.report],
    })
}

/// `D:YYYYMMDDHHmmSS+HH'mm'` → system time.
pub fn parse_pdf_date(s: &str) -> Option<SystemTime> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let num = |a: usize, b: usize| s.get(a..b).and_then(|x| x.parse::<i64>().ok());
    let y = num(0, 4)?;
    let mo = num(4, 6).unwrap_or(1);
    let d = num(6, 8).unwrap_or(1);
    let h = num(8, 10).unwrap_or(0);
    let mi = num(10, 12).unwrap_or(0);
    let se = num(12, 14).unwrap_or(0);
    let offset = match s.get(14..15) {
        Some(sign @ ("+" | "-")) => {
            let oh = num(15, 17).unwrap_or(0);
            let om = s
                .get(18..20)
                .and_then(|x| x.parse::<i64>().ok())
                .unwrap_or(0);
            let v = oh * 3600 + om * 60;
            if sign == "-" { -v } else { v }
        }
        _ => 0,
    };
    let dt = der::DateTime::new(
        u16::try_from(y).ok()?,
        u8::try_from(mo).ok()?,
        u8::try_from(d).ok()?,
        u8::try_from(h).ok()?,
        u8::try_from(mi).ok()?,
        u8::try_from(se).ok()?,
    )
    .ok()?;
    let unix = i64::try_from(dt.unix_duration().as_secs()).ok()? - offset;
    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(unix).ok()?))
}

/// Verifies every signature of a PDF.
pub fn verify_pdf(bytes: &[u8], trust: &TrustStore, now: SystemTime) -> Result<Report, SignError> {
    let sigs = pdf::signatures(bytes)?;
    let ends = file::revision_ends(bytes);
    let revisions = ends.len().max(1);
    let newest_cover = sigs
        .iter()
        .map(|s| s.byte_range[2].saturating_add(s.byte_range[3]))
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for s in &sigs {
        let [a, b, c, d] = s.byte_range;
        let cover = c.saturating_add(d);
        let revision = ends.iter().position(|e| *e == cover).map(|i| i + 1);
        let ranges_ok = a == 0
            && b < c
            && cover <= bytes.len()
            && bytes.get(b) == Some(&b'<')
            && c.checked_sub(1).and_then(|i| bytes.get(i)) == Some(&b'>')
            && bytes
                .get(b + 1..c - 1)
                .is_some_and(|h| h.iter().all(|x| x.is_ascii_hexdigit()));
        let parts: [&[u8]; 2] = [
            bytes.get(..b).unwrap_or_default(),
            bytes.get(c..cover).unwrap_or_default(),
        ];
        let sd = parse_cms(&s.cms)?;
        let claimed = s.claimed_time.as_deref().and_then(parse_pdf_date);
        let mut r = verify_signed_data(&sd, &parts, trust, claimed, now, 0)?.report;
        r.field = Some(s.field.clone());
        r.revision = revision;
        r.covers_whole_document = cover == bytes.len();
        r.stated_reason = s.reason.clone();
        let rev_text = |n: Option<usize>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
        if !ranges_ok {
            r.integrity = false;
            r.status = Status::Modified;
            (r.reason_vi, r.reason_en) = texts(Status::Modified, "ByteRange");
        } else if r.status == Status::Modified {
            let detail = format!("revision {}", rev_text(revision));
            (r.reason_vi, r.reason_en) = texts(Status::Modified, &detail);
        } else if newest_cover < bytes.len() && r.status == Status::Valid {
            // Bytes were appended after the newest signature: unsigned changes.
            let added = ends.iter().position(|e| *e > newest_cover).map(|i| i + 1);
            r.status = Status::Modified;
            let detail = format!(
                "revision {} added after signing, not signed",
                rev_text(added)
            );
            (r.reason_vi, r.reason_en) = texts(Status::Modified, &detail);
        }
        out.push(r);
    }
    Ok(Report {
        valid: !out.is_empty() && out.iter().all(|r| r.status == Status::Valid),
        revisions,
        signatures: out,
    })
}

/// Fingerprint of a certificate (SHA-256 of its DER, hex).
pub fn fingerprint(c: &Certificate) -> String {
    c.to_der()
        .map(|d| crate::crypto::sha256_hex(&d))
        .unwrap_or_default()
}
