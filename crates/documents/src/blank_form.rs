//! A printable blank form (tờ khai) generated from a procedure's e-form: the title, the
//! procedure, and every question with room to write the answer.

use krilla::{Document, metadata::Metadata, page::PageSettings};

use crate::{
    DocumentError,
    layout::{Fonts, centred, rule, text, wrap},
};

/// One question of the blank form.
#[derive(Debug, Clone)]
pub struct BlankQuestion {
    /// The question.
    pub label: String,
    /// Choices to tick, if any.
    pub choices: Vec<String>,
}

const W: f32 = 595.28;
const H: f32 = 841.89;
const LEFT: f32 = 56.0;
const RIGHT: f32 = W - 56.0;

/// Renders the blank form as an A4 PDF (as many pages as needed).
pub fn blank_form_pdf(
    title: &str,
    procedure: &str,
    questions: &[BlankQuestion],
) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("vi".to_owned())
            .creator("lienthong".to_owned()),
    );
    let settings =
        PageSettings::from_wh(W, H).ok_or_else(|| DocumentError::Pdf("page size".into()))?;
    let mut page = doc.start_page_with(settings.clone());
    let mut s = page.surface();
    let (r, b) = (&fonts.regular, &fonts.bold);
    centred(
        &mut s,
        b,
        10.0,
        W / 2.0,
        60.0,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    );
    centred(
        &mut s,
        b,
        10.5,
        W / 2.0,
        74.0,
        "Độc lập - Tự do - Hạnh phúc",
    );
    rule(&mut s, W / 2.0 - 70.0, 78.0, 140.0);
    let mut y = 110.0;
    for line in wrap(&title.to_uppercase(), 13.0, RIGHT - LEFT) {
        centred(&mut s, b, 13.0, W / 2.0, y, &line);
        y += 18.0;
    }
    for line in wrap(&format!("(Thủ tục: {procedure})"), 10.0, RIGHT - LEFT) {
        centred(&mut s, r, 10.0, W / 2.0, y, &line);
        y += 14.0;
    }
    y += 16.0;
    for (i, q) in questions.iter().enumerate() {
        let needed = 34.0 + 16.0 * q.choices.len() as f32;
        if y + needed > H - 60.0 {
            s.finish();
            page.finish();
            page = doc.start_page_with(settings.clone());
            s = page.surface();
            y = 60.0;
        }
        for line in wrap(&format!("{}. {}:", i + 1, q.label), 11.0, RIGHT - LEFT) {
            text(&mut s, r, 11.0, LEFT, y, &line);
            y += 15.0;
        }
        if q.choices.is_empty() {
            y += 8.0;
            rule(&mut s, LEFT, y, RIGHT - LEFT);
            y += 18.0;
        } else {
            for c in &q.choices {
                text(&mut s, r, 11.0, LEFT + 14.0, y, &format!("☐ {c}"));
                y += 16.0;
            }
            y += 6.0;
        }
    }
    y += 20.0;
    if y > H - 120.0 {
        s.finish();
        page.finish();
        page = doc.start_page_with(settings);
        s = page.surface();
        y = 60.0;
    }
    centred(
        &mut s,
        r,
        10.0,
        RIGHT - 100.0,
        y,
        "……, ngày …… tháng …… năm ……",
    );
    centred(&mut s, b, 10.5, RIGHT - 100.0, y + 16.0, "NGƯỜI KHAI");
    centred(
        &mut s,
        r,
        9.0,
        RIGHT - 100.0,
        y + 30.0,
        "(Ký và ghi rõ họ tên)",
    );
    s.finish();
    page.finish();
    doc.finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_forms_flow_onto_more_pages() {
        let questions: Vec<BlankQuestion> = (0..60)
            .map(|i| BlankQuestion {
                label: format!("Câu hỏi số {i} về thông tin người nộp hồ sơ"),
                choices: if i % 5 == 0 {
                    vec!["Có".into(), "Không".into()]
                } else {
                    vec![]
                },
            })
            .collect();
        let pdf =
            blank_form_pdf("Tờ khai đăng ký khai sinh", "Đăng ký khai sinh", &questions).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        let count: u32 = text
            .split("/Count ")
            .nth(1)
            .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(count >= 2, "{count} pages");
    }
}
