//! The live visitors who keep writing while the demo runs.

use super::*;
use crate::channels::relay::signature::WebhookSecret;

/// Makes the demo look alive: until `shutdown` turns true (or its sender goes away),
/// every `pace` give or take 40 %, one message arrives from a new visitor on the chat or
/// a social channel, or a follow-up on a visitor's or a seeded conversation.
///
/// With a `relay`, the demo chat inbox's messages are POSTed to it signed, as a shop's
/// website backend would; the social channels' messages (and every message without a
/// relay) go straight to [`ingest`]. A message that is refused or cannot be posted is
/// logged and skipped: the demo carries on, and nothing reaches the terminal.
pub async fn live_traffic(
    store: SharedStore,
    mut shutdown: watch::Receiver<bool>,
    pace: Duration,
    relay: Option<RelayPoster>,
) {
    let mut live = Live::new(Timestamp::now());
    loop {
        if *shutdown.borrow() {
            return;
        }
        let wait = live.jittered(pace);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        }
        let inbound = live.next(Timestamp::now());
        if let Some(poster) = relay.as_ref().filter(|p| p.takes(&inbound)) {
            if let Err(error) = poster.post(&inbound).await {
                tracing::warn!(%error, "demo traffic: a chat message was not posted");
            }
            continue;
        }
        let stored = store
            .call(move |s| ingest::ingest(s, &inbound, Timestamp::now()))
            .await;
        if let Err(error) = stored {
            tracing::warn!(%error, "demo traffic: a message was not stored");
        }
    }
}

/// Posts the demo's chat visitors' messages to the relay's `POST /chat/{inbox}/messages`
/// over plain HTTP/1.1, signed per Standard Webhooks with the inbox's secret.
#[derive(Debug)]
pub struct RelayPoster {
    url: String,
    secret: WebhookSecret,
    client: reqwest::Client,
}

/// How long one post may take; the relay is on loopback, so longer means it is stuck.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

impl RelayPoster {
    /// Posts to `relay`'s demo inbox, signing with `secret` (the one it was started with).
    ///
    /// # Errors
    /// The HTTP client cannot be built, in one line.
    pub fn new(relay: &DemoRelay, secret: WebhookSecret) -> Result<RelayPoster, String> {
        // reqwest is built without a crypto provider; building a client panics unless
        // one is installed, even for plain HTTP. Another part may have installed it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .http1_only()
            .user_agent(concat!("comptoir-demo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the demo's chat client cannot be built: {e}"))?;
        Ok(RelayPoster {
            url: relay.messages_url(),
            secret,
            client,
        })
    }

    /// Whether `inbound` belongs to the relay's inbox (the demo chat) rather than to a
    /// social channel.
    fn takes(&self, inbound: &Inbound) -> bool {
        inbound.channel == Channel::Chat && inbound.account == DEMO_INBOX
    }

    /// Posts one visitor message, its external id as `webhook-id`.
    ///
    /// # Errors
    /// The request failed or the relay did not answer 202: one line with the status and
    /// the relay's reason.
    pub async fn post(&self, inbound: &Inbound) -> Result<(), String> {
        let mut visitor = serde_json::Map::new();
        visitor.insert("id".into(), inbound.from.handle.clone().into());
        if let Some(name) = &inbound.from.display_name {
            visitor.insert("name".into(), name.clone().into());
        }
        let body = serde_json::json!({
            "visitor": visitor,
            "text": inbound.text,
            "sent_at": inbound.sent_at.to_string(),
        })
        .to_string();
        let id = inbound.external_id.as_str();
        let timestamp = Timestamp::now().as_second();
        let signature = self.secret.sign(id, timestamp, body.as_bytes());
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {}: {e}", self.url))?;
        let status = response.status();
        if status == reqwest::StatusCode::ACCEPTED {
            return Ok(());
        }
        let reason = response.text().await.unwrap_or_default();
        let reason: String = reason.chars().take(200).collect();
        Err(format!("POST {}: {status} {reason}", self.url))
    }
}

// ---------------------------------------------------------------------------------------
// The live visitors.

pub(super) struct LiveVisitor {
    pub(super) channel: Channel,
    pub(super) contact: Contact,
    pub(super) thread_key: String,
    pub(super) lines: &'static [&'static str],
    pub(super) next: usize,
}

pub(super) struct Live {
    pub(super) rng: fastrand::Rng,
    pub(super) stamp: i64,
    pub(super) count: u64,
    pub(super) visitors: Vec<LiveVisitor>,
}

impl Live {
    pub(super) fn new(now: Timestamp) -> Live {
        let stamp = now.as_millisecond();
        Live {
            rng: fastrand::Rng::with_seed(SEED ^ stamp.unsigned_abs()),
            stamp,
            count: 0,
            visitors: Vec::new(),
        }
    }

    pub(super) fn jittered(&mut self, pace: Duration) -> Duration {
        let ms = u64::try_from(pace.as_millis()).unwrap_or(u64::MAX / 2);
        let spread = ms / 5 * 2;
        Duration::from_millis(ms - spread + self.rng.u64(0..=spread * 2))
    }

    pub(super) fn next(&mut self, now: Timestamp) -> Inbound {
        self.count += 1;
        let external_id = format!("live-{}-{}", self.stamp, self.count);
        let pending: Vec<usize> = (0..self.visitors.len())
            .filter(|&i| self.visitors[i].next < self.visitors[i].lines.len())
            .collect();
        let roll = self.rng.u8(0..10);
        let (channel, contact, thread_key, text) = if roll < 4 && !pending.is_empty() {
            let v = &mut self.visitors[pending[self.rng.usize(0..pending.len())]];
            let text = v.lines[v.next].to_owned();
            v.next += 1;
            (v.channel, v.contact.clone(), v.thread_key.clone(), text)
        } else if roll < 6 {
            self.follow_up()
        } else {
            self.new_visitor()
        };
        Inbound {
            channel,
            account: account_of(channel).to_owned(),
            thread_key,
            external_id,
            references: Vec::new(),
            reply_to: None,
            from: contact,
            subject: None,
            text,
            attachments: Vec::new(),
            sent_at: now,
            automated: false,
            raw: None,
        }
    }

    /// Someone from the seeded history writes again, on their latest chat or social
    /// thread.
    pub(super) fn follow_up(&mut self) -> (Channel, Contact, String, String) {
        let threads: Vec<(usize, Channel)> = PEOPLE
            .iter()
            .enumerate()
            .filter(|(_, p)| p.name != PHISHER)
            .flat_map(|(i, p)| {
                ACCOUNTS
                    .iter()
                    .map(move |(c, _)| (i, *c))
                    .filter(move |(_, c)| *c != Channel::Email && p.count_on(*c) > 0)
            })
            .collect();
        let (i, channel) = threads[self.rng.usize(0..threads.len())];
        let person = &PEOPLE[i];
        let contact = contact(i, person, channel);
        let thread_key = match channel {
            Channel::Chat => format!("{}/{}", visitor_id(i), person.count_on(channel)),
            // A reply to the shop's last toot starts a thread of its own.
            Channel::Mastodon => format!("{}", 112_309_000_000_000_000 + self.count),
            _ => contact.handle.clone(),
        };
        let lines = person.lang.follow_ups();
        let text = lines[self.rng.usize(0..lines.len())].to_owned();
        (channel, contact, thread_key, text)
    }

    pub(super) fn new_visitor(&mut self) -> (Channel, Contact, String, String) {
        let (name, lang) = LIVE_NAMES[self.rng.usize(0..LIVE_NAMES.len())];
        let scripts = if lang == Lang::En { LIVE_EN } else { LIVE_FR };
        let lines = scripts[self.rng.usize(0..scripts.len())];
        let n = self.count;
        let channel = match self.rng.u8(0..10) {
            0..=5 => Channel::Chat,
            6 => Channel::Instagram,
            7 => Channel::Messenger,
            _ => Channel::Whatsapp,
        };
        let handle = match channel {
            Channel::Chat => format!("v_live{:x}{n}", self.stamp.unsigned_abs() % 0xfffff),
            Channel::Whatsapp => format!("3367{:07}", self.rng.u32(0..10_000_000)),
            _ => format!(
                "{}",
                17_841_499_000_000_000 + self.rng.u64(0..1_000_000_000)
            ),
        };
        let thread_key = match channel {
            Channel::Chat => format!("{handle}/1"),
            _ => handle.clone(),
        };
        let contact = Contact {
            handle,
            display_name: (!name.is_empty()).then(|| name.to_owned()),
            email: None,
            phone: None,
        };
        let text = lines.first().copied().unwrap_or("Bonjour !").to_owned();
        self.visitors.push(LiveVisitor {
            channel,
            contact: contact.clone(),
            thread_key: thread_key.clone(),
            lines,
            next: 1,
        });
        (channel, contact, thread_key, text)
    }
}

pub(super) const LIVE_NAMES: &[(&str, Lang)] = &[
    ("Manon", Lang::Fr),
    ("Hugo B.", Lang::Fr),
    ("", Lang::Fr),
    ("Jade", Lang::Fr),
    ("Louis Fabre", Lang::Fr),
    ("Nathan", Lang::Fr),
    ("Emma", Lang::Fr),
    ("", Lang::Fr),
    ("Sacha", Lang::Fr),
    ("Anaïs Morel", Lang::Fr),
    ("Grace", Lang::En),
    ("Oliver Hayes", Lang::En),
];

pub(super) const LIVE_FR: &[&[&str]] = &[
    &[
        "Bonjour ! Vous livrez à Lille ?",
        "Et les frais de port sont de combien ?",
        "Ok merci, je commande ce soir 🙂",
    ],
    &[
        "Bonsoir, il vous reste du caviar d'aubergine ?",
        "Je peux passer le chercher demain matin ?",
    ],
    &[
        "Salut, c'est possible de faire un panier garni pour 40 € ?",
        "C'est pour un départ en retraite, vendredi",
        "Plutôt sucré si possible 🍫",
    ],
    &[
        "Bonjour, ma commande indique « livrée » mais je n'ai rien reçu 😟",
        "J'ai demandé aux voisins, rien non plus",
    ],
    &["Hello, vous avez des produits sans lactose ?"],
    &[
        "Bonjour, je voudrais modifier ma commande passée il y a 10 minutes",
        "Ajouter un pot de miel de châtaignier svp",
    ],
];

pub(super) const LIVE_EN: &[&[&str]] = &[
    &[
        "Hi there! Do you sell gift cards?",
        "Great, can I choose the amount?",
    ],
    &["Hello, what's the shelf life of the olive tapenade?"],
];
