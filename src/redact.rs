//! The one step every text from a server passes through before a user sees it.
//!
//! A server can echo what it was sent: the `Authorization` header in an error body, the
//! API key in a validation message, the query string in a log line. [`Redactor::clean`]
//! replaces every form a credential takes on the wire with `***` — the raw value, its
//! percent-encoded and JSON-escaped forms, and its base64 forms (HTTP Basic sends
//! `base64(key + ":")`) — *then* escapes control characters, *then* cuts the text to length,
//! so a cut can never leave part of a credential behind and no escape sequence from a
//! server reaches a terminal.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;

/// What a redacted credential is replaced with.
pub const REDACTED: &str = "***";

/// Credentials shorter than this are not searched for: replacing every occurrence of a
/// two-letter string would mangle the text without protecting anything.
const MIN_SECRET_LEN: usize = 4;

/// Finds and replaces every wire form of a set of credentials.
#[derive(Clone)]
pub struct Redactor {
    /// `None` when there is nothing to search for.
    finder: Option<AhoCorasick>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(*** redacted ***)")
    }
}

impl Redactor {
    /// A redactor for `secrets` (credentials shorter than four characters are ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut needles: Vec<String> = Vec::new();
        for secret in secrets {
            if secret.chars().count() < MIN_SECRET_LEN {
                continue;
            }
            for form in wire_forms(secret) {
                if !needles.contains(&form) {
                    needles.push(form);
                }
            }
        }
        let finder = (!needles.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&needles)
                .expect("plain strings always build an automaton")
        });
        Redactor { finder }
    }

    /// `text` with every credential form replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        match &self.finder {
            Some(f) if f.is_match(text) => f.replace_all(text, &vec![REDACTED; f.patterns_len()]),
            _ => text.to_string(),
        }
    }

    /// [`Redactor::redact`], and how many credential forms were replaced.
    pub fn redact_counted(&self, text: &str) -> (String, usize) {
        match &self.finder {
            Some(f) if f.is_match(text) => (self.redact(text), f.find_iter(text).count()),
            _ => (text.to_string(), 0),
        }
    }

    /// [`Redactor::redact_counted`] for bytes that need not be UTF-8: everything but the
    /// credential forms is kept byte for byte.
    pub fn redact_bytes(&self, bytes: &[u8]) -> (Vec<u8>, usize) {
        match &self.finder {
            Some(f) if f.is_match(bytes) => (
                f.replace_all_bytes(bytes, &vec![REDACTED.as_bytes(); f.patterns_len()]),
                f.find_iter(bytes).count(),
            ),
            _ => (bytes.to_vec(), 0),
        }
    }

    /// Whether `text` holds a credential in any of its forms.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.finder.as_ref().is_some_and(|f| f.is_match(text))
    }

    /// `text` made safe to show: credentials redacted, control characters escaped, and cut
    /// to at most `max_chars` characters (an ellipsis marks a cut). In that order.
    pub fn clean(&self, text: &str, max_chars: usize) -> String {
        truncate(&escape_controls(&self.redact(text)), max_chars)
    }
}

/// Every form in which `secret` may come back from a server.
fn wire_forms(secret: &str) -> Vec<String> {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let mut forms = vec![secret.to_string()];
    // Percent-encoded, with upper- and lower-case hex digits, and as a form value.
    let upper = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
    forms.push(upper.clone());
    forms.push(lowercase_hex_escapes(&upper));
    forms.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    // Inside a JSON string.
    let json = serde_json::to_string(secret).expect("a string serializes");
    forms.push(json[1..json.len() - 1].to_string());
    forms.push(forms.last().expect("just pushed").replace('/', "\\/"));
    // base64, as HTTP Basic sends it (`key:` or `:key`) and alone; padded or not.
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
    ];
    for plain in [
        secret.to_string(),
        format!("{secret}:"),
        format!(":{secret}"),
    ] {
        for engine in &engines {
            let encoded = engine.encode(plain.as_bytes());
            forms.push(encoded.trim_end_matches('=').to_string());
            forms.push(encoded);
        }
    }
    forms.retain(|f| f.len() >= MIN_SECRET_LEN);
    forms.dedup();
    forms
}

fn lowercase_hex_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            out.extend(chars.by_ref().take(2).map(|h| h.to_ascii_lowercase()));
        }
    }
    out
}

/// Whether a character must not reach a terminal as is: control characters (ESC, BEL,
/// newlines, C1 controls) and the bidirectional overrides that reorder what is shown.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as a visible escape (`\u{1b}`, `\n`).
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(is_unsafe_char) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The first `max_chars` characters of `text`, with `…` when it was longer.
pub fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk_live_a1b2c3d4e5f6g7h8";

    fn basic(plain: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(plain)
    }

    #[test]
    fn every_wire_form_of_a_key_is_redacted() {
        let r = Redactor::new([KEY, "tok/with+odd=chars"]);
        for echoed in [
            format!("header Authorization: Basic {}", basic(&format!("{KEY}:"))),
            format!("Bearer {KEY}"),
            format!("x-api-key={KEY}&limit=5"),
            "token=tok%2Fwith%2Bodd%3Dchars".to_string(),
            "token=tok%2fwith%2bodd%3dchars".to_string(),
            r#"{"token": "tok\/with+odd=chars"}"#.to_string(),
            format!("raw base64 {}", basic("tok/with+odd=chars")),
            format!(
                "url-safe {}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{KEY}:"))
            ),
        ] {
            let cleaned = r.redact(&echoed);
            assert!(!r.contains_secret(&cleaned), "{echoed} -> {cleaned}");
            assert!(cleaned.contains(REDACTED), "{echoed} -> {cleaned}");
            assert!(
                !cleaned.contains("a1b2c3") && !cleaned.contains("odd"),
                "{cleaned}"
            );
        }
    }

    #[test]
    fn redaction_comes_before_the_cut() {
        let r = Redactor::new([KEY]);
        let text = format!("x-api-key={KEY} was refused");
        // A cut at 16 characters would keep `sk_live` if it came first.
        let cleaned = r.clean(&text, 16);
        assert_eq!(cleaned, "x-api-key=*** wa…");
        assert!(!cleaned.contains("sk_"));
    }

    #[test]
    fn control_characters_and_bidi_overrides_are_escaped() {
        let r = Redactor::new(Vec::<&str>::new());
        assert_eq!(
            r.clean("a\u{1b}[2Jb\u{7}c\nd\u{202E}e", 100),
            "a\\u{1b}[2Jb\\u{7}c\\nd\\u{202e}e"
        );
        assert_eq!(r.clean("plain", 100), "plain");
    }

    #[test]
    fn short_secrets_and_empty_sets_leave_text_alone() {
        let r = Redactor::new(["abc"]);
        assert_eq!(r.redact("abc abc"), "abc abc");
        assert!(!r.contains_secret("abc"));
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("ééééé", 3), "ééé…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
