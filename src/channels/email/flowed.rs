//! RFC 3676 `format=flowed` encoding for the replies we send: long paragraphs are cut
//! into lines a fixed-width reader can show, with a trailing space marking each soft
//! break, so a flowed-aware client (and [`super::mime::unflow`]) joins them back into the
//! paragraph the agent typed. The decoding half lives in `mime`.
//!
//! Lines are measured in characters, not bytes: the limit is about what a reader's
//! screen shows, and the transfer encoding takes care of the line lengths SMTP cares
//! about.

/// Where a paragraph is cut when a space allows it (RFC 3676 §4.2: SHOULD be at most 78,
/// 66 or 72 preferred).
pub const WIDTH: usize = 72;

/// Encodes plain text as flowed lines, each ending in `\n`: every line of `text` is a
/// paragraph at quote depth 0, wrapped at [`WIDTH`] and space-stuffed where needed.
/// Trailing spaces of the text's own lines are dropped, since they would read as soft
/// breaks; a signature separator (`-- `) is kept as it is.
#[must_use]
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in normalize_newlines(text).split('\n') {
        push_paragraph(&mut out, 0, line);
    }
    out
}

/// Appends one paragraph at quote `depth` (0 for the writer's own text), cut into flowed
/// lines that each end in `\n`. `content` is the paragraph without its quote marks.
pub fn push_paragraph(out: &mut String, depth: usize, content: &str) {
    if depth == 0 && content == "-- " {
        out.push_str("-- \n");
        return;
    }
    let content = content.trim_end_matches(' ');
    let marks = ">".repeat(depth);
    if content.is_empty() {
        // A quoted empty line is `>` alone: `> ` would end in a space, a soft break.
        out.push_str(&marks);
        out.push('\n');
        return;
    }
    let width = WIDTH.saturating_sub(depth + 1).max(20);
    let mut line = String::new();
    let mut chars = 0;
    // Each word keeps the space that follows it, so a cut after it leaves the
    // trailing space that marks the break as soft.
    for word in content.split_inclusive(' ') {
        let len = word.chars().count();
        if chars > 0 && chars + len > width && !word.trim_end_matches(' ').is_empty() {
            push_line(out, &marks, &line);
            line.clear();
            chars = 0;
        }
        line.push_str(word);
        chars += len;
    }
    push_line(out, &marks, &line);
}

/// One physical line: quote marks, then a stuffing space where a reader would otherwise
/// take the line's start for something else (RFC 3676 §4.4), then the text.
fn push_line(out: &mut String, marks: &str, line: &str) {
    out.push_str(marks);
    if !marks.is_empty() || needs_stuffing(line) {
        out.push(' ');
    }
    out.push_str(line);
    out.push('\n');
}

/// A line starting with a space or `>` would lose its first character or read as a
/// quote; one starting with `From ` is mangled to `>From ` by some mail stores.
fn needs_stuffing(line: &str) -> bool {
    line.starts_with(' ') || line.starts_with('>') || line.starts_with("From ")
}

fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::email::mime::unflow;

    /// What a flowed reader shows for what the writer typed: the same text, less the
    /// trailing spaces of its lines.
    fn expected(text: &str) -> String {
        normalize_newlines(text)
            .split('\n')
            .map(|l| {
                if l == "-- " {
                    l
                } else {
                    l.trim_end_matches(' ')
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn round_trip(text: &str) {
        let encoded = encode(text);
        for line in encoded.lines() {
            assert!(
                line.chars().count() <= 78 || !line.trim_end().contains(' '),
                "{line:?}"
            );
        }
        // `encode` ends every line with `\n`; unflow reads the text as a body would be.
        let decoded = unflow(encoded.strip_suffix('\n').unwrap_or(&encoded), false);
        assert_eq!(decoded, expected(text), "encoded as {encoded:?}");
    }

    #[test]
    fn a_long_paragraph_is_cut_with_soft_breaks_and_joined_back() {
        let text = "Bonjour Madame, nous avons bien reçu votre commande et elle partira \
                    demain matin par colissimo avec un numéro de suivi que vous recevrez par \
                    courriel dans la journée.";
        let encoded = encode(text);
        let lines: Vec<&str> = encoded.lines().collect();
        assert!(lines.len() >= 3, "{encoded:?}");
        for line in &lines[..lines.len() - 1] {
            assert!(line.ends_with(' '), "soft break expected: {line:?}");
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
        assert!(!lines[lines.len() - 1].ends_with(' '));
        round_trip(text);
    }

    #[test]
    fn lines_that_look_like_quotes_or_from_are_stuffed() {
        let encoded = encode(">not a quote\nFrom here on\n  indented\nFromage");
        assert_eq!(
            encoded,
            " >not a quote\n From here on\n   indented\nFromage\n"
        );
        round_trip(">not a quote\nFrom here on\n  indented\nFromage");
    }

    #[test]
    fn a_continuation_line_is_stuffed_too() {
        let text = format!("{} >b From c  d", "a".repeat(70));
        round_trip(&text);
        let text = format!("{} From the shop", "x".repeat(69));
        let encoded = encode(&text);
        assert!(encoded.contains("\n From the shop"), "{encoded:?}");
        round_trip(&text);
    }

    #[test]
    fn trailing_spaces_and_hard_breaks_survive_as_a_reader_sees_them() {
        round_trip("ligne un   \nligne deux\n\n\nfin ");
        round_trip("-- \nCamille");
        assert_eq!(encode("-- \nCamille"), "-- \nCamille\n");
    }

    #[test]
    fn runs_of_spaces_and_long_words_are_kept() {
        round_trip(&format!("{}  {}", "a".repeat(71), "b".repeat(10)));
        round_trip(&format!(
            "voir {} pour le suivi",
            "https://x.example/".repeat(10)
        ));
        round_trip("a     b");
    }

    #[test]
    fn non_ascii_is_measured_in_characters() {
        let text = "Liebe Grüße aus Köln, 日本語のテキストも大丈夫です。".repeat(4);
        let encoded = encode(&text);
        for line in encoded.lines() {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
        round_trip(&text);
        round_trip("émoji 🎉 ".repeat(30).trim_end());
    }

    #[test]
    fn quoted_paragraphs_carry_their_depth_on_every_line() {
        let mut out = String::new();
        push_paragraph(&mut out, 1, &"mot ".repeat(40));
        push_paragraph(&mut out, 1, "");
        push_paragraph(&mut out, 2, "plus ancien");
        for line in out.lines() {
            assert!(line.starts_with('>'), "{line:?}");
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
        assert!(
            out.contains("\n>\n"),
            "an empty quoted line has no space: {out:?}"
        );
        let decoded = unflow(out.strip_suffix('\n').unwrap_or(&out), false);
        assert_eq!(
            decoded,
            format!("> {}\n> \n>> plus ancien", "mot ".repeat(40).trim_end())
        );
    }

    #[test]
    fn crlf_and_cr_are_line_breaks() {
        assert_eq!(encode("a\r\nb\rc"), "a\nb\nc\n");
    }
}
