//! A test PKI (root, issuing CA, an official and an agency seal) and sample PDFs.

use std::time::{Duration, SystemTime};

use lienthong_sign::{
    ca::{self, CertSpec, Profile, Subject},
    keys::{KeySigner, SoftwareKey},
};
use x509_cert::Certificate;

pub const DAY: Duration = Duration::from_secs(86_400);

/// The wall clock: the external validators check certificates against it, so the test PKI
/// must be valid now.
#[expect(
    clippy::disallowed_methods,
    reason = "external validators use the wall clock"
)]
pub fn now() -> SystemTime {
    SystemTime::now()
}

pub struct Pki {
    pub root: Certificate,
    pub root_key: SoftwareKey,
    pub ca: Certificate,
    pub ca_key: SoftwareKey,
    pub person: Certificate,
    pub person_key: SoftwareKey,
    pub seal: Certificate,
    pub seal_key: SoftwareKey,
}

pub fn subject(cn: &str) -> Subject {
    Subject {
        common_name: cn.into(),
        organization: Some("UBND thành phố Cần Thơ".into()),
        province: Some("Cần Thơ".into()),
        ..Subject::default()
    }
}

pub fn issue(
    profile: Profile,
    cn: &str,
    key: &SoftwareKey,
    issuer: Option<(&Certificate, &SoftwareKey)>,
    from: SystemTime,
    to: SystemTime,
) -> Certificate {
    let s = subject(cn);
    let spec = CertSpec {
        profile,
        subject: &s,
        public_key: key.public_key().unwrap(),
        not_before: from,
        not_after: to,
        crl_url: None,
    };
    match issuer {
        Some((c, k)) => ca::issue(&spec, Some(c), k).unwrap(),
        None => ca::issue(&spec, None, key).unwrap(),
    }
}

/// A PKI valid from a year ago for ten years; the seal key is RSA, the rest ECDSA P-256.
pub fn pki() -> Pki {
    let now = now();
    let (from, to) = (now - 365 * DAY, now + 3650 * DAY);
    let root_key = SoftwareKey::generate_ec();
    let root = issue(
        Profile::Root,
        "Lienthong Test Root CA",
        &root_key,
        None,
        from,
        to,
    );
    let ca_key = SoftwareKey::generate_ec();
    let ca = issue(
        Profile::IssuingCa,
        "Lienthong Test Issuing CA",
        &ca_key,
        Some((&root, &root_key)),
        from,
        to,
    );
    let person_key = SoftwareKey::generate_ec();
    let person = issue(
        Profile::Person,
        "Nguyễn Thị Lãnh Đạo",
        &person_key,
        Some((&ca, &ca_key)),
        from,
        to,
    );
    let seal_key = SoftwareKey::generate_rsa(2048).unwrap();
    let seal = issue(
        Profile::Seal,
        "Sở Tư pháp thành phố Cần Thơ",
        &seal_key,
        Some((&ca, &ca_key)),
        from,
        to,
    );
    Pki {
        root,
        root_key,
        ca,
        ca_key,
        person,
        person_key,
        seal,
        seal_key,
    }
}

pub fn sample_pdf() -> Vec<u8> {
    use lienthong_documents::{Block, Notice, notice_pdf};
    notice_pdf(&Notice {
        parent_agency_name: Some("UBND THÀNH PHỐ CẦN THƠ".into()),
        agency_name: "SỞ TƯ PHÁP".into(),
        unit: None,
        reference: "Số: 000.00.20.H13-261130-0001/KQ".into(),
        place: "Cần Thơ".into(),
        issued: (30, 11, 2026),
        title: "GIẤY XÁC NHẬN".into(),
        subtitle: None,
        body: vec![Block::para(
            "Nội dung có dấu: Nguyễn Văn Ánh, phường Ninh Kiều.",
        )],
        signer: Some(("Giám đốc".into(), "Nguyễn Thị Lãnh Đạo".into())),
        qr_url: None,
        digital: None,
        landscape: false,
        pdf_title: "Giấy xác nhận".into(),
    })
    .unwrap()
}

pub fn pem(c: &Certificate) -> String {
    use der::EncodePem as _;
    c.to_pem(der::pem::LineEnding::LF).unwrap()
}

/// A timestamp authority certified by the test CA, and a timestamper calling it in-process.
pub struct TestTsa {
    pub cert: Certificate,
    pub key: SoftwareKey,
    pub ca: Certificate,
}

impl TestTsa {
    pub fn new(p: &Pki) -> Self {
        let key = SoftwareKey::generate_ec();
        let cert = issue(
            Profile::Tsa,
            "Lienthong Test TSA",
            &key,
            Some((&p.ca, &p.ca_key)),
            now() - DAY,
            now() + 365 * DAY,
        );
        TestTsa {
            cert,
            key,
            ca: p.ca.clone(),
        }
    }

    pub fn stamp(&self, signature: &[u8]) -> Result<Vec<u8>, lienthong_sign::SignError> {
        use sha2::Digest as _;
        let digest: [u8; 32] = sha2::Sha256::digest(signature).into();
        let req = lienthong_sign::tsa::request(&digest, 42)?;
        let authority = lienthong_sign::tsa::Authority {
            key: &self.key,
            certificate: &self.cert,
            chain: std::slice::from_ref(&self.ca),
        };
        let resp = authority.respond(&req, 7, now());
        lienthong_sign::tsa::token_from_response(&resp, &digest)
    }
}
