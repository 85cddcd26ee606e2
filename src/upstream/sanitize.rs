//! Text that came from the upstream, made safe to print: control characters (a newline, a
//! carriage return, an escape sequence), Unicode line separators and the invisible format
//! characters (bidi overrides such as U+202E, zero-width joiners) become visible escapes, so
//! upstream text can neither start a log line of its own, nor drive a terminal, nor read
//! differently from what it is; and it is cut to a length. `redact` takes the secrets a
//! request carried out of the text an upstream sends back.

/// `text` with control characters escaped (`\n`, `\u{1b}`), cut to `max_chars` characters of
/// the original (an ellipsis marks the cut).
pub(crate) fn for_log(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 2));
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        if c.is_control() || is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Line separators and the format characters (Unicode category Cf) that change how text around
/// them reads or hide in it: bidi embeddings, overrides and isolates, zero-width characters,
/// the soft hyphen, the byte-order mark.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{85}' | '\u{2028}' | '\u{2029}'
        | '\u{ad}' | '\u{61c}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}')
}

/// `text` with every appearance of each secret replaced by `[REDACTED]`: as written, URL-encoded
/// and JSON-escaped (the ways an upstream can echo what it was sent). Only whole words are
/// replaced: a secret inside a longer word is left (replacing a short password inside other
/// words would tell, letter by letter, what the password is), and so is the word.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json
            .get(1..json.len().saturating_sub(1))
            .unwrap_or_default();
        let url: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let percent = url.replace('+', "%20");
        for form in [*secret, json, url.as_str(), percent.as_str()] {
            if !form.is_empty() {
                out = replace_words(&out, form);
            }
        }
    }
    out
}

/// Replaces `needle` where it stands as a whole word: neither neighbour is a letter or digit.
fn replace_words(text: &str, needle: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let before = rest[..at]
            .chars()
            .next_back()
            .or_else(|| out.chars().next_back());
        let after = rest[at + needle.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(needle);
        } else {
            out.push_str("[REDACTED]");
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_redacted_as_written_url_encoded_and_json_escaped() {
        let key = "Zk9/SEC+RET\"q";
        let url: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
        let text = format!(
            "plain {key}, url {url}, json {}",
            serde_json::to_string(key).unwrap()
        );

        let shown = redact(&text, &[key]);

        assert!(!shown.contains("SEC"), "{shown}");
        assert_eq!(shown.matches("[REDACTED]").count(), 3, "{shown}");
    }

    #[test]
    fn a_short_secret_inside_other_words_is_left_so_it_cannot_be_guessed() {
        let shown = redact("upstream answered: e is wrong", &["e"]);

        assert_eq!(shown, "upstream answered: [REDACTED] is wrong");
    }

    #[test]
    fn bidi_and_zero_width_characters_become_visible() {
        let shown = for_log("admin\u{202e}nimda\u{200b}x\u{feff}", 200);

        assert!(!shown.chars().any(is_invisible_format), "{shown}");
        assert!(shown.contains("\\u{202e}"), "{shown}");
    }

    #[test]
    fn control_characters_become_visible_escapes() {
        let forged = "bad\n2026-01-01T00:00:00Z  INFO audit\r\u{1b}[31mred\u{2028}x";
        let shown = for_log(forged, 200);
        assert!(!shown.chars().any(|c| c.is_control()));
        assert!(!shown.contains('\u{2028}'));
        assert!(shown.contains("bad\\n2026"));
        assert!(shown.contains("\\u{1b}[31m"));
    }

    #[test]
    fn long_text_is_cut_with_a_mark() {
        assert_eq!(for_log("abcdef", 3), "abc…");
        assert_eq!(for_log("abc", 3), "abc");
    }
}
