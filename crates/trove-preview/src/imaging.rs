//! Pixel work shared by stills and video posters: fitting a width without upscaling, resizing
//! (fast_image_resize, SIMD), JPEG encoding, and the luma variance that tells a black or flat
//! frame from a picture.

use crate::error::{io, Error, Result};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;
use std::io::BufWriter;
use std::path::Path;

/// JPEG quality of posters.
const JPEG_QUALITY: u8 = 82;

/// The size of a `width`-wide picture of a `src_w`×`src_h` one, never wider than the source.
pub(crate) fn fit_width(src_w: u32, src_h: u32, width: u32) -> (u32, u32) {
    let w = width.min(src_w).max(1);
    let h = (f64::from(src_h) * f64::from(w) / f64::from(src_w.max(1))).round() as u32;
    (w, h.max(1))
}

/// `value` rounded down to an even number, at least 2 (H.264 in 4:2:0 needs even sizes).
pub(crate) fn even(value: f64) -> u32 {
    ((value.floor() as u32) & !1).max(2)
}

/// `value` rounded to the nearest even number, at least 2.
pub(crate) fn even_round(value: f64) -> u32 {
    (((value / 2.0).round() as u32) * 2).max(2)
}

/// `img` resized to `width`×`height` (Catmull-Rom).
pub(crate) fn resize(img: &RgbImage, width: u32, height: u32) -> Result<RgbImage, String> {
    if img.dimensions() == (width, height) {
        return Ok(img.clone());
    }
    let src = ImageRef::new(img.width(), img.height(), img.as_raw(), PixelType::U8x3)
        .map_err(|e| e.to_string())?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| e.to_string())?;
    RgbImage::from_raw(width, height, dst.into_vec()).ok_or_else(|| "resize buffer".to_owned())
}

/// Writes `img` as a JPEG at `path`.
pub(crate) fn write_jpeg(img: &RgbImage, path: &Path) -> Result<()> {
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut out = BufWriter::new(file);
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(img)
        .map_err(|e| Error::Image {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    std::io::Write::flush(&mut out).map_err(io(path))
}

/// The variance of luma (BT.601) over a grid of about 10,000 pixels: near zero for a black,
/// white or flat frame, large for a picture with detail and contrast.
pub(crate) fn luma_variance(img: &RgbImage) -> f64 {
    let (w, h) = img.dimensions();
    let step = ((u64::from(w) * u64::from(h) / 10_000).max(1) as f64)
        .sqrt()
        .max(1.0) as u32;
    let (mut n, mut sum, mut sum_sq) = (0.0_f64, 0.0_f64, 0.0_f64);
    for y in (0..h).step_by(step as usize) {
        for x in (0..w).step_by(step as usize) {
            let [r, g, b] = img.get_pixel(x, y).0;
            let luma = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
            n += 1.0;
            sum += luma;
            sum_sq += luma * luma;
        }
    }
    if n == 0.0 {
        return 0.0;
    }
    let mean = sum / n;
    (sum_sq / n - mean * mean).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_never_upscales() {
        assert_eq!(fit_width(4000, 3000, 320), (320, 240));
        assert_eq!(fit_width(200, 100, 320), (200, 100));
        assert_eq!(fit_width(1080, 1920, 320), (320, 569));
        assert_eq!(even(853.3), 852);
        assert_eq!(even(1.0), 2);
        assert_eq!(even_round(89.9), 90);
        assert_eq!(even_round(88.9), 88);
    }

    #[test]
    fn black_has_no_variance() {
        let black = RgbImage::new(64, 64);
        assert_eq!(luma_variance(&black), 0.0);
        let stripes = RgbImage::from_fn(64, 64, |x, _| {
            if x % 2 == 0 {
                image::Rgb([255, 255, 255])
            } else {
                image::Rgb([0, 0, 0])
            }
        });
        assert!(luma_variance(&stripes) > 10_000.0);
    }

    #[test]
    fn resize_gives_the_asked_size() {
        let img = RgbImage::from_pixel(500, 375, image::Rgb([10, 200, 30]));
        let small = resize(&img, 320, 240).expect("resize");
        assert_eq!(small.dimensions(), (320, 240));
        assert_eq!(small.get_pixel(100, 100).0, [10, 200, 30]);
    }
}
