//! An incremental update that adds one signature field to a PDF, with a placeholder for the
//! CMS: the original bytes are never touched, so earlier signatures stay valid.

use super::file::PdfFile;
use super::object::{Dict, Obj, write, write_dict};
use crate::SignError;

/// Width of each `/ByteRange` number in the placeholder.
const RANGE_WIDTH: usize = 10;

/// What the new signature field says and where it sits.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// Signer's name (`/Name`).
    pub name: String,
    /// Reason (`/Reason`).
    pub reason: String,
    /// Place (`/Location`).
    pub location: String,
    /// Claimed signing time as a PDF date (`D:20261130120000+07'00'`).
    pub pdf_date: String,
    /// Bytes reserved for the CMS.
    pub contents_size: usize,
    /// Widget rectangle (`None`: an invisible signature).
    pub rect: Option<[f64; 4]>,
    /// Page (0-based) the widget sits on.
    pub page: usize,
}

/// A PDF with an empty signature, ready for its CMS.
#[derive(Debug, Clone)]
pub struct Prepared {
    bytes: Vec<u8>,
    /// Offsets of the placeholder's `<` and one past its `>`.
    hole: (usize, usize),
}

/// Encodes a text string: PDFDocEncoding-compatible ASCII as is, anything else as UTF-16BE.
pub fn text_string(s: &str) -> Obj {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Obj::Str(s.as_bytes().to_vec());
    }
    let mut out = vec![0xfe, 0xff];
    for u in s.encode_utf16() {
        out.extend_from_slice(&u.to_be_bytes());
    }
    Obj::Str(out)
}

fn name(n: &str) -> Obj {
    Obj::Name(n.as_bytes().to_vec())
}

/// The `index`-th page (0-based; the last page if there are fewer): its object number and
/// dictionary, walking `/Pages` depth first (bounded).
fn page_at(f: &PdfFile<'_>, root: &Dict, index: usize) -> Result<(u32, Dict), SignError> {
    let mut stack: Vec<(Obj, usize)> = root
        .get(b"Pages")
        .cloned()
        .map(|o| (o, 0))
        .into_iter()
        .collect();
    let mut seen = 0usize;
    let mut last = None;
    let mut visited = 0usize;
    while let Some((node, depth)) = stack.pop() {
        visited += 1;
        if visited > 100_000 || depth > 64 {
            break;
        }
        let Obj::Ref(n, _) = node else { continue };
        let d = f.dict(&Obj::Ref(n, 0))?;
        match (d.name(b"Type"), d.get(b"Kids")) {
            (Some(b"Pages"), Some(kids)) | (None, Some(kids)) => {
                if let Obj::Array(kids) = f.resolve(kids)? {
                    stack.extend(kids.into_iter().rev().map(|k| (k, depth + 1)));
                }
            }
            _ => {
                if seen == index {
                    return Ok((n, d));
                }
                seen += 1;
                last = Some((n, d));
            }
        }
    }
    last.ok_or_else(|| SignError::MalformedPdf("no page".into()))
}

/// Names (`/T`) of the form's fields, descending into `/Kids` (bounded).
pub fn field_names(f: &PdfFile<'_>, fields: &[Obj]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack: Vec<(Obj, usize)> = fields.iter().map(|o| (o.clone(), 0)).collect();
    let mut visited = 0;
    while let Some((o, depth)) = stack.pop() {
        visited += 1;
        if visited > 10_000 || depth > 32 {
            break;
        }
        let Ok(d) = f.dict(&o) else { continue };
        if let Some(Obj::Str(t)) = d.get(b"T") {
            out.push(t.clone());
        }
        if let Ok(Obj::Array(kids)) = f.resolve(d.get(b"Kids").unwrap_or(&Obj::Null)) {
            stack.extend(kids.into_iter().map(|k| (k, depth + 1)));
        }
    }
    out
}

/// Appends a signature field and an empty signature to `original`.
pub fn prepare(original: &[u8], spec: &FieldSpec) -> Result<Prepared, SignError> {
    let f = PdfFile::parse(original)?;
    let Some(Obj::Ref(root_num, root_gen)) = f.trailer.get(b"Root").cloned() else {
        return Err(SignError::MalformedPdf("trailer has no /Root".into()));
    };
    let mut root = f.dict(&Obj::Ref(root_num, root_gen))?;
    let (page_num, mut page) = page_at(&f, &root, spec.page)?;
    let mut changed: Vec<(u32, Obj)> = Vec::new();

    // The form: an indirect /AcroForm is updated in place, a direct one in the catalog.
    let (form_ref, mut form) = match root.get(b"AcroForm") {
        Some(Obj::Ref(n, _)) => (Some(*n), f.dict(&Obj::Ref(*n, 0))?),
        Some(Obj::Dict(d)) => (None, d.clone()),
        _ => (None, Dict::default()),
    };
    let (fields_ref, mut fields) = match form.get(b"Fields") {
        Some(Obj::Ref(n, _)) => match f.resolve_num(*n, 0)? {
            Obj::Array(a) => (Some(*n), a),
            _ => (None, Vec::new()),
        },
        Some(Obj::Array(a)) => (None, a.clone()),
        _ => (None, Vec::new()),
    };
    let taken = field_names(&f, &fields);
    let field_name = (1..)
        .map(|i| format!("Signature{i}"))
        .find(|n| !taken.iter().any(|t| t == n.as_bytes()))
        .unwrap_or_else(|| "Signature".into());

    let next = f.size();
    let (sig_num, widget_num, ap_num) = (next, next + 1, next + 2);
    fields.push(Obj::Ref(widget_num, 0));
    match fields_ref {
        Some(n) => changed.push((n, Obj::Array(fields))),
        None => form.set(b"Fields", Obj::Array(fields)),
    }
    form.set(b"SigFlags", Obj::Int(3));
    match form_ref {
        Some(n) => changed.push((n, Obj::Dict(form))),
        None => root.set(b"AcroForm", Obj::Dict(form)),
    }
    changed.push((root_num, Obj::Dict(root)));

    let annots = match page.get(b"Annots") {
        Some(Obj::Ref(n, _)) => match f.resolve_num(*n, 0)? {
            Obj::Array(mut a) => {
                a.push(Obj::Ref(widget_num, 0));
                changed.push((*n, Obj::Array(a)));
                None
            }
            _ => Some(vec![Obj::Ref(widget_num, 0)]),
        },
        Some(Obj::Array(a)) => {
            let mut a = a.clone();
            a.push(Obj::Ref(widget_num, 0));
            Some(a)
        }
        _ => Some(vec![Obj::Ref(widget_num, 0)]),
    };
    if let Some(a) = annots {
        page.set(b"Annots", Obj::Array(a));
        changed.push((page_num, Obj::Dict(page)));
    }

    let rect = spec.rect.unwrap_or([0.0; 4]);
    let widget = Dict(vec![
        (b"Type".to_vec(), name("Annot")),
        (b"Subtype".to_vec(), name("Widget")),
        (b"FT".to_vec(), name("Sig")),
        (b"T".to_vec(), Obj::Str(field_name.into_bytes())),
        (b"V".to_vec(), Obj::Ref(sig_num, 0)),
        (b"F".to_vec(), Obj::Int(132)),
        (b"P".to_vec(), Obj::Ref(page_num, 0)),
        (
            b"Rect".to_vec(),
            Obj::Array(rect.iter().map(|v| Obj::Real(*v)).collect()),
        ),
        (
            b"AP".to_vec(),
            Obj::Dict(Dict(vec![(b"N".to_vec(), Obj::Ref(ap_num, 0))])),
        ),
    ]);
    changed.push((widget_num, Obj::Dict(widget)));

    let mut out = original.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u32, usize)> = Vec::new();
    for (num, obj) in &changed {
        offsets.push((*num, out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        write(obj, &mut out);
        out.extend_from_slice(b"\nendobj\n");
    }
    // Empty appearance: the visible block is drawn in the page itself.
    offsets.push((ap_num, out.len()));
    let (w, h) = ((rect[2] - rect[0]).abs(), (rect[3] - rect[1]).abs());
    out.extend_from_slice(
        format!(
            "{ap_num} 0 obj\n<</Type /XObject /Subtype /Form /BBox [0 0 {w:.2} {h:.2}] /Length 0>>\nstream\n\nendstream\nendobj\n"
        )
        .as_bytes(),
    );

    // The signature dictionary, with fixed-width placeholders.
    offsets.push((sig_num, out.len()));
    out.extend_from_slice(format!("{sig_num} 0 obj\n<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ").as_bytes());
    let range_at = out.len();
    let zeros = "0".repeat(RANGE_WIDTH);
    out.extend_from_slice(format!("[0 {zeros} {zeros} {zeros}]").as_bytes());
    out.extend_from_slice(b" /Contents ");
    let hole_start = out.len();
    out.push(b'<');
    out.resize(out.len() + spec.contents_size * 2, b'0');
    out.push(b'>');
    let hole_end = out.len();
    let mut rest = Dict::default();
    rest.set(b"M", Obj::Str(spec.pdf_date.as_bytes().to_vec()));
    rest.set(b"Name", text_string(&spec.name));
    rest.set(b"Reason", text_string(&spec.reason));
    rest.set(b"Location", text_string(&spec.location));
    out.push(b' ');
    for (k, v) in &rest.0 {
        write(&Obj::Name(k.clone()), &mut out);
        out.push(b' ');
        write(v, &mut out);
        out.push(b' ');
    }
    out.extend_from_slice(b">>\nendobj\n");

    write_xref(&f, &mut out, &mut offsets, next + 3)?;

    // Fill in the byte ranges now that the length is known.
    let ranges = [0, hole_start, hole_end, out.len() - hole_end];
    let text = format!(
        "[{} {:<w$} {:<w$} {:<w$}]",
        ranges[0],
        ranges[1],
        ranges[2],
        ranges[3],
        w = RANGE_WIDTH
    );
    let placeholder_len = 3 * RANGE_WIDTH + 6;
    if text.len() != placeholder_len {
        return Err(SignError::Unsupported("file larger than 9.9 GB".into()));
    }
    out.get_mut(range_at..range_at + placeholder_len)
        .ok_or_else(|| SignError::MalformedPdf("placeholder".into()))?
        .copy_from_slice(text.as_bytes());
    Ok(Prepared {
        bytes: out,
        hole: (hole_start, hole_end),
    })
}

/// Appends the cross-reference section of the update, in the kind the file already uses.
fn write_xref(
    f: &PdfFile<'_>,
    out: &mut Vec<u8>,
    offsets: &mut Vec<(u32, usize)>,
    size: u32,
) -> Result<(), SignError> {
    let mut trailer = Dict::default();
    for key in [&b"Root"[..], b"Info"] {
        if let Some(v) = f.trailer.get(key) {
            trailer.set(key, v.clone());
        }
    }
    if let Some(Obj::Array(id)) = f.trailer.get(b"ID")
        && let Some(first) = id.first()
    {
        let fresh = sha2_of(out);
        trailer.set(b"ID", Obj::Array(vec![first.clone(), Obj::Str(fresh)]));
    }
    trailer.set(b"Prev", Obj::Int(i64::try_from(f.startxref).unwrap_or(0)));
    let xref_at = out.len();
    if f.xref_is_stream {
        let self_num = size;
        offsets.push((self_num, xref_at));
        offsets.sort_by_key(|(n, _)| *n);
        let mut data = Vec::new();
        let mut index = Vec::new();
        for (n, off) in offsets.iter() {
            index.push(Obj::Int(i64::from(*n)));
            index.push(Obj::Int(1));
            data.push(1u8);
            data.extend_from_slice(
                &u32::try_from(*off)
                    .map_err(|_| SignError::Unsupported("file larger than 4 GB".into()))?
                    .to_be_bytes(),
            );
            data.extend_from_slice(&[0, 0]);
        }
        trailer.set(b"Type", name("XRef"));
        trailer.set(b"Size", Obj::Int(i64::from(self_num + 1)));
        trailer.set(
            b"W",
            Obj::Array(vec![Obj::Int(1), Obj::Int(4), Obj::Int(2)]),
        );
        trailer.set(b"Index", Obj::Array(index));
        trailer.set(b"Length", Obj::Int(i64::try_from(data.len()).unwrap_or(0)));
        out.extend_from_slice(format!("{self_num} 0 obj\n").as_bytes());
        write_dict(&trailer, out);
        out.extend_from_slice(b"\nstream\n");
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\nendstream\nendobj\n");
    } else {
        offsets.sort_by_key(|(n, _)| *n);
        out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n");
        for (n, off) in offsets.iter() {
            out.extend_from_slice(format!("{n} 1\n{off:010} 00000 n \n").as_bytes());
        }
        trailer.set(b"Size", Obj::Int(i64::from(size)));
        out.extend_from_slice(b"trailer\n");
        write_dict(&trailer, out);
        out.push(b'\n');
    }
    out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    Ok(())
}

fn sha2_of(b: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(b)
        .get(..16)
        .unwrap_or_default()
        .to_vec()
}

impl Prepared {
    /// The two signed byte ranges (everything except the placeholder).
    pub fn signed_parts(&self) -> [&[u8]; 2] {
        [
            self.bytes.get(..self.hole.0).unwrap_or_default(),
            self.bytes.get(self.hole.1..).unwrap_or_default(),
        ]
    }

    /// Writes the CMS into the placeholder and returns the signed PDF.
    pub fn embed(mut self, cms: &[u8]) -> Result<Vec<u8>, SignError> {
        let room = (self.hole.1 - self.hole.0 - 2) / 2;
        if cms.len() > room {
            return Err(SignError::Unsupported(format!(
                "signature of {} bytes exceeds the {room} reserved",
                cms.len()
            )));
        }
        let hex = hex::encode(cms);
        self.bytes
            .get_mut(self.hole.0 + 1..self.hole.0 + 1 + hex.len())
            .ok_or_else(|| SignError::MalformedPdf("placeholder".into()))?
            .copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}
