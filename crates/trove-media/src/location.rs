//! ISO 6709 point strings, as phones and cameras store them in QuickTime
//! (`com.apple.quicktime.location.ISO6709`) and MP4 (`©xyz`, ffprobe's `location`) metadata:
//! "+37.7858-122.4064+012.000/".

/// A position in degrees (WGS 84) and metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    pub(crate) altitude: Option<f64>,
}

/// Reads "±DD.D±DDD.D[±A.A][CRSxxx]/" and the degree-minute (±DDMM.M±DDDMM.M) and
/// degree-minute-second (±DDMMSS.S±DDDMMSS.S) forms. `None` when the text is not such a point or
/// lies outside ±90° / ±180°.
pub(crate) fn parse_iso6709(text: &str) -> Option<Point> {
    let text = text.trim();
    let text = text.strip_suffix('/').unwrap_or(text);
    // A coordinate reference system may follow the numbers ("...CRSWGS_84"); only WGS 84 is read.
    let (numbers, crs) = match text.find("CRS") {
        Some(at) => (&text[..at], Some(&text[at + 3..])),
        None => (text, None),
    };
    if crs.is_some_and(|crs| !crs.eq_ignore_ascii_case("WGS_84")) {
        return None;
    }
    let parts = signed_numbers(numbers)?;
    let (lat, lon, alt) = match parts.as_slice() {
        [lat, lon] => (lat, lon, None),
        [lat, lon, alt] => (lat, lon, Some(alt)),
        _ => return None,
    };
    let latitude = degrees(lat, 2)?;
    let longitude = degrees(lon, 3)?;
    if latitude.abs() > 90.0 || longitude.abs() > 180.0 {
        return None;
    }
    let altitude = match alt {
        Some((negative, body)) => {
            Some(body.parse::<f64>().ok()? * if *negative { -1.0 } else { 1.0 })
        }
        None => None,
    };
    Some(Point {
        latitude,
        longitude,
        altitude,
    })
}

/// Splits "+37.7858-122.4064+012.000" into (negative, "37.7858") pairs; every number has a sign.
fn signed_numbers(text: &str) -> Option<Vec<(bool, &str)>> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let negative = match rest.as_bytes()[0] {
            b'+' => false,
            b'-' => true,
            _ => return None,
        };
        rest = &rest[1..];
        let len = rest.find(['+', '-']).unwrap_or(rest.len());
        let body = &rest[..len];
        let valid = !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && body.bytes().filter(|&b| b == b'.').count() <= 1
            && !body.starts_with('.');
        if !valid {
            return None;
        }
        out.push((negative, body));
        rest = &rest[len..];
    }
    Some(out)
}

/// Degrees from one signed number whose integer part has `degree_digits` digits for degrees,
/// two more for minutes, four more for minutes and seconds.
fn degrees(&(negative, body): &(bool, &str), degree_digits: usize) -> Option<f64> {
    let int_len = body.find('.').unwrap_or(body.len());
    let value = if int_len <= degree_digits {
        // Plain decimal degrees (also accepts writers that drop leading zeros).
        body.parse::<f64>().ok()?
    } else if int_len == degree_digits + 2 {
        let d: f64 = body[..degree_digits].parse().ok()?;
        let m: f64 = body[degree_digits..].parse().ok()?;
        if m >= 60.0 {
            return None;
        }
        d + m / 60.0
    } else if int_len == degree_digits + 4 {
        let d: f64 = body[..degree_digits].parse().ok()?;
        let m: f64 = body[degree_digits..degree_digits + 2].parse().ok()?;
        let s: f64 = body[degree_digits + 2..].parse().ok()?;
        if m >= 60.0 || s >= 60.0 {
            return None;
        }
        d + m / 60.0 + s / 3600.0
    } else {
        return None;
    };
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Option<(f64, f64, Option<f64>)>) {
        let got = parse_iso6709(text);
        match (got, expect) {
            (None, None) => {}
            (Some(p), Some((lat, lon, alt))) => {
                assert!((p.latitude - lat).abs() < 1e-9, "{text}: {p:?}");
                assert!((p.longitude - lon).abs() < 1e-9, "{text}: {p:?}");
                match (p.altitude, alt) {
                    (None, None) => {}
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{text}: {p:?}"),
                    _ => panic!("{text}: altitude {:?}, expected {alt:?}", p.altitude),
                }
            }
            _ => panic!("{text}: got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn decimal_degrees() {
        check(
            "+37.7858-122.4064+012.000/",
            Some((37.7858, -122.4064, Some(12.0))),
        );
        check("+37.7858-122.4064/", Some((37.7858, -122.4064, None)));
        check(
            "+37.7858-122.4064+12.000000/",
            Some((37.7858, -122.4064, Some(12.0))),
        );
        check(
            "-33.8568+151.2153-005.5/",
            Some((-33.8568, 151.2153, Some(-5.5))),
        );
        check(
            "+40.20361-075.00417CRSWGS_84/",
            Some((40.20361, -75.00417, None)),
        );
        check("+48.8577+002.295/", Some((48.8577, 2.295, None)));
        check("+1.5+2.5", Some((1.5, 2.5, None)));
    }

    #[test]
    fn minutes_and_seconds() {
        check(
            "+4012.5-07500.25/",
            Some((40.0 + 12.5 / 60.0, -(75.0 + 0.25 / 60.0), None)),
        );
        check(
            "+401213.1-0750015.2/",
            Some((
                40.0 + 12.0 / 60.0 + 13.1 / 3600.0,
                -(75.0 + 0.0 / 60.0 + 15.2 / 3600.0),
                None,
            )),
        );
    }

    #[test]
    fn rejects_junk() {
        for text in [
            "",
            "/",
            "37.7858,-122.4064",
            "+37.7858",
            "+95.0+010.0/",
            "+45.0+190.0/",
            "+45.0+010.0+1+2/",
            "+45..0+010.0/",
            "+4575.0+01000.0/",
            "+45.0+010.0CRSNAD27/",
            "+45.0+010.0 /",
        ] {
            check(text, None);
        }
    }
}
