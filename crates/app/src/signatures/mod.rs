//! Digital signatures in the platform: the internal CA (created on first use), certificates
//! for agency seals and for officials who sign, the trust store, signing of results, and the
//! verification of files people bring.

mod keystore;

use std::{sync::Arc, time::SystemTime};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use der::{Decode as _, Encode as _};
use lienthong_sign::{
    ca::{self, CertSpec, Profile, Subject},
    keys::{KeySigner, SoftwareKey},
    pades::{PdfSigner, sign_pdf},
    trust::TrustStore,
    verify::{self, Report},
};
use lienthong_store::pki::{self, CertRow};
use x509_cert::Certificate;

pub use keystore::Pki;

use crate::{App, AppError};

/// The government root CA (Ban Cơ yếu Chính phủ, 2010–2030), trusted by default.
const VGCA_ROOT: &str = include_str!("../../certs/vgca_rootca_2010.pem");

const YEAR_US: i64 = 365 * 86_400 * 1_000_000;

fn sign_err(e: lienthong_sign::SignError) -> AppError {
    match e {
        lienthong_sign::SignError::NotPdf
        | lienthong_sign::SignError::MalformedPdf(_)
        | lienthong_sign::SignError::MalformedCms(_)
        | lienthong_sign::SignError::Unsupported(_) => {
            AppError::Validation(vec![crate::FieldError::new("file", e.vi(), e.to_string())])
        }
        other => AppError::Internal(other.to_string()),
    }
}

fn system_time(us: i64) -> SystemTime {
    let secs = u64::try_from(us.max(0) / 1_000_000).unwrap_or(0);
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

fn cert_of(row: &CertRow) -> Result<Certificate, AppError> {
    let der = STANDARD
        .decode(&row.der_b64)
        .map_err(|e| AppError::Internal(format!("certificate {}: {e}", row.id)))?;
    Certificate::from_der(&der)
        .map_err(|e| AppError::Internal(format!("certificate {}: {e}", row.id)))
}

/// A certificate with its key, ready to sign.
#[derive(Clone)]
pub struct Signer {
    /// The certificate.
    pub certificate: Certificate,
    /// The key (software, or on a token).
    pub key: Arc<dyn KeySigner>,
    /// Issuing CA certificates to embed.
    pub chain: Vec<Certificate>,
}

/// Issues and stores a certificate for `role`/`owner`, its software key encrypted at rest.
async fn issue(
    app: &App,
    role: &str,
    owner: &str,
    subject: &Subject,
    profile: Profile,
    issuer: Option<&Signer>,
    years: i64,
) -> Result<Signer, AppError> {
    let now = app.now_us();
    // Seals go on the token when one is configured; everything else is a software key.
    let on_token = match (role, app.pki.token()) {
        ("seal", Some((label, token))) => {
            let object = format!("seal-{owner}");
            let key = token
                .ec_key(&object)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Some((keystore::key_uri(&label, &object), key))
        }
        _ => None,
    };
    let (key, key_pem, key_uri): (Arc<dyn KeySigner>, Option<String>, Option<String>) =
        match on_token {
            Some((uri, k)) => (Arc::new(k), None, Some(uri)),
            None => {
                // The key's encryption (scrypt) takes a tenth of a second of processor: not on
                // a thread that serves requests.
                let pki = app.pki.clone();
                let (k, pem) = off_the_runtime(move || {
                    let k = SoftwareKey::generate_ec();
                    let pem = pki.seal_key(&k)?;
                    Ok((k, pem))
                })
                .await?;
                (Arc::new(k), Some(pem), None)
            }
        };
    let spec = CertSpec {
        profile,
        subject,
        public_key: key.public_key().map_err(sign_err)?,
        not_before: system_time(now - 3_600_000_000),
        not_after: system_time(now + years * YEAR_US),
        crl_url: None,
    };
    let cert = match issuer {
        Some(i) => ca::issue(&spec, Some(&i.certificate), i.key.as_ref()),
        None => ca::issue(&spec, None, key.as_ref()),
    }
    .map_err(sign_err)?;
    let der = cert
        .to_der()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let row = CertRow {
        id: uuid::Uuid::now_v7().to_string(),
        role: role.to_owned(),
        owner: owner.to_owned(),
        subject: subject.common_name.clone(),
        serial_hex: hex::encode(cert.tbs_certificate.serial_number.as_bytes()),
        not_before: now - 3_600_000_000,
        not_after: now + years * YEAR_US,
        der_b64: STANDARD.encode(&der),
        key_pem,
        key_uri,
        revoked_at: None,
        created_at: now,
    };
    let mut tx = app.db.write().await?;
    pki::insert(tx.conn(), &row).await?;
    crate::audit::record(
        tx.conn(),
        app,
        &crate::audit::AuditCtx::system(),
        "pki.issue",
        "certificate",
        &row.id,
        None,
        Some(format!("{role} {owner} {}", row.serial_hex)),
    )
    .await?;
    tx.commit().await?;
    app.pki.remember(&row.id, key.clone());
    Ok(Signer {
        certificate: cert,
        key,
        chain: issuer
            .map(|i| vec![i.certificate.clone()])
            .unwrap_or_default(),
    })
}

async fn load(app: &App, row: &CertRow, chain: Vec<Certificate>) -> Result<Signer, AppError> {
    let key = match app.pki.known_key(&row.id)? {
        Some(k) => k,
        None => {
            // Decrypting a key (scrypt) the first time takes a tenth of a second.
            let (pki, stored) = (app.pki.clone(), row.clone());
            off_the_runtime(move || pki.key(&stored)).await?
        }
    };
    Ok(Signer {
        certificate: cert_of(row)?,
        key,
        chain,
    })
}

/// Runs `work`, which holds a processor for long, on the blocking pool.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// The root and the issuing CA, created on first use.
pub async fn authority(app: &App) -> Result<(Signer, Signer), AppError> {
    let _guard = app.pki.issuing.lock().await;
    let now = app.now_us();
    let current = |role: &'static str| async move {
        let mut conn = app.db.reader().await?;
        Ok::<_, AppError>(pki::current(&mut conn, role, "-", now).await?)
    };
    let root = match current("root").await? {
        Some(r) => load(app, &r, Vec::new()).await?,
        None => {
            let s = Subject {
                common_name: "lienthong Root CA".into(),
                organization: Some(app.pki.organization()),
                ..Subject::default()
            };
            issue(app, "root", "-", &s, Profile::Root, None, 20).await?
        }
    };
    let issuing = match current("issuing").await? {
        Some(r) => load(app, &r, vec![root.certificate.clone()]).await?,
        None => {
            let s = Subject {
                common_name: "lienthong Issuing CA".into(),
                organization: Some(app.pki.organization()),
                ..Subject::default()
            };
            issue(app, "issuing", "-", &s, Profile::IssuingCa, Some(&root), 10).await?
        }
    };
    Ok((root, issuing))
}

/// The current certificate of `role` for `owner`, issued on first use.
async fn end_entity(
    app: &App,
    role: &str,
    owner: &str,
    subject: Subject,
) -> Result<Signer, AppError> {
    let (_, issuing) = authority(app).await?;
    let existing = || async {
        let mut conn = app.db.reader().await?;
        Ok::<_, AppError>(pki::current(&mut conn, role, owner, app.now_us()).await?)
    };
    if let Some(r) = existing().await? {
        return load(app, &r, vec![issuing.certificate.clone()]).await;
    }
    let _guard = app.pki.issuing.lock().await;
    // Another first signer may have issued it while this one waited for the lock.
    if let Some(r) = existing().await? {
        return load(app, &r, vec![issuing.certificate.clone()]).await;
    }
    let profile = match role {
        "seal" => Profile::Seal,
        "tsa" => Profile::Tsa,
        _ => Profile::Person,
    };
    issue(app, role, owner, &subject, profile, Some(&issuing), 2).await
}

/// The seal of agency `code`.
pub async fn seal(app: &App, code: &str, name: &str) -> Result<Signer, AppError> {
    let subject = Subject {
        common_name: name.to_owned(),
        organization: Some(app.pki.organization()),
        unit: Some(code.to_owned()),
        ..Subject::default()
    };
    end_entity(app, "seal", code, subject).await
}

/// The personal signing certificate of official `account_id`.
pub async fn person(
    app: &App,
    account_id: &str,
    full_name: &str,
    agency: &str,
) -> Result<Signer, AppError> {
    let subject = Subject {
        common_name: full_name.to_owned(),
        organization: Some(agency.to_owned()),
        unit: Some(account_id.to_owned()),
        ..Subject::default()
    };
    end_entity(app, "person", account_id, subject).await
}

/// Where the visible blocks sit and what the signatures say.
pub struct Placement {
    /// Page of the blocks.
    pub page: usize,
    /// The signer's block, if visible.
    pub signer: Option<[f64; 4]>,
    /// The seal's block, if visible.
    pub seal: Option<[f64; 4]>,
}

/// How signatures get their timestamp.
#[derive(Clone)]
enum Stamping {
    /// PAdES B-B: no timestamp.
    None,
    /// The platform's own authority, in process.
    Internal(Box<Signer>),
    /// An RFC 3161 authority over HTTP.
    Remote(String),
}

fn random_u64() -> Result<u64, AppError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("random source: {e}")))?;
    Ok(u64::from_be_bytes(b))
}

impl Stamping {
    async fn configured(app: &App) -> Result<Self, AppError> {
        Ok(match app.pki.timestamp_authority().as_deref() {
            None => Stamping::None,
            Some("internal") => Stamping::Internal(Box::new(timestamp_authority(app).await?)),
            Some(url) => Stamping::Remote(url.to_owned()),
        })
    }

    /// A token for `signature` (blocking: call off the async runtime).
    fn stamp(
        &self,
        signature: &[u8],
        now: SystemTime,
    ) -> Result<Vec<u8>, lienthong_sign::SignError> {
        use sha2::Digest as _;
        let nonce =
            random_u64().map_err(|e| lienthong_sign::SignError::Timestamp(e.to_string()))?;
        match self {
            Stamping::None => Err(lienthong_sign::SignError::Timestamp("no authority".into())),
            Stamping::Internal(tsa) => {
                let digest: [u8; 32] = sha2::Sha256::digest(signature).into();
                let req = lienthong_sign::tsa::request(&digest, nonce)?;
                let authority = lienthong_sign::tsa::Authority {
                    key: tsa.key.as_ref(),
                    certificate: &tsa.certificate,
                    chain: &tsa.chain,
                };
                let resp = authority.grant(&req, nonce >> 1, now)?;
                lienthong_sign::tsa::token_from_response(&resp, &digest)
            }
            Stamping::Remote(url) => lienthong_sign::tsa::fetch(url, signature, nonce),
        }
    }
}

/// The platform's own timestamp authority (certificate issued on first use).
pub async fn timestamp_authority(app: &App) -> Result<Signer, AppError> {
    let subject = Subject {
        common_name: "lienthong Timestamp Authority".into(),
        organization: Some(app.pki.organization()),
        ..Subject::default()
    };
    end_entity(app, "tsa", "-", subject).await
}

/// Answers an RFC 3161 request with the platform's own authority (`POST /api/v1/tsa`).
pub async fn timestamp(app: &App, request: &[u8]) -> Result<Vec<u8>, AppError> {
    let tsa = timestamp_authority(app).await?;
    let now = system_time(app.now_us());
    let serial = random_u64()? >> 1;
    let authority = lienthong_sign::tsa::Authority {
        key: tsa.key.as_ref(),
        certificate: &tsa.certificate,
        chain: &tsa.chain,
    };
    Ok(authority.respond(request, serial, now))
}

/// One signature to add: who, why, and where its visible block is (if any).
struct Pass {
    signer: Signer,
    reason: String,
    rect: Option<[f64; 4]>,
}

/// Whose CPU time a signature takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Someone waits for it (a request): the blocking pool.
    Interactive,
    /// No one waits (documents issued after an action): the low-priority threads.
    Background,
}

/// Adds `passes` to `pdf` in order, each its own incremental update, off the async runtime,
/// timestamped when an authority is configured.
async fn sign_in_order(
    app: &App,
    pdf: &[u8],
    passes: Vec<Pass>,
    location: &str,
    page: usize,
    priority: Priority,
) -> Result<Vec<u8>, AppError> {
    let now = system_time(app.now_us());
    let stamping = Stamping::configured(app).await?;
    let (mut pdf, location) = (pdf.to_vec(), location.to_owned());
    let work = move || {
        let stamp = |sig: &[u8]| stamping.stamp(sig, now);
        let ts: Option<lienthong_sign::cms_build::Timestamper<'_>> =
            (!matches!(stamping, Stamping::None)).then_some(&stamp);
        for pass in passes {
            pdf = sign_pdf(
                &pdf,
                &PdfSigner {
                    key: pass.signer.key.as_ref(),
                    certificate: &pass.signer.certificate,
                    chain: &pass.signer.chain,
                    reason: pass.reason,
                    location: location.clone(),
                    rect: pass.rect,
                    page,
                },
                now,
                ts,
            )?;
        }
        Ok(pdf)
    };
    let signed: Result<Vec<u8>, lienthong_sign::SignError> = match priority {
        Priority::Interactive => tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?,
        Priority::Background => app.background.run(work).await?,
    };
    signed.map_err(sign_err)
}

/// Signs `pdf` by the official, then seals it by the agency (two incremental updates), each
/// signature timestamped when an authority is configured (PAdES B-T).
pub async fn sign_and_seal(
    app: &App,
    pdf: &[u8],
    official: &Signer,
    agency: &Signer,
    reason: &str,
    location: &str,
    at: &Placement,
) -> Result<Vec<u8>, AppError> {
    sign_and_seal_at(
        app,
        pdf,
        (official, agency),
        reason,
        location,
        at,
        Priority::Interactive,
    )
    .await
}

/// [`sign_and_seal`] with the CPU time taken at `priority`.
pub(crate) async fn sign_and_seal_at(
    app: &App,
    pdf: &[u8],
    (official, agency): (&Signer, &Signer),
    reason: &str,
    location: &str,
    at: &Placement,
    priority: Priority,
) -> Result<Vec<u8>, AppError> {
    let passes = vec![
        Pass {
            signer: official.clone(),
            reason: reason.to_owned(),
            rect: at.signer,
        },
        Pass {
            signer: agency.clone(),
            reason: "Ký số của cơ quan, tổ chức".into(),
            rect: at.seal,
        },
    ];
    sign_in_order(app, pdf, passes, location, at.page, priority).await
}

/// Seals a document the agency issues (receipt, notice) with an invisible signature of the
/// agency's seal, timestamped when an authority is configured.
pub async fn seal_document(
    app: &App,
    pdf: &[u8],
    agency_code: &str,
    agency_name: &str,
    reason: &str,
) -> Result<Vec<u8>, AppError> {
    seal_document_at(
        app,
        pdf,
        (agency_code, agency_name),
        reason,
        Priority::Interactive,
    )
    .await
}

/// [`seal_document`] with the CPU time taken at `priority`.
pub(crate) async fn seal_document_at(
    app: &App,
    pdf: &[u8],
    (agency_code, agency_name): (&str, &str),
    reason: &str,
    priority: Priority,
) -> Result<Vec<u8>, AppError> {
    let pass = Pass {
        signer: seal(app, agency_code, agency_name).await?,
        reason: reason.to_owned(),
        rect: None,
    };
    sign_in_order(app, pdf, vec![pass], "", 0, priority).await
}

/// Roots the platform trusts (its own, the government root, configured ones), the issuing
/// CAs, and fresh CRLs of the internal CA.
pub async fn trust_store(app: &App) -> Result<TrustStore, AppError> {
    let (root, issuing) = authority(app).await?;
    let (roots, issuers, revoked) = {
        let mut conn = app.db.read().await?;
        (
            pki::by_role(&mut conn, "root").await?,
            pki::by_role(&mut conn, "issuing").await?,
            pki::revoked(&mut conn).await?,
        )
    };
    let mut anchors = roots.iter().map(cert_of).collect::<Result<Vec<_>, _>>()?;
    anchors.extend(lienthong_sign::trust::parse_certificates(
        VGCA_ROOT.as_bytes(),
    ));
    anchors.extend(app.pki.extra_anchors());
    let intermediates = issuers.iter().map(cert_of).collect::<Result<Vec<_>, _>>()?;
    let now = system_time(app.now_us());
    let entries = |issuer: &Certificate| {
        revoked
            .iter()
            .filter_map(|r| {
                let c = cert_of(r).ok()?;
                (c.tbs_certificate.issuer == issuer.tbs_certificate.subject).then(|| ca::Revoked {
                    serial: c.tbs_certificate.serial_number.as_bytes().to_vec(),
                    at: system_time(r.revoked_at.unwrap_or(0)),
                })
            })
            .collect::<Vec<_>>()
    };
    let week = std::time::Duration::from_secs(7 * 86_400);
    let mut crls = Vec::new();
    for signer in [&root, &issuing] {
        let number = u64::try_from(app.now_us() / 1_000_000).unwrap_or(0);
        crls.push(
            ca::crl(
                &signer.certificate,
                signer.key.as_ref(),
                &entries(&signer.certificate),
                number,
                now,
                now + week,
            )
            .map_err(sign_err)?,
        );
    }
    Ok(TrustStore {
        anchors,
        intermediates,
        crls,
        // Foreign certificates name their CRL; it is fetched (off the async runtime).
        fetch_crls: true,
    })
}

/// PEM of every trust anchor.
pub async fn trust_anchors_pem(app: &App) -> Result<String, AppError> {
    use der::EncodePem as _;
    let store = trust_store(app).await?;
    let mut out = String::new();
    for c in &store.anchors {
        out.push_str(
            &c.to_pem(der::pem::LineEnding::LF)
                .map_err(|e| AppError::Internal(e.to_string()))?,
        );
    }
    Ok(out)
}

/// The internal issuing CA's current CRL (DER).
pub async fn crl_der(app: &App) -> Result<Vec<u8>, AppError> {
    let store = trust_store(app).await?;
    store
        .crls
        .last()
        .ok_or_else(|| AppError::Internal("no CRL".into()))?
        .to_der()
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Revokes certificate `id` (it appears on the next CRL), with an audit row.
pub async fn revoke(app: &App, ctx: &crate::audit::AuditCtx, id: &str) -> Result<bool, AppError> {
    let mut tx = app.db.write().await?;
    let changed = pki::revoke(tx.conn(), id, app.now_us()).await?;
    if changed {
        crate::audit::record(
            tx.conn(),
            app,
            ctx,
            "pki.revoke",
            "certificate",
            id,
            None,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Verifies a file: every signature of a PDF, or a detached CMS `signature` over it.
pub async fn verify_file(
    app: &App,
    file: &[u8],
    signature: Option<&[u8]>,
) -> Result<Report, AppError> {
    let trust = trust_store(app).await?;
    let now = system_time(app.now_us());
    let file = file.to_vec();
    let signature = signature.map(<[u8]>::to_vec);
    tokio::task::spawn_blocking(move || match signature {
        Some(sig) => verify::verify_detached(Some(&file), &sig, &trust, now),
        None => verify::verify_pdf(&file, &trust, now),
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(sign_err)
}

/// A stored document and the verification of its signatures (public: no personal data).
pub async fn verify_issued(
    app: &App,
    document_id: &str,
) -> Result<(lienthong_store::processing::DocumentRow, Report), AppError> {
    let doc = {
        let mut conn = app.db.reader().await?;
        lienthong_store::processing::document_by_id(&mut conn, document_id).await?
    }
    .ok_or_else(|| AppError::NotFound(document_id.to_owned()))?;
    let bytes = app.blobs.read(&doc.sha256).await?;
    let report = verify_file(app, &bytes, None).await?;
    Ok((doc, report))
}
