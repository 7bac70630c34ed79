//! Stills: decoded no larger than the biggest poster needs. JPEGs (and the JPEG previews that
//! RAW files embed) go through jpeg-decoder's DCT scaling, which decodes a 12-megapixel photo at
//! 1/8 of its size when 320 px are asked; other formats through the `image` crate. EXIF
//! orientation is applied in both cases.

use crate::error::{io, Error, Result};
use crate::manifest::StillDecode;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use jpeg_decoder::{CodingProcess, PixelFormat};
use std::io::Cursor;
use std::path::Path;

/// File extensions of camera RAW formats, whose embedded JPEG preview is used.
const RAW_EXTENSIONS: &[&str] = &[
    "3fr", "arw", "cr2", "cr3", "crw", "dcr", "dng", "erf", "iiq", "k25", "kdc", "mef", "mos",
    "mrw", "nef", "nrw", "orf", "pef", "raf", "raw", "rw2", "rwl", "sr2", "srf", "srw", "x3f",
];

/// How many `FF D8 FF` starts of a RAW file are tried as JPEG previews.
const RAW_CANDIDATES: usize = 64;

/// A still, decoded and oriented for display.
pub(crate) struct Decoded {
    pub(crate) image: RgbImage,
    pub(crate) decode: StillDecode,
}

/// Decodes the still at `path` at the smallest size that is still at least `width` px wide once
/// oriented (or whole, when the format cannot scale while decoding).
pub(crate) fn decode(path: &Path, width: u32) -> Result<Decoded> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let image_error = |message: String| Error::Image {
        path: path.to_path_buf(),
        message,
    };
    if is_raw(path) {
        let Some(offset) = embedded_jpeg(&bytes) else {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                reason: "RAW file without an embedded JPEG preview".into(),
            });
        };
        // The preview's own EXIF rarely has the orientation; the RAW's TIFF header does.
        let raw_orientation = Orientation::from_exif_chunk(&bytes[..bytes.len().min(65_536)]);
        let (image, denominator) =
            decode_jpeg(&bytes[offset..], width, raw_orientation).map_err(image_error)?;
        return Ok(Decoded {
            image,
            decode: StillDecode::RawEmbeddedJpeg { denominator },
        });
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        if let Ok((image, denominator)) = decode_jpeg(&bytes, width, None) {
            return Ok(Decoded {
                image,
                decode: StillDecode::JpegScaled { denominator },
            });
        }
        // A JPEG jpeg-decoder refuses (16-bit, odd sampling) gets a second chance below.
    }
    let image = decode_any(&bytes).map_err(image_error)?;
    Ok(Decoded {
        image,
        decode: StillDecode::Full,
    })
}

fn is_raw(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| RAW_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether an orientation turns the picture a quarter (width and height swap).
fn swaps(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Decodes a JPEG with DCT scaling; returns the oriented picture and the scale denominator
/// (1, 2, 4 or 8). `fallback` is the orientation when the JPEG's own EXIF has none.
fn decode_jpeg(
    bytes: &[u8],
    width: u32,
    fallback: Option<Orientation>,
) -> Result<(RgbImage, u8), String> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(|e| e.to_string())?;
    let info = decoder.info().ok_or("no JPEG header")?;
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .or(fallback)
        .unwrap_or(Orientation::NoTransforms);
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let shown_width = if swaps(orientation) { h } else { w };
    let denominator = [8u32, 4, 2]
        .into_iter()
        .find(|d| shown_width.div_ceil(*d) >= width)
        .unwrap_or(1);
    let (sw, sh) = decoder
        .scale(
            w.div_ceil(denominator) as u16,
            h.div_ceil(denominator) as u16,
        )
        .map_err(|e| e.to_string())?;
    let pixels = decoder.decode().map_err(|e| e.to_string())?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let rgb = match info.pixel_format {
        PixelFormat::RGB24 => RgbImage::from_raw(sw, sh, pixels),
        PixelFormat::L8 => image::GrayImage::from_raw(sw, sh, pixels)
            .map(|g| DynamicImage::ImageLuma8(g).to_rgb8()),
        PixelFormat::CMYK32 => Some(cmyk_to_rgb(sw, sh, &pixels)),
        PixelFormat::L16 => None,
    }
    .ok_or("unsupported JPEG pixel format")?;
    let mut img = DynamicImage::ImageRgb8(rgb);
    img.apply_orientation(orientation);
    let actual = (w / sw.max(1)).clamp(1, 8) as u8;
    Ok((img.to_rgb8(), actual))
}

/// CMYK as Adobe writes it (inverted) to RGB.
fn cmyk_to_rgb(width: u32, height: u32, pixels: &[u8]) -> RgbImage {
    let mut rgb = Vec::with_capacity(pixels.len() / 4 * 3);
    for p in pixels.chunks_exact(4) {
        let k = u16::from(p[3]);
        for c in &p[..3] {
            rgb.push((u16::from(*c) * k / 255) as u8);
        }
    }
    RgbImage::from_raw(width, height, rgb).unwrap_or_else(|| RgbImage::new(width, height))
}

/// Any format the `image` crate reads, decoded whole and oriented.
fn decode_any(bytes: &[u8]) -> Result<RgbImage, String> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    img.apply_orientation(orientation);
    if img.color().has_alpha() {
        return Ok(over_white(&img.to_rgba8()));
    }
    Ok(img.to_rgb8())
}

/// A picture with transparency laid on white, as a JPEG poster cannot be transparent.
fn over_white(img: &image::RgbaImage) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let [r, g, b, a] = img.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

/// The offset of the largest baseline or progressive JPEG inside a RAW file.
fn embedded_jpeg(bytes: &[u8]) -> Option<usize> {
    let mut best: Option<(u64, usize)> = None;
    let starts = bytes
        .windows(3)
        .enumerate()
        .filter(|(_, w)| *w == [0xFF, 0xD8, 0xFF])
        .map(|(i, _)| i)
        .take(RAW_CANDIDATES);
    for start in starts {
        let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(&bytes[start..]));
        if decoder.read_info().is_err() {
            continue;
        }
        let Some(info) = decoder.info() else { continue };
        let usable = info.coding_process != CodingProcess::Lossless
            && matches!(info.pixel_format, PixelFormat::RGB24 | PixelFormat::L8);
        let area = u64::from(info.width) * u64::from(info.height);
        if usable && best.is_none_or(|(a, _)| area > a) {
            best = Some((area, start));
        }
    }
    best.map(|(_, start)| start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparency_is_laid_on_white() {
        let img = image::RgbaImage::from_fn(2, 1, |x, _| {
            if x == 0 {
                image::Rgba([0, 0, 0, 0])
            } else {
                image::Rgba([200, 10, 10, 255])
            }
        });
        let flat = over_white(&img);
        assert_eq!(flat.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(flat.get_pixel(1, 0).0, [200, 10, 10]);
    }

    #[test]
    fn raw_extensions_are_recognised_in_any_case() {
        assert!(is_raw(Path::new("a/DSC_0001.NEF")));
        assert!(is_raw(Path::new("IMG_1.cr3")));
        assert!(!is_raw(Path::new("IMG_1.jpg")));
    }
}
