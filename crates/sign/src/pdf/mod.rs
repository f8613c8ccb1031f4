//! The PDF side of PAdES: reading a file's signatures and appending new ones.

pub mod file;
pub mod object;
pub mod update;

#[cfg(test)]
mod tests;

use file::PdfFile;
use object::Obj;

use crate::SignError;

/// A signature found in a PDF's form.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// The field's name.
    pub field: String,
    /// `/ByteRange` as four offsets/lengths.
    pub byte_range: [usize; 4],
    /// The CMS, without the placeholder's padding.
    pub cms: Vec<u8>,
    /// `/SubFilter`.
    pub sub_filter: String,
    /// `/M`, the claimed signing time, as written.
    pub claimed_time: Option<String>,
    /// `/Reason`.
    pub reason: Option<String>,
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding ≈ Latin-1).
pub fn decode_text(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = b.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    b.iter().map(|&c| char::from(c)).collect()
}

/// Length of the DER element at the start of `b` (to strip the zero padding after a CMS).
pub fn der_len(b: &[u8]) -> Option<usize> {
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let len = b
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
    (2 + n).checked_add(len)
}

/// Every signature of the newest revision's form, in field order.
pub fn signatures(bytes: &[u8]) -> Result<Vec<Embedded>, SignError> {
    let f = PdfFile::parse(bytes)?;
    let Some(root_ref) = f.trailer.get(b"Root").cloned() else {
        return Err(SignError::MalformedPdf("trailer has no /Root".into()));
    };
    let root = f.dict(&root_ref)?;
    let Some(form) = root.get(b"AcroForm") else {
        return Ok(Vec::new());
    };
    let form = f.dict(form)?;
    let fields = match f.resolve(form.get(b"Fields").unwrap_or(&Obj::Null))? {
        Obj::Array(a) => a,
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    let mut stack: Vec<(Obj, usize, bool)> =
        fields.into_iter().rev().map(|o| (o, 0, false)).collect();
    let mut visited = 0;
    while let Some((o, depth, parent_is_sig)) = stack.pop() {
        visited += 1;
        if visited > 10_000 || depth > 32 {
            return Err(SignError::MalformedPdf("form field tree too large".into()));
        }
        let Ok(d) = f.dict(&o) else { continue };
        let is_sig = d.name(b"FT").map_or(parent_is_sig, |t| t == b"Sig");
        if let Ok(Obj::Array(kids)) = f.resolve(d.get(b"Kids").unwrap_or(&Obj::Null)) {
            stack.extend(kids.into_iter().rev().map(|k| (k, depth + 1, is_sig)));
        }
        let Some(v) = d.get(b"V") else { continue };
        if !is_sig {
            continue;
        }
        let sig = f.dict(v)?;
        let field = match d.get(b"T") {
            Some(Obj::Str(t)) => decode_text(t),
            _ => String::new(),
        };
        out.push(embedded(&sig, field)?);
    }
    Ok(out)
}

fn embedded(sig: &object::Dict, field: String) -> Result<Embedded, SignError> {
    let byte_range = match sig.get(b"ByteRange") {
        Some(Obj::Array(a)) if a.len() == 4 => {
            let v: Vec<usize> = a
                .iter()
                .map(|o| o.as_int().and_then(|i| usize::try_from(i).ok()))
                .collect::<Option<_>>()
                .ok_or_else(|| SignError::MalformedPdf("bad /ByteRange".into()))?;
            [
                v.first().copied().unwrap_or(0),
                v.get(1).copied().unwrap_or(0),
                v.get(2).copied().unwrap_or(0),
                v.get(3).copied().unwrap_or(0),
            ]
        }
        _ => {
            return Err(SignError::MalformedPdf(format!(
                "signature {field} has no /ByteRange"
            )));
        }
    };
    let contents = match sig.get(b"Contents") {
        Some(Obj::Str(s)) => s,
        _ => {
            return Err(SignError::MalformedPdf(format!(
                "signature {field} has no /Contents"
            )));
        }
    };
    let cms = der_len(contents)
        .and_then(|n| contents.get(..n))
        .ok_or_else(|| SignError::MalformedCms("not DER".into()))?
        .to_vec();
    let text = |k: &[u8]| match sig.get(k) {
        Some(Obj::Str(s)) => Some(decode_text(s)),
        _ => None,
    };
    Ok(Embedded {
        field,
        byte_range,
        cms,
        sub_filter: sig
            .name(b"SubFilter")
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default(),
        claimed_time: text(b"M"),
        reason: text(b"Reason"),
    })
}
