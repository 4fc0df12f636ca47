//! A real Dovecot IMAP server per test, on free loopback ports, set up as
//! shared/notes/test-servers.md section 1 describes (and for the reasons given there).
//! Dropping it kills its whole process group.
#![allow(dead_code, reason = "each test uses a different part")]
#![allow(clippy::expect_used, reason = "a test fails loudly")]

use std::io::{ErrorKind, Read};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_imap::types::Flag;
use comptoir::config::{EmailAccount, ServerConfig, TlsMode};
use comptoir::secret::SecretSource;
use futures::TryStreamExt;

/// The mail user's login.
pub const USER: &str = "test";
/// The mail user's password.
pub const PASSWORD: &str = "secret";

/// The uid and gid Dovecot runs the mail user as (nobody:nogroup on Debian).
const MAIL_UID: u32 = 65534;

static INSTANCE: AtomicU32 = AtomicU32::new(0);

/// A running Dovecot with one user, a plain/STARTTLS port and an implicit-TLS port.
pub struct Dovecot {
    dir: tempfile::TempDir,
    /// Plain IMAP, STARTTLS offered.
    pub plain_port: u16,
    /// IMAP over implicit TLS.
    pub tls_port: u16,
    child: Option<Child>,
    /// Appended to the generated configuration.
    extra: String,
}

impl Dovecot {
    /// Starts a fresh server, or panics saying why.
    pub fn start() -> Dovecot {
        Dovecot::start_with("")
    }

    /// Starts a fresh server with `extra` appended to its configuration (e.g. a different
    /// `imap_capability`), or panics saying why.
    pub fn start_with(extra: &str) -> Dovecot {
        match Command::new("dovecot").arg("--version").output() {
            Err(e) if e.kind() == ErrorKind::NotFound => panic!(
                "Dovecot is missing: install it with `apt-get install dovecot-imapd` (scripts/test does)"
            ),
            other => {
                other.expect("dovecot --version");
            }
        }
        let dir = tempfile::tempdir().expect("temp dir");
        // Auth runs as `dovecot` and mail as `nobody`; both must traverse the dir, which
        // tempfile creates 0700.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod temp dir");
        let root = dir.path();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        let status = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .arg("ec_paramgen_curve:prime256v1")
            .args(["-nodes", "-days", "2", "-keyout"])
            .arg(root.join("key.pem"))
            .arg("-out")
            .arg(root.join("cert.pem"))
            .args(["-subj", "/CN=localhost", "-addext"])
            .arg("subjectAltName=DNS:localhost,IP:127.0.0.1")
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is missing: install it with `apt-get install openssl`");
        assert!(status.success(), "openssl req failed");
        std::fs::write(
            root.join("passwd"),
            format!(
                "{USER}:{{PLAIN}}{PASSWORD}:{MAIL_UID}:{MAIL_UID}::{}::\n",
                root.join("mail").join(USER).display()
            ),
        )
        .expect("passwd file");
        std::os::unix::fs::chown(root.join("mail"), Some(MAIL_UID), Some(MAIL_UID))
            .expect("chown mail dir");
        let mut dovecot = Dovecot {
            dir,
            plain_port: 0,
            tls_port: 0,
            child: None,
            extra: extra.to_owned(),
        };
        // Another test may grab a port between our probe and Dovecot's bind; new ports
        // then.
        for _ in 0..5 {
            let (plain, tls) = free_ports();
            dovecot.plain_port = plain;
            dovecot.tls_port = tls;
            dovecot.write_config();
            if dovecot.spawn() {
                return dovecot;
            }
        }
        panic!("Dovecot did not start; see {}", dovecot.log().display());
    }

    /// An `[[email]]` account `boutique` (contact@boutique.example) reading this server's
    /// INBOX over implicit TLS, trusting its certificate; no SMTP server (port 1) and no
    /// Sent folder. Tests change what they need with `..server.account()`.
    pub fn account(&self) -> EmailAccount {
        EmailAccount {
            name: "boutique".into(),
            address: "contact@boutique.example".into(),
            username: USER.into(),
            password: SecretSource::Command(format!("printf {PASSWORD}")),
            imap: ServerConfig {
                host: "127.0.0.1".into(),
                port: self.tls_port,
                tls: TlsMode::Implicit,
            },
            smtp: ServerConfig {
                host: "127.0.0.1".into(),
                port: 1,
                tls: TlsMode::None,
            },
            ca_file: Some(self.cert()),
            folders: vec!["INBOX".into()],
            sent_folder: None,
            first_sync_days: None,
            mark_seen: None,
            poll_seconds: comptoir::config::DEFAULT_POLL_SECONDS,
        }
    }

    /// The server's self-signed certificate, to use as `ca_file`.
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// The private key of [`Dovecot::cert`], for another test server on the same name.
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// Dovecot's log file.
    pub fn log(&self) -> PathBuf {
        self.dir.path().join("dovecot.log")
    }

    /// The user's Maildir.
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail").join(USER).join("Maildir")
    }

    /// Kills the server (its whole process group) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same ports, directory and mail.
    pub fn restart(&mut self) {
        self.stop();
        assert!(
            self.spawn(),
            "Dovecot did not restart; see {}",
            self.log().display()
        );
    }

    fn write_config(&self) {
        let t = self.dir.path().display();
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        let config = format!(
            "instance_name = test-{pid}-{n}
base_dir = {t}/run
state_dir = {t}/state
log_path = {t}/dovecot.log
info_log_path = {t}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{t}/cert.pem
ssl_key = <{t}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {t}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {t}/passwd
}}
service imap-login {{
  inet_listener imap {{
    port = {plain}
  }}
  inet_listener imaps {{
    port = {tls}
    ssl = yes
  }}
}}
{extra}
",
            pid = std::process::id(),
            plain = self.plain_port,
            tls = self.tls_port,
            extra = self.extra,
        );
        std::fs::write(self.dir.path().join("dovecot.conf"), config).expect("dovecot.conf");
    }

    /// Spawns Dovecot in its own process group and waits until it greets on the plain
    /// port; false if it exited first (a port clash) or never got there.
    fn spawn(&mut self) -> bool {
        let mut child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("spawn dovecot");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if greets(self.plain_port) && TcpStream::connect(("127.0.0.1", self.tls_port)).is_ok() {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.child = Some(child);
        self.stop();
        false
    }

    /// A logged-in session over the plain port.
    pub async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.plain_port))
            .await
            .expect("connect to Dovecot");
        let mut client = async_imap::Client::new(tcp);
        client
            .read_response()
            .await
            .expect("greeting")
            .expect("greeting");
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .expect("login")
    }

    /// APPENDs one message to `folder`; `internal_date` as IMAP writes it, e.g.
    /// `01-Jan-2020 10:00:00 +0000`.
    pub async fn append(&self, folder: &str, raw: &[u8], internal_date: Option<&str>) {
        let mut session = self.session().await;
        let date = internal_date.map(|d| format!("\"{d}\""));
        session
            .append(folder, None, date.as_deref(), raw)
            .await
            .expect("APPEND");
        session.logout().await.expect("logout");
    }

    /// APPENDs many messages to `folder` over one session.
    pub async fn append_all(&self, folder: &str, messages: &[Vec<u8>]) {
        let mut session = self.session().await;
        for raw in messages {
            session
                .append(folder, None, None, raw)
                .await
                .expect("APPEND");
        }
        session.logout().await.expect("logout");
    }

    /// APPENDs one message to `folder` with `flags`, e.g. `(\Answered)`.
    pub async fn append_flagged(&self, folder: &str, raw: &[u8], flags: &str) {
        let mut session = self.session().await;
        session
            .append(folder, Some(flags), None, raw)
            .await
            .expect("APPEND");
        session.logout().await.expect("logout");
    }

    /// Adds `flags` (e.g. `(\Answered)`) to message `uid` of `folder` from a session of
    /// its own, as another mail client would.
    pub async fn add_flags(&self, folder: &str, uid: u32, flags: &str) {
        let mut session = self.session().await;
        session.select(folder).await.expect("SELECT");
        let _: Vec<_> = session
            .uid_store(uid.to_string(), format!("+FLAGS {flags}"))
            .await
            .expect("UID STORE")
            .try_collect()
            .await
            .expect("UID STORE");
        session.logout().await.expect("logout");
    }

    /// Flags message `uid` of `folder` `\Deleted` and expunges it, from a session of
    /// its own.
    pub async fn expunge(&self, folder: &str, uid: u32) {
        let mut session = self.session().await;
        session.select(folder).await.expect("SELECT");
        let _: Vec<_> = session
            .uid_store(uid.to_string(), "+FLAGS (\\Deleted)")
            .await
            .expect("UID STORE")
            .try_collect()
            .await
            .expect("UID STORE");
        let _: Vec<_> = session
            .expunge()
            .await
            .expect("EXPUNGE")
            .try_collect()
            .await
            .expect("EXPUNGE");
        session.logout().await.expect("logout");
    }

    /// Creates a folder.
    pub async fn create(&self, folder: &str) {
        let mut session = self.session().await;
        session.create(folder).await.expect("CREATE");
        session.logout().await.expect("logout");
    }

    /// Deletes `folder` and creates it again, empty: the new folder has a new
    /// UIDVALIDITY.
    pub async fn recreate(&self, folder: &str) {
        let mut session = self.session().await;
        session.delete(folder).await.expect("DELETE");
        session.create(folder).await.expect("CREATE");
        session.logout().await.expect("logout");
    }

    /// The folder's UIDVALIDITY.
    pub async fn uidvalidity(&self, folder: &str) -> u32 {
        let mut session = self.session().await;
        let mailbox = session.examine(folder).await.expect("EXAMINE");
        session.logout().await.expect("logout");
        mailbox.uid_validity.expect("UIDVALIDITY")
    }

    /// Every message's UID and whether it has `\Seen`.
    pub async fn seen(&self, folder: &str) -> Vec<(u32, bool)> {
        let mut session = self.session().await;
        session.examine(folder).await.expect("EXAMINE");
        let fetches: Vec<_> = session
            .uid_fetch("1:*", "(UID FLAGS)")
            .await
            .expect("FETCH")
            .try_collect()
            .await
            .expect("FETCH");
        let mut out: Vec<(u32, bool)> = fetches
            .iter()
            .map(|f| {
                (
                    f.uid.expect("UID"),
                    f.flags().any(|flag| flag == Flag::Seen),
                )
            })
            .collect();
        out.sort_unstable();
        session.logout().await.expect("logout");
        out
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Two ports free right now on 127.0.0.1 (Dovecot cannot bind port 0 itself).
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").expect("bind");
    let b = TcpListener::bind("127.0.0.1:0").expect("bind");
    (
        a.local_addr().expect("addr").port(),
        b.local_addr().expect("addr").port(),
    )
}

/// The plain port answers with an IMAP greeting (the TLS port says nothing before a
/// handshake, so it cannot tell readiness).
fn greets(port: u16) -> bool {
    let Ok(mut tcp) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 4];
    tcp.read_exact(&mut buf).is_ok() && &buf == b"* OK"
}

/// Every file of a corpus folder, in name order.
pub fn corpus(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).expect("corpus file"),
            )
        })
        .collect()
}
