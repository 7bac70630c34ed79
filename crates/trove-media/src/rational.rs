//! Rationals as ffprobe prints them ("24000/1001", "1:1"): rates and aspect ratios are kept exact,
//! never rounded to a float, because 23.976 is not 24000/1001.

use std::fmt;

/// A fraction with a positive denominator, in lowest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rational {
    num: i64,
    den: i64,
}

impl Rational {
    /// Reads "n/d" or "n:d" (or a bare integer); `None` for a zero denominator ("0/0") or junk.
    pub(crate) fn parse(text: &str) -> Option<Rational> {
        let text = text.trim();
        let (num, den) = match text.split_once(['/', ':']) {
            Some((n, d)) => (n.trim().parse().ok()?, d.trim().parse().ok()?),
            None => (text.parse().ok()?, 1),
        };
        Rational::new(num, den)
    }

    /// `num/den` reduced; `None` when `den` is zero.
    pub(crate) fn new(num: i64, den: i64) -> Option<Rational> {
        if den == 0 {
            return None;
        }
        let sign = if den < 0 { -1 } else { 1 };
        let g = gcd(num.unsigned_abs(), den.unsigned_abs()).max(1);
        let g = i64::try_from(g).ok()?;
        Some(Rational {
            num: (num / g).checked_mul(sign)?,
            den: (den / g).checked_mul(sign)?,
        })
    }

    /// The numerator (carries the sign).
    pub(crate) fn num(self) -> i64 {
        self.num
    }

    /// The denominator (always positive).
    pub(crate) fn den(self) -> i64 {
        self.den
    }

    pub(crate) fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Whether it is a believable frame rate: positive and at most 1000 fps (ffprobe reports
    /// time bases such as 90000/1 when it cannot tell).
    pub(crate) fn is_plausible_frame_rate(self) -> bool {
        self.num > 0 && self.to_f64() <= 1000.0
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Picks the frame rate to report from ffprobe's two: the average rate when it is plausible,
/// except that a stated `r_frame_rate` within 0.01 % of it wins (an average of 2997/100 over a
/// short clip is the 30000/1001 the stream states; 30/1 is 0.1 % from 30000/1001 and does not).
/// Returns the rate and whether it came from `avg_frame_rate`.
pub(crate) fn pick_frame_rate(r: Option<&str>, avg: Option<&str>) -> Option<(Rational, bool)> {
    let r = r
        .and_then(Rational::parse)
        .filter(|x| x.is_plausible_frame_rate());
    let avg = avg
        .and_then(Rational::parse)
        .filter(|x| x.is_plausible_frame_rate());
    match (r, avg) {
        (Some(r), Some(a)) => {
            let close = ((r.to_f64() - a.to_f64()) / r.to_f64()).abs() < 1e-4;
            if close && r != a {
                Some((r, false))
            } else {
                Some((a, true))
            }
        }
        (None, Some(a)) => Some((a, true)),
        (Some(r), None) => Some((r, false)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reduces() {
        let check = |text: &str, expect: Option<&str>| {
            assert_eq!(
                Rational::parse(text).map(|r| r.to_string()).as_deref(),
                expect,
                "{text}"
            );
        };
        check("24000/1001", Some("24000/1001"));
        check("1:1", Some("1/1"));
        check("16:9", Some("16/9"));
        check("50/2", Some("25/1"));
        check("25", Some("25/1"));
        check("1/-2", Some("-1/2"));
        check("0/1", Some("0/1"));
        check("0/0", None);
        check("N/A", None);
        check("", None);
        check("1/2/3", None);
        check("-9223372036854775808/-1", None);
    }

    #[test]
    fn exact_value() {
        let r = Rational::parse("24024/24000").expect("rational");
        assert_eq!((r.num(), r.den()), (1001, 1000));
        assert!((r.to_f64() - 1.001).abs() < 1e-12);
    }

    #[test]
    fn frame_rate_choice() {
        let check = |r: Option<&str>, avg: Option<&str>, expect: Option<(&str, bool)>| {
            let got = pick_frame_rate(r, avg).map(|(x, from_avg)| (x.to_string(), from_avg));
            assert_eq!(got, expect.map(|(s, b)| (s.to_owned(), b)), "{r:?} {avg:?}");
        };
        check(Some("25/1"), Some("25/1"), Some(("25/1", true)));
        check(
            Some("30000/1001"),
            Some("2997/100"),
            Some(("30000/1001", false)),
        );
        // Variable frame rate: the average is what the clip plays at.
        check(
            Some("30/1"),
            Some("1800000/60059"),
            Some(("1800000/60059", true)),
        );
        check(Some("90000/1"), Some("25/1"), Some(("25/1", true)));
        check(Some("30/1"), Some("30000/1001"), Some(("30000/1001", true)));
        check(Some("24000/1001"), Some("0/0"), Some(("24000/1001", false)));
        check(Some("0/0"), Some("0/0"), None);
        check(None, None, None);
    }
}
