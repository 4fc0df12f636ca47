//! The terminal front end, in the Elm architecture: terminal events become
//! [`action::Action`]s, [`app::App::update`] changes the state without I/O, and
//! [`view::draw`] draws it. It reads the store and writes replies, notes and statuses to
//! it; it never talks to a channel.

pub mod action;
pub mod activity;
pub mod app;
pub mod chores;
pub mod editor;
pub mod files;
pub mod key;
pub mod keymap;
pub mod layout;
pub mod runner;
pub mod text;
pub mod view;

use std::path::Path;

use crate::tui::keymap::{Keymap, KeymapSource};

/// The keymap the agent asked for: a shipped map (`keymap = "vim"` in the config, else
/// `default`) with their `keymap.toml` merged over it when they have one.
///
/// # Errors
/// Every problem of the files, one line each, naming file, line, column and key.
pub fn load_keymap(name: Option<&str>, user_file: Option<&Path>) -> Result<Keymap, String> {
    let name = name.unwrap_or("default");
    let base = KeymapSource {
        path: format!("<builtin>/{name}.toml").into(),
        text: Keymap::builtin(name).map_err(|e| e.to_string())?.to_owned(),
    };
    let user = match user_file {
        Some(path) if path.exists() => Some(KeymapSource {
            path: path.to_path_buf(),
            text: std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        }),
        _ => None,
    };
    Keymap::load(base, user).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}
