//! A small top-down text layout over a krilla page: lines, wrapping, centring, QR codes.

use krilla::{
    geom::{PathBuilder, Point, Rect},
    surface::Surface,
    text::{Font, TextDirection},
};

use crate::DocumentError;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The two faces used by every document.
#[derive(Clone)]
pub struct Fonts {
    pub regular: Font,
    pub bold: Font,
}

impl Fonts {
    pub fn load() -> Result<Fonts, DocumentError> {
        Ok(Fonts {
            regular: Font::new(REGULAR.to_vec().into(), 0).ok_or(DocumentError::Font)?,
            bold: Font::new(BOLD.to_vec().into(), 0).ok_or(DocumentError::Font)?,
        })
    }
}

/// Average advance of a DejaVu Sans character as a share of the font size (for wrapping).
const AVERAGE_ADVANCE: f32 = 0.56;

/// Splits `text` into lines of at most `width` points at `size`.
pub fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let per_line = ((width / (size * AVERAGE_ADVANCE)).floor() as usize).max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let would = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if would > per_line && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Approximate width of `text` at `size`.
pub fn width_of(text: &str, size: f32) -> f32 {
    text.chars().count() as f32 * size * AVERAGE_ADVANCE
}

/// Draws one line of text with its baseline at `y`.
pub fn text(surface: &mut Surface<'_>, font: &Font, size: f32, x: f32, y: f32, s: &str) {
    surface.draw_text(
        Point::from_xy(x, y),
        font.clone(),
        size,
        s,
        false,
        TextDirection::Auto,
    );
}

/// Draws `s` centred on `cx`.
pub fn centred(surface: &mut Surface<'_>, font: &Font, size: f32, cx: f32, y: f32, s: &str) {
    text(surface, font, size, cx - width_of(s, size) / 2.0, y, s);
}

/// Draws a QR code of `data` with its top-left corner at (`x`, `y`), `side` points wide.
pub fn qr(
    surface: &mut Surface<'_>,
    data: &str,
    x: f32,
    y: f32,
    side: f32,
) -> Result<(), DocumentError> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| DocumentError::Qr(e.to_string()))?;
    let n = code.width();
    let quiet = 2;
    let cell = side / (n + 2 * quiet) as f32;
    let mut pb = PathBuilder::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (row, col) = (i / n, i % n);
            if let Some(r) = Rect::from_xywh(
                x + (col + quiet) as f32 * cell,
                y + (row + quiet) as f32 * cell,
                cell,
                cell,
            ) {
                pb.push_rect(r);
            }
        }
    }
    if let Some(path) = pb.finish() {
        surface.draw_path(&path);
    }
    Ok(())
}

/// Draws a horizontal rule.
pub fn rule(surface: &mut Surface<'_>, x: f32, y: f32, w: f32) {
    let mut pb = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x, y, w, 0.6) {
        pb.push_rect(r);
    }
    if let Some(path) = pb.finish() {
        surface.draw_path(&path);
    }
}
