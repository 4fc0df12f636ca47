//! `{{variable}}` slots: filling the known ones, and finding the gaps left for the
//! agent. A gap stays in the draft as `{{name}}`, drawn highlighted, and a reply that
//! still holds one is never sent.

use std::ops::Range;

/// Where each `{{name}}` slot is in `text`, with its variable name.
#[must_use]
pub fn slots(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| i + from) {
        let Some(close) = text[open + 2..].find("}}").map(|i| i + open + 2) else {
            break;
        };
        let name = text[open + 2..close].trim();
        if is_name(name) {
            out.push((open..close + 2, name));
            from = close + 2;
        } else {
            from = open + 2;
        }
    }
    out
}

/// A variable name: letters, digits, `_` and `.`, not empty.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// `text` with each slot `value` knows replaced; the others stay as `{{name}}`
/// (spaces inside the braces dropped, so the gap reads the same everywhere).
pub fn fill(text: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, name) in slots(text) {
        out.push_str(&text[at..range.start]);
        match value(name) {
            Some(v) => out.push_str(&v),
            None => {
                out.push_str("{{");
                out.push_str(name);
                out.push_str("}}");
            }
        }
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The names of the gaps still in `text`, each once, in order.
#[must_use]
pub fn gaps(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, name) in slots(text) {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    }
    out
}

/// A value from outside (a command's output, a customer's name) made safe to put in a
/// message: control characters out, surrounding whitespace trimmed.
#[must_use]
pub fn sanitise(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    kept.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_and_keeps_gaps() {
        let text = "Hi {{ customer.first_name }}, order {{order_status}} — {{ not a var }} {{";
        let filled = fill(text, |n| {
            (n == "customer.first_name").then(|| "Ada".to_owned())
        });
        assert_eq!(
            filled,
            "Hi Ada, order {{order_status}} — {{ not a var }} {{"
        );
        assert_eq!(gaps(&filled), ["order_status"]);
    }

    #[test]
    fn gaps_are_listed_once() {
        assert_eq!(gaps("{{a}} {{b}} {{a}}"), ["a", "b"]);
        assert!(gaps("no {{ }} gap {{x y}}").is_empty());
    }

    #[test]
    fn sanitise_drops_control_characters() {
        assert_eq!(
            sanitise("  shipped\u{1b}[31m today\r\n"),
            "shipped[31m today"
        );
    }
}
