//! Waveform peaks of a sound, taken while ffmpeg streams it as 16-bit mono PCM on stdout:
//! min/max per 10 ms block, reduced to the asked number of pairs at the end, written as JSON and
//! drawn as a PNG.

use crate::error::{io, Error, Result};
use crate::manifest::{WaveformEntry, WaveformPeaks, MANIFEST_VERSION};
use image::{Rgba, RgbaImage};
use std::path::Path;

/// Min/max of each block of PCM, filled chunk by chunk.
pub(crate) struct PeakCollector {
    block: usize,
    in_block: usize,
    min: i16,
    max: i16,
    blocks: Vec<(i16, i16)>,
    odd_byte: Option<u8>,
}

impl PeakCollector {
    /// Blocks of 10 ms at `sample_rate`.
    pub(crate) fn new(sample_rate: u32) -> Self {
        Self {
            block: (sample_rate as usize / 100).max(1),
            in_block: 0,
            min: i16::MAX,
            max: i16::MIN,
            blocks: Vec::new(),
            odd_byte: None,
        }
    }

    /// Takes the next bytes of s16le PCM (a sample may straddle two chunks).
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if let (Some(low), Some((&high, rest))) = (self.odd_byte, bytes.split_first()) {
            self.sample(i16::from_le_bytes([low, high]));
            self.odd_byte = None;
            bytes = rest;
        }
        let mut pairs = bytes.chunks_exact(2);
        for pair in &mut pairs {
            self.sample(i16::from_le_bytes([pair[0], pair[1]]));
        }
        if let [last] = pairs.remainder() {
            self.odd_byte = Some(*last);
        }
    }

    fn sample(&mut self, s: i16) {
        self.min = self.min.min(s);
        self.max = self.max.max(s);
        self.in_block += 1;
        if self.in_block == self.block {
            self.close_block();
        }
    }

    fn close_block(&mut self) {
        if self.in_block > 0 {
            self.blocks.push((self.min, self.max));
        }
        self.in_block = 0;
        self.min = i16::MAX;
        self.max = i16::MIN;
    }

    /// At most `count` pairs over the whole sound, each scaled to -127..=127.
    pub(crate) fn finish(mut self, count: u32, sample_rate: u32) -> WaveformPeaks {
        self.close_block();
        let n = self.blocks.len();
        let count = (count as usize).min(n).max(1);
        let mut data = Vec::with_capacity(count * 2);
        for i in 0..count {
            let (from, to) = (i * n / count, ((i + 1) * n / count).max(i * n / count + 1));
            let (lo, hi) = self.blocks[from.min(n)..to.min(n)]
                .iter()
                .fold((0i16, 0i16), |(lo, hi), &(a, b)| (lo.min(a), hi.max(b)));
            data.push(scale(lo));
            data.push(scale(hi));
        }
        let samples_per_peak = if n == 0 {
            0
        } else {
            (n * self.block / count) as u32
        };
        WaveformPeaks {
            version: MANIFEST_VERSION,
            sample_rate,
            samples_per_peak,
            bits: 8,
            length: (data.len() / 2) as u32,
            data,
        }
    }
}

fn scale(sample: i16) -> i8 {
    (i32::from(sample) * 127 / 32767).clamp(-127, 127) as i8
}

/// Writes `peaks` as `waveform.json` and `waveform.png` in `dir`.
pub(crate) fn write(peaks: &WaveformPeaks, dir: &Path, png_height: u32) -> Result<WaveformEntry> {
    let json_path = dir.join("waveform.json");
    let json = serde_json::to_vec(peaks).map_err(|e| Error::Json {
        path: json_path.clone(),
        source: e,
    })?;
    std::fs::write(&json_path, json).map_err(io(&json_path))?;

    let png_path = dir.join("waveform.png");
    let (w, h) = (peaks.length.max(1), png_height.max(8));
    let mut img = RgbaImage::new(w, h);
    let middle = (h / 2) as i64;
    let half = i64::from(h / 2 - 1);
    let colour = Rgba([74, 144, 226, 255]);
    for (x, pair) in peaks.data.chunks_exact(2).enumerate() {
        let top = middle - i64::from(pair[1]) * half / 127;
        let bottom = middle - i64::from(pair[0]) * half / 127;
        for y in top.min(bottom)..=top.max(bottom) {
            if (0..i64::from(h)).contains(&y) {
                img.put_pixel(x as u32, y as u32, colour);
            }
        }
    }
    img.save_with_format(&png_path, image::ImageFormat::Png)
        .map_err(|e| Error::Image {
            path: png_path.clone(),
            message: e.to_string(),
        })?;
    Ok(WaveformEntry {
        json_file: "waveform.json".into(),
        png_file: "waveform.png".into(),
        peaks: peaks.length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    #[test]
    fn peaks_survive_split_samples() {
        // 200 samples at 1 kHz (10-sample blocks): a square wave of ±16384.
        let samples: Vec<i16> = (0..200)
            .map(|i| if i % 2 == 0 { 16384 } else { -16384 })
            .collect();
        let bytes = pcm(&samples);
        let mut c = PeakCollector::new(1000);
        for chunk in bytes.chunks(7) {
            c.push(chunk);
        }
        let peaks = c.finish(5, 1000);
        assert_eq!(peaks.length, 5);
        assert_eq!(peaks.samples_per_peak, 40);
        assert!(
            peaks.data.chunks(2).all(|p| p == [-63, 63]),
            "{:?}",
            peaks.data
        );
    }

    #[test]
    fn silence_and_nothing_give_flat_peaks() {
        let mut c = PeakCollector::new(8000);
        c.push(&pcm(&[0; 1000]));
        let peaks = c.finish(1000, 8000);
        assert_eq!(peaks.length, 13);
        assert!(peaks.data.iter().all(|v| *v == 0));
        let empty = PeakCollector::new(8000).finish(10, 8000);
        assert_eq!((empty.length, empty.data.len()), (1, 2));
    }
}
