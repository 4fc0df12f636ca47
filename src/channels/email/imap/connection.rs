//! [`Connection`]: connecting (TCP, then TLS or STARTTLS), logging in, selecting a folder and
//! logging out.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_imap::error::Error as ProtocolError;
use async_imap::imap_proto::{Capability, Response, Status};
use async_imap::{Client, Session};
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::changes::Changes;
use super::commands::Conn;
use super::error::{one_line, redact, server_text};
use super::stream::Stream;
use super::{ImapError, SyncOptions};
use crate::channels::email::tls;
use crate::config::{EmailAccount, TlsMode};

/// A logged-in IMAP session that syncs pass after pass and idles in between, so a
/// running account keeps one connection instead of reconnecting for every sync.
pub struct Connection<'o> {
    pub(super) conn: Conn<'o>,
    pub(super) session: Session<Stream>,
    idle: bool,
    /// The selected folder and its UIDVALIDITY.
    pub(super) selected: Option<(String, u32)>,
    /// Each folder's UIDNEXT when it was last planned, to notice mail that arrived
    /// before an IDLE could report it.
    pub(super) uid_next: HashMap<String, u32>,
    /// An IDLE was sent and its completion not yet read (a cancelled [`Connection::idle`]).
    pub(super) in_idle: bool,
    /// What the server keeps of flag changes (CONDSTORE, QRESYNC), once enabled.
    pub(super) changes: Changes,
    /// The selected folder's HIGHESTMODSEQ, when CONDSTORE is on and the folder has one.
    pub(super) highest_modseq: Option<u64>,
}

impl fmt::Debug for Connection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.conn.server)
            .field("idle", &self.idle)
            .field("selected", &self.selected)
            .finish_non_exhaustive()
    }
}

impl<'o> Connection<'o> {
    /// Connects as the account says, logs in and asks what the server can do.
    ///
    /// # Errors
    /// [`ImapError::Auth`] when the login is refused; any other failure to connect.
    pub async fn open(
        account: &EmailAccount,
        password: &str,
        options: &'o SyncOptions,
    ) -> Result<Connection<'o>, ImapError> {
        let conn = Conn::new(account, options);
        let client = conn.connect(account).await?;
        let mut session = conn.login(client, &account.username, password).await?;
        let mut caps: Vec<String> = Vec::new();
        conn.command(&mut session, "CAPABILITY", "CAPABILITY", |r| {
            if let Response::Capabilities(found) = r {
                caps.extend(found.iter().filter_map(|c| match c {
                    Capability::Atom(a) => Some(a.to_ascii_uppercase()),
                    _ => None,
                }));
            }
        })
        .await?;
        let has = |name: &str| caps.iter().any(|c| c == name);
        let idle = has("IDLE");
        let offered = Changes::offered(has("ENABLE"), has("CONDSTORE"), has("QRESYNC"));
        let mut connection = Connection {
            conn,
            session,
            idle,
            selected: None,
            uid_next: HashMap::new(),
            in_idle: false,
            changes: Changes::Unknown,
            highest_modseq: None,
        };
        connection.enable(offered).await?;
        Ok(connection)
    }

    /// The server advertises IDLE (RFC 2177).
    #[must_use]
    pub fn supports_idle(&self) -> bool {
        self.idle
    }

    /// SELECTs `folder`, returning its UIDVALIDITY. Outside planning (`planning` false),
    /// a UIDNEXT other than the one the last plan saw means mail arrived since: the next
    /// IDLE must not wait for it.
    pub(super) async fn select(&mut self, folder: &str, planning: bool) -> Result<u32, ImapError> {
        self.selected = None;
        let mailbox = self
            .conn
            .step("SELECT", self.session.select(folder))
            .await?;
        let uidvalidity = mailbox.uid_validity.ok_or_else(|| {
            self.conn
                .protocol_error(format_args!("SELECT {folder:?} gave no UIDVALIDITY"))
        })?;
        self.selected = Some((folder.to_owned(), uidvalidity));
        self.highest_modseq = mailbox
            .highest_modseq
            .filter(|_| self.changes != Changes::Unknown);
        if let Some(next) = mailbox.uid_next {
            if planning {
                self.uid_next.insert(folder.to_owned(), next);
            } else if self.uid_next.get(folder).is_some_and(|&seen| seen != next) {
                self.conn.changed.store(true, Ordering::Relaxed);
            }
        }
        Ok(uidvalidity)
    }

    /// Makes `folder` the selected one unless it is, and checks that its UIDVALIDITY is
    /// still the one planned with.
    pub(super) async fn ensure_selected(
        &mut self,
        folder: &str,
        uidvalidity: u32,
    ) -> Result<(), ImapError> {
        let current = self.selected.as_ref().map(|(f, v)| (f.as_str(), *v));
        let found = match current {
            Some((f, v)) if f == folder => v,
            _ => self.select(folder, false).await?,
        };
        if found != uidvalidity {
            return Err(self.conn.protocol_error(format_args!(
                "the UIDVALIDITY of {folder:?} changed during the sync"
            )));
        }
        Ok(())
    }

    /// Says goodbye within `limit`, ending an interrupted IDLE first; best effort, since
    /// everything is committed by the time anyone logs out.
    pub async fn logout(mut self, limit: Duration) {
        let server = self.conn.server.clone();
        let goodbye = async {
            if self.in_idle {
                self.session.run_command_untagged("DONE").await?;
            }
            self.session.logout().await
        };
        match tokio::time::timeout(limit, goodbye).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(%server, "IMAP logout: {e}"),
            Err(_) => tracing::debug!(%server, "IMAP logout: no answer in time"),
        }
    }
}

impl Conn<'_> {
    /// TCP, then TLS as the account asks, then the server's greeting.
    async fn connect(&self, account: &EmailAccount) -> Result<Client<Stream>, ImapError> {
        let tls = match account.imap.tls {
            TlsMode::None => None,
            TlsMode::Implicit | TlsMode::Starttls => Some(
                tls::client_config(account.ca_file.as_deref()).map_err(|e| self.tls_error(e))?,
            ),
        };
        let host = account.imap.host.as_str();
        let tcp = match tokio::time::timeout(
            self.options.connect_timeout,
            TcpStream::connect((host, account.imap.port)),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => return Err(self.connect_error(e)),
            Err(_) => {
                return Err(self.connect_error(format_args!(
                    "no connection within {}s",
                    self.options.connect_timeout.as_secs()
                )));
            }
        };
        // Commands are small and answered one at a time; Nagle would only add latency.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(server = %self.server, "TCP_NODELAY: {e}");
        }
        match (account.imap.tls, tls) {
            (TlsMode::Implicit, Some(config)) => {
                let stream = self.handshake(tcp, host, config).await?;
                let mut client = Client::new(Stream::Tls(Box::new(stream)));
                self.greeting(&mut client).await?;
                Ok(client)
            }
            (TlsMode::Starttls, Some(config)) => {
                let mut client = Client::new(Stream::Plain(tcp));
                self.greeting(&mut client).await?;
                self.step(
                    "STARTTLS",
                    client.run_command_and_check_ok("STARTTLS", None),
                )
                .await
                .map_err(|e| self.tls_error(format_args!("STARTTLS refused: {e}")))?;
                let Stream::Plain(tcp) = client.into_inner() else {
                    return Err(self.tls_error("STARTTLS on a connection already encrypted"));
                };
                let stream = self.handshake(tcp, host, config).await?;
                // No second greeting: the session goes on where STARTTLS left it.
                Ok(Client::new(Stream::Tls(Box::new(stream))))
            }
            _ => {
                let mut client = Client::new(Stream::Plain(tcp));
                self.greeting(&mut client).await?;
                Ok(client)
            }
        }
    }

    async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
        config: Arc<rustls::ClientConfig>,
    ) -> Result<TlsStream<TcpStream>, ImapError> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| self.tls_error(format_args!("{host:?} is not a server name: {e}")))?;
        match tokio::time::timeout(
            self.options.connect_timeout,
            TlsConnector::from(config).connect(name, tcp),
        )
        .await
        {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(e)) => Err(self.tls_error(e)),
            Err(_) => Err(self.tls_error(format_args!(
                "no handshake within {}s",
                self.options.connect_timeout.as_secs()
            ))),
        }
    }

    async fn greeting(&self, client: &mut Client<Stream>) -> Result<(), ImapError> {
        let greeting = tokio::time::timeout(self.options.command_timeout, client.read_response())
            .await
            .map_err(|_| self.silent("greeting"))?
            .map_err(|e| self.connect_error(format_args!("greeting: {e}")))?
            .ok_or_else(|| self.connect_error("closed the connection before its greeting"))?;
        match greeting.parsed() {
            Response::Data {
                status: Status::Ok, ..
            } => Ok(()),
            Response::Data {
                status, outcome, ..
            } => Err(self.protocol_error(format_args!(
                "greeting {status:?}: {}",
                outcome.information.as_deref().unwrap_or("")
            ))),
            other => Err(self.protocol_error(format_args!("unexpected greeting {other:?}"))),
        }
    }

    async fn login(
        &self,
        client: Client<Stream>,
        user: &str,
        password: &str,
    ) -> Result<Session<Stream>, ImapError> {
        let refused = |reason: String| ImapError::Auth {
            server: self.server.clone(),
            user: user.to_owned(),
            reason: one_line(&redact(&reason, password)),
        };
        match tokio::time::timeout(self.options.command_timeout, client.login(user, password)).await
        {
            Ok(Ok(session)) => Ok(session),
            Ok(Err((ProtocolError::No(reason), _))) => Err(refused(server_text(&reason))),
            Ok(Err((ProtocolError::Validate(_), _))) => Err(refused(
                "the user name or password contains a line break".into(),
            )),
            Ok(Err((ProtocolError::Bad(reason), _))) => Err(self.protocol_error(format_args!(
                "LOGIN: {}",
                redact(&server_text(&reason), password)
            ))),
            Ok(Err((e, _))) => Err(self.imap_error("LOGIN", e)),
            Err(_) => Err(self.silent("LOGIN")),
        }
    }
}
