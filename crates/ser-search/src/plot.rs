//! The poster's figure: test accuracy against average bits.

use std::fmt::Write as _;

use crate::report::{Stat, Summary};

/// The poster's figure: test accuracy against average bits, the fixed widths as a line with
/// error bars (sample std over seeds), the adaptive model(s) as stars, the f32 baseline as a
/// dashed line.
pub fn svg(summary: &Summary) -> String {
    let (w, h) = (640.0, 420.0);
    let (left, right, top, bottom) = (60.0, 20.0, 30.0, 50.0);
    let mut points: Vec<(f64, Stat)> = summary
        .fixed
        .iter()
        .enumerate()
        .map(|(i, s)| ((i + 1) as f64, s.accuracy))
        .collect();
    let mut stars = vec![(
        "adaptive",
        summary.adaptive.average_bits.mean,
        summary.adaptive.accuracy,
    )];
    if let Some(f) = &summary.adaptive_finetuned {
        stars.push(("adaptive + fine-tuning", f.average_bits.mean, f.accuracy));
    }
    let base = summary.baseline.accuracy;
    let all_y = points
        .iter()
        .map(|p| p.1)
        .chain(stars.iter().map(|s| s.2))
        .chain([base])
        .flat_map(|s| [s.mean - s.std, s.mean + s.std])
        .filter(|v| v.is_finite());
    let (lo, hi) = all_y.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (y0, y1) = if lo.is_finite() {
        (
            (lo / 10.0).floor() * 10.0,
            ((hi / 10.0).ceil() * 10.0).max(lo + 10.0),
        )
    } else {
        (0.0, 100.0)
    };
    let x_max = 8.5f64.max(stars.iter().map(|s| s.1 + 0.5).fold(0.0, f64::max));
    let sx = |x: f64| left + (x - 0.5) / (x_max - 0.5) * (w - left - right);
    let sy = |y: f64| top + (y1 - y) / (y1 - y0) * (h - top - bottom);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    // Axes, ticks and grid.
    let _ = writeln!(
        s,
        r#"<path d="M{left} {top} V{} H{}" stroke="black" fill="none"/>"#,
        h - bottom,
        w - right
    );
    let mut y = y0;
    while y <= y1 + 1e-9 {
        let py = sy(y);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{py:.1}" x2="{}" y2="{py:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{y:.0}</text>"##,
            w - right,
            left - 6.0,
            py + 4.0
        );
        y += if y1 - y0 > 40.0 { 10.0 } else { 5.0 };
    }
    for b in 1..=(x_max.floor() as usize) {
        let px = sx(b as f64);
        let _ = writeln!(
            s,
            r#"<text x="{px:.1}" y="{}" text-anchor="middle">{b}</text>"#,
            h - bottom + 18.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">average bits per weight</text>"#,
        (left + w - right) / 2.0,
        h - 10.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(16 {}) rotate(-90)" text-anchor="middle">test accuracy (WA, %)</text>"#,
        (top + h - bottom) / 2.0
    );
    // Baseline.
    let _ = writeln!(
        s,
        r##"<line x1="{left}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#555" stroke-dasharray="6 4"/><text x="{1}" y="{2:.1}" text-anchor="end" fill="#555">32-bit baseline {3:.2} %</text>"##,
        sy(base.mean),
        w - right,
        sy(base.mean) - 6.0,
        base.mean
    );
    // Fixed widths.
    points.retain(|p| p.1.mean.is_finite());
    let path: Vec<String> = points
        .iter()
        .map(|(x, st)| format!("{:.1},{:.1}", sx(*x), sy(st.mean)))
        .collect();
    let _ = writeln!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#1f77b4" stroke-width="2"/>"##,
        path.join(" ")
    );
    for (x, st) in &points {
        let (px, py) = (sx(*x), sy(st.mean));
        let _ = writeln!(
            s,
            r##"<line x1="{px:.1}" y1="{:.1}" x2="{px:.1}" y2="{:.1}" stroke="#1f77b4"/><circle cx="{px:.1}" cy="{py:.1}" r="4" fill="#1f77b4"/>"##,
            sy(st.mean - st.std),
            sy(st.mean + st.std)
        );
    }
    // Adaptive stars.
    for (i, (name, bits, st)) in stars.iter().enumerate() {
        let (px, py) = (sx(*bits), sy(st.mean));
        let color = if i == 0 { "#d62728" } else { "#2ca02c" };
        let star: Vec<String> = (0..10)
            .map(|k| {
                let r = if k % 2 == 0 { 10.0 } else { 4.0 };
                let a = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
                format!("{:.1},{:.1}", px + r * a.cos(), py + r * a.sin())
            })
            .collect();
        let _ = writeln!(
            s,
            r#"<line x1="{px:.1}" y1="{:.1}" x2="{px:.1}" y2="{:.1}" stroke="{color}"/><polygon points="{}" fill="{color}"/>"#,
            sy(st.mean - st.std),
            sy(st.mean + st.std),
            star.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" fill="{color}">{name}: {:.2} bits, {:.2} %</text>"#,
            px + 12.0,
            py + 16.0 + 14.0 * i as f64,
            bits,
            st.mean
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="18" text-anchor="middle">fixed widths (line, mean ± std over {} seeds) and adaptive (stars)</text>"##,
        (left + w - right) / 2.0,
        summary.seeds
    );
    s.push_str("</svg>\n");
    s
}
