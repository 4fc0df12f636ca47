//! The customer at hand: the card overlay (with the link chooser), the identity
//! commands (`:link`, `:unlink`, `:tag`, `:untag`, `:customer-note`, `:rename`), and
//! the history pane's timeline selection and paging.
//!
//! The card and the chooser use the picker keys (↑/↓, Enter, Esc). Linking is two
//! choices, never one keystroke: first the other customer (a suggestion), then which
//! record survives.

use super::{App, Effect, Write};
use crate::model::{ConversationId, CustomerId};
use crate::store::{CustomerCard, IdentityChange, TIMELINE_PAGE};
use crate::tui::action::{Action, LinkArgs};

/// The customer-related state of the app.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerState {
    /// The card, while shown.
    pub card: Option<CardState>,
    /// How many timeline messages the history pane loads, for `history_for`.
    history_limit: u32,
    /// The customer the grown limit is for; another customer starts at one page.
    history_for: Option<CustomerId>,
}

/// The card overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardState {
    /// Whose card.
    pub customer: CustomerId,
    /// What the store says about them, once loaded.
    pub data: Option<CustomerCard>,
    /// The selected row of the list the step shows.
    pub selected: usize,
    /// Where the agent is in linking.
    pub step: CardStep,
}

/// What the card's list is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardStep {
    /// The suggestions: Enter picks one to link with.
    Suggestions,
    /// Which of the two records survives.
    Survivor {
        /// The other customer.
        other: CustomerId,
        /// Their name, if the card knew it.
        other_name: Option<String>,
    },
}

/// Parses `:link [ID] [keep=ID]`.
///
/// # Errors
/// A word that is neither a customer id nor `keep=ID`.
pub fn parse_link(arg: Option<&str>) -> Result<Action, String> {
    let Some(arg) = arg.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(Action::Link(None));
    };
    let id = |w: &str| {
        w.trim_start_matches('#')
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(CustomerId)
            .ok_or_else(|| format!("{w:?} is not a customer id"))
    };
    let mut other = None;
    let mut keep = None;
    for word in arg.split_whitespace() {
        match word.strip_prefix("keep=") {
            Some(k) => keep = Some(id(k)?),
            None if other.is_none() => other = Some(id(word)?),
            None => return Err(format!("unexpected {word:?}: link ID [keep=ID]")),
        }
    }
    let other = other.ok_or("link needs the other customer's ID before keep=")?;
    Ok(Action::Link(Some(LinkArgs { other, keep })))
}

impl App {
    /// The customer the identity commands apply to: the card's, else the one whose
    /// history is shown.
    #[must_use]
    pub fn shown_customer(&self) -> Option<CustomerId> {
        self.customer
            .card
            .as_ref()
            .map(|c| c.customer)
            .or_else(|| self.history.data.as_ref().map(|h| h.customer.id))
    }

    /// The customer whose card the runner must load, while the card is open.
    #[must_use]
    pub fn card_customer(&self) -> Option<CustomerId> {
        self.customer.card.as_ref().map(|c| c.customer)
    }

    /// Applies a freshly loaded card.
    pub fn loaded_card(&mut self, data: CustomerCard) {
        let Some(card) = self.customer.card.as_mut() else {
            return;
        };
        if data.customer.id != card.customer {
            return;
        }
        let len = match card.step {
            CardStep::Suggestions => data.suggestions.len(),
            CardStep::Survivor { .. } => 2,
        };
        card.selected = card.selected.min(len.saturating_sub(1));
        card.data = Some(data);
    }

    /// How many timeline messages to load for `customer`'s history.
    #[must_use]
    pub fn history_limit(&self, customer: CustomerId) -> u32 {
        if self.customer.history_for == Some(customer) {
            self.customer.history_limit.max(TIMELINE_PAGE)
        } else {
            TIMELINE_PAGE
        }
    }

    /// The conversation of the timeline entry the history selection points at.
    #[must_use]
    pub fn history_conversation(&self) -> Option<ConversationId> {
        let h = self.history.data.as_ref()?;
        let i = h.timeline.len().checked_sub(1 + self.history.selected)?;
        h.timeline.get(i).map(|e| e.conversation)
    }

    /// Moves the history selection: it counts from the newest message (0, at the
    /// bottom), so a positive `delta` (down) goes towards newer ones. Reaching the
    /// oldest loaded message loads a page more.
    pub(super) fn move_history(&mut self, delta: isize) -> Vec<Effect> {
        let Some(h) = self.history.data.as_ref() else {
            return Vec::new();
        };
        let len = h.timeline.len();
        let loaded_all = u64::try_from(len).unwrap_or(u64::MAX) >= h.messages_total;
        let who = h.customer.id;
        let next = self
            .history
            .selected
            .saturating_add_signed(delta.saturating_neg())
            .min(len.saturating_sub(1));
        self.history.selected = next;
        if next + 1 >= len && !loaded_all && delta < 0 {
            let limit = self.history_limit(who);
            self.customer.history_for = Some(who);
            self.customer.history_limit = limit.saturating_add(TIMELINE_PAGE);
            self.flash("Loading older messages…", false);
            return vec![Effect::Reload];
        }
        Vec::new()
    }

    /// The identity commands, from a key or the command line.
    pub(super) fn update_identity(&mut self, action: Action) -> Vec<Effect> {
        let Some(customer) = self.shown_customer() else {
            self.flash("No customer here: select a conversation first", true);
            return Vec::new();
        };
        let change = match action {
            Action::CustomerCard => {
                if self.customer.card.is_none() {
                    self.open_card(customer, CardStep::Suggestions);
                    return vec![Effect::Reload];
                }
                return Vec::new();
            }
            Action::Link(None) => {
                if self.customer.card.is_none() {
                    self.open_card(customer, CardStep::Suggestions);
                }
                self.flash(
                    "Pick the customer to link with (↑↓, Enter), or :link ID for any customer",
                    false,
                );
                return vec![Effect::Reload];
            }
            Action::Link(Some(LinkArgs { other, keep })) => {
                if other == customer {
                    self.flash("That is this customer: link ID names another one", true);
                    return Vec::new();
                }
                match keep {
                    None => {
                        let step = CardStep::Survivor {
                            other,
                            other_name: self.suggested_name(other),
                        };
                        match self.customer.card.as_mut() {
                            Some(card) => {
                                card.step = step;
                                card.selected = 0;
                            }
                            None => self.open_card(customer, step),
                        }
                        self.flash("Which record survives? (↑↓, Enter)", false);
                        return vec![Effect::Reload];
                    }
                    Some(keep) if keep == customer => IdentityChange::Link {
                        survivor: customer,
                        merged: other,
                    },
                    Some(keep) if keep == other => IdentityChange::Link {
                        survivor: other,
                        merged: customer,
                    },
                    Some(keep) => {
                        self.flash(
                            &format!("keep={keep} is neither customer {customer} nor {other}"),
                            true,
                        );
                        return Vec::new();
                    }
                }
            }
            Action::Unlink(link) => IdentityChange::Unlink { customer, link },
            Action::Tag(tag) => IdentityChange::Tag { customer, tag },
            Action::Untag(tag) => IdentityChange::Untag { customer, tag },
            Action::CustomerNote(text) => IdentityChange::Note { customer, text },
            Action::Rename(name) => IdentityChange::Rename { customer, name },
            _ => return Vec::new(),
        };
        self.identity(change)
    }

    /// Keys while the card is open (picker keys). `None` passes the action on, so the
    /// command line, help and quit still work over the card.
    pub(super) fn update_card(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let card = self.customer.card.as_mut()?;
        let len = match (&card.step, &card.data) {
            (CardStep::Survivor { .. }, _) => 2,
            (CardStep::Suggestions, Some(d)) => d.suggestions.len(),
            (CardStep::Suggestions, None) => 0,
        };
        let step = |card: &mut CardState, delta: isize| {
            card.selected = card
                .selected
                .saturating_add_signed(delta)
                .min(len.saturating_sub(1));
        };
        Some(match action {
            Action::Down => {
                step(card, 1);
                Vec::new()
            }
            Action::Up => {
                step(card, -1);
                Vec::new()
            }
            Action::PageDown | Action::Last => {
                step(card, isize::MAX / 2);
                Vec::new()
            }
            Action::PageUp | Action::First => {
                step(card, isize::MIN / 2);
                Vec::new()
            }
            // The picker mode has no `:` binding: typing it over the card opens the
            // command line, for :tag, :link ID and the rest.
            Action::Insert(':') => self.update(Action::CommandLine),
            Action::Insert(_) | Action::Paste(_) => Vec::new(),
            Action::Cancel | Action::CustomerCard => {
                match card.step {
                    CardStep::Survivor { .. } => {
                        card.step = CardStep::Suggestions;
                        card.selected = 0;
                    }
                    CardStep::Suggestions => self.customer.card = None,
                }
                Vec::new()
            }
            Action::Confirm | Action::Open => self.card_confirm(),
            _ => return None,
        })
    }

    fn card_confirm(&mut self) -> Vec<Effect> {
        let Some(card) = self.customer.card.as_mut() else {
            return Vec::new();
        };
        match card.step.clone() {
            CardStep::Suggestions => {
                let Some(s) = card
                    .data
                    .as_ref()
                    .and_then(|d| d.suggestions.get(card.selected))
                else {
                    self.flash(
                        "No suggestion to link: :link ID links any customer by id",
                        true,
                    );
                    return Vec::new();
                };
                card.step = CardStep::Survivor {
                    other: s.customer,
                    other_name: s.name.clone(),
                };
                card.selected = 0;
                self.flash("Which record survives? (↑↓, Enter)", false);
                Vec::new()
            }
            CardStep::Survivor { other, .. } => {
                let this = card.customer;
                let (survivor, merged) = if card.selected == 0 {
                    (this, other)
                } else {
                    (other, this)
                };
                self.identity(IdentityChange::Link { survivor, merged })
            }
        }
    }

    /// Asks the runner for a change; after a link the card follows the survivor.
    fn identity(&mut self, change: IdentityChange) -> Vec<Effect> {
        if let IdentityChange::Link { survivor, .. } = &change
            && let Some(card) = self.customer.card.as_mut()
        {
            card.customer = *survivor;
            card.data = None;
            card.step = CardStep::Suggestions;
            card.selected = 0;
        }
        vec![Effect::Write(Write::Identity(change))]
    }

    fn open_card(&mut self, customer: CustomerId, step: CardStep) {
        self.customer.card = Some(CardState {
            customer,
            data: None,
            selected: 0,
            step,
        });
    }

    fn suggested_name(&self, id: CustomerId) -> Option<String> {
        self.customer
            .card
            .as_ref()?
            .data
            .as_ref()?
            .suggestions
            .iter()
            .find(|s| s.customer == id)
            .and_then(|s| s.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_arguments() {
        assert_eq!(parse_link(None), Ok(Action::Link(None)));
        assert_eq!(
            parse_link(Some("#12 keep=3")),
            Ok(Action::Link(Some(LinkArgs {
                other: CustomerId(12),
                keep: Some(CustomerId(3)),
            })))
        );
        assert_eq!(
            parse_link(Some("12")),
            Ok(Action::Link(Some(LinkArgs {
                other: CustomerId(12),
                keep: None,
            })))
        );
        assert!(parse_link(Some("jeanne")).is_err());
        assert!(parse_link(Some("keep=3")).is_err());
        assert!(parse_link(Some("1 2")).is_err());
    }
}
