//! PDF objects and their parser (ISO 32000-1 §7.2–7.3), written for hostile input: every read
//! is bounds-checked, nesting is limited and no input makes it panic.

use crate::SignError;

/// Deepest nesting of arrays and dictionaries accepted.
const MAX_DEPTH: usize = 64;

/// One PDF object.
#[derive(Debug, Clone, PartialEq)]
pub enum Obj {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A name, without the slash, `#xx` escapes decoded.
    Name(Vec<u8>),
    /// A string (literal or hexadecimal), decoded.
    Str(Vec<u8>),
    /// An array.
    Array(Vec<Obj>),
    /// A dictionary.
    Dict(Dict),
    /// An indirect reference `n g R`.
    Ref(u32, u16),
}

/// A dictionary, keys in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dict(pub Vec<(Vec<u8>, Obj)>);

impl Dict {
    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&Obj> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` (replacing an existing value).
    pub fn set(&mut self, key: &[u8], value: Obj) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_vec(), value)),
        }
    }

    /// The name under `key`, if it is one.
    pub fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Obj::Name(n)) => Some(n),
            _ => None,
        }
    }

    /// The integer under `key`, if it is one.
    pub fn int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key) {
            Some(Obj::Int(i)) => Some(*i),
            _ => None,
        }
    }
}

impl Obj {
    /// The dictionary, if this is one.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Obj::Int(i) => Some(*i),
            _ => None,
        }
    }
}

pub(crate) fn is_white(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A cursor over PDF bytes.
pub struct Parser<'a> {
    buf: &'a [u8],
    /// Current offset.
    pub pos: usize,
}

/// A token that is not itself an object.
#[derive(Debug, PartialEq)]
enum Token {
    Obj(Obj),
    Keyword(Vec<u8>),
    ArrayEnd,
    DictEnd,
}

fn bad(what: &str, at: usize) -> SignError {
    SignError::MalformedPdf(format!("{what} at byte {at}"))
}

impl<'a> Parser<'a> {
    /// A parser at `pos`.
    pub fn new(buf: &'a [u8], pos: usize) -> Self {
        Self { buf, pos }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Skips white space and comments.
    pub fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn regular_run(&mut self) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_white(b) || is_delim(b) {
                break;
            }
            self.pos += 1;
        }
        self.buf.get(start..self.pos).unwrap_or_default()
    }

    /// Reads a keyword (`obj`, `stream`, `xref`…) after white space.
    pub fn keyword(&mut self) -> Option<&'a [u8]> {
        self.skip_ws();
        let k = self.regular_run();
        (!k.is_empty()).then_some(k)
    }

    /// Reads an unsigned integer after white space.
    pub fn uint(&mut self) -> Option<u64> {
        self.skip_ws();
        let start = self.pos;
        let run = self.regular_run();
        let n = std::str::from_utf8(run).ok()?.parse().ok();
        if n.is_none() {
            self.pos = start;
        }
        n
    }

    /// Reads one object (references `n g R` included).
    pub fn object(&mut self) -> Result<Obj, SignError> {
        self.object_at_depth(0)
    }

    fn object_at_depth(&mut self, depth: usize) -> Result<Obj, SignError> {
        let at = self.pos;
        match self.token(depth)? {
            Token::Obj(o) => Ok(o),
            Token::Keyword(_) | Token::ArrayEnd | Token::DictEnd => {
                Err(bad("unexpected token", at))
            }
        }
    }

    fn token(&mut self, depth: usize) -> Result<Token, SignError> {
        if depth > MAX_DEPTH {
            return Err(bad("nesting too deep", self.pos));
        }
        self.skip_ws();
        let at = self.pos;
        let Some(b) = self.peek() else {
            return Err(bad("unexpected end of file", at));
        };
        match b {
            b'/' => {
                self.pos += 1;
                Ok(Token::Obj(Obj::Name(self.name_body())))
            }
            b'(' => Ok(Token::Obj(Obj::Str(self.literal()?))),
            b'<' if self.buf.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                self.dict_body(depth).map(|d| Token::Obj(Obj::Dict(d)))
            }
            b'<' => Ok(Token::Obj(Obj::Str(self.hex()?))),
            b'>' if self.buf.get(self.pos + 1) == Some(&b'>') => {
                self.pos += 2;
                Ok(Token::DictEnd)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    match self.token(depth + 1)? {
                        Token::ArrayEnd => break,
                        Token::Obj(o) => items.push(o),
                        Token::Keyword(k) if k == b"R" => {
                            let (g, n) = (items.pop(), items.pop());
                            match (n, g) {
                                (Some(Obj::Int(n)), Some(Obj::Int(g))) => {
                                    items.push(reference(n, g, at)?)
                                }
                                _ => return Err(bad("dangling R", at)),
                            }
                        }
                        Token::Keyword(_) | Token::DictEnd => return Err(bad("bad array", at)),
                    }
                }
                Ok(Token::Obj(Obj::Array(items)))
            }
            b']' => {
                self.pos += 1;
                Ok(Token::ArrayEnd)
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number(at),
            _ if is_delim(b) => Err(bad("unexpected delimiter", at)),
            _ => {
                let k = self.regular_run();
                Ok(match k {
                    b"true" => Token::Obj(Obj::Bool(true)),
                    b"false" => Token::Obj(Obj::Bool(false)),
                    b"null" => Token::Obj(Obj::Null),
                    _ => Token::Keyword(k.to_vec()),
                })
            }
        }
    }

    /// A number, or a reference when `int int R` follows.
    fn number(&mut self, at: usize) -> Result<Token, SignError> {
        let run = self.regular_run();
        let text = std::str::from_utf8(run).map_err(|_| bad("bad number", at))?;
        if let Ok(n) = text.parse::<i64>() {
            // Look ahead for `g R`.
            let save = self.pos;
            if n >= 0
                && let Some(g) = self.uint()
            {
                self.skip_ws();
                if self.peek() == Some(b'R')
                    && self
                        .buf
                        .get(self.pos + 1)
                        .is_none_or(|c| is_white(*c) || is_delim(*c))
                {
                    self.pos += 1;
                    return reference(n, i64::try_from(g).unwrap_or(-1), at).map(Token::Obj);
                }
            }
            self.pos = save;
            return Ok(Token::Obj(Obj::Int(n)));
        }
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| Token::Obj(Obj::Real(f)))
            .or_else(|| {
                (text == "-" || text == "." || text == "+").then_some(Token::Obj(Obj::Int(0)))
            })
            .ok_or_else(|| bad("bad number", at))
    }

    fn name_body(&mut self) -> Vec<u8> {
        let run = self.regular_run();
        let mut out = Vec::with_capacity(run.len());
        let mut i = 0;
        while let Some(&b) = run.get(i) {
            if b == b'#'
                && let (Some(h), Some(l)) = (
                    run.get(i + 1).copied().and_then(hex_val),
                    run.get(i + 2).copied().and_then(hex_val),
                )
            {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
            out.push(b);
            i += 1;
        }
        out
    }

    fn hex(&mut self) -> Result<Vec<u8>, SignError> {
        let at = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(b) = self.peek() else {
                return Err(bad("unterminated hex string", at));
            };
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if is_white(b) {
                continue;
            }
            let v = hex_val(b).ok_or_else(|| bad("bad hex digit", self.pos - 1))?;
            match high.take() {
                Some(h) => out.push(h * 16 + v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            out.push(h * 16);
        }
        Ok(out)
    }

    fn literal(&mut self) -> Result<Vec<u8>, SignError> {
        let at = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        let mut open = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(bad("unterminated string", at));
            };
            self.pos += 1;
            match b {
                b'(' => {
                    open += 1;
                    out.push(b);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => self.escape(&mut out),
                _ => out.push(b),
            }
        }
        Ok(out)
    }

    fn escape(&mut self, out: &mut Vec<u8>) {
        let Some(e) = self.peek() else { return };
        self.pos += 1;
        match e {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            other => out.push(other),
        }
    }

    fn dict_body(&mut self, depth: usize) -> Result<Dict, SignError> {
        let at = self.pos;
        let mut d = Dict::default();
        loop {
            match self.token(depth + 1)? {
                Token::DictEnd => return Ok(d),
                Token::Obj(Obj::Name(k)) => {
                    let v = self.object_at_depth(depth + 1)?;
                    d.0.push((k, v));
                }
                _ => return Err(bad("bad dictionary key", at)),
            }
        }
    }
}

fn reference(n: i64, g: i64, at: usize) -> Result<Obj, SignError> {
    match (u32::try_from(n), u16::try_from(g)) {
        (Ok(n), Ok(g)) => Ok(Obj::Ref(n, g)),
        _ => Err(bad("bad reference", at)),
    }
}

/// Serialises `o` in PDF syntax (strings as hexadecimal).
pub fn write(o: &Obj, out: &mut Vec<u8>) {
    match o {
        Obj::Null => out.extend_from_slice(b"null"),
        Obj::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Obj::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Obj::Real(f) => out.extend_from_slice(format!("{f:.4}").as_bytes()),
        Obj::Name(n) => write_name(n, out),
        Obj::Str(s) => {
            out.push(b'<');
            out.extend_from_slice(hex::encode(s).as_bytes());
            out.push(b'>');
        }
        Obj::Array(items) => {
            out.push(b'[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write(it, out);
            }
            out.push(b']');
        }
        Obj::Dict(d) => write_dict(d, out),
        Obj::Ref(n, g) => out.extend_from_slice(format!("{n} {g} R").as_bytes()),
    }
}

/// Serialises a dictionary.
pub fn write_dict(d: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (k, v) in &d.0 {
        write_name(k, out);
        out.push(b' ');
        write(v, out);
        out.push(b' ');
    }
    out.extend_from_slice(b">>");
}

fn write_name(n: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in n {
        if b.is_ascii_graphic() && !is_delim(b) && b != b'#' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}
