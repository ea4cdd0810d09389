//! One seed's search as a picture: the exact front of every mix of widths beside what the
//! margin search and the fixed widths reached, on the search's rows.

use plotters::prelude::*;

use crate::run::SeedRun;
use ser_search::Budget;

/// Pixel size of the axes' part of the figure; the legend's room is below it.
const SIZE: (u32, u32) = (760, 420);
const LEGEND: u32 = 96;
const FRONT: RGBColor = RGBColor(148, 103, 189);
const MARGIN: RGBColor = RGBColor(214, 39, 40);
const LIMIT: RGBColor = RGBColor(120, 120, 120);

/// The front of `run` (a seed run with the budget mode) as an SVG: search accuracy against
/// cost (average bits, or KB of model file for a byte budget) for the Pareto front over
/// every mix, the budget as a dashed line, the mix it chose as a star and, with an
/// average-bits budget, the front of the fixed widths and the margin search's trials. All of
/// it is judged on the search's rows (never the test rows). `None` when the run has no
/// budget or its front is empty.
///
/// ```
/// use ndarray::Array2;
/// use ser_data::Dataset;
/// use ser_features::{FeatureConfig, FeatureGroups};
/// use ser_mlp::TrainConfig;
/// use ser_experiment::{RunConfig, front_svg, run_seed};
/// use ser_search::Budget;
///
/// // 60 rows of 3 separable classes in 4 MFCC columns, and a small network.
/// let features = FeatureConfig { n_mfcc: 4, groups: FeatureGroups::MFCC_ONLY, ..FeatureConfig::default() };
/// let x = Array2::from_shape_fn((60, 4), |(i, j)| if j % 3 == i % 3 { 2.0 } else { 0.0 } + ((i * 7 + j) % 5) as f32 / 5.0);
/// let labels: Vec<String> = (0..60).map(|i| format!("c{}", i % 3)).collect();
/// let names = (0..60).map(|i| format!("{i}.wav")).collect();
/// let data = Dataset::from_rows(x, &labels, vec![None; 60], names, features.feature_names())?;
/// let budget = Budget::AverageBits(2.0);
/// let config = RunConfig {
///     train: TrainConfig { hidden: vec![8], max_epochs: 10, ..TrainConfig::default() },
///     budget: Some(budget),
///     ..RunConfig::default()
/// };
/// let run = run_seed(&data, &features, 0, &config)?;
/// let svg = front_svg(&run, budget).expect("a run with a budget has a front");
/// assert!(svg.contains("every mix"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn front_svg(run: &SeedRun, budget: Budget) -> Option<String> {
    let budgeted = run.budgeted.as_ref()?;
    let to_x = |cost: f64| match budget {
        Budget::AverageBits(_) => cost,
        Budget::Bytes(_) => cost / 1000.0,
    };
    let front: Vec<(f64, f64)> = budgeted
        .front
        .iter()
        .map(|[c, a]| (to_x(*c), *a))
        .filter(|(c, a)| c.is_finite() && a.is_finite())
        .collect();
    if front.is_empty() {
        return None;
    }
    let chosen = (
        match budget {
            Budget::AverageBits(_) => budgeted.model.average_bits,
            Budget::Bytes(_) => budgeted.model.bytes as f64 / 1000.0,
        },
        budgeted.search_accuracy,
    );
    // The margin search's points are in average bits; with a byte budget they are left out.
    let margin: Vec<(f64, f64)> = match budget {
        Budget::AverageBits(_) => run
            .pareto
            .iter()
            .map(|[b, a]| (*b, *a))
            .filter(|(b, _)| *b <= 8.0)
            .collect(),
        Budget::Bytes(_) => Vec::new(),
    };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (SIZE.0, SIZE.1 + LEGEND)).into_drawing_area();
        let _ = draw(&root, run, budget, &front, chosen, &margin);
    }
    Some(out)
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    run: &SeedRun,
    budget: Budget,
    front: &[(f64, f64)],
    chosen: (f64, f64),
    margin: &[(f64, f64)],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let points = || front.iter().chain(margin).chain(std::iter::once(&chosen));
    let (x_lo, x_hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let limit = match budget {
        Budget::AverageBits(b) => b,
        Budget::Bytes(b) => b as f64 / 1000.0,
    };
    let (x_lo, x_hi) = (x_lo.min(limit), x_hi.max(limit));
    let pad = (x_hi - x_lo).max(0.5) * 0.04;
    let (y_lo, y_hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let y = ((y_lo - 2.0).max(0.0), (y_hi + 2.0).min(100.0));
    let unit = match budget {
        Budget::AverageBits(_) => "average bits per weight",
        Budget::Bytes(_) => "model file, KB",
    };
    let (plot_area, legend_area) = root.split_vertically(SIZE.1);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(
            format!(
                "Seed {}: search accuracy of every mix of widths ({} rows, never the test rows)",
                run.seed, run.search_rows
            ),
            ("sans-serif", 16),
        )
        .margin(12)
        .margin_right(24)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d((x_lo - pad)..(x_hi + pad), y.0..y.1)?;
    chart
        .configure_mesh()
        .x_desc(unit)
        .y_desc("search accuracy (%)")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .draw()?;
    let mut legend = ChartBuilder::on(&legend_area).build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
    let none = || std::iter::empty::<Circle<(f64, f64), i32>>();
    chart.draw_series(DashedLineSeries::new(
        [(limit, y.0), (limit, y.1)],
        6,
        4,
        LIMIT.into(),
    ))?;
    legend
        .draw_series(none())?
        .label(format!("the budget: {limit} {unit}"))
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (7, 0)], LIMIT)
                + PathElement::new([(13, 0), (20, 0)], LIMIT)
        });
    // A front is a staircase: each point holds until the next, dearer one.
    let stairs = |p: &[(f64, f64)]| -> Vec<(f64, f64)> {
        let mut s = Vec::with_capacity(2 * p.len());
        for (i, &(x, a)) in p.iter().enumerate() {
            if i > 0 {
                s.push((x, p[i - 1].1));
            }
            s.push((x, a));
        }
        s
    };
    chart.draw_series(LineSeries::new(stairs(front), FRONT.stroke_width(2)))?;
    chart.draw_series(front.iter().map(|&p| Circle::new(p, 3, FRONT.filled())))?;
    legend
        .draw_series(none())?
        .label(format!(
            "every mix: its Pareto front ({} points of {} mixes scored{})",
            front.len(),
            run.budgeted.as_ref().map_or(0, |b| b.scored),
            if run.budgeted.as_ref().is_some_and(|b| b.exact) {
                ""
            } else {
                ", by the proxy"
            }
        ))
        .legend(|(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (20, 0)], FRONT.stroke_width(2))
                + Circle::new((10, 0), 3, FRONT.filled())
        });
    if !margin.is_empty() {
        chart.draw_series(LineSeries::new(stairs(margin), MARGIN.stroke_width(1)))?;
        chart.draw_series(
            margin
                .iter()
                .map(|&p| Cross::new(p, 4, MARGIN.stroke_width(2))),
        )?;
        legend
            .draw_series(none())?
            .label("the margin search and the fixed widths: the front of what they tried")
            .legend(|(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new([(0, 0), (20, 0)], MARGIN)
                    + Cross::new((10, 0), 4, MARGIN.stroke_width(2))
            });
    }
    let star = |r: f64| -> Vec<(i32, i32)> {
        (0..10)
            .map(|k| {
                let radius = if k % 2 == 0 { r } else { r * 0.45 };
                let angle = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
                (
                    (radius * angle.cos()).round() as i32,
                    (radius * angle.sin()).round() as i32,
                )
            })
            .collect()
    };
    chart.draw_series([EmptyElement::at(chosen) + Polygon::new(star(10.0), FRONT.filled())])?;
    legend
        .draw_series(none())?
        .label(format!(
            "chosen within the budget: {:.2} {unit}, {:.2} %",
            chosen.0, chosen.1
        ))
        .legend(move |(x, y)| {
            EmptyElement::at((x + 10, y)) + Polygon::new(star(8.0), FRONT.filled())
        });
    legend
        .configure_series_labels()
        .position(SeriesLabelPosition::Coordinate(56, 0))
        .label_font(("sans-serif", 13))
        .legend_area_size(26)
        .margin(6)
        .draw()?;
    root.present()
}
