//! Generated avatars: a symmetric 5×5 pattern in a colour drawn from the person's name, as
//! code forges give their users before they choose a photo. Deterministic, so that a demo
//! seeded twice looks the same.
//!
//! Why the `png` crate: the encoder of the image-rs project, small and pure Rust.

use anyhow::Result;

const CELLS: usize = 5;
const CELL_PX: usize = 48;
const MARGIN_PX: usize = 24;

/// FNV-1a: a stable hash that does not change between Rust releases.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An HSL colour (hue in degrees, saturation and lightness in 0..1) as RGB bytes.
fn hsl(h: f64, s: f64, l: f64) -> [u8; 3] {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    [r, g, b].map(|v| ((v + m) * 255.0).round() as u8)
}

/// The avatar of `name`, as a PNG file.
pub fn png_for(name: &str) -> Result<Vec<u8>> {
    let h = fnv(name);
    let fg = hsl((h % 360) as f64, 0.55, 0.42);
    let bg = [0xf2, 0xf0, 0xeb];
    // Three columns decide the five: the pattern is mirrored around the middle.
    let on = |row: usize, col: usize| {
        let col = col.min(CELLS - 1 - col);
        (h >> (8 + row * 3 + col)) & 1 == 1
    };
    let side = CELLS * CELL_PX + 2 * MARGIN_PX;
    let mut pixels = Vec::with_capacity(side * side * 3);
    for y in 0..side {
        for x in 0..side {
            let inside = (MARGIN_PX..side - MARGIN_PX).contains(&x)
                && (MARGIN_PX..side - MARGIN_PX).contains(&y);
            let lit = inside && on((y - MARGIN_PX) / CELL_PX, (x - MARGIN_PX) / CELL_PX);
            pixels.extend_from_slice(if lit { &fg } else { &bg });
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
    }
    Ok(out)
}
