//! Independent validators: pdfsig (poppler/NSS) and pyHanko accept our PDF signatures,
//! `openssl cms -verify` accepts our CMS, and our verifier accepts signatures made by pyHanko
//! and OpenSSL while rejecting tampered copies. Under `CI=true` a missing tool is a failure;
//! elsewhere the test says what it skipped. A key on SoftHSM2 (PKCS#11) signs too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use common::*;
use lienthong_sign::{
    ca::{self, CertSpec, Profile},
    cms_build::sign_detached,
    keys::KeySigner,
    pades::{PdfSigner, sign_pdf},
    pkcs11::Token,
    trust::TrustStore,
    verify::{Status, verify_detached, verify_pdf},
};

fn tool(name: &str) -> Option<PathBuf> {
    let found = if name == "pyhanko" {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_path('scripts'))",
            ])
            .output()
            .ok()?;
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("pyhanko");
        p.exists().then_some(p)
    } else {
        Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()
            .and_then(|o| {
                let s = String::from_utf8_lossy(&o.stdout).trim().to_owned();
                (!s.is_empty()).then(|| PathBuf::from(s))
            })
    };
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is required in CI"
        );
        eprintln!("skipped: {name} is not installed");
    }
    found
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

struct Files {
    dir: tempfile::TempDir,
    p: Pki,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = pki();
        std::fs::write(dir.path().join("root.pem"), pem(&p.root)).unwrap();
        std::fs::write(dir.path().join("ca.pem"), pem(&p.ca)).unwrap();
        std::fs::write(dir.path().join("person.pem"), pem(&p.person)).unwrap();
        std::fs::write(
            dir.path().join("person.key"),
            p.person_key.to_pkcs8_pem().unwrap(),
        )
        .unwrap();
        Files { dir, p }
    }
    fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }
    fn trust(&self) -> TrustStore {
        TrustStore {
            anchors: vec![self.p.root.clone()],
            ..TrustStore::default()
        }
    }
    fn signed_twice(&self) -> PathBuf {
        let now = now();
        let p = &self.p;
        let once = sign_pdf(
            &sample_pdf(),
            &PdfSigner {
                key: &p.person_key,
                certificate: &p.person,
                chain: std::slice::from_ref(&p.ca),
                reason: "Phê duyệt".into(),
                location: "Cần Thơ".into(),
                rect: Some([300.0, 100.0, 500.0, 160.0]),
                page: 0,
            },
            now,
            None,
        )
        .unwrap();
        let twice = sign_pdf(
            &once,
            &PdfSigner {
                key: &p.seal_key,
                certificate: &p.seal,
                chain: std::slice::from_ref(&p.ca),
                reason: "Đóng dấu".into(),
                location: "Cần Thơ".into(),
                rect: None,
                page: 0,
            },
            now,
            None,
        )
        .unwrap();
        let out = self.path("signed.pdf");
        std::fs::write(&out, twice).unwrap();
        out
    }
}

fn nss_db(dir: &Path, root: &Path) -> Option<String> {
    let certutil = tool("certutil")?;
    let db = format!("sql:{}", dir.display());
    assert!(run(Command::new(&certutil).args(["-N", "-d", &db, "--empty-password"])).0);
    assert!(
        run(Command::new(&certutil)
            .args(["-A", "-d", &db, "-n", "root", "-t", "CT,C,C", "-i"])
            .arg(root))
        .0
    );
    Some(db)
}

#[test]
fn pdfsig_reports_both_signatures_valid_and_trusted() {
    let f = Files::new();
    let signed = f.signed_twice();
    let Some(pdfsig) = tool("pdfsig") else { return };
    let nss = f.path("nss");
    std::fs::create_dir(&nss).unwrap();
    let Some(db) = nss_db(&nss, &f.path("root.pem")) else {
        return;
    };
    let (_, out) = run(Command::new(pdfsig).args(["-nssdir", &db]).arg(&signed));
    assert_eq!(
        out.matches("Signature Validation: Signature is Valid.")
            .count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.matches("Certificate Validation: Certificate is Trusted.")
            .count(),
        2,
        "{out}"
    );
    assert!(
        out.contains("Signer Certificate Common Name: Nguyễn Thị Lãnh Đạo"),
        "{out}"
    );
}

#[test]
fn pyhanko_judges_both_signatures_valid_with_only_signing_changes_between_them() {
    let f = Files::new();
    let signed = f.signed_twice();
    let Some(pyhanko) = tool("pyhanko") else {
        return;
    };
    let (ok, out) = run(Command::new(pyhanko)
        .args([
            "sign",
            "validate",
            "--pretty-print",
            "--no-revocation-check",
            "--trust",
        ])
        .arg(f.path("root.pem"))
        .arg(&signed));
    assert!(ok, "{out}");
    assert_eq!(
        out.matches("The signature is judged VALID.").count(),
        2,
        "{out}"
    );
    assert!(
        out.contains("All modifications relate to signing and form filling operations"),
        "{out}"
    );
}

#[test]
fn openssl_accepts_our_detached_cms() {
    let f = Files::new();
    let data = f.path("data.bin");
    std::fs::write(&data, vec![42u8; 1 << 20]).unwrap();
    let sig = sign_detached(
        &f.p.person_key,
        &f.p.person,
        std::slice::from_ref(&f.p.ca),
        &std::fs::read(&data).unwrap(),
        now(),
    )
    .unwrap();
    std::fs::write(f.path("data.p7s"), sig).unwrap();
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let (ok, out) = run(Command::new(&openssl)
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(f.path("data.p7s"))
        .arg("-content")
        .arg(&data)
        .arg("-CAfile")
        .arg(f.path("root.pem"))
        .args(["-out", "/dev/null"]));
    assert!(ok && out.contains("Verification successful"), "{out}");
    std::fs::write(&data, vec![43u8; 1 << 20]).unwrap();
    let (ok, out) = run(Command::new(&openssl)
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any", "-in",
        ])
        .arg(f.path("data.p7s"))
        .arg("-content")
        .arg(&data)
        .arg("-CAfile")
        .arg(f.path("root.pem"))
        .args(["-out", "/dev/null"]));
    assert!(!ok, "openssl accepted a changed file: {out}");
}

#[test]
fn our_verifier_accepts_openssl_cms_and_rejects_a_tampered_file() {
    let f = Files::new();
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let data = f.path("data.bin");
    std::fs::write(&data, b"Noi dung van ban can ky\n".repeat(1000)).unwrap();
    let (ok, out) = run(Command::new(&openssl)
        .args(["cms", "-sign", "-binary", "-outform", "DER", "-in"])
        .arg(&data)
        .arg("-signer")
        .arg(f.path("person.pem"))
        .arg("-inkey")
        .arg(f.path("person.key"))
        .arg("-certfile")
        .arg(f.path("ca.pem"))
        .arg("-out")
        .arg(f.path("o.p7s")));
    assert!(ok, "{out}");
    let sig = std::fs::read(f.path("o.p7s")).unwrap();
    let bytes = std::fs::read(&data).unwrap();
    let r = verify_detached(Some(&bytes), &sig, &f.trust(), now()).unwrap();
    assert!(r.valid, "{r:#?}");
    assert_eq!(r.signatures[0].signer, "Nguyễn Thị Lãnh Đạo");
    let mut changed = bytes.clone();
    changed[10] ^= 1;
    let r = verify_detached(Some(&changed), &sig, &f.trust(), now()).unwrap();
    assert_eq!(r.signatures[0].status, Status::Modified);
    // PEM output is accepted as well.
    let (ok, _) = run(Command::new(&openssl)
        .args(["cms", "-sign", "-binary", "-outform", "PEM", "-in"])
        .arg(&data)
        .arg("-signer")
        .arg(f.path("person.pem"))
        .arg("-inkey")
        .arg(f.path("person.key"))
        .arg("-out")
        .arg(f.path("o.pem")));
    assert!(ok);
    let r = verify_detached(
        Some(&bytes),
        &std::fs::read(f.path("o.pem")).unwrap(),
        &f.trust(),
        now(),
    )
    .unwrap();
    assert!(r.signatures[0].integrity, "{r:#?}");
}

#[test]
fn our_verifier_accepts_a_pyhanko_signature_and_rejects_a_tampered_copy() {
    let f = Files::new();
    let Some(pyhanko) = tool("pyhanko") else {
        return;
    };
    std::fs::write(f.path("in.pdf"), sample_pdf()).unwrap();
    let (ok, out) = run(Command::new(pyhanko)
        .args([
            "sign",
            "addsig",
            "--field",
            "ChuKy1",
            "pemder",
            "--no-pass",
            "--key",
        ])
        .arg(f.path("person.key"))
        .arg("--cert")
        .arg(f.path("person.pem"))
        .arg("--chain")
        .arg(f.path("ca.pem"))
        .arg(f.path("in.pdf"))
        .arg(f.path("out.pdf")));
    assert!(ok, "{out}");
    let signed = std::fs::read(f.path("out.pdf")).unwrap();
    let r = verify_pdf(&signed, &f.trust(), now()).unwrap();
    assert!(r.valid, "{r:#?}");
    assert_eq!(r.signatures[0].field.as_deref(), Some("ChuKy1"));
    // Change one byte inside the first signed range.
    let mut tampered = signed.clone();
    let at = tampered.windows(6).position(|w| w == b"/Type ").unwrap();
    tampered[at + 1] = b't';
    let r = verify_pdf(&tampered, &f.trust(), now()).unwrap();
    assert!(!r.valid);
    assert_eq!(r.signatures[0].status, Status::Modified);
    // Sign the pyHanko-signed file again with ours: both valid.
    let p = &f.p;
    let again = sign_pdf(
        &signed,
        &PdfSigner {
            key: &p.seal_key,
            certificate: &p.seal,
            chain: std::slice::from_ref(&p.ca),
            reason: "Đóng dấu".into(),
            location: "Cần Thơ".into(),
            rect: None,
            page: 0,
        },
        now(),
        None,
    )
    .unwrap();
    let r = verify_pdf(&again, &f.trust(), now()).unwrap();
    assert!(r.valid && r.signatures.len() == 2, "{r:#?}");
}

#[test]
fn openssl_accepts_our_crls_and_sees_the_revoked_serial() {
    use der::Encode as _;
    use lienthong_sign::ca::{Revoked, crl};
    let f = Files::new();
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let serial = f.p.person.tbs_certificate.serial_number.as_bytes().to_vec();
    let ca_crl = crl(
        &f.p.ca,
        &f.p.ca_key,
        &[Revoked {
            serial: serial.clone(),
            at: now() - DAY,
        }],
        7,
        now() - DAY,
        now() + DAY,
    )
    .unwrap();
    let root_crl = crl(&f.p.root, &f.p.root_key, &[], 1, now() - DAY, now() + DAY).unwrap();
    std::fs::write(f.path("ca.crl"), ca_crl.to_der().unwrap()).unwrap();
    std::fs::write(f.path("root.crl"), root_crl.to_der().unwrap()).unwrap();
    let (ok, out) = run(Command::new(&openssl)
        .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
        .arg(f.path("ca.crl"))
        .arg("-CAfile")
        .arg(f.path("ca.pem")));
    assert!(ok && out.contains("verify OK"), "{out}");
    assert!(
        out.to_uppercase().contains(&hex::encode_upper(&serial)),
        "{out}"
    );
    let (ok, out) = run(Command::new(&openssl)
        .args(["crl", "-inform", "DER", "-noout", "-in"])
        .arg(f.path("root.crl"))
        .arg("-CAfile")
        .arg(f.path("root.pem")));
    assert!(ok && out.contains("verify OK"), "{out}");
}

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// Writes the SoftHSM configuration `SOFTHSM2_CONF` names (set by .cargo/config.toml).
fn softhsm() -> Option<()> {
    if !std::path::Path::new(MODULE).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "SoftHSM2 is required in CI"
        );
        eprintln!("skipped: SoftHSM2 is not installed");
        return None;
    }
    let conf = std::path::PathBuf::from(
        std::env::var("SOFTHSM2_CONF").expect("SOFTHSM2_CONF is set by .cargo/config.toml"),
    );
    let tokens = conf.with_file_name("softhsm-tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let tmp = conf.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(
        &tmp,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    std::fs::rename(&tmp, &conf).unwrap();
    Some(())
}

#[test]
fn a_seal_key_on_softhsm_signs_a_pdf_that_verifies() {
    let Some(()) = softhsm() else { return };
    let label = format!(
        "lt-{}",
        hex::encode(ca::random_serial().unwrap().as_bytes())
            .get(..12)
            .unwrap()
    );
    Token::initialize_token(MODULE, &label, "so-1234", "user-1234").unwrap();
    // A wrong PIN is a clear error.
    let wrong = Token::open(MODULE, &label, "0000").unwrap_err();
    assert!(wrong.to_string().contains("login"), "{wrong}");
    let token = Token::open(MODULE, &label, "user-1234").unwrap();
    let key = token.ec_key("seal-000.00.04.H13").unwrap();
    // The same label finds the same key.
    assert_eq!(
        token
            .ec_key("seal-000.00.04.H13")
            .unwrap()
            .public_key()
            .unwrap(),
        key.public_key().unwrap()
    );
    let p = pki();
    let s = subject("Sở Tư pháp (khóa trên HSM)");
    let cert = ca::issue(
        &CertSpec {
            profile: Profile::Seal,
            subject: &s,
            public_key: key.public_key().unwrap(),
            not_before: now() - DAY,
            not_after: now() + 365 * DAY,
            crl_url: None,
        },
        Some(&p.ca),
        &p.ca_key,
    )
    .unwrap();
    let signed = sign_pdf(
        &sample_pdf(),
        &PdfSigner {
            key: &key,
            certificate: &cert,
            chain: std::slice::from_ref(&p.ca),
            reason: "Đóng dấu".into(),
            location: "Cần Thơ".into(),
            rect: None,
            page: 0,
        },
        now(),
        None,
    )
    .unwrap();
    let trust = TrustStore {
        anchors: vec![p.root.clone()],
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &trust, now()).unwrap();
    assert!(r.valid, "{r:#?}");
    assert_eq!(r.signatures[0].signer, "Sở Tư pháp (khóa trên HSM)");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hsm.pdf");
    std::fs::write(&path, &signed).unwrap();
    if let Ok(out) = std::process::Command::new("pdfsig").arg(&path).output() {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Signature is Valid."), "{text}");
    }
}

#[test]
fn pyhanko_and_openssl_accept_our_timestamps() {
    use sha2::Digest as _;
    let f = Files::new();
    let tsa = TestTsa::new(&f.p);
    let stamp = |sig: &[u8]| tsa.stamp(sig);
    let p = &f.p;
    let signed = sign_pdf(
        &sample_pdf(),
        &PdfSigner {
            key: &p.person_key,
            certificate: &p.person,
            chain: std::slice::from_ref(&p.ca),
            reason: "B-T".into(),
            location: "Cần Thơ".into(),
            rect: None,
            page: 0,
        },
        now(),
        Some(&stamp),
    )
    .unwrap();
    std::fs::write(f.path("bt.pdf"), &signed).unwrap();
    if let Some(pyhanko) = tool("pyhanko") {
        let (ok, out) = run(Command::new(pyhanko)
            .args([
                "sign",
                "validate",
                "--pretty-print",
                "--no-revocation-check",
                "--trust",
            ])
            .arg(f.path("root.pem"))
            .arg(f.path("bt.pdf")));
        assert!(
            ok && out.contains("The signature is judged VALID."),
            "{out}"
        );
        assert!(out.to_lowercase().contains("timestamp"), "{out}");
    }
    // The authority's reply, checked by `openssl ts -verify` against its request.
    let Some(openssl) = tool("openssl") else {
        return;
    };
    let digest: [u8; 32] = sha2::Sha256::digest(b"any signature").into();
    let req = lienthong_sign::tsa::request(&digest, 99).unwrap();
    let authority = lienthong_sign::tsa::Authority {
        key: &tsa.key,
        certificate: &tsa.cert,
        chain: std::slice::from_ref(&tsa.ca),
    };
    std::fs::write(f.path("q.tsq"), &req).unwrap();
    std::fs::write(f.path("r.tsr"), authority.respond(&req, 11, now())).unwrap();
    let (ok, out) = run(Command::new(&openssl)
        .args(["ts", "-verify", "-queryfile"])
        .arg(f.path("q.tsq"))
        .arg("-in")
        .arg(f.path("r.tsr"))
        .arg("-CAfile")
        .arg(f.path("root.pem"))
        .arg("-untrusted")
        .arg(f.path("ca.pem")));
    assert!(ok && out.contains("Verification: OK"), "{out}");
}
