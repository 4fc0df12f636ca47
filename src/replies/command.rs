//! Variables filled by a shop's own command (`[replies.variables] order_status = {
//! command = "...", timeout_seconds = 3 }`): the conversation goes in as environment
//! variables, the trimmed and sanitised stdout comes back as the value. A failure (exit
//! status, timeout, nothing printed) comes back as a reason for the agent, and the
//! variable stays a gap that can never be sent.

use std::process::Stdio;

use tokio::sync::mpsc::UnboundedSender;

use super::template::sanitise;
use crate::config::CommandVariable;
use crate::model::{Channel, ConversationId};

/// The longest value kept from a command's output, in characters.
pub const MAX_VALUE_CHARS: usize = 2000;

/// What a reply's variables are filled from: the conversation on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// `{{conversation.id}}`.
    pub conversation: ConversationId,
    /// The conversation's channel.
    pub channel: Channel,
    /// The channel account.
    pub account: String,
    /// The customer's name, as the store has it.
    pub customer_name: Option<String>,
    /// Their handle on this channel.
    pub peer: String,
    /// Every handle of theirs the store knows (email, phone, …).
    pub handles: Vec<String>,
    /// `{{agent.name}}`.
    pub agent_name: String,
    /// `{{shop.name}}`.
    pub shop_name: Option<String>,
}

impl Context {
    /// The value of a built-in variable, `None` when unknown or empty.
    #[must_use]
    pub fn builtin(&self, name: &str) -> Option<String> {
        let value = match name {
            "customer.name" => self.customer_name.clone()?,
            "customer.first_name" => self
                .customer_name
                .as_deref()?
                .split_whitespace()
                .next()?
                .to_owned(),
            "agent.name" => self.agent_name.clone(),
            "shop.name" => self.shop_name.clone()?,
            "conversation.id" => self.conversation.0.to_string(),
            _ => return None,
        };
        Some(sanitise(&value)).filter(|v| !v.is_empty())
    }

    /// The environment a variable's command runs with.
    #[must_use]
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("COMPTOIR_CONVERSATION_ID", self.conversation.0.to_string()),
            ("COMPTOIR_CHANNEL", self.channel.as_str().to_owned()),
            ("COMPTOIR_ACCOUNT", self.account.clone()),
            (
                "COMPTOIR_CUSTOMER_NAME",
                self.customer_name.clone().unwrap_or_default(),
            ),
            ("COMPTOIR_CUSTOMER_HANDLE", self.peer.clone()),
            ("COMPTOIR_CUSTOMER_HANDLES", self.handles.join("\n")),
            ("COMPTOIR_AGENT_NAME", self.agent_name.clone()),
            (
                "COMPTOIR_SHOP_NAME",
                self.shop_name.clone().unwrap_or_default(),
            ),
        ]
    }
}

/// How one command went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its value.
    Value(String),
    /// Why there is none, for the agent.
    Failed(String),
}

/// The commands to run for one conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The conversation.
    pub context: Context,
    /// The shop's variables.
    pub variables: Vec<CommandVariable>,
}

/// Every variable's outcome for one conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobDone {
    /// The conversation.
    pub conversation: ConversationId,
    /// By variable name.
    pub results: Vec<(String, Outcome)>,
}

/// Runs a job's commands side by side.
pub async fn run_job(job: Job) -> JobDone {
    let runs = job.variables.iter().map(|v| async {
        let outcome = run(v, &job.context).await;
        (v.name.clone(), outcome)
    });
    JobDone {
        conversation: job.context.conversation,
        results: futures::future::join_all(runs).await,
    }
}

/// Runs a job in the background and sends its results to `done`.
pub fn spawn(job: Job, done: UnboundedSender<JobDone>) {
    tokio::spawn(async move {
        let _ = done.send(run_job(job).await);
    });
}

/// Runs one command with `sh -c`, killed (with anything it started) after its timeout.
pub async fn run(var: &CommandVariable, context: &Context) -> Outcome {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&var.command)
        .envs(context.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Its own process group, so a timeout kills what the shell started too.
        .process_group(0);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("cannot start: {e}")),
    };
    let pid = child.id();
    let output = match tokio::time::timeout(var.timeout, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Outcome::Failed(format!("failed: {e}")),
        Err(_) => {
            if let Some(pid) = pid {
                kill_group(pid);
            }
            return Outcome::Failed(format!("timed out after {} s", var.timeout.as_secs_f32()));
        }
    };
    if !output.status.success() {
        let status = output.status.code().map_or_else(
            || "was killed".to_owned(),
            |c| format!("exited with status {c}"),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = sanitise(stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or(""));
        return Outcome::Failed(if first.is_empty() {
            status
        } else {
            format!("{status}: {first}")
        });
    }
    let value = sanitise(&String::from_utf8_lossy(&output.stdout));
    if value.is_empty() {
        return Outcome::Failed("printed nothing".to_owned());
    }
    Outcome::Value(value.chars().take(MAX_VALUE_CHARS).collect())
}

/// Kills a process group with the system's `kill`: comptoir has no unsafe code to call
/// `kill(2)` itself, and the group may hold children the shell started.
fn kill_group(pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{pid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
