//! Hostile input for the PDF reader: nothing panics, loops or runs away.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use proptest::prelude::*;

use super::{file::PdfFile, object::Parser, signatures};

fn minimal() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let o1 = out.len();
    out.extend_from_slice(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    let o2 = out.len();
    out.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    let o3 = out.len();
    out.extend_from_slice(
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n",
    );
    let x = out.len();
    out.extend_from_slice(
        format!("xref\n0 4\n0000000000 65535 f \n{o1:010} 00000 n \n{o2:010} 00000 n \n{o3:010} 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{x}\n%%EOF\n")
            .as_bytes(),
    );
    out
}

#[test]
fn a_minimal_pdf_has_no_signatures_and_can_be_prepared() {
    let pdf = minimal();
    assert!(signatures(&pdf).unwrap().is_empty());
    let spec = super::update::FieldSpec {
        name: "Nguyễn Văn A".into(),
        reason: "Thử".into(),
        location: "Cần Thơ".into(),
        pdf_date: "D:20261130120000+07'00'".into(),
        contents_size: 64,
        rect: None,
        page: 0,
    };
    let p = super::update::prepare(&pdf, &spec).unwrap();
    let signed = p.embed(&[0x30, 0x03, 0x02, 0x01, 0x00]).unwrap();
    let sigs = signatures(&signed).unwrap();
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].field, "Signature1");
    assert_eq!(sigs[0].cms, vec![0x30, 0x03, 0x02, 0x01, 0x00]);
}

#[test]
fn deep_nesting_is_refused_not_overflowing_the_stack() {
    let mut s = vec![b'['; 100_000];
    s.extend(vec![b']'; 100_000]);
    assert!(Parser::new(&s, 0).object().is_err());
    let mut d = b"<<".repeat(50_000);
    d.extend(b">>".repeat(50_000));
    assert!(Parser::new(&d, 0).object().is_err());
}

#[test]
fn a_cross_reference_loop_is_an_error() {
    let mut pdf = minimal();
    let x = super::file::find_last(&pdf, b"xref\n0 4").unwrap();
    let tail = format!(
        "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 4 /Root 1 0 R /Prev {x} >>\nstartxref\n{x}\n%%EOF\n"
    );
    // Point the original trailer's /Prev at the new section, and the new one at the original.
    let new_at = pdf.len();
    pdf.extend_from_slice(
        tail.replace(&format!("startxref\n{x}"), &format!("startxref\n{new_at}"))
            .as_bytes(),
    );
    let pos = super::file::find_last(&pdf[..new_at], b"/Root 1 0 R >>").unwrap();
    let patched = format!("/Root 1 0 R /Prev {new_at}>>");
    let mut out = pdf[..pos].to_vec();
    out.extend_from_slice(patched.as_bytes());
    out.extend_from_slice(&pdf[pos + b"/Root 1 0 R >>".len()..]);
    // Offsets moved, so parsing either fails cleanly or detects the loop: never hangs.
    let _ = PdfFile::parse(&out);
}

#[test]
fn a_self_referencing_object_stream_length_is_bounded() {
    let mut out = b"%PDF-1.7\n".to_vec();
    let o5 = u32::try_from(out.len()).unwrap();
    out.extend_from_slice(
        b"5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length 6 0 R >>\nstream\n1 0 <<>>\nendstream\nendobj\n",
    );
    let x = out.len();
    let mut rows = Vec::new();
    for (t, a) in [(2u8, 5u32), (1, o5), (2, 5)] {
        rows.push(t);
        rows.extend_from_slice(&a.to_be_bytes());
        rows.extend_from_slice(&0u16.to_be_bytes());
    }
    out.extend_from_slice(
        format!(
            "7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Index [1 1 5 2] /Root 1 0 R /Length {} >>\nstream\n",
            rows.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&rows);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    out.extend_from_slice(format!("startxref\n{x}\n%%EOF\n").as_bytes());
    let f = PdfFile::parse(&out).unwrap();
    let e = f.resolve_num(1, 0).unwrap_err();
    assert!(e.to_string().contains("too deep"), "{e}");
    assert!(signatures(&out).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = signatures(&bytes);
        let _ = Parser::new(&bytes, 0).object();
    }

    #[test]
    fn mutated_pdfs_never_panic(pos in 0usize..400, val in any::<u8>(), cut in 0usize..400) {
        let mut pdf = minimal();
        let n = pdf.len();
        pdf[pos % n] = val;
        pdf.truncate(n - cut.min(n));
        let _ = signatures(&pdf);
    }
}
