//! Text as the readers report it: metadata fields often carry padding, NULs and other control
//! characters, which neither the schema nor XMP can hold.

/// Trimmed text without control characters (other than tab and newline); `None` when nothing is
/// left.
pub(crate) fn clean(text: &str) -> Option<String> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\t' || *c == '\n')
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn strips_controls_and_trims() {
        assert_eq!(clean("  a\u{0}b\tc\nd \r"), Some("ab\tc\nd".to_owned()));
        assert_eq!(clean("\u{0}\u{1b} \n"), None);
        assert_eq!(clean(""), None);
    }
}
