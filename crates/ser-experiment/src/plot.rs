//! The poster's figure: test accuracy against average bits.

use plotters::coord::Shift;
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::RangedCoordf64;
use plotters::element::ErrorBarOrientV;
use plotters::prelude::*;

use crate::report::{Stat, Summary};

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Failed = DrawingAreaErrorKind<std::io::Error>;
/// The axes: log2 bits against accuracy.
type Axes<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<WithKeyPoints<LogCoord<f64>>, RangedCoordf64>>;
/// The legend strip below the axes.
type Legend<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// An adaptive model's star: its name, colour, bits and accuracy.
type Star<'s> = (&'static str, RGBColor, (f64, Stat));

/// Pixel size of the axes' part of the figure; the legend's room is added below it.
const SIZE: (u32, u32) = (760, 440);
/// Height of one legend entry, and the legend's margin.
const LEGEND_LINE: u32 = 16;
/// The legend's left edge, in line with the plot's y axis.
const LEGEND_LEFT: i32 = 56;
/// The bits axis, a little wider than 1-32 so that no point sits on its ends.
const BITS: (f64, f64) = (0.8, 45.0);
/// Ticks of the log2 bits axis: the fixed widths' range and the f32 baseline's 32.
const BITS_TICKS: [f64; 6] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
const FIXED: RGBColor = RGBColor(31, 119, 180);
const BASELINE: RGBColor = RGBColor(90, 90, 90);
const ADAPTIVE: RGBColor = RGBColor(214, 39, 40);
const FINETUNED: RGBColor = RGBColor(44, 160, 44);
const BUDGETED: RGBColor = RGBColor(148, 103, 189);
const BUDGETED_FINETUNED: RGBColor = RGBColor(255, 127, 14);

/// The poster's figure, so a run's report shows at a glance what the adaptive widths buy:
/// accuracy against average bits on a log2 axis that also holds the f32 baseline at 32 bits,
/// with error bars of the sample std over seeds. Names and values sit in a legend below the
/// axes, so no label covers a point; the accuracy axis never leaves 0-100 %. Missing or NaN
/// values are left out, and a drawing error yields whatever SVG was drawn until then.
pub fn svg(summary: &Summary) -> String {
    let mut out = String::new();
    {
        let size = (SIZE.0, SIZE.1 + legend_room(summary));
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        // The backend closes the document when dropped, whether or not drawing finished.
        let _ = draw(&root, summary);
    }
    out
}

/// Room below the x axis for the legend, so it never covers data: one line per entry (the
/// fixed widths, the baseline and every model drawn as a star).
fn legend_room(summary: &Summary) -> u32 {
    let optional = [
        summary.adaptive_finetuned.is_some(),
        summary.budgeted.is_some(),
        summary.budgeted_finetuned.is_some(),
    ];
    let entries = 3 + optional.iter().filter(|&&b| b).count() as u32;
    LEGEND_LINE * (entries + 1)
}

/// A point of the figure: bits, accuracy, where both are numbers.
fn point(bits: f64, accuracy: Stat) -> Option<(f64, Stat)> {
    (bits.is_finite() && bits > 0.0 && accuracy.mean.is_finite()).then_some((bits, accuracy))
}

/// `mean - std` and `mean + std` within `range` (a NaN std draws no bar).
fn span(s: Stat, range: (f64, f64)) -> (f64, f64) {
    let std = if s.std.is_finite() { s.std.abs() } else { 0.0 };
    let c = |v: f64| v.clamp(range.0, range.1);
    (c(s.mean - std), c(s.mean + std))
}

/// The accuracy axis: the data's range (means ± std) padded to multiples of 10, within 0-100.
fn accuracy_range(stats: &[Stat]) -> (f64, f64) {
    let (lo, hi) = stats
        .iter()
        .flat_map(|s| {
            let (a, b) = span(*s, (0.0, 100.0));
            [a, b]
        })
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 100.0);
    }
    // A bar's end a point or two from a multiple of 10 gets the next one, clear of the axis.
    let lo = (((lo - 2.0) / 10.0).floor() * 10.0).clamp(0.0, 90.0);
    (
        lo,
        (((hi + 2.0) / 10.0).ceil() * 10.0).clamp(lo + 10.0, 100.0),
    )
}

/// A five-pointed star around (0, 0), in pixels.
fn star(r: f64) -> Vec<(i32, i32)> {
    (0..10)
        .map(|k| {
            let r = if k % 2 == 0 { r } else { r * 0.45 };
            let a = std::f64::consts::PI * (f64::from(k) / 5.0 - 0.5);
            ((r * a.cos()).round() as i32, (r * a.sin()).round() as i32)
        })
        .collect()
}

/// No points: a series that only puts a line in the legend.
fn none() -> std::iter::Empty<Circle<(f64, f64), i32>> {
    std::iter::empty()
}

/// The figure on `root`, stopping at the first drawing error.
fn draw(root: &Area<'_>, summary: &Summary) -> Result<(), Failed> {
    root.fill(&WHITE)?;
    let fixed: Vec<(f64, Stat)> = (1..)
        .zip(&summary.fixed)
        .filter_map(|(bits, s)| point(f64::from(bits), s.accuracy))
        .collect();
    let baseline = point(32.0, summary.baseline.accuracy);
    let mut stars = vec![("adaptive", ADAPTIVE, &summary.adaptive)];
    if let Some(f) = &summary.adaptive_finetuned {
        stars.push(("adaptive + fine-tuning", FINETUNED, f));
    }
    if let Some(b) = &summary.budgeted {
        stars.push(("within the budget", BUDGETED, b));
    }
    if let Some(b) = &summary.budgeted_finetuned {
        stars.push(("within the budget + fine-tuning", BUDGETED_FINETUNED, b));
    }
    let stars: Vec<_> = stars
        .into_iter()
        .filter_map(|(name, color, e)| {
            point(e.average_bits.mean, e.accuracy).map(|p| (name, color, p))
        })
        .filter(|(_, _, (bits, _))| (BITS.0..BITS.1).contains(bits))
        .collect();
    let all: Vec<Stat> = (fixed.iter().chain(&baseline))
        .map(|p| p.1)
        .chain(stars.iter().map(|s| s.2.1))
        .collect();
    let y = accuracy_range(&all);
    let seeds = match summary.seeds {
        1 => "1 seed".to_string(),
        n => format!("{n} seeds"),
    };
    let (plot_area, legend_area) = root.split_vertically(SIZE.1);
    // The legend is a chart of its own below the axes: plotters keeps a chart's legend inside
    // its plotting area, where it could cover a point.
    let mut legend = ChartBuilder::on(&legend_area).build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
    let mut chart = axes(&plot_area, y, &seeds)?;
    if let Some((_, b)) = baseline {
        let mean = b.mean.clamp(y.0, y.1);
        let line = DashedLineSeries::new([(BITS.0, mean), (BITS.1, mean)], 8, 5, BASELINE.into());
        chart.draw_series(line)?;
    }
    draw_fixed(&mut chart, &mut legend, &fixed, y)?;
    draw_stars(&mut chart, &mut legend, stars, y)?;
    if let Some(b) = baseline {
        chart.draw_series([bar(b, BASELINE, y)])?;
        legend
            .draw_series(none())?
            .label(format!(
                "f32 baseline: 32 bits, {:.2} ± {:.2} % (dashed line)",
                b.1.mean, b.1.std
            ))
            .legend(|(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new([(0, 0), (7, 0)], BASELINE)
                    + PathElement::new([(13, 0), (20, 0)], BASELINE)
                    + Circle::new((10, 0), 4, BASELINE.filled())
            });
    }
    legend
        .configure_series_labels()
        .position(SeriesLabelPosition::Coordinate(LEGEND_LEFT, 0))
        .label_font(("sans-serif", 13))
        .legend_area_size(26)
        .margin(6)
        .draw()?;
    root.present()
}

/// The axes on `area`: log2 bits from [`BITS`] against accuracy `y`, titled for `seeds`.
fn axes<'a, 'b>(area: &'a Area<'b>, y: (f64, f64), seeds: &str) -> Result<Axes<'a, 'b>, Failed> {
    // Multiples of 10 (of 5 on a narrow axis), as plotters picks at most this many.
    let y_ticks = ((y.1 - y.0) / if y.1 - y.0 > 30.0 { 10.0 } else { 5.0 }) as usize + 1;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("Test accuracy against average bits per weight (mean ± std over {seeds})"),
            ("sans-serif", 17),
        )
        .margin(12)
        .margin_right(24)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d(
            (BITS.0..BITS.1)
                .log_scale()
                .with_key_points(BITS_TICKS.to_vec()),
            y.0..y.1,
        )?;
    chart
        .configure_mesh()
        .x_desc("average bits per weight (log scale)")
        .y_desc("test accuracy (WA, %)")
        .y_labels(y_ticks)
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(chart)
}

/// An error bar of `s` at `bits`, within the accuracy axis `y`.
fn bar(
    (bits, s): (f64, Stat),
    color: RGBColor,
    y: (f64, f64),
) -> ErrorBar<f64, f64, ErrorBarOrientV<f64, f64>> {
    let (lo, hi) = span(s, y);
    ErrorBar::new_vertical(bits, lo, s.mean.clamp(y.0, y.1), hi, color.filled(), 8)
}

/// The fixed widths: a line through the means, and their error bars.
fn draw_fixed<'a, 'b: 'a>(
    chart: &mut Axes<'a, 'b>,
    legend: &mut Legend<'a, 'b>,
    fixed: &[(f64, Stat)],
    y: (f64, f64),
) -> Result<(), Failed> {
    let (Some(first), Some(last)) = (fixed.first(), fixed.last()) else {
        return Ok(());
    };
    let means = fixed.iter().map(|(b, s)| (*b, s.mean.clamp(y.0, y.1)));
    chart.draw_series(LineSeries::new(means, FIXED.stroke_width(2)))?;
    legend
        .draw_series(none())?
        .label(match (first.0, last.0) {
            (a, b) if a == b => format!("fixed width, every layer at {a} bits"),
            (a, b) => format!("fixed width, every layer at {a}-{b} bits"),
        })
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (20, 0)], FIXED.stroke_width(2))
                + Circle::new((10, 0), 4, FIXED.filled())
        });
    chart.draw_series(fixed.iter().map(|p| bar(*p, FIXED, y)))?;
    Ok(())
}

/// The adaptive models as stars with error bars. A fine-tuned model keeps its widths, so
/// both stars share their bits: they are drawn a few pixels apart, left and right of the true
/// x, so that neither hides the other.
fn draw_stars<'a, 'b: 'a>(
    chart: &mut Axes<'a, 'b>,
    legend: &mut Legend<'a, 'b>,
    stars: Vec<Star<'_>>,
    y: (f64, f64),
) -> Result<(), Failed> {
    // Stars at the same bits (a model and its fine-tuned self) are spread around it.
    let same = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let places: Vec<i32> = (0..stars.len())
        .map(|i| {
            let bits = stars[i].2.0;
            let before = stars[..i].iter().filter(|s| same(s.2.0, bits)).count() as i32;
            let group = stars.iter().filter(|s| same(s.2.0, bits)).count() as i32;
            7 * (2 * before - (group - 1))
        })
        .collect();
    for ((name, color, (bits, s)), dx) in stars.into_iter().zip(places) {
        let (lo, hi) = span(s, y);
        let mean = s.mean.clamp(y.0, y.1);
        let at = chart.backend_coord(&(bits, mean));
        let dy = |v: f64| chart.backend_coord(&(bits, v)).1 - at.1;
        let (top, bottom) = (dy(hi), dy(lo));
        let style = color.stroke_width(1);
        let element = EmptyElement::at((bits, mean))
            + PathElement::new([(dx, top), (dx, bottom)], style)
            + PathElement::new([(dx - 4, top), (dx + 4, top)], style)
            + PathElement::new([(dx - 4, bottom), (dx + 4, bottom)], style)
            + Polygon::new(
                star(10.0)
                    .into_iter()
                    .map(|(x, y)| (x + dx, y))
                    .collect::<Vec<_>>(),
                color.filled(),
            );
        chart.draw_series([element])?;
        legend
            .draw_series(none())?
            .label(format!(
                "{name}: {bits:.2} bits, {:.2} ± {:.2} %",
                s.mean, s.std
            ))
            .legend(move |(x, y)| {
                EmptyElement::at((x + 10, y)) + Polygon::new(star(8.0), color.filled())
            });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::EvaluatedSummary;

    fn model(bits: f64, mean: f64, std: f64) -> EvaluatedSummary {
        let s = |mean| Stat { mean, std: 0.0 };
        EvaluatedSummary {
            accuracy: Stat { mean, std },
            ua: Stat { mean, std },
            size_kb: s(bits),
            bytes: s(bits * 100.0),
            average_bits: s(bits),
        }
    }

    /// A summary like a real run's: `fixed` as (mean, std) for 1, 2, ... bits.
    fn summary(fixed: &[(f64, f64)]) -> Summary {
        Summary {
            seeds: 10,
            baseline: model(32.0, 70.0, 8.0),
            fixed: (1..)
                .zip(fixed)
                .map(|(b, &(m, s))| model(f64::from(b), m, s))
                .collect(),
            adaptive: model(2.3, 66.0, 9.0),
            adaptive_finetuned: Some(model(2.3, 69.0, 8.0)),
            search_seconds: Stat {
                mean: 1.0,
                std: 0.1,
            },
            adaptive_vs_baseline: Stat {
                mean: -4.0,
                std: 2.0,
            },
            finetuned_vs_baseline: Some(Stat {
                mean: -1.0,
                std: 1.0,
            }),
            budgeted: None,
            budgeted_vs_baseline: None,
            budgeted_finetuned: None,
            budgeted_finetuned_vs_baseline: None,
        }
    }

    const REALISTIC: [(f64, f64); 8] = [
        (20.0, 10.0),
        (55.0, 9.0),
        (66.0, 8.0),
        (69.0, 8.0),
        (69.5, 8.0),
        (70.0, 8.0),
        (69.8, 8.0),
        (70.0, 8.0),
    ];

    /// Every text that is a number alone: the tick labels of both axes.
    fn numbers(svg: &str) -> Vec<f64> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| t.split_once('>').and_then(|(_, r)| r.split_once("</text>")))
            .filter_map(|(text, _)| text.trim().parse().ok())
            .collect()
    }

    fn write(name: &str, svg: &str) {
        if let Ok(dir) = std::env::var("SER_PLOT_DIR") {
            let _ = std::fs::write(format!("{dir}/plot_{name}.svg"), svg);
        }
    }

    #[test]
    fn holds_the_series_and_the_log_bits_axis() {
        let svg = svg(&summary(&REALISTIC));
        write("realistic", &svg);
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        assert!(svg.trim_end().ends_with("</svg>"));
        for name in [
            "fixed width, every layer at 1-8 bits",
            "adaptive: 2.30 bits, 66.00 ± 9.00 %",
            "adaptive + fine-tuning: 2.30 bits, 69.00 ± 8.00 %",
            "f32 baseline: 32 bits, 70.00 ± 8.00 %",
            "over 10 seeds",
            "average bits per weight (log scale)",
            "test accuracy (WA, %)",
        ] {
            assert!(svg.contains(name), "{name}");
        }
        let n = numbers(&svg);
        for tick in [1.0, 2.0, 4.0, 8.0, 16.0, 32.0] {
            assert!(n.contains(&tick), "x tick {tick} in {n:?}");
        }
        // 20 - 10 = 10 is the lowest value, padded to 0; 70 + 8 = 78 the highest, to 80.
        assert!(
            n.contains(&0.0) && n.contains(&80.0) && !n.contains(&90.0),
            "{n:?}"
        );
    }

    #[test]
    fn budget_models_get_stars_and_the_legend_grows_to_hold_them() {
        let plain = svg(&summary(&REALISTIC));
        let mut with = summary(&REALISTIC);
        with.budgeted = Some(model(1.8, 68.0, 6.0));
        with.budgeted_finetuned = Some(model(1.8, 69.5, 5.0));
        let budget = svg(&with);
        write("budget", &budget);
        for name in [
            "within the budget: 1.80 bits, 68.00 ± 6.00 %",
            "within the budget + fine-tuning: 1.80 bits, 69.50 ± 5.00 %",
        ] {
            assert!(budget.contains(name) && !plain.contains(name), "{name}");
        }
        let height = |svg: &str| -> u32 {
            let at = svg.find("height=\"").unwrap() + 8;
            svg[at..].split('"').next().unwrap().parse().unwrap()
        };
        assert_eq!(height(&budget), height(&plain) + 2 * LEGEND_LINE);
    }

    #[test]
    fn accuracy_axis_stays_within_0_to_100() {
        for (name, fixed) in [
            ("high", [(5.0, 9.0), (96.0, 9.0)]),
            ("low", [(3.0, 8.0), (97.0, 2.0)]),
        ] {
            let svg = svg(&summary(&fixed));
            write(name, &svg);
            let n = numbers(&svg);
            assert!(n.iter().all(|v| (0.0..=100.0).contains(v)), "{name}: {n:?}");
            assert!(n.contains(&0.0) && n.contains(&100.0), "{name}: {n:?}");
        }
    }

    #[test]
    fn missing_and_nan_values_do_not_panic() {
        let nan = Stat {
            mean: f64::NAN,
            std: f64::NAN,
        };
        let mut s = summary(&[]);
        assert!(svg(&s).contains("</svg>"));
        s.fixed = vec![model(1.0, f64::NAN, f64::NAN), model(2.0, 50.0, f64::NAN)];
        s.baseline.accuracy = nan;
        s.adaptive.average_bits = nan;
        s.adaptive_finetuned = None;
        s.seeds = 0;
        let svg = svg(&s);
        write("nan", &svg);
        assert!(svg.starts_with("<svg") && svg.contains("every layer at 2 bits\n"));
        let mut all = summary(&[]);
        all.baseline.accuracy = nan;
        all.adaptive.accuracy = nan;
        all.adaptive_finetuned = Some(all.adaptive);
        assert!(super::svg(&all).contains("</svg>"));
    }
}
