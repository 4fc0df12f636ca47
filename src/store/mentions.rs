//! Email addresses, phone numbers and order numbers written in a message's text: what
//! link suggestions are made of besides handles.
//!
//! An order number is `#` followed by 4 to 12 digits (`#12345`), or one of the words
//! *order*, *commande*, *bestellung*, *pedido*, *ordine*, *ordre* (any case), optionally
//! followed by `no`, `nr`, `n°`, `number`, `numéro`, `#` or `:`, then 4 to 12 digits
//! (`order 12345`, `commande n° 12345`, `Order #12345`). A phone number is a run of
//! digits with spaces, dots, dashes or brackets between them, 9 to 15 digits in all,
//! starting with `+`, `00` or `0`; it is kept as `+` and digits when the country code
//! is written, else as the national digits without the leading `0`, which are matched
//! against the end of stored numbers.

/// What a message mentions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentions {
    /// Email addresses, lowercased.
    pub emails: Vec<String>,
    /// Phone numbers: `+` and digits, or national digits without the trunk `0`.
    pub phones: Vec<String>,
    /// Order numbers, digits only.
    pub orders: Vec<String>,
}

impl Mentions {
    /// Adds what `text` mentions (each value once).
    pub fn scan(&mut self, text: &str) {
        for e in emails(text) {
            push_new(&mut self.emails, e);
        }
        for p in phones(text) {
            push_new(&mut self.phones, p);
        }
        for o in orders(text) {
            push_new(&mut self.orders, o);
        }
    }

    /// What `text` mentions.
    #[must_use]
    pub fn of(text: &str) -> Mentions {
        let mut m = Mentions::default();
        m.scan(text);
        m
    }
}

fn push_new(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

const ORDER_WORDS: [&str; 6] = [
    "order",
    "commande",
    "bestellung",
    "pedido",
    "ordine",
    "ordre",
];
const NUMBER_WORDS: [&str; 6] = ["no", "nr", "n°", "number", "numéro", "numero"];

/// Order numbers, as the module doc describes them.
#[must_use]
pub fn orders(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, w) in words.iter().enumerate() {
        // "#12345" on its own, or glued to punctuation around it.
        let bare = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '#' && c != '°');
        if let Some(rest) = bare.strip_prefix('#')
            && let Some(n) = order_digits(rest)
        {
            push_new(&mut found, n);
            continue;
        }
        let lower = bare.to_lowercase();
        let (word, glued) = match lower.split_once('#') {
            Some((w, n)) => (w.to_owned(), Some(n.to_owned())),
            None => (lower.clone(), None),
        };
        if !ORDER_WORDS.contains(&word.as_str()) {
            continue;
        }
        if let Some(n) = glued.as_deref().and_then(order_digits) {
            push_new(&mut found, n);
            continue;
        }
        // Up to two filler words ("n°", "#", ":") between the word and the number.
        for next in words.iter().skip(i + 1).take(3) {
            let t = next
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '#' && c != '°')
                .to_lowercase();
            let t = t.trim_start_matches(['#', ':']);
            if let Some(n) = order_digits(t) {
                push_new(&mut found, n);
                break;
            }
            if !(t.is_empty() || NUMBER_WORDS.contains(&t)) {
                break;
            }
        }
    }
    found
}

fn order_digits(s: &str) -> Option<String> {
    let s = s.trim_end_matches(|c: char| !c.is_ascii_digit());
    ((4..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_owned())
}

/// Email addresses: a run of address characters around one `@`, with a dot in the
/// domain; lowercased, trailing punctuation dropped.
#[must_use]
pub fn emails(text: &str) -> Vec<String> {
    let is_part = |c: char| c.is_alphanumeric() || "._%+-@".contains(c);
    let mut found = Vec::new();
    for word in text.split(|c: char| !is_part(c)) {
        let word = word.trim_matches(|c: char| c == '.' || c == '-');
        let Some((local, domain)) = word.split_once('@') else {
            continue;
        };
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            continue;
        }
        push_new(&mut found, word.to_lowercase());
    }
    found
}

/// Phone numbers, as the module doc describes them.
#[must_use]
pub fn phones(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = (c == '+' || c.is_ascii_digit())
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '#'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut digits = String::new();
        let plus = c == '+';
        if plus {
            j += 1;
        }
        while j < chars.len() {
            let d = chars[j];
            if d.is_ascii_digit() {
                digits.push(d);
            } else if !(matches!(d, ' ' | '.' | '-' | '(' | ')')
                && chars
                    .get(j + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == '('))
            {
                break;
            }
            j += 1;
        }
        let glued_to_letter = chars.get(j).is_some_and(|n| n.is_alphabetic());
        if (9..=15).contains(&digits.len()) && !glued_to_letter {
            let normal = if plus {
                Some(format!("+{digits}"))
            } else if let Some(rest) = digits.strip_prefix("00") {
                Some(format!("+{rest}"))
            } else {
                digits.strip_prefix('0').map(str::to_owned)
            };
            if let Some(n) = normal.filter(|n| n.trim_start_matches('+').len() >= 8) {
                push_new(&mut found, n);
            }
        }
        i = j.max(i + 1);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_in_the_documented_shapes() {
        assert_eq!(orders("Ma commande #12345 n'est pas là"), ["12345"]);
        assert_eq!(orders("order 98765, please"), ["98765"]);
        assert_eq!(orders("Commande n° 4521 et Order#7777"), ["4521", "7777"]);
        assert_eq!(orders("Bestellung Nr. 123456"), ["123456"]);
        assert_eq!(orders("order: 55555"), ["55555"]);
        assert!(orders("I ordered 3 items for 12345 euros").is_empty());
        assert!(orders("#12 is too short, #1234567890123 too long").is_empty());
    }

    #[test]
    fn emails_are_lowercased_and_trimmed() {
        assert_eq!(
            emails("Write to Jeanne.Martin@Example.com. Or <b@c.org>!"),
            ["jeanne.martin@example.com", "b@c.org"]
        );
        assert!(emails("no @ here, nor a@b, nor @x.com").is_empty());
    }

    #[test]
    fn phones_keep_the_country_code_or_drop_the_trunk_zero() {
        assert_eq!(phones("Appelez-moi au 06 12 34 56 78"), ["612345678"]);
        assert_eq!(phones("+33 6 12 34 56 78"), ["+33612345678"]);
        assert_eq!(phones("0033 6.12.34.56.78"), ["+33612345678"]);
        assert_eq!(phones("+44 20 7946 0958"), ["+442079460958"]);
        assert!(phones("order 12345 for 2024").is_empty());
        assert!(
            phones("#0612345678").is_empty(),
            "an order number is no phone"
        );
    }
}
