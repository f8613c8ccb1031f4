//! Official notices and registers in the administrative format of Decree 30/2020 (agency
//! block on the left, national motto on the right, title, body, signature): the forms 02–06
//! of TT 01/2018/TT-VPCP and generated results. Text and tables flow over as many A4 pages
//! as they need.

use krilla::{
    Document,
    geom::{PathBuilder, Rect},
    metadata::Metadata,
    page::PageSettings,
    paint::Fill,
};

use crate::{
    DocumentError,
    layout::{Fonts, centred, qr, text, wrap},
};

/// A part of the body.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Block {
    /// A paragraph.
    Para {
        /// Content.
        text: String,
        /// Bold face.
        bold: bool,
        /// Left indent in points.
        indent: f32,
    },
    /// A table with borders; widths are shares of the text width.
    Table {
        /// Header cells.
        headers: Vec<String>,
        /// Relative column widths.
        widths: Vec<f32>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
    },
    /// Vertical space in points.
    Space(f32),
}

impl Block {
    /// A plain paragraph.
    pub fn para(text: impl Into<String>) -> Block {
        Block::Para {
            text: text.into(),
            bold: false,
            indent: 0.0,
        }
    }

    /// A bold paragraph.
    pub fn bold(text: impl Into<String>) -> Block {
        Block::Para {
            text: text.into(),
            bold: true,
            indent: 0.0,
        }
    }

    /// An indented paragraph (list item).
    pub fn item(text: impl Into<String>) -> Block {
        Block::Para {
            text: text.into(),
            bold: false,
            indent: 14.0,
        }
    }
}

/// A notice to lay out.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    /// Agency above the issuing one, if any.
    pub parent_agency_name: Option<String>,
    /// Issuing agency.
    pub agency_name: String,
    /// Unit line under the agency (e.g. the one-stop desk), if any.
    pub unit: Option<String>,
    /// Reference under the agency block (e.g. `Mã hồ sơ: …`).
    pub reference: String,
    /// Place in the date line.
    pub place: String,
    /// Day, month, year of issue.
    pub issued: (i8, i8, i16),
    /// Title in capitals.
    pub title: String,
    /// Line under the title, if any.
    pub subtitle: Option<String>,
    /// Body.
    pub body: Vec<Block>,
    /// Signature block: the signer's title and name.
    pub signer: Option<(String, String)>,
    /// URL encoded in a QR code beside the signature (verification, tracking).
    pub qr_url: Option<String>,
    /// Landscape A4 (registers).
    pub landscape: bool,
    /// PDF document title.
    pub pdf_title: String,
    /// When the notice is signed digitally: the visible blocks of the signer and the seal.
    pub digital: Option<Digital>,
}

/// What the visible digital-signature blocks say (Decree 30/2020, Appendix I: the signer's
/// block in blue at the signature position, the agency seal in red overlapping its left third).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Digital {
    /// Signing time as people read it, e.g. `30/11/2026 14:05:09 +07:00`.
    pub signed_at: String,
    /// The sealing agency's name.
    pub seal: String,
}

/// Where the visible blocks were drawn, in PDF user space (origin bottom left), so that the
/// signature fields can be placed over them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marks {
    /// Page index (0-based).
    pub page: usize,
    /// The signer's block `[x1, y1, x2, y2]`.
    pub signer: [f64; 4],
    /// The seal's block.
    pub seal: [f64; 4],
}

enum Op {
    Text {
        bold: bool,
        size: f32,
        x: f32,
        y: f32,
        s: String,
    },
    Centred {
        bold: bool,
        size: f32,
        cx: f32,
        y: f32,
        s: String,
    },
    Rect(f32, f32, f32, f32),
    Qr(String, f32, f32, f32),
    /// A coloured frame (x, y, w, h, rgb).
    Frame(f32, f32, f32, f32, (u8, u8, u8)),
}

struct Pages {
    w: f32,
    h: f32,
    done: Vec<Vec<Op>>,
    cur: Vec<Op>,
    y: f32,
    marks: Option<Marks>,
}

const MARGIN: f32 = 50.0;

impl Pages {
    fn ops(&mut self) -> &mut Vec<Op> {
        &mut self.cur
    }

    fn need(&mut self, height: f32) {
        if self.y + height > self.h - MARGIN {
            self.done.push(std::mem::take(&mut self.cur));
            self.y = MARGIN + 10.0;
        }
    }

    fn left(&self) -> f32 {
        MARGIN
    }

    fn width(&self) -> f32 {
        self.w - 2.0 * MARGIN
    }

    /// `[x1, y1, x2, y2]` in PDF space of a box laid out from the top.
    fn pdf_rect(&self, x: f32, y: f32, w: f32, h: f32) -> [f64; 4] {
        [
            f64::from(x),
            f64::from(self.h - y - h),
            f64::from(x + w),
            f64::from(self.h - y),
        ]
    }

    fn finish(mut self) -> (f32, f32, Vec<Vec<Op>>) {
        self.done.push(self.cur);
        (self.w, self.h, self.done)
    }
}

fn lay_out(n: &Notice) -> Pages {
    let (w, h) = if n.landscape {
        (841.89, 595.28)
    } else {
        (595.28, 841.89)
    };
    let mut p = Pages {
        w,
        h,
        done: Vec::new(),
        cur: Vec::new(),
        y: 50.0,
        marks: None,
    };
    let left_cx = MARGIN + 110.0;
    let right_cx = w - MARGIN - 130.0;
    let mut y = 50.0;
    let mut head = Vec::new();
    if let Some(parent) = &n.parent_agency_name {
        for line in wrap(&parent.to_uppercase(), 9.0, 220.0) {
            head.push(Op::Centred {
                bold: false,
                size: 9.0,
                cx: left_cx,
                y,
                s: line,
            });
            y += 12.0;
        }
    }
    for line in wrap(&n.agency_name.to_uppercase(), 9.0, 220.0) {
        head.push(Op::Centred {
            bold: true,
            size: 9.0,
            cx: left_cx,
            y,
            s: line,
        });
        y += 12.0;
    }
    if let Some(unit) = &n.unit {
        for line in wrap(&unit.to_uppercase(), 9.0, 220.0) {
            head.push(Op::Centred {
                bold: true,
                size: 9.0,
                cx: left_cx,
                y,
                s: line,
            });
            y += 12.0;
        }
    }
    head.push(Op::Rect(left_cx - 40.0, y - 8.0, 80.0, 0.6));
    y += 6.0;
    head.push(Op::Centred {
        bold: false,
        size: 9.0,
        cx: left_cx,
        y,
        s: n.reference.clone(),
    });
    head.push(Op::Centred {
        bold: true,
        size: 9.5,
        cx: right_cx,
        y: 50.0,
        s: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".into(),
    });
    head.push(Op::Centred {
        bold: true,
        size: 10.0,
        cx: right_cx,
        y: 63.0,
        s: "Độc lập - Tự do - Hạnh phúc".into(),
    });
    head.push(Op::Rect(right_cx - 70.0, 67.0, 140.0, 0.6));
    let (day, month, year) = n.issued;
    head.push(Op::Centred {
        bold: false,
        size: 9.5,
        cx: right_cx,
        y: 85.0,
        s: if n.place.is_empty() {
            format!("Ngày {day:02} tháng {month:02} năm {year}")
        } else {
            format!("{}, ngày {day:02} tháng {month:02} năm {year}", n.place)
        },
    });
    p.ops().extend(head);
    p.y = y.max(100.0) + 24.0;
    for line in wrap(&n.title, 13.0, p.width()) {
        let (cx, yy) = (w / 2.0, p.y);
        p.ops().push(Op::Centred {
            bold: true,
            size: 13.0,
            cx,
            y: yy,
            s: line,
        });
        p.y += 17.0;
    }
    if let Some(sub) = &n.subtitle {
        let width = p.width();
        let lines: Vec<String> = sub.lines().flat_map(|l| wrap(l, 10.0, width)).collect();
        for line in lines {
            let (cx, yy) = (w / 2.0, p.y);
            p.ops().push(Op::Centred {
                bold: false,
                size: 10.0,
                cx,
                y: yy,
                s: line,
            });
            p.y += 14.0;
        }
    }
    p.y += 10.0;
    for b in &n.body {
        match b {
            Block::Para { text, bold, indent } => {
                for line in wrap(text, 10.5, p.width() - indent) {
                    p.need(15.0);
                    let (x, yy) = (p.left() + indent, p.y);
                    p.ops().push(Op::Text {
                        bold: *bold,
                        size: 10.5,
                        x,
                        y: yy,
                        s: line,
                    });
                    p.y += 15.0;
                }
            }
            Block::Space(s) => p.y += s,
            Block::Table {
                headers,
                widths,
                rows,
            } => table(&mut p, headers, widths, rows),
        }
    }
    if n.signer.is_some() || n.qr_url.is_some() {
        p.need(120.0);
        p.y += 10.0;
        let top = p.y;
        if let Some(url) = &n.qr_url {
            let x = p.left();
            p.ops().push(Op::Qr(url.clone(), x, top, 90.0));
        }
        if let Some((title, name)) = &n.signer {
            let cx = w - MARGIN - 110.0;
            let ops = p.ops();
            ops.push(Op::Centred {
                bold: true,
                size: 10.5,
                cx,
                y: top + 12.0,
                s: title.to_uppercase(),
            });
            match &n.digital {
                Some(d) => stamps(&mut p, d, name, cx, top),
                None => ops.push(Op::Centred {
                    bold: false,
                    size: 8.5,
                    cx,
                    y: top + 25.0,
                    s: "(Ký, ghi rõ họ tên)".into(),
                }),
            }
            let ops = p.ops();
            ops.push(Op::Centred {
                bold: true,
                size: 10.5,
                cx,
                y: top + 85.0,
                s: name.clone(),
            });
        }
        p.y = top + 100.0;
    }
    p
}

/// The signer's block (blue) and the seal's (red, over the signer's left third).
fn stamps(p: &mut Pages, d: &Digital, name: &str, cx: f32, top: f32) {
    let blue = (0, 51, 170);
    let red = (200, 16, 46);
    let (sx, sy, sw, sh) = (cx - 95.0, top + 20.0, 190.0, 50.0);
    let (kx, ky, kw, kh) = (sx + sw / 3.0 - 110.0, top + 16.0, 110.0, 58.0);
    let text_cx = sx + sw / 3.0 + sw / 3.0;
    let seal_cx = kx + (kw - sw / 3.0) / 2.0;
    let mut lines = vec![(false, 7.5, format!("Ký số bởi: {name}"))];
    lines.push((false, 7.5, format!("Thời gian: {}", d.signed_at)));
    let mut seal_lines: Vec<(bool, f32, String)> = wrap(&d.seal, 7.0, kw - sw / 3.0 - 6.0)
        .into_iter()
        .take(3)
        .map(|l| (true, 7.0, l))
        .collect();
    seal_lines.push((false, 6.5, "Ký số cơ quan".into()));
    let ops = p.ops();
    ops.push(Op::Frame(kx, ky, kw, kh, red));
    ops.push(Op::Frame(sx, sy, sw, sh, blue));
    for (i, (bold, size, s)) in lines.into_iter().enumerate() {
        let y = sy + 18.0 + 13.0 * i as f32;
        ops.push(Op::Centred {
            bold,
            size,
            cx: text_cx,
            y,
            s,
        });
    }
    for (i, (bold, size, s)) in seal_lines.into_iter().enumerate() {
        let y = ky + 14.0 + 10.0 * i as f32;
        ops.push(Op::Centred {
            bold,
            size,
            cx: seal_cx,
            y,
            s,
        });
    }
    let page = p.done.len();
    p.marks = Some(Marks {
        page,
        signer: p.pdf_rect(sx, sy, sw, sh),
        seal: p.pdf_rect(kx, ky, kw, kh),
    });
}

fn table(p: &mut Pages, headers: &[String], widths: &[f32], rows: &[Vec<String>]) {
    let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
    let cols: Vec<f32> = widths.iter().map(|w| w / total * p.width()).collect();
    let size = 8.5;
    let line_h = 11.0;
    let cell_lines = |cells: &[String]| -> Vec<Vec<String>> {
        cells
            .iter()
            .zip(&cols)
            .map(|(c, w)| {
                let lines = wrap(c, size, (w - 6.0).max(12.0));
                if lines.is_empty() {
                    vec![String::new()]
                } else {
                    lines
                }
            })
            .collect()
    };
    let draw_row = |p: &mut Pages, cells: &[String], bold: bool| {
        let lines = cell_lines(cells);
        let height = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h + 6.0;
        p.need(height);
        let top = p.y;
        let left = p.left();
        let mut x = left;
        let width = p.width();
        let ops = p.ops();
        ops.push(Op::Rect(x, top, width, 0.5));
        for (col, w) in lines.iter().zip(&cols) {
            ops.push(Op::Rect(x, top, 0.5, height));
            for (i, l) in col.iter().enumerate() {
                ops.push(Op::Text {
                    bold,
                    size,
                    x: x + 3.0,
                    y: top + 3.0 + (i as f32 + 0.8) * line_h,
                    s: l.clone(),
                });
            }
            x += w;
        }
        ops.push(Op::Rect(x, top, 0.5, height));
        ops.push(Op::Rect(left, top + height, width, 0.5));
        p.y = top + height;
    };
    draw_row(p, headers, true);
    for r in rows {
        if p.y + 30.0 > p.h - MARGIN {
            p.need(1000.0);
            draw_row(p, headers, true);
        }
        draw_row(p, r, false);
    }
    p.y += 10.0;
}

/// Renders a notice as a PDF.
pub fn notice_pdf(n: &Notice) -> Result<Vec<u8>, DocumentError> {
    notice_pdf_marked(n).map(|(bytes, _)| bytes)
}

/// Renders a notice and says where its digital-signature blocks are (when `n.digital` is set).
pub fn notice_pdf_marked(n: &Notice) -> Result<(Vec<u8>, Option<Marks>), DocumentError> {
    let fonts = Fonts::load()?;
    let laid = lay_out(n);
    let marks = laid.marks;
    let (w, h, pages) = laid.finish();
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(n.pdf_title.clone())
            .language("vi".to_owned())
            .creator("lienthong".to_owned()),
    );
    let settings =
        PageSettings::from_wh(w, h).ok_or_else(|| DocumentError::Pdf("page size".into()))?;
    let count = pages.len();
    for (i, ops) in pages.iter().enumerate() {
        let mut page = doc.start_page_with(settings.clone());
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    bold,
                    size,
                    x,
                    y,
                    s: t,
                } => {
                    let f = if *bold { &fonts.bold } else { &fonts.regular };
                    text(&mut s, f, *size, *x, *y, t);
                }
                Op::Centred {
                    bold,
                    size,
                    cx,
                    y,
                    s: t,
                } => {
                    let f = if *bold { &fonts.bold } else { &fonts.regular };
                    centred(&mut s, f, *size, *cx, *y, t);
                }
                Op::Rect(x, y, w, h) => {
                    let mut pb = PathBuilder::new();
                    if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                        pb.push_rect(r);
                    }
                    if let Some(path) = pb.finish() {
                        s.draw_path(&path);
                    }
                }
                Op::Qr(url, x, y, side) => qr(&mut s, url, *x, *y, *side)?,
                Op::Frame(x, y, w, h, (r, g, b)) => {
                    s.set_fill(Some(Fill {
                        paint: krilla::color::rgb::Color::new(*r, *g, *b).into(),
                        ..Fill::default()
                    }));
                    for (fx, fy, fw, fh) in [
                        (*x, *y, *w, 1.2),
                        (*x, *y + *h - 1.2, *w, 1.2),
                        (*x, *y, 1.2, *h),
                        (*x + *w - 1.2, *y, 1.2, *h),
                    ] {
                        let mut pb = PathBuilder::new();
                        if let Some(r) = Rect::from_xywh(fx, fy, fw, fh) {
                            pb.push_rect(r);
                        }
                        if let Some(path) = pb.finish() {
                            s.draw_path(&path);
                        }
                    }
                    s.set_fill(Some(Fill::default()));
                }
            }
        }
        if count > 1 {
            centred(
                &mut s,
                &fonts.regular,
                8.0,
                w / 2.0,
                h - 25.0,
                &format!("Trang {}/{count}", i + 1),
            );
        }
        s.finish();
        page.finish();
    }
    doc.finish()
        .map(|bytes| (bytes, marks))
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rows: usize) -> Notice {
        Notice {
            parent_agency_name: Some("Ủy ban nhân dân thành phố Cần Thơ".into()),
            agency_name: "Sở Tư pháp".into(),
            unit: Some("Bộ phận tiếp nhận và trả kết quả".into()),
            reference: "Mã hồ sơ: 000.00.04.H13-261120-0001".into(),
            place: "Cần Thơ".into(),
            issued: (20, 11, 2026),
            title: "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ".into(),
            subtitle: None,
            body: vec![
                Block::para("Kính gửi: Ông/Bà Nguyễn Văn An"),
                Block::Table {
                    headers: vec!["STT".into(), "Nội dung".into(), "Lý do".into()],
                    widths: vec![1.0, 5.0, 6.0],
                    rows: (1..=rows)
                        .map(|i| {
                            vec![
                                i.to_string(),
                                format!("Giấy tờ số {i}"),
                                "Bản chụp không đọc được, đề nghị chụp lại rõ nét cả hai mặt"
                                    .into(),
                            ]
                        })
                        .collect(),
                },
            ],
            signer: Some(("Người hướng dẫn".into(), "Trần Thị Bình".into())),
            qr_url: Some("http://127.0.0.1/track?code=x".into()),
            landscape: false,
            pdf_title: "Phiếu yêu cầu bổ sung".into(),
            digital: None,
        }
    }

    #[test]
    fn long_tables_flow_onto_more_pages() {
        let (_, _, short) = lay_out(&sample(3)).finish();
        assert_eq!(short.len(), 1);
        let (_, _, long) = lay_out(&sample(120)).finish();
        assert!(long.len() >= 4, "{}", long.len());
        let bytes = notice_pdf(&sample(120)).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }
}
