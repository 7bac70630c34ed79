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
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer,
    TextAnalyzerBuilder, Token, TokenFilter, TokenStream, Tokenizer,
};

/// The name under which the word analyzer is registered on the index.
pub(crate) const WORDS: &str = "trove_words";
/// The name of the word analyzer with common grams, for prose fields (titles, descriptions).
pub(crate) const PROSE: &str = "trove_prose";
/// The name under which the exact-value (facet) analyzer is registered on the index.
pub(crate) const EXACT: &str = "trove_exact";
/// The name of the fast-field normalizer used to sort by file name.
pub(crate) const LOWER: &str = "trove_lower";

/// Tokens longer than this (in bytes) are dropped: they are hashes or garbage, not words.
const MAX_TOKEN_LEN: usize = 80;

/// [`WordTokenizer`], long tokens removed, accents folded, lowercased.
fn words() -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(AsciiFoldingFilter)
        .filter(LowerCaser)
}

/// The word analyzer.
pub(crate) fn analyzer() -> TextAnalyzer {
    words().build()
}

/// The prose analyzer: the word analyzer plus [`CommonGrams`].
pub(crate) fn prose_analyzer() -> TextAnalyzer {
    words().filter(CommonGrams).build()
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

/// Words so frequent in prose that most documents hold them (function words of English, and a
/// few of German and French). A phrase with one of them would read its positions in most of
/// the index; [`CommonGrams`] indexes each pair of adjacent words with one of them as a term of
/// its own, so such a phrase reads the pair's postings instead. Sorted (binary search); the
/// index schema version changes when this list does.
const COMMON_WORDS: &[&str] = &[
    "a", "after", "an", "and", "are", "as", "at", "be", "before", "but", "by", "das", "de", "der",
    "des", "die", "du", "en", "et", "for", "from", "had", "has", "have", "he", "her", "his", "i",
    "in", "into", "is", "it", "its", "la", "le", "les", "no", "not", "of", "off", "on", "onto",
    "or", "out", "over", "she", "so", "than", "that", "the", "their", "them", "then", "there",
    "they", "this", "to", "und", "under", "up", "von", "was", "we", "were", "with", "you",
];

/// Whether `word` (lowercased) is one of the [`COMMON_WORDS`].
pub(crate) fn is_common(word: &str) -> bool {
    COMMON_WORDS.binary_search(&word).is_ok()
}

/// The term of the adjacent words `a b`: `\u{1}a\u{1}b`. No word holds `\u{1}`, so a gram is
/// never a word's prefix and is two edits from any word (typo matching never reaches one).
pub(crate) fn gram(a: &str, b: &str) -> String {
    let mut out = String::with_capacity(a.len() + b.len() + 2);
    push_gram(&mut out, a, b);
    out
}

fn push_gram(out: &mut String, a: &str, b: &str) {
    out.push('\u{1}');
    out.push_str(a);
    out.push('\u{1}');
    out.push_str(b);
}

/// A token filter that follows each word `b` whose predecessor `a` is adjacent, when either
/// is common, by the gram of `a b` at `a`'s position (Lucene's "common grams").
#[derive(Clone, Copy)]
pub(crate) struct CommonGrams;

impl TokenFilter for CommonGrams {
    type Tokenizer<T: Tokenizer> = CommonGramsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CommonGramsFilter<T> {
        CommonGramsFilter(tokenizer)
    }
}

/// [`CommonGrams`] applied to a tokenizer.
#[derive(Clone)]
pub(crate) struct CommonGramsFilter<T>(T);

impl<T: Tokenizer> Tokenizer for CommonGramsFilter<T> {
    type TokenStream<'a> = CommonGramsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CommonGramsStream {
            inner: self.0.token_stream(text),
            prev: String::new(),
            prev_position: None,
            prev_common: false,
            prev_from: 0,
            gram: Token::default(),
            gram_next: false,
            on_gram: false,
        }
    }
}

/// The token stream of [`CommonGramsFilter`].
pub(crate) struct CommonGramsStream<S> {
    inner: S,
    /// The word before the current one, its position, whether it is common, and its offset.
    prev: String,
    prev_position: Option<usize>,
    prev_common: bool,
    prev_from: usize,
    gram: Token,
    /// The gram is the next token.
    gram_next: bool,
    /// The current token is the gram.
    on_gram: bool,
}

impl<S: TokenStream> TokenStream for CommonGramsStream<S> {
    fn advance(&mut self) -> bool {
        if self.gram_next {
            self.gram_next = false;
            self.on_gram = true;
            return true;
        }
        self.on_gram = false;
        if !self.inner.advance() {
            return false;
        }
        let word = self.inner.token();
        let common = is_common(&word.text);
        if self.prev_position.is_some_and(|p| p + 1 == word.position)
            && (common || self.prev_common)
        {
            self.gram.text.clear();
            push_gram(&mut self.gram.text, &self.prev, &word.text);
            self.gram.position = word.position - 1;
            self.gram.position_length = 2;
            self.gram.offset_from = self.prev_from;
            self.gram.offset_to = word.offset_to;
            self.gram_next = true;
        }
        self.prev.clear();
        self.prev.push_str(&word.text);
        self.prev_position = Some(word.position);
        self.prev_common = common;
        self.prev_from = word.offset_from;
        true
    }

    fn token(&self) -> &Token {
        if self.on_gram {
            &self.gram
        } else {
            self.inner.token()
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        if self.on_gram {
            &mut self.gram
        } else {
            self.inner.token_mut()
        }
    }
}

/// The terms of a phrase of `words` in a prose field, with their offsets in the phrase: each
/// adjacent pair with a common word as its gram, and the words no gram covers by themselves.
pub(crate) fn prose_phrase(words: &[String]) -> Vec<(usize, String)> {
    let mut terms = Vec::new();
    let mut covered = vec![false; words.len()];
    for i in 0..words.len().saturating_sub(1) {
        if is_common(&words[i]) || is_common(&words[i + 1]) {
            terms.push((i, gram(&words[i], &words[i + 1])));
            covered[i] = true;
            covered[i + 1] = true;
        }
    }
    for (i, word) in words.iter().enumerate() {
        if !covered[i] {
            terms.push((i, word.clone()));
        }
    }
    terms.sort();
    terms
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

    #[test]
    fn common_words_are_sorted() {
        assert!(COMMON_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn prose_pairs_common_words_with_their_neighbours() {
        let mut prose = prose_analyzer();
        let mut got = Vec::new();
        {
            let mut stream = prose.token_stream("Boats of the harbour, at dawn");
            while stream.advance() {
                let t = stream.token();
                got.push((t.position, t.text.replace('\u{1}', "^")));
            }
        }
        let want = [
            (0, "boats"),
            (1, "of"),
            (0, "^boats^of"),
            (2, "the"),
            (1, "^of^the"),
            (3, "harbour"),
            (2, "^the^harbour"),
            (4, "at"),
            (3, "^harbour^at"),
            (5, "dawn"),
            (4, "^at^dawn"),
        ];
        let want: Vec<(usize, String)> = want.iter().map(|(p, t)| (*p, (*t).to_owned())).collect();
        assert_eq!(got, want);
        // No common word: no grams.
        assert_eq!(
            tokens(&mut prose, "blue harbour boats"),
            ["blue", "harbour", "boats"]
        );
    }

    #[test]
    fn prose_phrases_use_grams_for_common_pairs() {
        let words = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(prose_phrase(&words("with the")), [(0, gram("with", "the"))]);
        assert_eq!(
            prose_phrase(&words("red of the")),
            [(0, gram("red", "of")), (1, gram("of", "the"))]
        );
        assert_eq!(
            prose_phrase(&words("quick brown of")),
            [(0, "quick".to_owned()), (1, gram("brown", "of"))]
        );
        assert_eq!(
            prose_phrase(&words("quick brown fox")),
            [
                (0, "quick".to_owned()),
                (1, "brown".to_owned()),
                (2, "fox".to_owned())
            ]
        );
    }
}
