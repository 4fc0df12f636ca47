//! What the status line says about availability: the chat's state (live, or messages
//! only) when the config has a chat inbox, and the agent's own state where idleness
//! overrides their toggle. Computed from the agents' rows at the app's clock, so a
//! snapshot with an injected clock is stable.

use crate::config::PresenceConfig;
use crate::model::Agent;
use crate::presence::{self, AgentPresence, BusinessHours, ChatState};

use super::App;

/// The presence settings the app judges with: the chat's business hours (only when a
/// chat inbox is configured: without one there is no chat to report on) and the
/// idleness and grace settings.
#[derive(Clone, Debug, Default)]
pub struct PresenceView {
    /// `Some` when the config has at least one `[[chat]]`.
    pub chat_hours: Option<BusinessHours>,
    /// `[presence]`.
    pub config: PresenceConfig,
    /// The chat's state at the last load; `None` without a chat inbox.
    pub chat: Option<ChatState>,
    /// Where I stand, all rules applied, at the last load.
    pub me: Option<AgentPresence>,
}

impl App {
    /// Judges availability with these settings from now on; `chat_hours` is `Some` only
    /// when the config has a chat inbox.
    pub fn set_presence(&mut self, chat_hours: Option<BusinessHours>, config: PresenceConfig) {
        self.presence.chat_hours = chat_hours;
        self.presence.config = config;
    }

    /// Applies freshly read agents' rows: the chat's state and my own, at the app's
    /// clock.
    pub fn loaded_agents(&mut self, agents: &[Agent]) {
        let now = self.now;
        let view = &mut self.presence;
        view.chat = view
            .chat_hours
            .as_ref()
            .map(|hours| presence::chat_state(agents, hours, &view.config, now));
        view.me = agents
            .iter()
            .find(|a| a.id == self.me)
            .map(|a| presence::agent_presence(a, now, &view.config));
    }
}
