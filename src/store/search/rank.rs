//! How a candidate message is scored: FTS5's bm25 (rarer words and more of them score
//! higher), times a bonus when the words stand close together, times a weight that
//! fades with age so that, between two equal matches, the recent one comes first.

use jiff::Timestamp;

use super::Snippet;

/// After this many days a match weighs three quarters of a fresh one, after twice as
/// many five eighths, and never less than half: relevance leads, recency breaks ties.
const HALF_LIFE_DAYS: f64 = 30.0;

/// The score of one candidate; higher is better.
///
/// `bm25` is FTS5's value (negative, more negative is better); `newest` is the newest
/// candidate's time, so ages are relative to the results rather than to the clock.
#[must_use]
pub fn score(
    bm25: f64,
    snippet: &Snippet,
    term_count: usize,
    newest: Timestamp,
    sent_at: Timestamp,
) -> f64 {
    let relevance = (-bm25).max(0.0) + 1e-6;
    #[allow(
        clippy::cast_precision_loss,
        reason = "an age in milliseconds fits an f64's 52 bits for millions of years"
    )]
    let age_days = newest
        .as_millisecond()
        .saturating_sub(sent_at.as_millisecond())
        .max(0) as f64
        / 86_400_000.0;
    let recency = 0.5 + 0.5 * 0.5_f64.powf(age_days / HALF_LIFE_DAYS);
    relevance * recency * closeness(snippet, term_count)
}

/// 1 for a single word or words far apart; up to 2 when two different matched words
/// are next to each other in the snippet (FTS5 picks the window with the most matches).
#[must_use]
pub fn closeness(snippet: &Snippet, term_count: usize) -> f64 {
    if term_count < 2 {
        return 1.0;
    }
    let mut best: Option<usize> = None;
    let mut last: Option<String> = None;
    let mut words_since = 0usize;
    for (text, matched) in &snippet.parts {
        if *matched {
            let this = text.to_lowercase();
            if let Some(prev) = &last
                && *prev != this
            {
                best = Some(best.map_or(words_since, |b| b.min(words_since)));
            }
            last = Some(this);
            words_since = 0;
        } else {
            words_since += text.split_whitespace().count();
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "a snippet is a few dozen words")]
    best.map_or(1.0, |gap| 1.0 + 1.0 / (1.0 + gap as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snip(parts: &[(&str, bool)]) -> Snippet {
        Snippet {
            parts: parts.iter().map(|(t, m)| ((*t).to_owned(), *m)).collect(),
        }
    }

    #[test]
    fn adjacent_words_score_higher_than_distant_ones() {
        let close = snip(&[
            ("le ", false),
            ("colis", true),
            (" ", false),
            ("abîmé", true),
        ]);
        let far = snip(&[
            ("colis", true),
            (" arrivé hier mais la boîte ", false),
            ("abîmé", true),
        ]);
        let one = snip(&[("colis", true)]);
        assert!((closeness(&close, 2) - 2.0).abs() < 1e-9);
        assert!(closeness(&far, 2) < closeness(&close, 2));
        assert!((closeness(&one, 2) - 1.0).abs() < 1e-9, "one word only");
        assert!((closeness(&close, 1) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn age_weighs_at_most_half() {
        let t = |d: i64| Timestamp::from_second(1_800_000_000 - d * 86_400).expect("valid");
        let s = snip(&[("x", true)]);
        let fresh = score(-4.0, &s, 1, t(0), t(0));
        let old = score(-4.0, &s, 1, t(0), t(3_000));
        assert!(fresh > old);
        assert!(old >= fresh / 2.0 - 1e-9);
        assert!(score(-8.0, &s, 1, t(0), t(60)) > score(-4.0, &s, 1, t(0), t(0)));
    }
}
