//! Cross-reference reading: classic tables, cross-reference streams, object streams and the
//! chain of revisions left by incremental updates.

use std::collections::{BTreeMap, HashSet};
use std::io::Read as _;

use super::object::{Dict, Obj, Parser};
use crate::SignError;

/// Most cross-reference sections followed through `/Prev`.
const MAX_SECTIONS: usize = 4096;
/// Largest decoded stream accepted (bomb guard).
const MAX_DECODED: u64 = 64 * 1024 * 1024;

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry {
    /// At this byte offset.
    At(usize),
    /// Inside object stream `n`, at index `i`.
    InStream(u32, u32),
    /// Free.
    Free,
}

/// A parsed PDF file: its bytes, the newest trailer and every object's location.
pub struct PdfFile<'a> {
    /// The file's bytes.
    pub bytes: &'a [u8],
    /// The trailer of the newest revision.
    pub trailer: Dict,
    /// Offset of the newest cross-reference section.
    pub startxref: usize,
    /// Whether the newest section is a cross-reference stream.
    pub xref_is_stream: bool,
    entries: BTreeMap<u32, Entry>,
}

fn bad(msg: &str) -> SignError {
    SignError::MalformedPdf(msg.to_owned())
}

/// Offset named by the last `startxref` of `bytes`.
fn last_startxref(bytes: &[u8]) -> Result<usize, SignError> {
    let tail_from = bytes.len().saturating_sub(4096);
    let tail = bytes.get(tail_from..).unwrap_or_default();
    let at = find_last(tail, b"startxref").ok_or_else(|| bad("no startxref"))?;
    let mut p = Parser::new(bytes, tail_from + at + b"startxref".len());
    p.uint()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n < bytes.len())
        .ok_or_else(|| bad("bad startxref"))
}

/// Last occurrence of `needle` in `hay`.
pub fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

/// End offsets of every revision (just after each `%%EOF` and its line end), in file order.
pub fn revision_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut i = 0;
    while let Some(off) = find_from(bytes, b"%%EOF", i) {
        let mut end = off + 5;
        if bytes.get(end) == Some(&b'\r') {
            end += 1;
        }
        if bytes.get(end) == Some(&b'\n') {
            end += 1;
        }
        ends.push(end);
        i = end;
    }
    ends
}

/// First occurrence of `needle` in `hay` at or after `from`.
pub fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let h = hay.get(from..)?;
    h.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

impl<'a> PdfFile<'a> {
    /// Reads the cross-reference chain of `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, SignError> {
        if !bytes.starts_with(b"%PDF-")
            && find_from(bytes.get(..1024).unwrap_or(bytes), b"%PDF-", 0).is_none()
        {
            return Err(SignError::NotPdf);
        }
        let startxref = last_startxref(bytes)?;
        let mut file = PdfFile {
            bytes,
            trailer: Dict::default(),
            startxref,
            xref_is_stream: false,
            entries: BTreeMap::new(),
        };
        let mut next = Some(startxref);
        let mut seen = HashSet::new();
        let mut first = true;
        while let Some(off) = next {
            if !seen.insert(off) || seen.len() > MAX_SECTIONS {
                return Err(bad("cross-reference loop"));
            }
            let (trailer, is_stream) = file.read_section(off)?;
            if let Some(stm) = trailer
                .int(b"XRefStm")
                .and_then(|o| usize::try_from(o).ok())
                && seen.insert(stm)
            {
                file.read_section(stm)?;
            }
            next = trailer.int(b"Prev").and_then(|o| usize::try_from(o).ok());
            if first {
                file.trailer = trailer;
                file.xref_is_stream = is_stream;
                first = false;
            }
        }
        Ok(file)
    }

    /// Reads one section; older entries never override newer ones.
    fn read_section(&mut self, off: usize) -> Result<(Dict, bool), SignError> {
        let mut p = Parser::new(self.bytes, off);
        if p.keyword() == Some(b"xref") {
            loop {
                let save = p.pos;
                let (Some(start), Some(count)) = (p.uint(), p.uint()) else {
                    p.pos = save;
                    break;
                };
                for i in 0..count {
                    let (Some(o), Some(_g)) = (p.uint(), p.uint()) else {
                        return Err(bad("bad xref entry"));
                    };
                    let kind = p.keyword();
                    let num =
                        u32::try_from(start.saturating_add(i)).map_err(|_| bad("object number"))?;
                    let e = match kind {
                        Some(b"n") => Entry::At(usize::try_from(o).map_err(|_| bad("offset"))?),
                        Some(b"f") => Entry::Free,
                        _ => return Err(bad("bad xref entry type")),
                    };
                    self.entries.entry(num).or_insert(e);
                }
            }
            if p.keyword() != Some(b"trailer") {
                return Err(bad("no trailer"));
            }
            match p.object()? {
                Obj::Dict(d) => Ok((d, false)),
                _ => Err(bad("trailer is not a dictionary")),
            }
        } else {
            let (dict, data) = self.stream_at(off, 0)?;
            if dict.name(b"Type") != Some(b"XRef") {
                return Err(bad("startxref points at neither xref nor an XRef stream"));
            }
            self.read_xref_stream(&dict, &data)?;
            Ok((dict, true))
        }
    }

    fn read_xref_stream(&mut self, dict: &Dict, data: &[u8]) -> Result<(), SignError> {
        let w: Vec<usize> = match dict.get(b"W") {
            Some(Obj::Array(a)) => a
                .iter()
                .map(|o| {
                    o.as_int()
                        .and_then(|i| usize::try_from(i).ok())
                        .filter(|i| *i <= 8)
                })
                .collect::<Option<_>>()
                .ok_or_else(|| bad("bad /W"))?,
            _ => return Err(bad("no /W")),
        };
        let [w0, w1, w2] = w.as_slice() else {
            return Err(bad("bad /W"));
        };
        let row = w0 + w1 + w2;
        if row == 0 {
            return Err(bad("bad /W"));
        }
        let size = dict.int(b"Size").unwrap_or(0);
        let index: Vec<i64> = match dict.get(b"Index") {
            Some(Obj::Array(a)) => a.iter().filter_map(Obj::as_int).collect(),
            _ => vec![0, size],
        };
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks_exact(2) {
            let (start, count) = (
                pair.first().copied().unwrap_or(0),
                pair.get(1).copied().unwrap_or(0),
            );
            for i in 0..count.max(0) {
                let Some(r) = rows.next() else {
                    return Ok(());
                };
                let (f0, rest) = r.split_at(*w0);
                let (f1, f2) = rest.split_at(*w1);
                let t = if *w0 == 0 { 1 } else { be(f0) };
                let num =
                    u32::try_from(start.saturating_add(i)).map_err(|_| bad("object number"))?;
                let e = match t {
                    0 => Entry::Free,
                    1 => Entry::At(usize::try_from(be(f1)).map_err(|_| bad("offset"))?),
                    2 => Entry::InStream(
                        u32::try_from(be(f1)).map_err(|_| bad("object stream"))?,
                        u32::try_from(be(f2)).map_err(|_| bad("index"))?,
                    ),
                    _ => continue,
                };
                self.entries.entry(num).or_insert(e);
            }
        }
        Ok(())
    }

    /// The highest object number in use plus one (the trailer's `/Size`, checked).
    pub fn size(&self) -> u32 {
        let declared = self
            .trailer
            .int(b"Size")
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let seen = self.entries.keys().next_back().map_or(0, |n| n + 1);
        declared.max(seen)
    }

    /// The indirect object at `off` (`n g obj … endobj`), with its number.
    fn object_at(&self, off: usize) -> Result<(u32, Obj, usize), SignError> {
        let mut p = Parser::new(self.bytes, off);
        let num = p.uint().ok_or_else(|| bad("object header"))?;
        p.uint().ok_or_else(|| bad("object header"))?;
        if p.keyword() != Some(b"obj") {
            return Err(bad("object header"));
        }
        let o = p.object()?;
        Ok((
            u32::try_from(num).map_err(|_| bad("object number"))?,
            o,
            p.pos,
        ))
    }

    /// A stream object at `off`: its dictionary and decoded data.
    fn stream_at(&self, off: usize, depth: usize) -> Result<(Dict, Vec<u8>), SignError> {
        let (_, o, after) = self.object_at(off)?;
        let Obj::Dict(dict) = o else {
            return Err(bad("stream without dictionary"));
        };
        let mut p = Parser::new(self.bytes, after);
        if p.keyword() != Some(b"stream") {
            return Err(bad("missing stream keyword"));
        }
        let mut start = p.pos;
        if self.bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if self.bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let len = match dict.get(b"Length") {
            Some(Obj::Int(n)) => usize::try_from(*n).ok(),
            Some(Obj::Ref(n, _)) => self
                .resolve_num(*n, depth + 1)?
                .as_int()
                .and_then(|i| usize::try_from(i).ok()),
            _ => None,
        };
        let end = match len
            .and_then(|l| start.checked_add(l))
            .filter(|e| *e <= self.bytes.len())
        {
            Some(e) => e,
            None => find_from(self.bytes, b"endstream", start)
                .ok_or_else(|| bad("unterminated stream"))?,
        };
        let raw = self
            .bytes
            .get(start..end)
            .ok_or_else(|| bad("stream bounds"))?;
        let data = decode(&dict, raw)?;
        Ok((dict, data))
    }

    /// The object `num` (newest version).
    pub fn resolve_num(&self, num: u32, depth: usize) -> Result<Obj, SignError> {
        if depth > 8 {
            return Err(bad("reference chain too deep"));
        }
        match self.entries.get(&num) {
            Some(Entry::At(off)) => self.object_at(*off).map(|(_, o, _)| o),
            Some(Entry::InStream(stm, idx)) => self.in_object_stream(*stm, *idx, depth),
            Some(Entry::Free) | None => Ok(Obj::Null),
        }
    }

    /// Follows `o` if it is a reference.
    pub fn resolve(&self, o: &Obj) -> Result<Obj, SignError> {
        match o {
            Obj::Ref(n, _) => self.resolve_num(*n, 0),
            other => Ok(other.clone()),
        }
    }

    /// The dictionary `o` is or refers to.
    pub fn dict(&self, o: &Obj) -> Result<Dict, SignError> {
        match self.resolve(o)? {
            Obj::Dict(d) => Ok(d),
            _ => Err(bad("expected a dictionary")),
        }
    }

    fn in_object_stream(&self, stm: u32, idx: u32, depth: usize) -> Result<Obj, SignError> {
        let Some(Entry::At(off)) = self.entries.get(&stm) else {
            return Err(bad("object stream not found"));
        };
        let (dict, data) = self.stream_at(*off, depth + 1)?;
        let n = dict.int(b"N").unwrap_or(0);
        let first = dict
            .int(b"First")
            .and_then(|f| usize::try_from(f).ok())
            .ok_or_else(|| bad("/First"))?;
        if i64::from(idx) >= n {
            return Err(bad("object stream index"));
        }
        let mut p = Parser::new(&data, 0);
        let mut rel = None;
        for i in 0..=idx {
            let (_num, o) = (p.uint(), p.uint());
            if i == idx {
                rel = o;
            }
        }
        let rel = rel
            .and_then(|r| usize::try_from(r).ok())
            .ok_or_else(|| bad("object stream header"))?;
        Parser::new(&data, first.saturating_add(rel)).object()
    }
}

fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x))
}

/// Decodes a stream's data (FlateDecode with the PNG predictors, or none).
fn decode(dict: &Dict, raw: &[u8]) -> Result<Vec<u8>, SignError> {
    let filter = match dict.get(b"Filter") {
        None => None,
        Some(Obj::Name(n)) => Some(n.clone()),
        Some(Obj::Array(a)) if a.len() == 1 => match a.first() {
            Some(Obj::Name(n)) => Some(n.clone()),
            _ => return Err(bad("unsupported filter")),
        },
        Some(_) => return Err(SignError::Unsupported("stream filter chain".into())),
    };
    let data = match filter.as_deref() {
        None => raw.to_vec(),
        Some(b"FlateDecode") => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(raw)
                .take(MAX_DECODED)
                .read_to_end(&mut out)
                .map_err(|_| bad("bad compressed stream"))?;
            out
        }
        Some(_) => return Err(SignError::Unsupported("stream filter".into())),
    };
    let params = match dict.get(b"DecodeParms") {
        Some(Obj::Dict(d)) => Some(d),
        _ => None,
    };
    match params.and_then(|p| p.int(b"Predictor")) {
        Some(p) if p >= 10 => {
            let cols = params
                .and_then(|p| p.int(b"Columns"))
                .and_then(|c| usize::try_from(c).ok())
                .filter(|c| (1..=1024).contains(c))
                .unwrap_or(1);
            png_unpredict(&data, cols)
        }
        _ => Ok(data),
    }
}

/// Undoes PNG row predictors (one byte per pixel component, as in cross-reference streams).
fn png_unpredict(data: &[u8], cols: usize) -> Result<Vec<u8>, SignError> {
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; cols];
    for row in data.chunks(cols + 1) {
        let Some((&kind, bytes)) = row.split_first() else {
            break;
        };
        let mut cur = vec![0u8; cols];
        for (i, &b) in bytes.iter().enumerate() {
            let left = if i > 0 {
                cur.get(i - 1).copied().unwrap_or(0)
            } else {
                0
            };
            let up = prev.get(i).copied().unwrap_or(0);
            let up_left = if i > 0 {
                prev.get(i - 1).copied().unwrap_or(0)
            } else {
                0
            };
            let v = match kind {
                0 => b,
                1 => b.wrapping_add(left),
                2 => b.wrapping_add(up),
                3 => b.wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => b.wrapping_add(paeth(left, up, up_left)),
                _ => return Err(bad("bad PNG predictor")),
            };
            if let Some(slot) = cur.get_mut(i) {
                *slot = v;
            }
        }
        out.extend_from_slice(cur.get(..bytes.len()).unwrap_or_default());
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}
