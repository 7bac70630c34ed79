//! XMP's GPS coordinate form (`"37,47.148N"`, EXIF 2.2 for XMP) to and from signed degrees.

/// Which axis a coordinate is on: it decides the hemisphere letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Axis {
    /// North (+) or south (-).
    Latitude,
    /// East (+) or west (-).
    Longitude,
}

/// Parses `DDD,MM,SSk` or `DDD,MM.mmk` (k one of N, S, E, W) into signed decimal degrees,
/// rounded to 1e-9 degrees (about 0.1 mm). A plain decimal number is accepted as is.
pub(crate) fn parse_coordinate(text: &str, axis: Axis) -> Option<f64> {
    let text = text.trim();
    let last = text.chars().last()?;
    let (body, sign) = match last.to_ascii_uppercase() {
        'N' if axis == Axis::Latitude => (&text[..text.len() - 1], 1.0),
        'S' if axis == Axis::Latitude => (&text[..text.len() - 1], -1.0),
        'E' if axis == Axis::Longitude => (&text[..text.len() - 1], 1.0),
        'W' if axis == Axis::Longitude => (&text[..text.len() - 1], -1.0),
        _ => (text, 1.0),
    };
    let parts: Vec<&str> = body.split(',').map(str::trim).collect();
    let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    let degrees = match parts.as_slice() {
        [d] => number(d)?,
        [d, m] => number(d)? + number(m)? / 60.0,
        [d, m, s] => number(d)? + number(m)? / 60.0 + number(s)? / 3600.0,
        _ => return None,
    };
    let value = sign * degrees;
    let limit = match axis {
        Axis::Latitude => 90.0,
        Axis::Longitude => 180.0,
    };
    if value.abs() > limit {
        return None;
    }
    Some((value * 1e9).round() / 1e9)
}

/// Formats signed decimal degrees as `DDD,MM.mmmmmmk`, minutes to at most eight decimals.
pub(crate) fn format_coordinate(degrees: f64, axis: Axis) -> String {
    let hemisphere = match (axis, degrees < 0.0) {
        (Axis::Latitude, false) => 'N',
        (Axis::Latitude, true) => 'S',
        (Axis::Longitude, false) => 'E',
        (Axis::Longitude, true) => 'W',
    };
    let abs = degrees.abs();
    let mut whole = abs.trunc();
    let mut minutes = ((abs - whole) * 60.0 * 1e8).round() / 1e8;
    if minutes >= 60.0 {
        whole += 1.0;
        minutes -= 60.0;
    }
    let minutes = format!("{minutes:.8}");
    let minutes = minutes.trim_end_matches('0').trim_end_matches('.');
    format!("{whole:.0},{minutes}{hemisphere}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_xmp_forms() {
        let lat = |s| parse_coordinate(s, Axis::Latitude);
        let lon = |s| parse_coordinate(s, Axis::Longitude);
        assert_eq!(lat("37,47.148N"), Some(37.7858));
        assert_eq!(lon("122,24.384W"), Some(-122.4064));
        assert_eq!(lat("37,47,8.88N"), Some(37.7858));
        assert_eq!(lat("0,30S"), Some(-0.5));
        assert_eq!(lat("12.5"), Some(12.5));
        assert_eq!(lat("91,0N"), None);
        assert_eq!(lat("x,1N"), None);
        assert_eq!(lat(""), None);
        assert_eq!(lat("1,2,3,4N"), None);
        // A longitude letter on a latitude is not a hemisphere.
        assert_eq!(lat("10,0E"), None);
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_coordinate(37.7858, Axis::Latitude), "37,47.148N");
        assert_eq!(format_coordinate(-122.4064, Axis::Longitude), "122,24.384W");
        assert_eq!(format_coordinate(0.0, Axis::Latitude), "0,0N");
        assert_eq!(format_coordinate(-33.5, Axis::Latitude), "33,30S");
        let cases = [51.477928, -0.001545, 89.999999999, -89.5, 1e-9];
        for (v, axis) in cases.iter().map(|v| (*v, Axis::Latitude)).chain([
            (-179.123456789, Axis::Longitude),
            (179.9999999999, Axis::Longitude),
        ]) {
            {
                let text = format_coordinate(v, axis);
                let back = parse_coordinate(&text, axis).expect("parses");
                assert!((back - v).abs() < 1e-9, "{v} -> {text} -> {back}");
            }
        }
    }
}
