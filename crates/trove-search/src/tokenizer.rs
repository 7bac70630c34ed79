//! The word tokenizer shared by indexing and querying.
//!
//! Media file names are not prose: `A001C003_230512_R2EC.MXF` or `clipName01.mov` must be
//! findable by their parts. [`WordTokenizer`] splits on everything that is not a letter or a
//! digit, and inside a run of letters and digits at camelCase humps (`clipName` → `clip`,
//! `Name`; `HTTPServer` → `HTTP`, `Server`), after digits (`001C` → `001`, `C`) and before
//! digits that follow two or more letters (`Name01` → `Name`, `01`). A single letter before
//! digits stays attached, so camera codes survive whole: `A001C003` → `A001`, `C003`; `h264`
//! stays `h264`. [`analyzer`] then folds accents and lowercases.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

/// The name under which the word analyzer is registered on the index.
pub(crate) const WORDS: &str = "trove_words";
/// The name under which the exact-value (facet) analyzer is registered on the index.
pub(crate) const EXACT: &str = "trove_exact";
/// The name of the fast-field normalizer used to sort by file name.
pub(crate) const LOWER: &str = "trove_lower";

/// Tokens longer than this (in bytes) are dropped: they are hashes or garbage, not words.
const MAX_TOKEN_LEN: usize = 80;

/// The word analyzer: [`WordTokenizer`], long tokens removed, accents folded, lowercased.
pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(AsciiFoldingFilter)
        .filter(LowerCaser)
        .build()
}

/// The analyzer of exact values (facets): the whole value as one token, accents folded,
/// lowercased.
pub(crate) fn exact_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(AsciiFoldingFilter)
        .filter(LowerCaser)
        .build()
}

/// The normalizer of the file-name sort column: the whole value, lowercased.
pub(crate) fn lower_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .build()
}

/// The tokens of `text` as produced by `analyzer` (used at query time and for pre-tokenized
/// fields).
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Splits text into words at separators, camelCase humps and letter/digit boundaries.
#[derive(Clone, Default)]
pub(crate) struct WordTokenizer {
    spans: Vec<(usize, usize)>,
    token: Token,
}

/// The token stream of [`WordTokenizer`].
pub(crate) struct WordTokenStream<'a> {
    text: &'a str,
    spans: &'a [(usize, usize)],
    next: usize,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.spans.clear();
        split_words(text, &mut self.spans);
        self.token.reset();
        WordTokenStream {
            text,
            spans: &self.spans,
            next: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(&(from, to)) = self.spans.get(self.next) else {
            return false;
        };
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.next;
        self.token.position_length = 1;
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Pushes the byte spans of the words of `text` onto `out`.
fn split_words(text: &str, out: &mut Vec<(usize, usize)>) {
    let mut start: Option<usize> = None;
    let mut prev: Option<char> = None;
    // Letters since the last digit or split: decides whether digits after letters split.
    let mut letters = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !c.is_alphanumeric() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
            prev = None;
            continue;
        }
        match (start, prev) {
            (Some(s), Some(p)) => {
                let next = chars.peek().map(|&(_, n)| n);
                let split = (p.is_numeric() && c.is_alphabetic())
                    || (p.is_alphabetic() && c.is_numeric() && letters > 1)
                    || (p.is_lowercase() && c.is_uppercase())
                    || (p.is_uppercase()
                        && c.is_uppercase()
                        && next.is_some_and(char::is_lowercase));
                if split {
                    out.push((s, i));
                    start = Some(i);
                    letters = 0;
                }
            }
            _ => {
                start = Some(i);
                letters = 0;
            }
        }
        if c.is_alphabetic() {
            letters += 1;
        } else {
            letters = 0;
        }
        prev = Some(c);
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &[&str]) {
        let mut analyzer = analyzer();
        assert_eq!(tokens(&mut analyzer, input), expect, "tokens of {input:?}");
    }

    #[test]
    fn splits_media_names() {
        check(
            "A001C003_230512_R2EC.MXF",
            &["a001", "c003", "230512", "r2", "ec", "mxf"],
        );
        check("clipName01.mov", &["clip", "name", "01", "mov"]);
        check("HTTPServer", &["http", "server"]);
        check("IMG_1234.JPG", &["img", "1234", "jpg"]);
        check("h264 x265", &["h264", "x265"]);
        check("Café crème", &["cafe", "creme"]);
        check("  --  ", &[]);
        check("2021-05-12", &["2021", "05", "12"]);
    }
}
