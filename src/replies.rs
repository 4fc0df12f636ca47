//! Canned replies: Markdown files with YAML front matter in a folder a shop keeps in git
//! (`replies/` beside `config.toml`, or `[replies] dir`), searched with a fuzzy picker
//! and rendered for one conversation.
//!
//! Rendering is Markdown to plain text for the conversation's channel (none of them shows
//! Markdown), then `{{variables}}` filled from the conversation, the agent, the shop and
//! the shop's own commands. A variable with no value stays a visible `{{gap}}` that the
//! composer highlights and refuses to send. Each channel's length limit lives in
//! [`limits`].
//!
//! This module knows nothing of the TUI: `tui::app::picker` holds the picker's state and
//! `tui::view::picker` draws it.

pub mod command;
pub mod file;
pub mod find;
pub mod library;
pub mod limits;
pub mod markdown;
pub mod template;

use std::path::Path;

pub use command::{Context, Job, JobDone, Outcome};
pub use file::ReplyError;
pub use library::{ChannelVariant, EXAMPLES, Library, Reply, install_examples};

use crate::model::Channel;

/// `reply` as it reads on `channel`: plain text, variables filled by `value` (each
/// value sanitised), the others left as `{{gaps}}`.
#[must_use]
pub fn render(reply: &Reply, channel: Channel, value: impl Fn(&str) -> Option<String>) -> String {
    let plain = markdown::to_plain(reply.body_for(channel));
    template::fill(&plain, |name| {
        value(name)
            .map(|v| template::sanitise(&v))
            .filter(|v| !v.is_empty())
    })
}

/// The variables `reply` uses on `channel`, each once.
#[must_use]
pub fn variables(reply: &Reply, channel: Channel) -> Vec<String> {
    template::gaps(reply.body_for(channel))
}

/// The library an inbox opens with: the examples are written into the folder first when
/// it does not exist yet. The second value is what to tell the agent, if anything.
#[must_use]
pub fn open(dir: &Path) -> (Library, Option<String>) {
    let installed = match install_examples(dir) {
        Ok(done) => done,
        Err(e) => {
            return (
                Library::load(dir),
                Some(format!(
                    "cannot write the example replies to {}: {e}",
                    dir.display()
                )),
            );
        }
    };
    let lib = Library::load(dir);
    let notice = match (lib.errors(), installed) {
        ([], true) => Some(format!(
            "Example canned replies written to {} (<C-r> in a reply)",
            dir.display()
        )),
        ([], false) => None,
        ([one], _) => Some(format!("canned reply left out: {one}")),
        (many, _) => Some(format!(
            "{} canned replies left out; first: {}",
            many.len(),
            many[0]
        )),
    };
    (lib, notice)
}

/// The library of a config: its folder (the examples written into it when it does not
/// exist yet), and what to tell the agent.
#[must_use]
pub fn open_for(cfg: &crate::config::Config) -> (Library, Option<String>) {
    match &cfg.replies.dir {
        Some(dir) => open(dir),
        None => (Library::default(), None),
    }
}

/// What `comptoir config check` prints about canned replies, one `key value` line each,
/// and how many reply files have errors.
#[must_use]
pub fn check_lines(cfg: &crate::config::Config) -> (String, usize) {
    let mut out = format!(
        "shop         {}\n",
        cfg.shop
            .name
            .as_deref()
            .unwrap_or("(no [shop] name: {{shop.name}} stays a gap)")
    );
    let lib = cfg
        .replies
        .dir
        .as_deref()
        .map(Library::load)
        .unwrap_or_default();
    let exists = cfg.replies.dir.as_deref().is_some_and(Path::is_dir);
    out.push_str(&format!(
        "replies      {} ({})\n",
        cfg.replies.summary(),
        if exists {
            format!("{} replies", lib.replies().len())
        } else {
            "not there yet: the inbox writes examples into it".to_owned()
        }
    ));
    for e in lib.errors() {
        out.push_str(&format!("reply        {e}\n"));
    }
    (out, lib.errors().len())
}

/// The demo's shop variable: `{{order_status}}` from a harmless command, so the demo
/// shows a command-filled value.
#[must_use]
pub fn demo_variables() -> Vec<crate::config::CommandVariable> {
    vec![crate::config::CommandVariable {
        name: "order_status".to_owned(),
        command: "printf 'order %s left our shop yesterday and arrives tomorrow before noon.' \"C-$COMPTOIR_CONVERSATION_ID\"".to_owned(),
        timeout: std::time::Duration::from_secs(3),
    }]
}
