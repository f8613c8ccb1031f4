//! Charts drawn on the server as SVG: no script, readable without styles, colours with at
//! least 3:1 contrast on white, a title and description for assistive technologies, and the
//! same numbers in a data table beside each chart.

use std::fmt::Write;

/// One series of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Fill colour.
    pub colour: &'static str,
}

/// Colours: resolved early, on time, late, pending overdue (3:1 or more on white).
pub const EARLY: &str = "#1a7f37";
/// On time.
pub const ON_TIME: &str = "#0969da";
/// Late.
pub const LATE: &str = "#cf222e";
/// Pending overdue.
pub const OVERDUE: &str = "#8250df";
/// Received.
pub const RECEIVED: &str = "#57606a";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn legend(out: &mut String, series: &[Series], y: i64) {
    let mut x = 8;
    for s in series {
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{y}" width="12" height="12" fill="{c}"/><text x="{tx}" y="{ty}" font-size="12" fill="#1f2328">{l}</text>"##,
            c = s.colour,
            tx = x + 16,
            ty = y + 11,
            l = esc(&s.label)
        );
        x += 24 + i64::try_from(s.label.chars().count()).unwrap_or(10) * 7;
    }
}

/// Horizontal stacked bars: one bar per row, one segment per series.
pub fn stacked_bars(
    id: &str,
    title: &str,
    rows: &[(String, Vec<i64>)],
    series: &[Series],
) -> String {
    let label_w = 220;
    let bar_w = 440;
    let row_h = 26;
    let top = 34;
    let height = top + i64::try_from(rows.len()).unwrap_or(0) * row_h + 10;
    let max = rows
        .iter()
        .map(|(_, v)| v.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{id}-t {id}-d" viewBox="0 0 {w} {height}" width="100%" class="chart"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc>"##,
        w = label_w + bar_w + 80,
        t = esc(title),
        d = esc(
            "Số liệu chi tiết trong bảng bên cạnh / the numbers are in the table beside the chart"
        ),
    );
    legend(&mut out, series, 6);
    for (i, (name, values)) in rows.iter().enumerate() {
        let y = top + i64::try_from(i).unwrap_or(0) * row_h;
        let short: String = name.chars().take(32).collect();
        let _ = write!(
            out,
            r##"<text x="{lx}" y="{ty}" font-size="12" text-anchor="end" fill="#1f2328">{n}</text>"##,
            lx = label_w - 6,
            ty = y + 15,
            n = esc(&short)
        );
        let mut x = label_w;
        for (v, s) in values.iter().zip(series) {
            let w = v * bar_w / max;
            if w > 0 {
                let _ = write!(
                    out,
                    r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"><title>{l}: {v}</title></rect>"##,
                    h = row_h - 8,
                    c = s.colour,
                    l = esc(&s.label)
                );
            }
            x += w;
        }
        let total: i64 = values.iter().sum();
        let _ = write!(
            out,
            r##"<text x="{tx}" y="{ty}" font-size="12" fill="#1f2328">{total}</text>"##,
            tx = x + 6,
            ty = y + 15
        );
    }
    out.push_str("</svg>");
    out
}

/// Grouped columns over periods (e.g. months): one column per series in each group.
pub fn grouped_columns(
    id: &str,
    title: &str,
    groups: &[(String, Vec<i64>)],
    series: &[Series],
) -> String {
    let left = 50;
    let chart_h = 180;
    let top = 30;
    let n = i64::try_from(groups.len()).unwrap_or(0).max(1);
    let k = i64::try_from(series.len()).unwrap_or(1).max(1);
    let group_w = (660 / n).max(k * 6 + 8);
    let width = left + group_w * n + 10;
    let max = groups
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{id}-t {id}-d" viewBox="0 0 {width} {h}" width="100%" class="chart"><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc>"##,
        h = top + chart_h + 30,
        t = esc(title),
        d = esc(
            "Số liệu chi tiết trong bảng bên cạnh / the numbers are in the table beside the chart"
        ),
    );
    legend(&mut out, series, 4);
    let base = top + chart_h;
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#57606a"/><text x="{lx}" y="{ty}" font-size="11" text-anchor="end" fill="#1f2328">{max}</text><text x="{lx}" y="{base}" font-size="11" text-anchor="end" fill="#1f2328">0</text>"##,
        lx = left - 4,
        ty = top + 10
    );
    let bar_w = ((group_w - 8) / k).max(2);
    for (g, (label, values)) in groups.iter().enumerate() {
        let gx = left + i64::try_from(g).unwrap_or(0) * group_w + 4;
        for (j, (v, s)) in values.iter().zip(series).enumerate() {
            let h = v * chart_h / max;
            let _ = write!(
                out,
                r##"<rect x="{x}" y="{y}" width="{bar_w}" height="{h}" fill="{c}"><title>{gl} — {l}: {v}</title></rect>"##,
                x = gx + i64::try_from(j).unwrap_or(0) * bar_w,
                y = base - h,
                c = s.colour,
                gl = esc(label),
                l = esc(&s.label)
            );
        }
        let _ = write!(
            out,
            r##"<text x="{x}" y="{y}" font-size="11" text-anchor="middle" fill="#1f2328">{l}</text>"##,
            x = gx + group_w / 2 - 4,
            y = base + 16,
            l = esc(label)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_names_and_scale_to_the_largest_value() {
        let series = vec![
            Series {
                label: "Trước hạn".into(),
                colour: EARLY,
            },
            Series {
                label: "Quá hạn".into(),
                colour: LATE,
            },
        ];
        let svg = stacked_bars(
            "c1",
            "Kết quả <giải quyết>",
            &[
                ("Sở \"Tư pháp\"".into(), vec![30, 10]),
                ("Xã A".into(), vec![0, 0]),
            ],
            &series,
        );
        assert!(svg.contains("Kết quả &lt;giải quyết&gt;"));
        assert!(svg.contains("Sở &quot;Tư pháp&quot;"));
        assert!(
            svg.contains(r##"width="330""##),
            "the longest bar takes the full width"
        );
        assert!(svg.contains(r##"role="img""##) && svg.contains("<title id=\"c1-t\">"));
        let cols = grouped_columns("c2", "Theo tháng", &[("01".into(), vec![5, 0])], &series);
        assert!(cols.contains(r##"height="180""##));
        assert!(!cols.contains("style="), "no inline styles under the CSP");
    }
}
