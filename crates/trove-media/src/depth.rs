//! Bit depth from ffmpeg's pixel and sample format names, for when a stream does not state
//! `bits_per_raw_sample` (ffprobe leaves it out for many codecs).

/// Bits per component of a pixel format such as "yuv422p10le" (10), "yuv420p" (8), "rgb48be"
/// (16), "p010le" (10), "nv12" (8). `None` for hardware surfaces and packed formats whose
/// components differ in size (rgb565).
pub(crate) fn pix_fmt_bit_depth(pix_fmt: &str) -> Option<u32> {
    let name = pix_fmt.trim().to_ascii_lowercase();
    let name = name
        .strip_suffix("le")
        .or_else(|| name.strip_suffix("be"))
        .unwrap_or(&name);
    // Names whose trailing digits are not the depth, or that have none but are not 8 bits.
    let special = match name {
        "nv12" | "nv21" | "nv16" | "nv24" | "nv42" => Some(Some(8)),
        "nv20" => Some(Some(10)),
        "rgb24" | "bgr24" | "rgb0" | "bgr0" | "0rgb" | "0bgr" => Some(Some(8)),
        "rgb48" | "bgr48" | "rgba64" | "bgra64" | "ayuv64" => Some(Some(16)),
        "uyvy422" | "yuyv422" | "yvyu422" | "uyyvyy411" => Some(Some(8)),
        "y210" | "p010" | "p210" | "p410" | "xv30" => Some(Some(10)),
        "y212" | "p012" | "p212" | "p412" | "xv36" => Some(Some(12)),
        "p016" | "p216" | "p416" => Some(Some(16)),
        "monow" | "monob" => Some(Some(1)),
        "rgb565" | "bgr565" | "rgb555" | "bgr555" | "rgb444" | "bgr444" | "rgb8" | "bgr8"
        | "rgb4" | "bgr4" | "rgb4_byte" | "bgr4_byte" => Some(None),
        _ => None,
    };
    if let Some(depth) = special {
        return depth;
    }
    const HARDWARE: [&str; 14] = [
        "vaapi",
        "vdpau",
        "cuda",
        "qsv",
        "d3d11",
        "d3d11va_vld",
        "dxva2_vld",
        "videotoolbox_vld",
        "mediacodec",
        "drm_prime",
        "opencl",
        "vulkan",
        "mmal",
        "xvmc",
    ];
    if HARDWARE.contains(&name) || name.is_empty() {
        return None;
    }
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        // yuv420p, yuvj422p, rgba, bgr0, gray, gbrp, ...: 8 bits unless the name says otherwise.
        return Some(8);
    }
    let depth: u32 = name[name.len() - digits..].parse().ok()?;
    (1..=32).contains(&depth).then_some(depth)
}

/// Bits per sample of an audio sample format: "u8" 8, "s16"/"s16p" 16, "s32" 32, "s64" 64,
/// "flt" 32, "dbl" 64.
pub(crate) fn sample_fmt_bit_depth(sample_fmt: &str) -> Option<u32> {
    let name = sample_fmt.trim().to_ascii_lowercase();
    match name.strip_suffix('p').unwrap_or(&name) {
        "u8" => Some(8),
        "s16" => Some(16),
        "s32" | "flt" => Some(32),
        "s64" | "dbl" => Some(64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_formats() {
        let cases = [
            ("yuv420p", Some(8)),
            ("yuvj444p", Some(8)),
            ("yuv422p10le", Some(10)),
            ("yuv422p10be", Some(10)),
            ("yuv444p12le", Some(12)),
            ("yuva444p16le", Some(16)),
            ("yuv420p9", Some(9)),
            ("gray", Some(8)),
            ("gray10le", Some(10)),
            ("grayf32le", Some(32)),
            ("rgb24", Some(8)),
            ("rgba", Some(8)),
            ("bgr0", Some(8)),
            ("rgb48le", Some(16)),
            ("rgba64be", Some(16)),
            ("gbrp", Some(8)),
            ("gbrp10le", Some(10)),
            ("gbrap12le", Some(12)),
            ("x2rgb10le", Some(10)),
            ("nv12", Some(8)),
            ("nv21", Some(8)),
            ("nv20le", Some(10)),
            ("p010le", Some(10)),
            ("p016le", Some(16)),
            ("uyvy422", Some(8)),
            ("y210le", Some(10)),
            ("xyz12le", Some(12)),
            ("pal8", Some(8)),
            ("ya16le", Some(16)),
            ("bayer_rggb16le", Some(16)),
            ("monow", Some(1)),
            ("rgb565le", None),
            ("vaapi", None),
            ("d3d11", None),
            ("", None),
        ];
        for (pix_fmt, expect) in cases {
            assert_eq!(pix_fmt_bit_depth(pix_fmt), expect, "{pix_fmt}");
        }
    }

    #[test]
    fn sample_formats() {
        let cases = [
            ("u8", Some(8)),
            ("s16", Some(16)),
            ("s16p", Some(16)),
            ("s32", Some(32)),
            ("fltp", Some(32)),
            ("dbl", Some(64)),
            ("s64p", Some(64)),
            ("none", None),
        ];
        for (sample_fmt, expect) in cases {
            assert_eq!(sample_fmt_bit_depth(sample_fmt), expect, "{sample_fmt}");
        }
    }
}
