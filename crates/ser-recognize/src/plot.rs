//! The timeline of a recording as a picture: every class's probability over time.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::stream::WindowPrediction;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Failed = DrawingAreaErrorKind<std::io::Error>;

/// Pixel size of the figure.
const SIZE: (u32, u32) = (900, 420);
/// Room below the axes for the legend.
const LEGEND_ROOM: u32 = 70;
/// Distinct colours for up to ten classes (matplotlib's tab10), then they repeat.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const SILENCE: RGBColor = RGBColor(225, 225, 225);

/// An SVG of each class's probability over time, one line per class at each window's centre,
/// broken where the gate found no speech (those windows shaded grey), with a legend of the
/// classes below the axes. `title` heads it (the file's name, say). A drawing error yields
/// whatever SVG was drawn until then.
///
/// ```
/// use ser_recognize::{Prediction, WindowPrediction, timeline_svg};
///
/// let classes = vec!["anger".to_string(), "neutral".to_string()];
/// let window = |start: f64, p: Option<f32>| WindowPrediction {
///     start, end: start + 3.0, level_db: -20.0,
///     prediction: p.map(|p| Prediction::from_probabilities(&classes, &[p, 1.0 - p])),
///     features: Vec::new(),
/// };
/// let svg = timeline_svg(&[window(0.0, Some(0.9)), window(1.0, None), window(2.0, Some(0.2))], &classes, "call.wav");
/// assert!(svg.starts_with("<svg") && svg.contains("neutral"));
/// ```
pub fn timeline_svg(windows: &[WindowPrediction], classes: &[String], title: &str) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        // The backend closes the document when dropped, whether or not drawing finished.
        let _ = draw(&root, windows, classes, title);
    }
    out
}

fn draw(
    root: &Area<'_>,
    windows: &[WindowPrediction],
    classes: &[String],
    title: &str,
) -> Result<(), Failed> {
    root.fill(&WHITE)?;
    let (axes_area, legend_area) = root.split_vertically(SIZE.1 - LEGEND_ROOM);
    let end = windows
        .iter()
        .map(|w| w.end)
        .fold(0.0f64, f64::max)
        .max(1e-3);
    let mut chart = ChartBuilder::on(&axes_area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..end, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("probability")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    // Grey behind the windows without speech.
    chart.draw_series(
        windows
            .iter()
            .filter(|w| w.prediction.is_none())
            .map(|w| Rectangle::new([(w.start, 0.0), (w.end, 1.0)], SILENCE.filled())),
    )?;
    for (c, _) in classes.iter().enumerate() {
        let colour = COLOURS[c % COLOURS.len()];
        for run in speech_runs(windows) {
            let points: Vec<(f64, f64)> = run
                .iter()
                .filter_map(|w| {
                    let p = w.prediction.as_ref()?.probabilities.get(c)?.1;
                    Some(((w.start + w.end) / 2.0, f64::from(p)))
                })
                .collect();
            if points.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(points[0], 3, colour.filled())))?;
            } else {
                chart.draw_series(LineSeries::new(points, colour.stroke_width(2)))?;
            }
        }
    }
    draw_legend(&legend_area, classes)
}

/// The runs of consecutive windows with speech.
fn speech_runs(windows: &[WindowPrediction]) -> Vec<&[WindowPrediction]> {
    windows
        .split(|w| w.prediction.is_none())
        .filter(|run| !run.is_empty())
        .collect()
}

fn draw_legend(area: &Area<'_>, classes: &[String]) -> Result<(), Failed> {
    let per_row = 6usize;
    let style = ("sans-serif", 14).into_font();
    let items = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), COLOURS[i % COLOURS.len()]))
        .chain(std::iter::once(("no speech", SILENCE)));
    for (i, (name, colour)) in items.enumerate() {
        let x = 60 + (i % per_row) as i32 * 135;
        let y = 10 + (i / per_row) as i32 * 22;
        area.draw(&Rectangle::new([(x, y), (x + 18, y + 12)], colour.filled()))?;
        area.draw(&Text::new(name.to_string(), (x + 24, y), style.clone()))?;
    }
    Ok(())
}
