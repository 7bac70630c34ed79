//! `s3://bucket/prefix` locations, as users type them.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A bucket and a key prefix (`s3://media/projects/2024/`), or a bucket and a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Location {
    /// The bucket name.
    pub bucket: String,
    /// The key or key prefix, without a leading `/`; empty for the whole bucket.
    pub prefix: String,
}

impl S3Location {
    /// Parses `s3://BUCKET[/PREFIX]`. The prefix is kept as written (a trailing `/` matters to
    /// S3: `photos` also matches `photos-old/…`).
    pub fn parse(input: &str) -> Result<S3Location> {
        let invalid = |reason| Error::InvalidLocation {
            input: input.to_owned(),
            reason,
        };
        let rest = input
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("it must start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid("the bucket name is missing"));
        }
        // S3's rules: 3–63 characters of lower-case letters, digits, dots and hyphens, starting
        // and ending with a letter or digit. S3-compatible stores are looser about case and
        // underscores, so those are allowed here.
        if bucket.len() < 3 || bucket.len() > 63 {
            return Err(invalid("a bucket name has 3 to 63 characters"));
        }
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(invalid(
                "a bucket name has only letters, digits, '.', '-' and '_'",
            ));
        }
        if !bucket.as_bytes()[0].is_ascii_alphanumeric()
            || !bucket.as_bytes()[bucket.len() - 1].is_ascii_alphanumeric()
        {
            return Err(invalid(
                "a bucket name starts and ends with a letter or digit",
            ));
        }
        Ok(S3Location {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    /// The `s3://` URL of a key in this location's bucket.
    pub fn key_url(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, key)
    }
}

impl FromStr for S3Location {
    type Err = Error;

    fn from_str(s: &str) -> Result<S3Location> {
        S3Location::parse(s)
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str) {
        let got = match S3Location::parse(input) {
            Ok(l) => format!("{}|{}", l.bucket, l.prefix),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expect, "{input}");
    }

    #[test]
    fn parses_buckets_and_prefixes() {
        check("s3://media", "media|");
        check("s3://media/", "media|");
        check("s3://media/projects/2024/", "media|projects/2024/");
        check("s3://my.bucket-1/a b/ü.mov", "my.bucket-1|a b/ü.mov");
    }

    #[test]
    fn errors_name_the_input() {
        check(
            "media/x",
            "not an S3 location: \"media/x\": it must start with s3://",
        );
        check(
            "s3:///x",
            "not an S3 location: \"s3:///x\": the bucket name is missing",
        );
        check(
            "s3://ab",
            "not an S3 location: \"s3://ab\": a bucket name has 3 to 63 characters",
        );
        check(
            "s3://a*b",
            "not an S3 location: \"s3://a*b\": a bucket name has only letters, digits, '.', '-' and '_'",
        );
        check(
            "s3://-ab",
            "not an S3 location: \"s3://-ab\": a bucket name starts and ends with a letter or digit",
        );
    }

    #[test]
    fn displays_as_parsed() {
        let l = S3Location::parse("s3://media/p/").expect("valid");
        assert_eq!(l.to_string(), "s3://media/p/");
        assert_eq!(l.key_url("p/x.mov"), "s3://media/p/x.mov");
    }
}
