//! A chart as a PNG for print: its SVG rendered with resvg at 300 dots per
//! inch (3.125 times the screen's 96), the resolution recorded in the file,
//! so a funding paper gets sharp figures with the same content as the page.

use super::Chart;
use crate::error::DashboardError;
use resvg::{tiny_skia, usvg};
use std::sync::{Arc, OnceLock};

pub const PRINT_DPI: f32 = 300.0;

/// The system's fonts, loaded once, with "sans-serif" (the charts' family)
/// resolved to one that is installed.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            let families: Vec<String> = db
                .faces()
                .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
                .collect();
            for wanted in ["DejaVu Sans", "Liberation Sans", "Arial"] {
                if families.iter().any(|f| f == wanted) {
                    db.set_sans_serif_family(wanted);
                    break;
                }
            }
            Arc::new(db)
        })
        .clone()
}

pub fn print_png(chart: &Chart) -> Result<Vec<u8>, DashboardError> {
    let fail = |problem: String| DashboardError::Chart {
        chart: chart.name.clone(),
        problem,
    };
    let svg = chart.svg()?;
    let options = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree =
        usvg::Tree::from_str(&svg, &options).map_err(|e| fail(format!("reading its SVG: {e}")))?;
    let scale = PRINT_DPI / 96.0;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| fail("an empty chart".into()))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| fail("an empty chart".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, size.width(), size.height());
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        // Pixels per metre: 300 per inch.
        let per_metre = (PRINT_DPI / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder
            .write_header()
            .map_err(|e| fail(format!("encoding PNG: {e}")))?;
        writer
            .write_image_data(pixmap.data())
            .map_err(|e| fail(format!("encoding PNG: {e}")))?;
    }
    Ok(bytes)
}
