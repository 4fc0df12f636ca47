//! The canned-reply picker and what inserting a reply does to the composer: search,
//! preview, the shop's command variables (run by the runner, answered through
//! [`App::reply_variables_done`]), and the checks that stop a reply with a `{{gap}}` or
//! over its channel's length limit from being sent.

use std::collections::HashMap;
use std::sync::Arc;

use super::{App, ComposeKind, Effect};
use crate::config::CommandVariable;
use crate::model::{Channel, Conversation, ConversationId};
use crate::replies::{self, Context, Job, JobDone, Library, Outcome, limits, template};
use crate::tui::action::Action;
use crate::tui::editor::Editor;

/// The canned replies this inbox offers and what their variables are filled with.
#[derive(Clone, Debug, Default)]
pub struct RepliesDesk {
    /// The replies.
    pub library: Arc<Library>,
    /// `{{shop.name}}`.
    pub shop_name: Option<String>,
    /// `[replies.variables]`.
    pub variables: Vec<CommandVariable>,
    /// The shop's variables' outcomes, per conversation.
    pub values: HashMap<ConversationId, CommandValues>,
    /// A reply chosen while the commands it needs still run: inserted when they end.
    waiting: Option<(ConversationId, usize)>,
}

/// The shop's variables for one conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandValues {
    /// The commands are running (again).
    pub running: bool,
    /// The last outcomes, by variable name.
    pub outcomes: Vec<(String, Outcome)>,
}

/// The picker over the composer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PickerState {
    /// What is typed.
    pub query: Editor,
    /// The matching replies (indexes in the library), best first.
    pub matches: Vec<usize>,
    /// The highlighted row in `matches`.
    pub selected: usize,
    /// The query `matches` answers.
    searched: String,
}

/// What the preview pane shows for the highlighted reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// The reply's label.
    pub title: String,
    /// The text as it would be inserted (gaps left as `{{name}}`).
    pub text: String,
    /// One line per shop variable it uses that has no value yet: running, or why not.
    pub notes: Vec<String>,
    /// The files listed with it.
    pub attachments: Vec<String>,
    /// Where it came from.
    pub file: String,
}

impl App {
    /// Gives the app its canned replies and what fills their variables.
    pub fn set_replies(
        &mut self,
        library: Arc<Library>,
        shop_name: Option<String>,
        variables: Vec<CommandVariable>,
    ) {
        self.replies = RepliesDesk {
            library,
            shop_name,
            variables,
            ..RepliesDesk::default()
        };
    }

    /// The conversation the composer answers, as loaded.
    fn compose_conversation(&self) -> Option<&Conversation> {
        let id = self.compose.as_ref()?.conversation;
        self.thread
            .conversation
            .as_ref()
            .filter(|c| c.id == id)
            .or_else(|| self.queue.items.iter().find(|c| c.id == id))
    }

    /// The channel of the conversation the composer answers.
    #[must_use]
    pub fn compose_channel(&self) -> Option<Channel> {
        self.compose_conversation().map(|c| c.channel)
    }

    /// What a reply in the composer is filled from.
    #[must_use]
    pub fn reply_context(&self) -> Option<Context> {
        let c = self.compose_conversation()?;
        let handles = self
            .history
            .data
            .as_ref()
            .filter(|h| h.customer.id == c.customer_id)
            .map_or_else(
                || vec![c.peer.clone()],
                |h| h.customer.handles.iter().map(|h| h.value.clone()).collect(),
            );
        Some(Context {
            conversation: c.id,
            channel: c.channel,
            account: c.account.clone(),
            customer_name: c.customer_name.clone(),
            peer: c.peer.clone(),
            handles,
            agent_name: self.my_name.clone(),
            shop_name: self.replies.shop_name.clone(),
        })
    }

    fn outcome(&self, conversation: ConversationId, name: &str) -> Option<&Outcome> {
        self.replies
            .values
            .get(&conversation)?
            .outcomes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, o)| o)
    }

    fn value(&self, ctx: &Context, name: &str) -> Option<String> {
        ctx.builtin(name)
            .or_else(|| match self.outcome(ctx.conversation, name)? {
                Outcome::Value(v) => Some(v.clone()),
                Outcome::Failed(_) => None,
            })
    }

    /// `reply.canned [NAME]` and `:reply NAME`: opens a reply if none is open, then
    /// inserts the reply called NAME (name or shortcut) or opens the picker, filtered by
    /// NAME when it names none.
    pub(super) fn canned_reply(&mut self, name: Option<String>) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.compose.is_none() {
            // The same door as `reply`, so a canned reply starts like any other.
            effects = self.update(Action::Reply);
            if self.compose.is_none() {
                return effects;
            }
        }
        effects.extend(self.run_variables());
        let channel = self.compose_channel();
        if let Some(n) = name.as_deref()
            && let Some(i) = self.replies.library.lookup(n, channel)
        {
            effects.extend(self.choose(i));
            return effects;
        }
        self.picker = Some(PickerState {
            query: Editor::with_text(name.as_deref().unwrap_or_default()),
            ..PickerState::default()
        });
        self.refilter_picker();
        if self.replies.library.replies().is_empty() {
            let dir = self
                .replies
                .library
                .dir()
                .map_or_else(String::new, |d| format!(" in {}", d.display()));
            self.flash(
                &format!("No canned replies yet: write Markdown files{dir}"),
                true,
            );
        }
        effects
    }

    /// Starts the shop's commands for the conversation being answered; the last values
    /// stay shown while they run again.
    fn run_variables(&mut self) -> Vec<Effect> {
        if self.replies.variables.is_empty() {
            return Vec::new();
        }
        let Some(context) = self.reply_context() else {
            return Vec::new();
        };
        let entry = self.replies.values.entry(context.conversation).or_default();
        if entry.running {
            return Vec::new();
        }
        entry.running = true;
        vec![Effect::ReplyVariables(Job {
            context,
            variables: self.replies.variables.clone(),
        })]
    }

    /// The shop's commands ended: their values fill the preview, and a reply that was
    /// waiting for them goes in.
    pub fn reply_variables_done(&mut self, done: JobDone) {
        self.replies.values.insert(
            done.conversation,
            CommandValues {
                running: false,
                outcomes: done.results,
            },
        );
        if let Some((conversation, index)) = self.replies.waiting
            && self
                .compose
                .as_ref()
                .is_some_and(|c| c.conversation == conversation)
        {
            self.replies.waiting = None;
            self.insert_reply(index);
        }
    }

    /// Keys while the picker is open.
    pub(super) fn update_picker(&mut self, action: Action) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return Vec::new();
        };
        let last = p.matches.len().saturating_sub(1);
        let mut edited = true;
        match action {
            Action::Cancel | Action::Quit => {
                self.picker = None;
                return Vec::new();
            }
            Action::Confirm | Action::Newline | Action::Send => {
                let chosen = p.matches.get(p.selected).copied();
                self.picker = None;
                let Some(i) = chosen else {
                    self.flash("No canned reply matches", true);
                    return Vec::new();
                };
                return self.choose(i);
            }
            Action::Down => p.selected = (p.selected + 1).min(last),
            Action::Up => p.selected = p.selected.saturating_sub(1),
            Action::PageDown => p.selected = (p.selected + 10).min(last),
            Action::PageUp => p.selected = p.selected.saturating_sub(10),
            Action::First => p.selected = 0,
            Action::Last => p.selected = last,
            Action::CursorLeft => p.query.left(),
            Action::CursorRight => p.query.right(),
            Action::WordLeft => p.query.word_left(),
            Action::WordRight => p.query.word_right(),
            Action::LineStart => p.query.home(),
            Action::LineEnd => p.query.end(),
            Action::Insert(ch) => p.query.insert(ch),
            Action::Paste(text) => p.query.insert_str(&text.replace(['\n', '\r'], " ")),
            Action::DeleteBack => p.query.delete_back(),
            Action::DeleteForward => p.query.delete_forward(),
            Action::DeleteWordBack => p.query.delete_word_back(),
            Action::DeleteToLineEnd => p.query.delete_to_end(),
            _ => edited = false,
        }
        if edited && p.query.text() != p.searched {
            self.refilter_picker();
        }
        Vec::new()
    }

    /// Searches again after the query changed. While the query only grows, only the
    /// previous matches can still match, so only they are scored.
    fn refilter_picker(&mut self) {
        let channel = self.compose_channel();
        let library = Arc::clone(&self.replies.library);
        let Some(p) = self.picker.as_mut() else {
            return;
        };
        let query = p.query.text();
        let narrowed = !p.searched.trim().is_empty() && query.starts_with(&p.searched);
        let within = narrowed.then(|| std::mem::take(&mut p.matches));
        p.matches = library.search(&query, channel, within.as_deref());
        p.searched = query;
        p.selected = 0;
    }

    /// Inserts reply `index`, or waits for the shop commands it needs.
    fn choose(&mut self, index: usize) -> Vec<Effect> {
        let Some(ctx) = self.reply_context() else {
            self.flash("The conversation is not loaded yet; try again", true);
            return Vec::new();
        };
        let library = Arc::clone(&self.replies.library);
        let Some(reply) = library.get(index) else {
            return Vec::new();
        };
        let running = self
            .replies
            .values
            .get(&ctx.conversation)
            .is_some_and(|v| v.running);
        let waiting_on: Vec<String> = replies::variables(reply, ctx.channel)
            .into_iter()
            .filter(|n| self.replies.variables.iter().any(|v| v.name == *n))
            .filter(|n| self.outcome(ctx.conversation, n).is_none())
            .collect();
        if running && !waiting_on.is_empty() {
            self.replies.waiting = Some((ctx.conversation, index));
            self.flash(
                &format!(
                    "Inserting “{}” once {} is known…",
                    reply.label(),
                    braced(&waiting_on)
                ),
                false,
            );
            return Vec::new();
        }
        self.insert_reply(index);
        Vec::new()
    }

    /// Renders reply `index` for the conversation and types it at the cursor.
    fn insert_reply(&mut self, index: usize) {
        let Some(ctx) = self.reply_context() else {
            return;
        };
        let library = Arc::clone(&self.replies.library);
        let Some(reply) = library.get(index) else {
            return;
        };
        let text = replies::render(reply, ctx.channel, |n| self.value(&ctx, n));
        let failures: Vec<String> = replies::variables(reply, ctx.channel)
            .iter()
            .filter_map(|n| match self.outcome(ctx.conversation, n)? {
                Outcome::Failed(why) => Some(format!("{{{{{n}}}}}: {why}")),
                Outcome::Value(_) => None,
            })
            .collect();
        let gaps = template::gaps(&text);
        let Some(compose) = self.compose.as_mut() else {
            return;
        };
        compose.editor.insert_str(&text);
        let label = reply.label();
        if !failures.is_empty() {
            self.flash(
                &format!("Inserted “{label}”; {}: fill the gap", failures.join("; ")),
                true,
            );
        } else if !gaps.is_empty() {
            self.flash(
                &format!("Inserted “{label}”: fill {} before sending", braced(&gaps)),
                false,
            );
        } else {
            self.flash(&format!("Inserted “{label}”"), false);
        }
    }

    /// The highlighted reply as it would be inserted here.
    #[must_use]
    pub fn picker_preview(&self) -> Option<Preview> {
        let p = self.picker.as_ref()?;
        let reply = self.replies.library.get(*p.matches.get(p.selected)?)?;
        let ctx = self.reply_context()?;
        let text = replies::render(reply, ctx.channel, |n| self.value(&ctx, n));
        let running = self
            .replies
            .values
            .get(&ctx.conversation)
            .is_some_and(|v| v.running);
        let notes = replies::variables(reply, ctx.channel)
            .into_iter()
            .filter(|n| self.replies.variables.iter().any(|v| v.name == *n))
            .filter_map(|n| match self.outcome(ctx.conversation, &n) {
                Some(Outcome::Value(_)) => None,
                Some(Outcome::Failed(why)) => Some(format!("{{{{{n}}}}} failed: {why}")),
                None if running => Some(format!("{{{{{n}}}}}: running…")),
                None => None,
            })
            .collect();
        let attachments = reply
            .attachments_for(ctx.channel)
            .iter()
            .map(|a| {
                a.file_name().map_or_else(
                    || a.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            })
            .collect();
        Some(Preview {
            title: reply.label(),
            text,
            notes,
            attachments,
            file: reply.path.display().to_string(),
        })
    }

    /// `312/1000` for the composer's title: the draft's length against its channel's
    /// limit. Shown for replies on channels counted in characters, and on any channel once
    /// the draft is over.
    #[must_use]
    pub fn compose_length(&self) -> Option<String> {
        let compose = self.compose.as_ref()?;
        if compose.kind != ComposeKind::Reply {
            return None;
        }
        let l = limits::limit(self.compose_channel()?)?;
        let text = compose.editor.text();
        let n = limits::length(text.trim_end(), l.unit);
        (l.unit != limits::Unit::Bytes || n > l.max).then(|| format!("{n}/{}", l.max))
    }

    /// Why the composer's reply must not be sent as it is: a `{{gap}}` left, or too long
    /// for its channel. Notes are never sent, so they are never refused.
    #[must_use]
    pub fn reply_refusal(&self, text: &str) -> Option<String> {
        if self.compose.as_ref()?.kind != ComposeKind::Reply {
            return None;
        }
        let gaps = template::gaps(text);
        if !gaps.is_empty() {
            return Some(format!(
                "Not sent: fill {} first (a gap is never sent)",
                braced(&gaps)
            ));
        }
        limits::check(self.compose_channel()?, text).err()
    }
}

/// `{{a}}, {{b}}`.
fn braced(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{{{{{n}}}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}
