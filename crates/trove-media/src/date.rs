//! Dates from container tags, normalised to ISO 8601, with the "zero" dates of MP4/MOV headers
//! (1904-01-01, their epoch) and Unix-epoch placeholders (1970-01-01T00:00:00) recognised so
//! that they are dropped rather than shown as capture dates.

/// What a date tag turned out to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TagDate {
    /// An ISO 8601 date or date-time: "2021-05-04T10:11:12Z", "2021-05-04T12:11:12+02:00",
    /// "2021-05-04T10:11:12" (no zone: local time), "2020-01-02", "2020".
    Valid(String),
    /// A placeholder written when the real date was unknown.
    Zero,
    /// Not a date this reader understands.
    Invalid,
}

/// Reads "2021-05-04T10:11:12.000000Z" (ffmpeg's creation_time), "2021-05-04T12:11:12+0200"
/// (QuickTime creationdate), "2021:05:04 10:11:12" (EXIF style), "2020-01-02" or "2020" (ID3 and
/// Vorbis dates).
pub(crate) fn parse_tag_date(text: &str) -> TagDate {
    match parse(text.trim()) {
        Some(d) if d.is_zero() => TagDate::Zero,
        Some(d) => TagDate::Valid(d.to_iso()),
        None => TagDate::Invalid,
    }
}

#[derive(Debug)]
struct Parsed {
    year: u32,
    month: Option<u32>,
    day: Option<u32>,
    time: Option<Time>,
}

#[derive(Debug)]
struct Time {
    hour: u32,
    minute: u32,
    second: u32,
    /// Fraction digits without trailing zeros ("5" for .500000).
    fraction: String,
    /// `None`: local time; `Some(0)`: UTC ("Z"); else minutes east of UTC.
    offset_minutes: Option<i32>,
}

impl Parsed {
    fn is_zero(&self) -> bool {
        let date = (self.year, self.month.unwrap_or(1), self.day.unwrap_or(1));
        let midnight = self
            .time
            .as_ref()
            .is_none_or(|t| t.hour == 0 && t.minute == 0 && t.second == 0 && t.fraction.is_empty());
        self.year == 0
            || self.month == Some(0)
            || self.day == Some(0)
            || (self.month.is_some() && date == (1904, 1, 1))
            || (self.month.is_some() && date == (1970, 1, 1) && midnight)
    }

    fn to_iso(&self) -> String {
        let mut out = format!("{:04}", self.year);
        if let Some(month) = self.month {
            out.push_str(&format!("-{month:02}"));
        }
        if let Some(day) = self.day {
            out.push_str(&format!("-{day:02}"));
        }
        if let Some(t) = &self.time {
            out.push_str(&format!("T{:02}:{:02}:{:02}", t.hour, t.minute, t.second));
            if !t.fraction.is_empty() {
                out.push('.');
                out.push_str(&t.fraction);
            }
            match t.offset_minutes {
                None => {}
                Some(0) => out.push('Z'),
                Some(m) => {
                    let sign = if m < 0 { '-' } else { '+' };
                    let m = m.unsigned_abs();
                    out.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
                }
            }
        }
        out
    }
}

/// A cursor over ASCII text.
struct Cursor<'a> {
    rest: &'a str,
}

impl Cursor<'_> {
    /// Exactly `n` digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let head = self.rest.get(..n)?;
        if !head.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.rest = &self.rest[n..];
        head.parse().ok()
    }

    fn eat(&mut self, options: &[char]) -> Option<char> {
        let c = self.rest.chars().next().filter(|c| options.contains(c))?;
        self.rest = &self.rest[c.len_utf8()..];
        Some(c)
    }
}

fn parse(text: &str) -> Option<Parsed> {
    let mut c = Cursor { rest: text };
    let year = c.digits(4)?;
    let mut parsed = Parsed {
        year,
        month: None,
        day: None,
        time: None,
    };
    if c.rest.is_empty() {
        return Some(parsed);
    }
    let sep = c.eat(&['-', ':'])?;
    let month = c.digits(2)?;
    parsed.month = Some(month);
    if c.rest.is_empty() {
        return (month <= 12).then_some(parsed);
    }
    c.eat(&[sep])?;
    let day = c.digits(2)?;
    parsed.day = Some(day);
    if month > 12 || day > days_in_month(year, month) {
        return None;
    }
    if c.rest.is_empty() {
        return Some(parsed);
    }
    c.eat(&['T', ' '])?;
    let hour = c.digits(2)?;
    c.eat(&[':'])?;
    let minute = c.digits(2)?;
    let second = if c.eat(&[':']).is_some() {
        c.digits(2)?
    } else {
        0
    };
    let mut fraction = String::new();
    if c.eat(&['.', ',']).is_some() {
        let n = c.rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        fraction = c.rest[..n].trim_end_matches('0').to_owned();
        c.rest = &c.rest[n..];
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset_minutes = match c.eat(&['Z', 'z', '+', '-']) {
        None => None,
        Some('Z' | 'z') => Some(0),
        Some(sign) => {
            let hours = c.digits(2)?;
            c.eat(&[':']);
            let minutes = if c.rest.is_empty() { 0 } else { c.digits(2)? };
            if hours > 14 || minutes > 59 {
                return None;
            }
            let total = i32::try_from(hours * 60 + minutes).ok()?;
            Some(if sign == '-' { -total } else { total })
        }
    };
    if !c.rest.is_empty() {
        return None;
    }
    parsed.time = Some(Time {
        hour,
        minute,
        second,
        fraction,
        offset_minutes,
    });
    Some(parsed)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        // Day 0 is accepted here so that "0000-00-00" is recognised as a placeholder.
        0 => 31,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: TagDate) {
        assert_eq!(parse_tag_date(text), expect, "{text}");
    }

    fn valid(iso: &str) -> TagDate {
        TagDate::Valid(iso.to_owned())
    }

    #[test]
    fn normalises_to_iso_8601() {
        check("2021-05-04T10:11:12.000000Z", valid("2021-05-04T10:11:12Z"));
        check(
            "2021-05-04T10:11:12.250000Z",
            valid("2021-05-04T10:11:12.25Z"),
        );
        check(
            "2021-05-04T12:11:12+0200",
            valid("2021-05-04T12:11:12+02:00"),
        );
        check(
            "2021-05-04T12:11:12-07:00",
            valid("2021-05-04T12:11:12-07:00"),
        );
        check("2021-05-04T12:11:12+05", valid("2021-05-04T12:11:12+05:00"));
        check("2021-05-04 10:11:12", valid("2021-05-04T10:11:12"));
        check("2021:05:04 10:11:12", valid("2021-05-04T10:11:12"));
        check("2021-05-04T10:11", valid("2021-05-04T10:11:00"));
        check(" 2020-01-02 ", valid("2020-01-02"));
        check("2020-02", valid("2020-02"));
        check("2020", valid("2020"));
        check("2024-02-29", valid("2024-02-29"));
    }

    #[test]
    fn rejects_zero_dates() {
        check("1904-01-01T00:00:00.000000Z", TagDate::Zero);
        check("1904-01-01T00:00:07Z", TagDate::Zero);
        check("1904-01-01", TagDate::Zero);
        check("1970-01-01T00:00:00.000000Z", TagDate::Zero);
        check("1970-01-01T00:00:00+0000", TagDate::Zero);
        check("1970-01-01", TagDate::Zero);
        check("0000-00-00 00:00:00", TagDate::Zero);
        check("0000", TagDate::Zero);
        // Real moments on those days are kept.
        check("1970-01-01T08:30:00Z", valid("1970-01-01T08:30:00Z"));
        check("1904", valid("1904"));
    }

    #[test]
    fn rejects_junk() {
        for text in [
            "",
            "yesterday",
            "2021-13-01",
            "2023-02-29",
            "2021-05-04T25:00:00Z",
            "2021-05-04T10:11:12+1500",
            "2021-05-04T10:11:12Zjunk",
            "2021-05:04",
            "21-05-04",
            "2021-05-04T10:11:12.",
        ] {
            check(text, TagDate::Invalid);
        }
    }
}
