//! Fuzzy search over the replies' names, shortcuts and tags with nucleo-matcher (helix's
//! matcher), ranked: an exact shortcut first, then an exact name, then by score.

use std::sync::{Arc, Mutex, PoisonError};

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String};

/// The prepared search text of every reply, built once when the library loads.
#[derive(Clone, Default)]
pub struct Finder {
    haystacks: Vec<Utf32String>,
    shortcuts: Vec<Option<String>>,
    names: Vec<String>,
    /// Each entry's place in name order, so ties sort by a number, not a string.
    name_rank: Vec<u32>,
    /// nucleo's scratch space (about 130 KB), kept rather than allocated per keystroke.
    matcher: Arc<Mutex<Option<Matcher>>>,
}

impl std::fmt::Debug for Finder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finder")
            .field("entries", &self.names.len())
            .finish()
    }
}

/// What one entry is searched by.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its shortcut.
    pub shortcut: Option<&'a str>,
    /// Its tags.
    pub tags: &'a [String],
    /// Its language, searchable too (`fr`).
    pub language: Option<&'a str>,
}

impl Finder {
    /// Prepares the entries, in order; [`Finder::rank`] answers with their indexes.
    #[must_use]
    pub fn new<'a>(entries: impl IntoIterator<Item = Entry<'a>>) -> Finder {
        let mut f = Finder::default();
        for e in entries {
            let mut hay = e.name.to_owned();
            for part in e.shortcut.into_iter().chain(e.language) {
                hay.push(' ');
                hay.push_str(part);
            }
            for t in e.tags {
                hay.push(' ');
                hay.push_str(t);
            }
            f.haystacks.push(Utf32String::from(hay));
            f.shortcuts.push(e.shortcut.map(str::to_lowercase));
            f.names.push(e.name.to_lowercase());
        }
        let mut order: Vec<usize> = (0..f.names.len()).collect();
        order.sort_by(|a, b| f.names[*a].cmp(&f.names[*b]));
        f.name_rank = vec![0; order.len()];
        for (rank, i) in order.into_iter().enumerate() {
            f.name_rank[i] = u32::try_from(rank).unwrap_or(u32::MAX);
        }
        f
    }

    /// How many entries it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The entries matching `query`, best first. `within` narrows the search to earlier
    /// results (the previous keystroke's, when the query only grew), which is what keeps
    /// typing fast over thousands of replies. An empty query keeps every candidate in
    /// name order.
    #[must_use]
    pub fn rank(&self, query: &str, within: Option<&[usize]>) -> Vec<usize> {
        let all: Vec<usize>;
        let candidates = if let Some(w) = within {
            w
        } else {
            all = (0..self.len()).collect();
            &all
        };
        let query = query.trim();
        if query.is_empty() {
            let mut out = candidates.to_vec();
            out.sort_unstable_by_key(|&i| self.name_rank[i]);
            return out;
        }
        let lower = query.to_lowercase();
        let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
        let mut slot = self.matcher.lock().unwrap_or_else(PoisonError::into_inner);
        let matcher = slot.get_or_insert_with(|| Matcher::new(Config::DEFAULT));
        // One sortable number per match: tier (exact shortcut, exact name, the rest),
        // then the best score, then name order.
        let mut keyed: Vec<(u64, usize)> = candidates
            .iter()
            .filter_map(|&i| {
                let score = score(&pattern, self.haystacks[i].slice(..), matcher)?;
                let tier: u64 = if self.shortcuts[i].as_deref() == Some(lower.as_str()) {
                    0
                } else if self.names[i] == lower {
                    1
                } else {
                    2
                };
                let key = (tier << 62)
                    | (u64::from(u32::MAX - score) << 30)
                    | u64::from(self.name_rank[i] & 0x3fff_ffff);
                Some((key, i))
            })
            .collect();
        drop(slot);
        keyed.sort_unstable_by_key(|&(key, _)| key);
        keyed.into_iter().map(|(_, i)| i).collect()
    }
}

/// `pattern`'s score on `haystack`, `None` when it does not match. Fuzzy words are
/// matched greedily: nucleo's optimal matching costs about three times as much, which
/// over thousands of replies is the difference between under and over a millisecond a
/// keystroke, and on a name and a few tags the ranking hardly differs. The other kinds
/// (`'exact`, `^prefix`, `suffix$`, `!not`) keep nucleo's own scoring.
fn score(pattern: &Pattern, haystack: Utf32Str<'_>, matcher: &mut Matcher) -> Option<u32> {
    let mut total = 0u32;
    for atom in &pattern.atoms {
        let s = if atom.kind == AtomKind::Fuzzy && !atom.negative {
            matcher.config.ignore_case = true;
            matcher.config.normalize = true;
            matcher.fuzzy_match_greedy(haystack, atom.needle_text())?
        } else {
            atom.score(haystack, matcher)?
        };
        total = total.saturating_add(u32::from(s));
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finder(items: &[(&str, Option<&str>, &[&str])]) -> Finder {
        let tags: Vec<Vec<String>> = items
            .iter()
            .map(|(_, _, t)| t.iter().map(|s| (*s).to_owned()).collect())
            .collect();
        Finder::new(items.iter().zip(&tags).map(|((n, s, _), t)| Entry {
            name: n,
            shortcut: *s,
            tags: t,
            language: None,
        }))
    }

    #[test]
    fn shortcut_exact_beats_fuzzy() {
        let f = finder(&[
            ("Where is my order", None, &["wismo"]),
            ("Refund policy", Some("ref"), &[]),
            ("Referral programme", None, &[]),
        ]);
        assert_eq!(f.rank("ref", None)[0], 1);
        assert_eq!(
            f.rank("refnd", None),
            [1],
            "a missing letter still finds it"
        );
        assert_eq!(f.rank("wismo", None), [0], "tags are searched");
        assert!(f.rank("zzz", None).is_empty());
        assert_eq!(f.rank("", None), [2, 1, 0], "empty: by name");
        assert_eq!(f.rank("ref", Some(&[2])), [2], "narrowed");
    }
}
