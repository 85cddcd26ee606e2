//! Text that came from the upstream, made safe to print: control characters (a newline, a
//! carriage return, an escape sequence) and Unicode line separators become visible escapes, so
//! upstream text can neither start a log line of its own nor drive a terminal; and it is cut
//! to a length.

/// `text` with control characters escaped (`\n`, `\u{1b}`), cut to `max_chars` characters of
/// the original (an ellipsis marks the cut).
pub fn for_log(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 2));
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
