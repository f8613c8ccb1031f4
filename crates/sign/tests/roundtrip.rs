//! Signing and verifying with our own code: PDFs with two signatures, detached CMS, tampering.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use lienthong_sign::{
    cms_build::sign_detached,
    pades::{PdfSigner, sign_pdf},
    trust::TrustStore,
    verify::{Status, verify_detached, verify_pdf},
};

fn two_signatures(p: &Pki) -> Vec<u8> {
    let now = now();
    let pdf = sample_pdf();
    let once = sign_pdf(
        &pdf,
        &PdfSigner {
            key: &p.person_key,
            certificate: &p.person,
            chain: std::slice::from_ref(&p.ca),
            reason: "Phê duyệt kết quả".into(),
            location: "Cần Thơ".into(),
            rect: Some([300.0, 100.0, 500.0, 160.0]),
            page: 0,
        },
        now,
        None,
    )
    .unwrap();
    sign_pdf(
        &once,
        &PdfSigner {
            key: &p.seal_key,
            certificate: &p.seal,
            chain: std::slice::from_ref(&p.ca),
            reason: "Đóng dấu cơ quan".into(),
            location: "Cần Thơ".into(),
            rect: Some([250.0, 90.0, 330.0, 170.0]),
            page: 0,
        },
        now,
        None,
    )
    .unwrap()
}

#[test]
fn a_pdf_signed_by_the_leader_then_sealed_verifies_with_both_signatures_valid() {
    let p = pki();
    let signed = two_signatures(&p);
    if let Ok(dir) = std::env::var("LIENTHONG_SIGN_OUT") {
        std::fs::write(format!("{dir}/two.pdf"), &signed).unwrap();
        std::fs::write(format!("{dir}/root.pem"), pem(&p.root)).unwrap();
    }
    let trust = TrustStore {
        anchors: vec![p.root.clone()],
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &trust, now()).unwrap();
    assert_eq!(r.signatures.len(), 2, "{r:#?}");
    assert!(r.valid, "{r:#?}");
    assert_eq!(r.signatures[0].signer, "Nguyễn Thị Lãnh Đạo");
    assert_eq!(r.signatures[1].signer, "Sở Tư pháp thành phố Cần Thơ");
    assert_eq!(r.signatures[0].revision, Some(2));
    assert_eq!(r.signatures[1].revision, Some(3));
    assert!(!r.signatures[0].covers_whole_document);
    assert!(r.signatures[1].covers_whole_document);
    assert_eq!(r.signatures[0].certificate_chain.len(), 3);
}

#[test]
fn an_unknown_root_is_untrusted() {
    let p = pki();
    let other = pki();
    let signed = two_signatures(&p);
    let trust = TrustStore {
        anchors: vec![other.root.clone()],
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &trust, now()).unwrap();
    assert!(!r.valid);
    assert!(
        r.signatures
            .iter()
            .all(|s| s.status == Status::Untrusted && s.integrity && !s.trusted)
    );
}

#[test]
fn a_byte_changed_in_the_signed_range_makes_it_modified() {
    let p = pki();
    let mut signed = two_signatures(&p);
    let at = signed
        .windows(7)
        .position(|w| w == b"/Title ")
        .unwrap_or(200);
    signed[at + 8] ^= 0x01;
    let trust = TrustStore {
        anchors: vec![p.root.clone()],
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &trust, now()).unwrap();
    assert!(!r.valid);
    assert!(
        r.signatures.iter().all(|s| s.status == Status::Modified),
        "{r:#?}"
    );
}

#[test]
fn a_revision_appended_after_signing_is_reported_with_its_number() {
    let p = pki();
    let mut signed = two_signatures(&p);
    signed.extend_from_slice(b"1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 0\ntrailer\n<< /Size 1 /Root 1 0 R >>\nstartxref\n0\n%%EOF\n");
    let trust = TrustStore {
        anchors: vec![p.root.clone()],
        ..TrustStore::default()
    };
    // The appended trailer is unusable, so reading the form may fail; either way it is not valid.
    match verify_pdf(&signed, &trust, now()) {
        Ok(r) => {
            assert!(!r.valid);
            assert!(
                r.signatures
                    .iter()
                    .any(|s| s.reason_en.contains("revision 4")),
                "{r:#?}"
            );
        }
        Err(e) => assert!(e.to_string().contains("PDF"), "{e}"),
    }
}

#[test]
fn detached_cms_verifies_and_a_changed_file_does_not() {
    let p = pki();
    let data = vec![7u8; 100_000];
    let sig = sign_detached(
        &p.seal_key,
        &p.seal,
        std::slice::from_ref(&p.ca),
        &data,
        now(),
    )
    .unwrap();
    let trust = TrustStore {
        anchors: vec![p.root.clone()],
        ..TrustStore::default()
    };
    let r = verify_detached(Some(&data), &sig, &trust, now()).unwrap();
    assert!(r.valid, "{r:#?}");
    assert_eq!(r.signatures[0].time_source, "signed-attribute");
    let mut changed = data.clone();
    changed[5] = 8;
    let r = verify_detached(Some(&changed), &sig, &trust, now()).unwrap();
    assert_eq!(r.signatures[0].status, Status::Modified);
}

#[test]
fn a_revoked_seal_certificate_is_reported_revoked_with_the_date() {
    use lienthong_sign::ca::{Revoked, crl};
    let p = pki();
    let signed = two_signatures(&p);
    let revoked_at = now() - DAY;
    let list = crl(
        &p.ca,
        &p.ca_key,
        &[Revoked {
            serial: p.seal.tbs_certificate.serial_number.as_bytes().to_vec(),
            at: revoked_at,
        }],
        1,
        now() - DAY,
        now() + 7 * DAY,
    )
    .unwrap();
    let root_crl = crl(&p.root, &p.root_key, &[], 1, now() - DAY, now() + 7 * DAY).unwrap();
    let trust = TrustStore {
        anchors: vec![p.root.clone()],
        crls: vec![list, root_crl.clone()],
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &trust, now()).unwrap();
    assert!(!r.valid);
    assert_eq!(r.signatures[0].status, Status::Valid, "{r:#?}");
    assert!(r.signatures[0].revocation_checked);
    assert_eq!(r.signatures[1].status, Status::Revoked);
    assert!(
        r.signatures[1].reason_vi.contains("thu hồi"),
        "{}",
        r.signatures[1].reason_vi
    );
    // A CRL not signed by the issuer is ignored.
    let forged = crl(&p.ca, &p.root_key, &[], 2, now(), now() + DAY).unwrap();
    let trust = TrustStore {
        anchors: vec![p.root.clone()],
        crls: vec![forged, root_crl],
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &trust, now()).unwrap();
    assert!(r.valid && !r.signatures[1].revocation_checked, "{r:#?}");
}

#[test]
fn a_certificate_expired_at_signing_time_is_reported_with_its_validity() {
    let p = pki();
    let old_key = lienthong_sign::keys::SoftwareKey::generate_ec();
    let old = issue(
        lienthong_sign::ca::Profile::Person,
        "Cán bộ cũ",
        &old_key,
        Some((&p.ca, &p.ca_key)),
        now() - 30 * DAY,
        now() - DAY,
    );
    let signed = sign_pdf(
        &sample_pdf(),
        &PdfSigner {
            key: &old_key,
            certificate: &old,
            chain: std::slice::from_ref(&p.ca),
            reason: "Phê duyệt".into(),
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
    assert_eq!(r.signatures[0].status, Status::Expired, "{r:#?}");
    assert!(
        r.signatures[0].reason_en.contains("Cán bộ cũ"),
        "{}",
        r.signatures[0].reason_en
    );
}

#[test]
fn a_timestamped_signature_takes_its_time_from_the_token() {
    let p = pki();
    let tsa = TestTsa::new(&p);
    let stamp = |sig: &[u8]| tsa.stamp(sig);
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
    let trust = TrustStore {
        anchors: vec![p.root.clone()],
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &trust, now()).unwrap();
    assert!(r.valid, "{r:#?}");
    assert_eq!(r.signatures[0].time_source, "timestamp");
    // A token over some other signature value is refused.
    let wrong = |_: &[u8]| tsa.stamp(b"another signature");
    let bad = sign_pdf(
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
        Some(&wrong),
    )
    .unwrap();
    let r = verify_pdf(&bad, &trust, now()).unwrap();
    assert!(!r.valid);
    assert!(r.signatures[0].reason_en.contains("timestamp"), "{r:#?}");
}

#[test]
fn the_authority_rejects_malformed_requests_and_the_client_a_foreign_token() {
    let p = pki();
    let tsa = TestTsa::new(&p);
    let authority = lienthong_sign::tsa::Authority {
        key: &tsa.key,
        certificate: &tsa.cert,
        chain: &[],
    };
    let resp = authority.respond(b"not a request", 1, now());
    let e = lienthong_sign::tsa::token_from_response(&resp, &[0; 32]).unwrap_err();
    assert!(e.to_string().contains("refused"), "{e}");
    let req = lienthong_sign::tsa::request(&[1; 32], 5).unwrap();
    let resp = authority.respond(&req, 2, now());
    let e = lienthong_sign::tsa::token_from_response(&resp, &[2; 32]).unwrap_err();
    assert!(e.to_string().contains("another digest"), "{e}");
}

#[test]
fn the_http_client_fetches_a_token_from_a_tsa_on_loopback() {
    use std::io::{Read, Write};
    let p = pki();
    let tsa = std::sync::Arc::new(TestTsa::new(&p));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = {
        let tsa = tsa.clone();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 8192];
            let mut got = Vec::new();
            loop {
                let n = s.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&got[..at]).to_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    if got.len() >= at + 4 + len {
                        let body = got[at + 4..at + 4 + len].to_vec();
                        let authority = lienthong_sign::tsa::Authority {
                            key: &tsa.key,
                            certificate: &tsa.cert,
                            chain: std::slice::from_ref(&tsa.ca),
                        };
                        let resp = authority.respond(&body, 9, now());
                        s.write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\n\r\n", resp.len()).as_bytes()).unwrap();
                        s.write_all(&resp).unwrap();
                        return;
                    }
                }
            }
        })
    };
    let token =
        lienthong_sign::tsa::fetch(&format!("http://{addr}/tsa"), b"signature value", 77).unwrap();
    server.join().unwrap();
    assert!(token.len() > 300);
    assert!(lienthong_sign::tsa::fetch("https://127.0.0.1:1/tsa", b"x", 1).is_err());
}

/// Serves `body` to every GET on loopback until the test ends; returns the base URL.
fn serve_file(body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_crl_named_by_the_certificate_is_fetched_when_none_is_known() {
    use der::Encode as _;
    use lienthong_sign::ca::{CertSpec, Revoked, crl};
    use lienthong_sign::keys::KeySigner as _;
    let p = pki();
    let key = lienthong_sign::keys::SoftwareKey::generate_ec();
    // The CRL's address is known before the certificate: reserve it with a placeholder body.
    let url_holder = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{addr}/ca.crl");
    let s = subject("Cán bộ có CRL");
    let cert = lienthong_sign::ca::issue(
        &CertSpec {
            profile: lienthong_sign::ca::Profile::Person,
            subject: &s,
            public_key: key.public_key().unwrap(),
            not_before: now() - DAY,
            not_after: now() + DAY,
            crl_url: Some(&url),
        },
        Some(&p.ca),
        &p.ca_key,
    )
    .unwrap();
    assert_eq!(lienthong_sign::trust::crl_urls(&cert), vec![url.clone()]);
    let revoked = crl(
        &p.ca,
        &p.ca_key,
        &[Revoked {
            serial: cert.tbs_certificate.serial_number.as_bytes().to_vec(),
            at: now() - DAY,
        }],
        3,
        now() - DAY,
        now() + DAY,
    )
    .unwrap();
    *url_holder.lock().unwrap() = revoked.to_der().unwrap();
    {
        let body = url_holder.clone();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            for stream in listener.incoming().flatten() {
                let mut st = stream;
                let mut buf = [0u8; 4096];
                let _ = st.read(&mut buf);
                let b = body.lock().unwrap().clone();
                let _ = st.write_all(
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", b.len()).as_bytes(),
                );
                let _ = st.write_all(&b);
            }
        });
    }
    let signed = sign_pdf(
        &sample_pdf(),
        &PdfSigner {
            key: &key,
            certificate: &cert,
            chain: std::slice::from_ref(&p.ca),
            reason: "CRL".into(),
            location: "Cần Thơ".into(),
            rect: None,
            page: 0,
        },
        now(),
        None,
    )
    .unwrap();
    let root_crl = crl(&p.root, &p.root_key, &[], 1, now() - DAY, now() + DAY).unwrap();
    let offline = TrustStore {
        anchors: vec![p.root.clone()],
        crls: vec![root_crl.clone()],
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &offline, now()).unwrap();
    assert!(r.valid && !r.signatures[0].revocation_checked, "{r:#?}");
    let online = TrustStore {
        anchors: vec![p.root.clone()],
        crls: vec![root_crl],
        fetch_crls: true,
        ..TrustStore::default()
    };
    let r = verify_pdf(&signed, &online, now()).unwrap();
    assert_eq!(r.signatures[0].status, Status::Revoked, "{r:#?}");
    // A distribution point that serves garbage leaves revocation unchecked, nothing worse.
    let bad_url = format!("{}/ca.crl", serve_file(b"not a CRL".to_vec()));
    let cert2 = lienthong_sign::ca::issue(
        &CertSpec {
            profile: lienthong_sign::ca::Profile::Person,
            subject: &s,
            public_key: key.public_key().unwrap(),
            not_before: now() - DAY,
            not_after: now() + DAY,
            crl_url: Some(&bad_url),
        },
        Some(&p.ca),
        &p.ca_key,
    )
    .unwrap();
    let signed2 = sign_pdf(
        &sample_pdf(),
        &PdfSigner {
            key: &key,
            certificate: &cert2,
            chain: std::slice::from_ref(&p.ca),
            reason: "CRL".into(),
            location: "Cần Thơ".into(),
            rect: None,
            page: 0,
        },
        now(),
        None,
    )
    .unwrap();
    let r = verify_pdf(&signed2, &online, now()).unwrap();
    assert!(r.valid && !r.signatures[0].revocation_checked, "{r:#?}");
}
