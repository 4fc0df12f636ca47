//! Deterministic synthetic data for the store benchmarks: a shop's customers writing on
//! every channel, agents replying, noting and closing, and a builder that feeds it all
//! through [`ingest::ingest_batch`] and the store's agent-side API into a real store.
//!
//! Include it from a bench file with `#[path = "common/synth.rs"] mod synth;`.
//!
//! Everything is drawn from `fastrand::Rng::with_seed`: the same seed gives the same
//! customers, texts and timeline (only the end of the timeline moves, to the start of
//! the current UTC day, so the history is "the last two years"). Outbound idempotency
//! keys come from the store itself and are not reproducible.

#![allow(dead_code, reason = "each bench uses a different part")]
#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

use std::collections::{HashSet, VecDeque};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use comptoir::channels::{Contact, Inbound, InboundAttachment};
use comptoir::ingest::{self, Outcome};
use comptoir::model::{AgentId, Channel, ConversationId, Status};
use comptoir::store::Store;
use fastrand::Rng;
use jiff::Timestamp;

const SEC_MS: i64 = 1_000;
const MIN_MS: i64 = 60 * SEC_MS;
const HOUR_MS: i64 = 60 * MIN_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How far back the history goes.
pub const HISTORY_DAYS: i64 = 730;

/// Inbound messages per `ingest_batch` call.
pub const BATCH: usize = 1_000;

/// The shop's agents, created with `ensure_agent`.
pub const AGENTS: [&str; 5] = ["Camille", "Karim", "Léa", "Thomas", "Sophie"];

/// Order numbers are six digits, Shopify style, growing with time.
const FIRST_ORDER: u32 = 100_000;
const ORDER_SPAN: u32 = 250_000;

/// Distinct attachment files: names differ, bytes repeat, as photos of the same parcel do.
const ATTACHMENT_POOL: usize = 48;

// ---------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------

/// French words, most frequent first (function words, then the shop's words).
#[rustfmt::skip]
const FR_WORDS: &[&str] = &[
    "de", "je", "la", "le", "et", "vous", "à", "pas", "les", "un", "mon", "ma", "pour", "est",
    "que", "en", "une", "ai", "des", "du", "il", "ne", "a", "commande", "colis", "bien", "merci",
    "sur", "au", "avec", "mais", "toujours", "votre", "ce", "qui", "été", "reçu", "livraison",
    "plus", "suis", "nous", "mes", "si", "très", "par", "on", "dans", "fait", "comme", "elle",
    "tout", "ou", "cette", "taille", "retour", "remboursement", "depuis", "jours", "article",
    "produit", "numéro", "suivi", "aucune", "nouvelles", "car", "encore", "déjà", "avoir", "être",
    "voudrais", "pouvez", "savoir", "quand", "comment", "pourquoi", "où", "échange", "adresse",
    "problème", "semaine", "semaines", "hier", "aujourd", "hui", "demain", "transporteur",
    "colissimo", "chronopost", "relais", "point", "boîte", "lettres", "paiement", "carte",
    "facture", "délai", "abîmé", "cassé", "manquant", "erreur", "couleur", "pointure", "trop",
    "petit", "grand", "petite", "grande", "remplacer", "annuler", "annulation", "rembourser",
    "code", "promo", "réduction", "panier", "site", "compte", "mot", "passe", "mail", "stock",
    "disponible", "rupture", "précommande", "expédié", "expédiée", "expédition", "envoyé",
    "attente", "réclamation", "garantie", "défaut", "qualité", "étiquette", "bordereau", "renvoyer",
    "retourner", "avoir", "geste", "commercial", "frais", "port", "gratuit", "urgent", "cadeau",
    "anniversaire", "noël", "soldes", "bonjour", "madame", "monsieur", "cordialement", "svp",
    "possible", "rapidement", "vite", "moi", "lui", "leur", "ils", "était", "sont", "avons", "avez",
    "peux", "peut", "dois", "doit", "faire", "vois", "voir", "attends", "attendu", "reçois",
    "recevoir", "reçue", "commandé", "payé", "débité", "prélevé", "montant", "euros", "prix",
    "tarif", "livré", "livrée", "indiqué", "indique", "marqué", "statut", "distribué",
    "destinataire", "voisin", "gardien", "porte", "absent", "avis", "passage", "bureau", "poste",
    "vérifier", "vérification", "confirmer", "confirmation", "réponse", "répondre", "contact",
    "service", "client", "cliente", "satisfait", "déçu", "déçue", "dommage", "photo", "photos",
    "jointe", "joint", "pièce", "emballage", "carton", "sachet", "scotch", "ouvert", "vide",
    "moitié", "autre", "même", "modèle", "version", "référence", "lien", "page", "application",
    "appli", "bug", "impossible", "valider", "validé", "bloqué", "refusé", "accepté", "banque",
    "paypal", "virement", "apple", "pay", "fois", "plusieurs", "premier", "première", "dernier",
    "dernière", "mois", "an", "ans", "fidèle", "habitude", "d", "l", "j", "n", "s", "c", "qu", "m",
    "t", "y", "ça", "là", "alors", "donc", "puis", "ensuite", "enfin", "sinon", "aussi", "vraiment",
    "quelque", "chose", "rien", "personne", "jamais", "souvent", "parfois", "peut", "vos", "nos",
    "notre", "leurs", "ses", "son", "sa", "ces", "cet", "aux", "chez", "sans", "sous", "entre",
    "vers", "contre", "après", "avant", "pendant", "parce", "lorsque", "bonne", "journée", "soirée",
    "excellente", "belle",
];

/// English words, most frequent first.
#[rustfmt::skip]
const EN_WORDS: &[&str] = &[
    "the", "i", "to", "my", "and", "a", "it", "is", "you", "of", "for", "order", "not", "have",
    "in", "was", "on", "but", "this", "that", "parcel", "please", "with", "can", "be", "still",
    "received", "delivery", "me", "your", "thanks", "refund", "size", "return", "when", "would",
    "like", "no", "been", "did", "do", "just", "get", "got", "there", "what", "why", "how", "where",
    "item", "items", "tracking", "number", "address", "payment", "card", "invoice", "shipping",
    "shipped", "days", "weeks", "week", "courier", "damaged", "broken", "missing", "wrong",
    "colour", "color", "small", "large", "big", "replace", "replacement", "cancel", "cancellation",
    "discount", "code", "account", "password", "stock", "available", "sent", "waiting", "problem",
    "issue", "complaint", "warranty", "quality", "label", "hello", "hi", "regards", "kind", "best",
    "thank", "help", "asap", "urgent", "gift", "birthday", "christmas", "sale", "exchange",
    "charged", "twice", "paid", "money", "back", "box", "open", "opened", "empty", "half", "other",
    "same", "model", "version", "reference", "link", "app", "website", "site", "checkout", "stuck",
    "declined", "accepted", "bank", "paypal", "transfer", "neighbour", "door", "delivered", "says",
    "status", "email", "confirmation", "reply", "answer", "customer", "service", "happy",
    "disappointed", "photo", "photos", "attached", "packaging", "first", "last", "month", "year",
    "loyal", "again", "already", "yet", "soon", "today", "yesterday", "tomorrow", "could", "should",
    "will", "are", "were", "has", "had", "an", "at", "as", "so", "if", "or", "from", "by", "all",
    "any", "some", "one", "two", "three", "time", "times", "never", "ever", "really", "very", "too",
    "much", "many", "also", "because", "since", "after", "before", "during", "about", "into", "out",
    "up", "down", "we", "they", "he", "she", "them", "our", "their", "his", "her", "its", "let",
    "know", "need", "want", "see", "look", "find", "found", "make", "made", "take", "took", "give",
    "send", "check", "confirm", "update", "news", "nothing", "anything", "something", "day",
];

/// Words of both languages: products, colours, brands of carriers.
#[rustfmt::skip]
const SHARED_WORDS: &[&str] = &[
    "robe", "chemise", "pull", "jean", "veste", "manteau", "baskets", "sneakers", "sac", "bottes",
    "shirt", "écharpe", "bonnet", "chaussettes", "ceinture", "montre", "bague", "collier",
    "boucles", "lunettes", "parfum", "crème", "sérum", "shampoing", "coque", "chargeur", "câble",
    "écouteurs", "mug", "bougie", "coussin", "plaid", "jupe", "short", "sweat", "hoodie", "legging",
    "pyjama", "maillot", "sandales", "mocassins", "escarpins", "pochette", "portefeuille",
    "trousse", "gourde", "tote", "bag", "dress", "sweater", "jacket", "coat", "boots", "scarf",
    "hat", "socks", "belt", "watch", "ring", "necklace", "earrings", "sunglasses", "candle",
    "cushion", "noir", "blanc", "bleu", "rouge", "vert", "beige", "marine", "gris", "rose", "kaki",
    "bordeaux", "camel", "écru", "black", "white", "blue", "red", "green", "navy", "grey", "pink",
    "xs", "xl", "xxl", "ups", "dhl", "gls", "dpd", "mondial", "relay", "fedex", "laposte", "coton",
    "lin", "laine", "cuir", "soie", "bio", "cotton", "wool", "leather", "silk", "organic",
    "vintage", "oversize", "slim", "regular",
];

#[rustfmt::skip]
const SYLLABLES: &[&str] = &[
    "ba", "be", "bo", "ca", "co", "da", "de", "di", "do", "fa", "fi", "ga", "go", "la", "le", "li",
    "lo", "lu", "ma", "me", "mi", "mo", "na", "ne", "no", "pa", "pe", "po", "ra", "re", "ri", "ro",
    "sa", "se", "si", "so", "ta", "te", "ti", "to", "va", "ve", "vi", "vo", "za", "zo", "bri",
    "cla", "dra", "fle", "gra", "pla", "tri", "ver", "mar", "sol", "ten", "lin", "por", "ral",
    "sen", "tor", "val", "qua", "xen", "yl",
];

/// Words generated from syllables, to push the vocabulary to a few thousand: product
/// lines, brand names, rarer words. Always the same list, whatever the bench seed.
fn generated_words(count: usize, taken: &HashSet<&str>) -> Vec<String> {
    let mut rng = Rng::with_seed(0x0005_EED0_F70C_4B00);
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let syllables = 2 + rng.usize(..3);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push_str(SYLLABLES[rng.usize(..SYLLABLES.len())]);
        }
        if w.len() >= 5 && !taken.contains(w.as_str()) && seen.insert(w.clone()) {
            out.push(w);
        }
    }
    out
}

/// Words drawn with a Zipf-like law: rank r has weight 1 / (r + 2).
struct Zipf {
    words: Vec<String>,
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(words: Vec<String>) -> Self {
        let mut total = 0.0;
        let cdf = (0..words.len())
            .map(|r| {
                total += 1.0 / (r as f64 + 2.0);
                total
            })
            .collect();
        Zipf { words, cdf }
    }

    fn sample(&self, rng: &mut Rng) -> &str {
        let total = self.cdf.last().copied().unwrap_or(1.0);
        let x = rng.f64() * total;
        let i = self
            .cdf
            .partition_point(|&c| c < x)
            .min(self.words.len() - 1);
        &self.words[i]
    }
}

/// Which language a customer writes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// French (most of the shop's customers).
    Fr,
    /// English.
    En,
}

/// The shop's vocabulary: a Zipf law per language over its own words then the shared and
/// generated ones.
pub struct Vocab {
    fr: Zipf,
    en: Zipf,
    /// Generated words at the tail of the law: each appears in a few hundred messages.
    pub tail: Vec<String>,
}

impl Vocab {
    /// The vocabulary (about 3,800 words per language).
    #[must_use]
    pub fn new() -> Self {
        let taken: HashSet<&str> = FR_WORDS
            .iter()
            .chain(EN_WORDS)
            .chain(SHARED_WORDS)
            .copied()
            .collect();
        let generated = generated_words(3_200, &taken);
        let list = |own: &[&str]| -> Vec<String> {
            let mut seen = HashSet::new();
            own.iter()
                .chain(SHARED_WORDS)
                .map(|w| (*w).to_owned())
                .chain(generated.iter().cloned())
                .filter(|w| seen.insert(w.clone()))
                .collect()
        };
        let tail = generated[generated.len() - 400..].to_vec();
        Vocab {
            fr: Zipf::new(list(FR_WORDS)),
            en: Zipf::new(list(EN_WORDS)),
            tail,
        }
    }

    fn word(&self, lang: Lang, rng: &mut Rng) -> &str {
        match lang {
            Lang::Fr => self.fr.sample(rng),
            Lang::En => self.en.sample(rng),
        }
    }

    /// How many distinct words a language draws from.
    #[must_use]
    pub fn size(&self, lang: Lang) -> usize {
        match lang {
            Lang::Fr => self.fr.words.len(),
            Lang::En => self.en.words.len(),
        }
    }
}

impl Default for Vocab {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------------------

#[rustfmt::skip]
const FR_FIRST: &[&str] = &[
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Emma", "Lucas", "Hugo", "Louis",
    "Gabriel", "Arthur", "Jules", "Théo", "Nathan", "Raphaël", "Mathis", "Élodie", "Céline",
    "Nathalie", "Isabelle", "Sylvie", "Françoise", "Philippe", "Stéphane", "Christophe",
    "Sébastien", "Nicolas", "Julien", "Aurélie", "Sandrine", "Valérie", "Hélène", "Margaux",
    "Océane", "Zoé", "Noémie", "Benoît", "François", "Jérôme", "Amélie", "Anaïs", "Maëlle", "Loïc",
    "Gaëlle", "Yann", "Maëva", "Mathilde", "Pauline", "Marie", "Anne", "Pierre", "Jean",
    "Catherine", "Martine", "Michel", "Alain", "Bernard", "Brigitte", "Clément", "Quentin",
];
#[rustfmt::skip]
const FR_LAST: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
    "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier",
    "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Le Gall", "Le Goff", "Kerbrat",
];
#[rustfmt::skip]
const OTHER_FIRST: &[&str] = &[
    "Mohamed", "Fatima", "Yasmine", "Karim", "Amina", "Youssef", "Sofia", "João", "Ana", "María",
    "José", "Giulia", "Marco", "Anna", "Lukas", "Hannah", "Oliver", "Emily", "James", "Olivia",
    "Priya", "Arjun", "Aisha", "Omar", "Mei", "Kenji", "Olga", "Ivan", "Zeynep", "Mehmet",
    "Siobhán", "Bjørn", "Zoë", "Agnieszka",
];
#[rustfmt::skip]
const OTHER_LAST: &[&str] = &[
    "Benali", "Haddad", "Nguyen", "Tran", "Silva", "Santos", "Rossi", "Bianchi", "Müller",
    "Schmidt", "Smith", "Jones", "Brown", "Patel", "Khan", "Kowalski", "Novák", "Yılmaz", "O'Brien",
    "García", "Ødegaard", "Wójcik",
];
#[rustfmt::skip]
const CJK_NAMES: &[&str] = &[
    "山田 太郎", "王伟", "李娜", "김민준", "佐藤 花子", "陈静", "박지민", "鈴木 一郎", "张敏", "田中 美咲",
];
const EMOJI: &[&str] = &["🌸", "✨", "🐱", "☀️", "🇫🇷", "💄", "🎮", "🌈", "🍀", "❤️"];
#[rustfmt::skip]
const MAIL_DOMAINS: &[&str] = &[
    "gmail.com", "gmail.com", "gmail.com", "orange.fr", "free.fr", "hotmail.fr", "yahoo.fr",
    "laposte.net", "icloud.com", "outlook.com", "sfr.fr", "wanadoo.fr", "proton.me", "gmx.fr",
];
const MASTODON_HOSTS: &[&str] = &["mastodon.social", "piaille.fr", "framapiaf.org", "mamot.fr"];

/// A person behind one or more customers rows: their handles on every channel derive from
/// their index, so the same person is the same handle wherever they write.
#[derive(Clone, Debug)]
struct Person {
    idx: u64,
    first: String,
    name: Option<String>,
    username: String,
    email: String,
    phone: String,
    lang: Lang,
}

fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                'à' | 'â' | 'ä' | 'á' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
                'î' | 'ï' | 'í' | 'ı' => 'i',
                'ô' | 'ö' | 'ó' | 'ø' | 'Ø' => 'o',
                'ù' | 'û' | 'ü' | 'ú' => 'u',
                'ç' => 'c',
                'ñ' => 'n',
                'ł' => 'l',
                c => c,
            };
            let c = c.to_ascii_lowercase();
            c.is_ascii_alphanumeric().then_some(c)
        })
        .collect()
}

fn new_person(rng: &mut Rng, idx: u64, emails: &mut HashSet<String>) -> Person {
    let roll = rng.f64();
    let (first, last, lang) = if roll < 0.72 {
        (
            FR_FIRST[rng.usize(..FR_FIRST.len())],
            FR_LAST[rng.usize(..FR_LAST.len())],
            Lang::Fr,
        )
    } else if roll < 0.97 {
        let lang = if rng.bool() { Lang::En } else { Lang::Fr };
        (
            OTHER_FIRST[rng.usize(..OTHER_FIRST.len())],
            OTHER_LAST[rng.usize(..OTHER_LAST.len())],
            lang,
        )
    } else {
        let full = CJK_NAMES[rng.usize(..CJK_NAMES.len())];
        let mut parts = full.split(' ');
        let a = parts.next().unwrap_or(full);
        (a, parts.next().unwrap_or(""), Lang::En)
    };
    let style = rng.f64();
    let name = if last.is_empty() {
        Some(first.to_owned())
    } else if style < 0.60 {
        Some(format!("{first} {last}"))
    } else if style < 0.75 {
        Some(first.to_owned())
    } else if style < 0.80 {
        Some(format!("{} {}", first, last.to_uppercase()))
    } else if style < 0.87 {
        Some(format!("{first} {}", EMOJI[rng.usize(..EMOJI.len())]))
    } else if style < 0.92 {
        Some(format!("{first} {}.", last.chars().next().unwrap_or('X')))
    } else {
        None
    };
    let (f, l) = (ascii_fold(first), ascii_fold(last));
    let local = if f.is_empty() {
        format!("user{}", 1000 + idx)
    } else {
        match rng.u8(..5) {
            0 => format!("{f}.{l}"),
            1 => format!("{f}{l}{}", rng.u32(1..100)),
            2 => format!("{}.{l}", &f[..1]),
            3 => format!("{f}_{l}{}", rng.u32(60..100)),
            _ => format!("{f}.{l}{}", rng.u32(1..1000)),
        }
    };
    let domain = MAIL_DOMAINS[rng.usize(..MAIL_DOMAINS.len())];
    let mut email = format!("{local}@{domain}");
    if !emails.insert(email.clone()) {
        email = format!("{local}.{idx}@{domain}");
        emails.insert(email.clone());
    }
    let phone = format!(
        "33{}{:08}",
        if rng.bool() { 6 } else { 7 },
        (idx * 7_919 + rng.u64(..7_919)) % 100_000_000
    );
    let username = if f.is_empty() {
        format!("user_{idx}")
    } else {
        format!("{f}.{}{}", l.get(..3).unwrap_or(&l), rng.u32(..100))
    };
    Person {
        idx,
        first: first.to_owned(),
        name,
        username,
        email,
        phone,
        lang,
    }
}

// ---------------------------------------------------------------------------------------
// Conversation plans
// ---------------------------------------------------------------------------------------

/// What happens in a conversation at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EvKind {
    /// A customer message.
    In {
        automated: bool,
        attachment: Option<u8>,
    },
    /// An agent reply (`queue_reply`, then marked sent).
    Reply,
    /// An internal note.
    Note,
    /// An agent sets the status.
    Status(PlanStatus),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PlanStatus {
    Pending,
    Resolved,
    /// Until this many ms after the end of the history.
    Snoozed(i64),
}

#[derive(Clone, Copy, Debug)]
struct Event {
    at: i64,
    kind: EvKind,
}

/// One conversation as it will happen.
#[derive(Clone, Debug)]
struct Plan {
    idx: u64,
    channel: Channel,
    account: &'static str,
    thread_key: String,
    handle: String,
    display_name: Option<String>,
    form_email: Option<String>,
    form_phone: Option<String>,
    first: String,
    lang: Lang,
    subject: Option<String>,
    order: u32,
    agent: usize,
    label: Option<&'static str>,
    events: Vec<Event>,
}

fn pick_channel(rng: &mut Rng) -> Channel {
    let x = rng.f64();
    match x {
        x if x < 0.40 => Channel::Email,
        x if x < 0.60 => Channel::Chat,
        x if x < 0.75 => Channel::Whatsapp,
        x if x < 0.83 => Channel::Messenger,
        x if x < 0.91 => Channel::Instagram,
        x if x < 0.96 => Channel::Telegram,
        x if x < 0.98 => Channel::Mastodon,
        _ => Channel::X,
    }
}

fn account_of(channel: Channel, rng: &mut Rng) -> &'static str {
    match channel {
        Channel::Email => {
            if rng.f64() < 0.75 {
                "support"
            } else {
                "commandes"
            }
        }
        Channel::Chat => "site",
        Channel::Whatsapp | Channel::Instagram => "boutique",
        Channel::Messenger => "page",
        Channel::Telegram => "bot",
        Channel::Mastodon | Channel::X => "shop",
    }
}

/// `lo * (hi / lo)^u`: gaps between messages spread over orders of magnitude.
fn log_uniform(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    let (lo_f, hi_f) = (lo as f64, hi as f64);
    (lo_f * (hi_f / lo_f).powf(rng.f64())) as i64
}

fn normal(rng: &mut Rng) -> f64 {
    let u1 = rng.f64().max(1e-12);
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// UTC hour weights of a French shop's customers (evenings and lunch are busy).
const HOUR_WEIGHTS: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 11, 12, 10, 9, 9, 10, 12, 14, 15, 13, 10, 6, 3,
];

/// Gaps (lo, hi) in ms: customer after customer, agent after customer, customer after
/// agent.
fn gaps(channel: Channel) -> [(i64, i64); 3] {
    match channel {
        Channel::Chat => [
            (10 * SEC_MS, 3 * MIN_MS),
            (20 * SEC_MS, 8 * MIN_MS),
            (20 * SEC_MS, 5 * MIN_MS),
        ],
        Channel::Email => [
            (10 * MIN_MS, DAY_MS),
            (30 * MIN_MS, 2 * DAY_MS),
            (HOUR_MS, 4 * DAY_MS),
        ],
        _ => [
            (30 * SEC_MS, 20 * MIN_MS),
            (5 * MIN_MS, 6 * HOUR_MS),
            (10 * MIN_MS, DAY_MS),
        ],
    }
}

/// The generator: people, conversation plans, texts.
pub struct Synth {
    seed: u64,
    rng: Rng,
    vocab: Vocab,
    people: Vec<Person>,
    emails: HashSet<String>,
    /// (person, channel) pairs that already have a DM thread: one per person and channel.
    dm_taken: HashSet<(u64, Channel)>,
    /// Offset of the plans' and people's indexes, so two generators never collide.
    base: u64,
    start_ms: i64,
    end_ms: i64,
    attachments: Vec<InboundAttachment>,
}

/// The start of the current UTC day: where the synthetic history ends.
#[must_use]
pub fn end_of_history() -> Timestamp {
    let now = Timestamp::now().as_millisecond();
    ts(now - now.rem_euclid(DAY_MS))
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("a synthetic time in range")
}

impl Synth {
    /// A generator whose history ends at `end` and spans [`HISTORY_DAYS`]. `base` offsets
    /// every generated id, so a second generator (fresh messages for a built store) never
    /// reuses a thread key or message id of the first.
    #[must_use]
    pub fn new(seed: u64, end: Timestamp, base: u64) -> Self {
        let end_ms = end.as_millisecond();
        let mut files = Rng::with_seed(seed ^ 0xF11E);
        let attachments = (0..ATTACHMENT_POOL)
            .map(|i| {
                let (name, mime) = match i % 4 {
                    0 => (format!("IMG_{:04}.jpg", files.u32(..10_000)), "image/jpeg"),
                    1 => (format!("photo_colis_{i}.jpg"), "image/jpeg"),
                    2 => (format!("facture_{i}.pdf"), "application/pdf"),
                    _ => (format!("Screenshot_{i}.png"), "image/png"),
                };
                let len = files.usize(4_096..24_576);
                let bytes = std::iter::repeat_with(|| files.u8(..)).take(len).collect();
                InboundAttachment {
                    name,
                    mime: mime.to_owned(),
                    bytes,
                }
            })
            .collect();
        Synth {
            seed,
            rng: Rng::with_seed(seed),
            vocab: Vocab::new(),
            people: Vec::new(),
            emails: HashSet::new(),
            dm_taken: HashSet::new(),
            base,
            start_ms: end_ms - HISTORY_DAYS * DAY_MS,
            end_ms,
            attachments,
        }
    }

    /// The vocabulary, to draw search terms from.
    #[must_use]
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    fn new_person(&mut self) -> usize {
        let idx = self.base + self.people.len() as u64;
        let p = new_person(&mut self.rng, idx, &mut self.emails);
        self.people.push(p);
        self.people.len() - 1
    }

    /// A returning customer a third of the time (recent customers more likely), else
    /// someone new.
    fn pick_person(&mut self) -> usize {
        if !self.people.is_empty() && self.rng.f64() < 0.35 {
            let n = self.people.len();
            let back = (n as f64 * self.rng.f64().powi(2)) as usize;
            n - 1 - back.min(n - 1)
        } else {
            self.new_person()
        }
    }

    /// A conversation start: more conversations recently (the shop grows), by hour of
    /// day.
    fn start_time(&mut self) -> i64 {
        let day = (HISTORY_DAYS as f64 * self.rng.f64().sqrt()) as i64;
        let day = day.min(HISTORY_DAYS - 1);
        let total: u32 = HOUR_WEIGHTS.iter().sum();
        let mut pick = self.rng.u32(..total);
        let mut hour = 0;
        for (h, w) in HOUR_WEIGHTS.iter().enumerate() {
            if pick < *w {
                hour = h as i64;
                break;
            }
            pick -= w;
        }
        self.start_ms + day * DAY_MS + hour * HOUR_MS + self.rng.i64(0..HOUR_MS)
    }

    /// How many messages a conversation will hold (before the end of history cuts it).
    fn messages_in(&mut self, replied: bool) -> usize {
        if replied {
            let n = (2.48 + 0.62 * normal(&mut self.rng)).exp().round() as usize;
            n.clamp(2, 30)
        } else {
            1 + self.rng.usize(..3)
        }
    }

    /// Plans `count` conversations, sorted by start time.
    fn plan(&mut self, count: usize) -> Vec<Plan> {
        let mut plans: Vec<Plan> = (0..count).map(|i| self.plan_one(i as u64)).collect();
        plans.sort_by_key(|p| p.events.first().map_or(0, |e| e.at));
        let first = plans.first().map_or(0, |p| p.events[0].at);
        let span = (self.end_ms - first).max(1) as f64;
        for p in &mut plans {
            let frac = (p.events[0].at - first) as f64 / span;
            p.order = FIRST_ORDER + (frac * f64::from(ORDER_SPAN)) as u32 + self.rng.u32(..200);
        }
        plans
    }

    fn plan_one(&mut self, i: u64) -> Plan {
        let idx = self.base + i;
        let channel = pick_channel(&mut self.rng);
        let mut person = self.pick_person();
        let dm = !matches!(channel, Channel::Email | Channel::Chat);
        if dm && !self.dm_taken.insert((self.people[person].idx, channel)) {
            person = self.new_person();
            self.dm_taken.insert((self.people[person].idx, channel));
        }
        let p = self.people[person].clone();
        let account = account_of(channel, &mut self.rng);
        let rng = &mut self.rng;
        let maybe = |rng: &mut Rng, p: f64, v: Option<String>| v.filter(|_| rng.f64() < p);
        let (thread_key, handle, display_name, form_email, form_phone) = match channel {
            Channel::Email => {
                let handle = if rng.f64() < 0.05 {
                    p.email.to_uppercase()
                } else {
                    p.email.clone()
                };
                let host = p.email.rsplit('@').next().unwrap_or("mail.example");
                (
                    format!("<{:x}.{idx}@mail.{host}>", rng.u64(..)),
                    handle,
                    maybe(rng, 0.9, p.name.clone()),
                    None,
                    None,
                )
            }
            Channel::Chat => {
                let visitor = if rng.bool() {
                    format!("v_{:012x}", p.idx.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16)
                } else {
                    format!("v_{:012x}", rng.u64(..1 << 48))
                };
                let phone = p.phone.clone();
                let form_phone = match rng.u8(..10) {
                    0 => Some(format!(
                        "+{} {} {} {} {} {}",
                        &phone[..2],
                        &phone[2..3],
                        &phone[3..5],
                        &phone[5..7],
                        &phone[7..9],
                        &phone[9..]
                    )),
                    1 => Some(format!("0{}", &phone[2..])),
                    _ => None,
                };
                (
                    format!("visit-{idx}"),
                    visitor,
                    maybe(rng, 0.7, p.name.clone()),
                    maybe(rng, 0.6, Some(p.email.clone())),
                    form_phone,
                )
            }
            Channel::Whatsapp => (
                p.phone.clone(),
                p.phone.clone(),
                maybe(rng, 0.95, p.name.clone().or_else(|| Some(p.first.clone()))),
                None,
                None,
            ),
            Channel::Messenger => {
                let id = format!("{}", 7_000_000_000_000_000 + p.idx * 104_729);
                (id.clone(), id, p.name.clone(), None, None)
            }
            Channel::Instagram => {
                let id = format!("17841{:011}", p.idx * 7_919);
                (id.clone(), id, Some(p.username.clone()), None, None)
            }
            Channel::Telegram => {
                let id = format!("{}", 100_000_000 + p.idx * 37);
                (id.clone(), id, Some(p.first.clone()), None, None)
            }
            Channel::Mastodon => {
                let id = format!(
                    "@{}@{}",
                    p.username.replace('.', "_"),
                    MASTODON_HOSTS[(p.idx % MASTODON_HOSTS.len() as u64) as usize]
                );
                (id.clone(), id, p.name.clone(), None, None)
            }
            Channel::X => {
                let id = format!("{}", 1_400_000_000_000_000_000 + p.idx * 1_299_709);
                (id.clone(), id, p.name.clone(), None, None)
            }
        };
        let replied = self.rng.f64() < 0.70;
        let n = self.messages_in(replied);
        let start = self.start_time();
        let events = self.timeline(channel, start, n, replied);
        let subject = (channel == Channel::Email).then(|| subject(&mut self.rng, p.lang));
        let label = (self.rng.f64() < 0.12)
            .then(|| ["vip", "retour", "litige", "b2b", "presse", "fragile"][self.rng.usize(..6)]);
        Plan {
            idx,
            channel,
            account,
            thread_key,
            handle,
            display_name,
            form_email,
            form_phone,
            first: p.first.clone(),
            lang: p.lang,
            subject,
            order: 0,
            agent: self.rng.usize(..AGENTS.len()),
            label,
            events,
        }
    }

    /// The conversation's events: customer runs, agent replies (sometimes after a note),
    /// status changes, and a final status that fits how old the conversation is.
    fn timeline(&mut self, channel: Channel, start: i64, n: usize, replied: bool) -> Vec<Event> {
        let [after_in, reply_gap, after_reply] = gaps(channel);
        let end = self.end_ms;
        let rng = &mut self.rng;
        let mut events = Vec::with_capacity(n + 2);
        let mut at = start;
        let mut left = n;
        let inbound = |rng: &mut Rng| EvKind::In {
            automated: channel == Channel::Email && rng.f64() < 0.015,
            attachment: (rng.f64() < 0.02).then(|| rng.u8(..ATTACHMENT_POOL as u8)),
        };
        'turns: while left > 0 {
            let run = (1 + rng.usize(..if channel == Channel::Chat { 4 } else { 3 })).min(left);
            for k in 0..run {
                if k > 0 {
                    at += log_uniform(rng, after_in.0, after_in.1);
                }
                if at > end {
                    break 'turns;
                }
                events.push(Event {
                    at,
                    kind: inbound(rng),
                });
                left -= 1;
            }
            if left == 0 || !replied {
                // An unanswered conversation is just its customer's messages.
                if !replied {
                    while left > 0 {
                        at += log_uniform(rng, after_in.0, after_in.1);
                        if at > end {
                            break 'turns;
                        }
                        events.push(Event {
                            at,
                            kind: inbound(rng),
                        });
                        left -= 1;
                    }
                }
                break;
            }
            at += log_uniform(rng, reply_gap.0, reply_gap.1);
            if left >= 2 && rng.f64() < 0.12 {
                if at > end {
                    break;
                }
                events.push(Event {
                    at,
                    kind: EvKind::Note,
                });
                left -= 1;
                at += log_uniform(rng, MIN_MS, 30 * MIN_MS);
            }
            if at > end {
                break;
            }
            events.push(Event {
                at,
                kind: EvKind::Reply,
            });
            left -= 1;
            if left > 0 {
                let s = rng.f64();
                let mid = if s < 0.25 {
                    Some(PlanStatus::Pending)
                } else if s < 0.31 {
                    Some(PlanStatus::Resolved)
                } else {
                    None
                };
                if let Some(status) = mid {
                    at += log_uniform(rng, 10 * SEC_MS, 30 * MIN_MS);
                    if at > end {
                        break;
                    }
                    events.push(Event {
                        at,
                        kind: EvKind::Status(status),
                    });
                }
                at += log_uniform(rng, after_reply.0, after_reply.1);
            }
        }
        // The final status.
        let Some(last) = events.last().copied() else {
            // Cut before its first message: make it start at the very end.
            return vec![Event {
                at: end - rng.i64(MIN_MS..HOUR_MS),
                kind: inbound(rng),
            }];
        };
        let recent = end - last.at < 14 * DAY_MS;
        let after = last.at + log_uniform(rng, MIN_MS, if recent { HOUR_MS } else { 3 * DAY_MS });
        let final_status = match last.kind {
            EvKind::In { .. } if !recent && rng.f64() < 0.8 => Some(PlanStatus::Resolved),
            EvKind::In { .. } => None,
            EvKind::Reply if recent => {
                let s = rng.f64();
                if s < 0.45 {
                    Some(PlanStatus::Pending)
                } else if s < 0.85 {
                    Some(PlanStatus::Resolved)
                } else {
                    Some(PlanStatus::Snoozed(rng.i64(DAY_MS..10 * DAY_MS)))
                }
            }
            EvKind::Reply if rng.f64() < 0.92 => Some(PlanStatus::Resolved),
            EvKind::Reply => Some(PlanStatus::Pending),
            _ => None,
        };
        if let Some(status) = final_status
            && after <= end
        {
            events.push(Event {
                at: after,
                kind: EvKind::Status(status),
            });
        }
        events
    }

    // -----------------------------------------------------------------------------------
    // Texts
    // -----------------------------------------------------------------------------------

    fn text_rng(&self, plan: &Plan, ev: usize) -> Rng {
        Rng::with_seed(
            self.seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(plan.idx.wrapping_mul(0xBF58_476D_1CE4_E5B9))
                .wrapping_add(ev as u64),
        )
    }

    /// One sentence of `lang` words, with now and then the conversation's order number,
    /// a size or an amount.
    fn sentence(&self, rng: &mut Rng, lang: Lang, order: u32, out: &mut String) {
        let words = 4 + rng.usize(..13);
        let start = out.len();
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            let r = rng.f64();
            if r < 0.012 {
                let _ = write!(out, "#{order}");
            } else if r < 0.018 {
                let _ = write!(out, "{},{:02} €", rng.u32(9..250), rng.u32(..100));
            } else if r < 0.024 {
                let size = ["XS", "S", "M", "L", "XL", "38", "40", "42", "44"][rng.usize(..9)];
                out.push_str(match lang {
                    Lang::Fr => "taille ",
                    Lang::En => "size ",
                });
                out.push_str(size);
            } else if r < 0.026 {
                // A word seen once: a typo, a name, a product nobody else mentions.
                for _ in 0..3 {
                    out.push_str(SYLLABLES[rng.usize(..SYLLABLES.len())]);
                }
                out.push_str(["x", "que", "ine", "ard"][rng.usize(..4)]);
            } else {
                out.push_str(self.vocab.word(lang, rng));
            }
            if i + 1 < words && rng.f64() < 0.06 {
                out.push(',');
            }
        }
        if let Some(first) = out[start..].chars().next() {
            let upper: String = first.to_uppercase().collect();
            out.replace_range(start..start + first.len_utf8(), &upper);
        }
        out.push(match rng.u8(..20) {
            0..=3 => '?',
            4 => '!',
            _ => '.',
        });
    }

    /// Sentences until `target` bytes, in paragraphs for email.
    fn body(
        &self,
        rng: &mut Rng,
        lang: Lang,
        order: u32,
        target: usize,
        paragraphs: bool,
    ) -> String {
        let mut out = String::with_capacity(target + 120);
        let mut in_paragraph = 0;
        while out.len() < target {
            if !out.is_empty() {
                if paragraphs && in_paragraph >= 2 && rng.f64() < 0.4 {
                    out.push_str("\n\n");
                    in_paragraph = 0;
                } else {
                    out.push(' ');
                }
            }
            self.sentence(rng, lang, order, &mut out);
            in_paragraph += 1;
        }
        out
    }

    /// A customer message: chat and DMs short, email longer with greeting, signature and
    /// sometimes the quoted reply it answers.
    fn inbound_text(&self, plan: &Plan, ev: usize, automated: bool) -> String {
        let mut rng = self.text_rng(plan, ev);
        let lang = plan.lang;
        if automated {
            return match lang {
                Lang::Fr => format!(
                    "Réponse automatique : je suis absent(e) du bureau jusqu'au {} inclus, avec un accès limité à ma messagerie. Je traiterai votre message à mon retour. Pour toute urgence, merci de contacter mon collègue.",
                    rng.u32(2..29)
                ),
                Lang::En => format!(
                    "Automatic reply: I am out of the office until the {}th with limited access to email. I will answer your message when I am back. For anything urgent, please contact my colleague.",
                    rng.u32(4..29)
                ),
            };
        }
        let email = plan.channel == Channel::Email;
        let target = if email {
            log_uniform(&mut rng, 180, 1_300) as usize
        } else {
            log_uniform(&mut rng, 80, 520) as usize
        };
        let mut text = String::with_capacity(target + 200);
        let greeting = match (lang, rng.u8(..4)) {
            (Lang::Fr, 0 | 1) => "Bonjour,",
            (Lang::Fr, 2) => "Bonjour madame, monsieur,",
            (Lang::Fr, _) => "Bonsoir,",
            (Lang::En, 0 | 1) => "Hello,",
            (Lang::En, 2) => "Hi,",
            (Lang::En, _) => "Dear customer service,",
        };
        if email || rng.f64() < 0.4 {
            text.push_str(greeting);
            text.push_str(if email { "\n\n" } else { " " });
        }
        text.push_str(&self.body(&mut rng, lang, plan.order, target, email));
        if email {
            text.push_str(match lang {
                Lang::Fr => "\n\nCordialement,\n",
                Lang::En => "\n\nBest regards,\n",
            });
            text.push_str(plan.display_name.as_deref().unwrap_or(&plan.first));
            if ev > 0 && rng.f64() < 0.45 {
                let when = ts(self.start_ms + rng.i64(0..HISTORY_DAYS * DAY_MS))
                    .strftime("%d/%m/%Y %H:%M");
                let _ = match lang {
                    Lang::Fr => write!(
                        text,
                        "\n\nLe {when}, Service client <{}@boutique.example> a écrit :\n",
                        plan.account
                    ),
                    Lang::En => write!(
                        text,
                        "\n\nOn {when}, Service client <{}@boutique.example> wrote:\n",
                        plan.account
                    ),
                };
                let quoted_len = 120 + rng.usize(..500);
                let quoted = self.body(&mut rng, lang, plan.order, quoted_len, true);
                for line in wrap(&quoted, 72) {
                    if text.len() + line.len() + 3 > 1_500 {
                        break;
                    }
                    text.push_str("> ");
                    text.push_str(&line);
                    text.push('\n');
                }
            }
        }
        clip(&mut text, 1_500);
        text
    }

    /// An agent reply, signed.
    fn reply_text(&self, plan: &Plan, ev: usize) -> String {
        let mut rng = self.text_rng(plan, ev);
        let email = plan.channel == Channel::Email;
        let target = if email {
            log_uniform(&mut rng, 150, 900) as usize
        } else {
            log_uniform(&mut rng, 80, 360) as usize
        };
        let agent = AGENTS[plan.agent];
        let (hello, bye) = match plan.lang {
            Lang::Fr => ("Bonjour", "Belle journée,"),
            Lang::En => ("Hello", "Kind regards,"),
        };
        let body = self.body(&mut rng, plan.lang, plan.order, target, email);
        let mut text = if email {
            format!(
                "{hello} {},\n\n{body}\n\n{bye}\n{agent}\nService client",
                plan.first
            )
        } else {
            format!("{hello} {} ! {body} {agent}", plan.first)
        };
        clip(&mut text, 1_500);
        text
    }

    /// An internal note.
    fn note_text(&self, plan: &Plan, ev: usize) -> String {
        let mut rng = self.text_rng(plan, ev);
        let lead = [
            "Client relancé par téléphone.",
            "Vu avec l'entrepôt :",
            "Geste commercial accordé, code envoyé.",
            "Attention, deuxième réclamation ce mois-ci.",
            "Remboursement validé par la compta.",
        ][rng.usize(..5)];
        let target = log_uniform(&mut rng, 60, 240) as usize;
        let mut text = format!(
            "{lead} Commande #{} {}",
            plan.order,
            self.body(&mut rng, Lang::Fr, plan.order, target, false)
        );
        clip(&mut text, 1_500);
        text
    }

    fn inbound(&self, plan: &Plan, ev: usize, at: i64) -> Inbound {
        let EvKind::In {
            automated,
            attachment,
        } = plan.events[ev].kind
        else {
            unreachable!("only customer events become inbound messages")
        };
        let external_id = match plan.channel {
            Channel::Email if ev == 0 => plan.thread_key.clone(),
            Channel::Email => format!("<{}.{ev}.{:x}@mail.example>", plan.idx, self.seed),
            Channel::Chat => format!("chat-{}-{ev}", plan.idx),
            Channel::Whatsapp => format!("wamid.HBgL{:x}{ev:04x}", plan.idx),
            Channel::Messenger => format!("m_{:x}_{ev}", plan.idx),
            Channel::Instagram => format!("aWdf{:x}_{ev}", plan.idx),
            Channel::Telegram => format!("{}:{}", plan.handle, plan.idx * 64 + ev as u64),
            Channel::Mastodon => format!("1{:012}{ev:04}", plan.idx),
            Channel::X => format!("2{:012}{ev:04}", plan.idx),
        };
        let references = if plan.channel == Channel::Email && ev > 0 {
            vec![plan.thread_key.clone()]
        } else {
            Vec::new()
        };
        Inbound {
            channel: plan.channel,
            account: plan.account.to_owned(),
            thread_key: plan.thread_key.clone(),
            external_id,
            references,
            reply_to: None,
            from: Contact {
                handle: plan.handle.clone(),
                display_name: plan.display_name.clone(),
                email: plan.form_email.clone(),
                phone: plan.form_phone.clone(),
            },
            subject: plan.subject.as_ref().map(|s| {
                if ev == 0 {
                    s.clone()
                } else {
                    format!("Re: {s}")
                }
            }),
            text: self.inbound_text(plan, ev, automated),
            attachments: attachment
                .map(|a| vec![self.attachments[usize::from(a)].clone()])
                .unwrap_or_default(),
            sent_at: ts(at),
            automated,
            raw: None,
        }
    }

    /// `count` inbound messages arriving from `start` on: a share continues conversations
    /// of `existing`, the rest open new ones (and may meet known customers). For the
    /// ingest benchmark on an already big store.
    pub fn fresh_inbound(
        &mut self,
        count: usize,
        existing: &[ExistingThread],
        start: Timestamp,
    ) -> Vec<Inbound> {
        let start_ms = start.as_millisecond();
        let mut out = Vec::with_capacity(count);
        let mut open: Vec<(Plan, usize)> = Vec::new();
        let mut planned = 0u64;
        while out.len() < count {
            let at = start_ms + (out.len() as i64) * 2 * SEC_MS;
            if !existing.is_empty() && self.rng.f64() < 0.35 {
                let t = &existing[self.rng.usize(..existing.len())];
                let k = out.len();
                let plan = Plan {
                    idx: self.base + 5_000_000 + k as u64,
                    channel: t.channel,
                    account: leak_account(&t.account),
                    thread_key: t.thread_key.clone(),
                    handle: t.peer.clone(),
                    display_name: t.customer_name.clone(),
                    form_email: None,
                    form_phone: None,
                    first: t
                        .customer_name
                        .as_deref()
                        .and_then(|n| n.split(' ').next())
                        .unwrap_or("")
                        .to_owned(),
                    lang: Lang::Fr,
                    subject: t.subject.clone(),
                    order: FIRST_ORDER + self.rng.u32(..ORDER_SPAN),
                    agent: 0,
                    label: None,
                    events: vec![Event {
                        at,
                        kind: EvKind::In {
                            automated: false,
                            attachment: None,
                        },
                    }],
                };
                let mut m = self.inbound(&plan, 0, at);
                // Not the thread's first message: its own id, answering the root.
                m.external_id = format!("<fresh.{}.{k}@mail.example>", self.base);
                if t.channel == Channel::Email {
                    m.references = vec![t.thread_key.clone()];
                    m.subject = t.subject.as_ref().map(|s| format!("Re: {s}"));
                }
                out.push(m);
            } else {
                if open.len() < 200 {
                    let mut plan = self.plan_one(planned);
                    planned += 1;
                    plan.order = FIRST_ORDER + ORDER_SPAN + self.rng.u32(..10_000);
                    open.push((plan, 0));
                }
                let pick = self.rng.usize(..open.len());
                let (plan, next) = &mut open[pick];
                let ev = (*next..plan.events.len())
                    .find(|&e| matches!(plan.events[e].kind, EvKind::In { .. }));
                match ev {
                    Some(ev) => {
                        out.push(self.inbound(plan, ev, at));
                        *next = ev + 1;
                    }
                    None => {
                        open.swap_remove(pick);
                    }
                }
            }
        }
        out
    }
}

/// A conversation already in the store, to send more messages to.
#[derive(Clone, Debug)]
pub struct ExistingThread {
    /// Its channel.
    pub channel: Channel,
    /// Its account.
    pub account: String,
    /// Its thread key.
    pub thread_key: String,
    /// The customer's handle.
    pub peer: String,
    /// The customer's name.
    pub customer_name: Option<String>,
    /// The email subject.
    pub subject: Option<String>,
}

impl ExistingThread {
    /// `count` conversations of `store` drawn at random (ids 1 to `max`, with `seed`),
    /// for fresh messages to land in as a live inbox's would.
    pub fn sample(store: &mut Store, seed: u64, max: i64, count: usize) -> Vec<ExistingThread> {
        let mut rng = Rng::with_seed(seed);
        (0..count)
            .filter_map(|_| {
                let c = store
                    .conversation(ConversationId(rng.i64(1..=max.max(1))))
                    .expect("read a conversation")?;
                Some(ExistingThread {
                    channel: c.channel,
                    account: c.account,
                    thread_key: c.thread_key,
                    peer: c.peer,
                    customer_name: c.customer_name,
                    subject: c.subject,
                })
            })
            .collect()
    }
}

/// Plans hold `&'static str` accounts; the few accounts of existing threads are leaked
/// once each (the bench is a short-lived process).
fn leak_account(account: &str) -> &'static str {
    for known in [
        "support",
        "commandes",
        "site",
        "boutique",
        "page",
        "bot",
        "shop",
    ] {
        if known == account {
            return known;
        }
    }
    Box::leak(account.to_owned().into_boxed_str())
}

fn subject(rng: &mut Rng, lang: Lang) -> String {
    let fr = [
        "Commande non reçue",
        "Colis abîmé",
        "Demande de remboursement",
        "Échange de taille",
        "Question sur ma commande",
        "Problème de paiement",
        "Retour article",
        "Erreur dans ma commande",
        "Suivi de livraison",
        "Code promo refusé",
    ];
    let en = [
        "Order not received",
        "Damaged parcel",
        "Refund request",
        "Size exchange",
        "Question about my order",
        "Payment issue",
        "Return",
        "Wrong item",
        "Tracking",
        "Discount code not working",
    ];
    let base = match lang {
        Lang::Fr => fr[rng.usize(..fr.len())],
        Lang::En => en[rng.usize(..en.len())],
    };
    if rng.bool() {
        format!("{base} #{}", FIRST_ORDER + rng.u32(..ORDER_SPAN))
    } else {
        base.to_owned()
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cuts `text` to at most `max` bytes, at a char boundary, preferably at a space.
fn clip(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if let Some(space) = text[..cut].rfind(' ')
        && space > max / 2
    {
        cut = space;
    }
    text.truncate(cut);
}

// ---------------------------------------------------------------------------------------
// Building a store
// ---------------------------------------------------------------------------------------

/// What [`build_store`] did and how fast.
#[derive(Clone, Debug, Default)]
pub struct BuildReport {
    /// Conversations planned.
    pub conversations: u64,
    /// Conversations the store opened (equals `conversations` unless DM threads merged).
    pub opened: u64,
    /// Customer messages stored.
    pub inbound: u64,
    /// Agent replies stored (`queue_reply`).
    pub replies: u64,
    /// Internal notes stored (`add_note`).
    pub notes: u64,
    /// Every message: inbound, replies, notes.
    pub messages: u64,
    /// Status changes (`set_status`), reopenings by ingest excluded.
    pub status_changes: u64,
    /// Conversations a customer message reopened.
    pub reopened: u64,
    /// Inbound messages that ingest set aside (should be 0).
    pub dead_letters: u64,
    /// Inbound messages ingest found already stored (should be 0).
    pub duplicates: u64,
    /// `ingest_batch` calls.
    pub batches: u64,
    /// Time inside `ingest_batch` only.
    pub ingest_time: Duration,
    /// Time in the agent-side calls (replies, notes, statuses, assignment, labels).
    pub agent_time: Duration,
    /// Wall time of the whole build, generation included.
    pub total_time: Duration,
    /// The slowest `ingest_batch` call.
    pub slowest_batch: Duration,
}

impl BuildReport {
    /// Inbound messages per second over the `ingest_batch` calls.
    #[must_use]
    pub fn ingest_rate(&self) -> f64 {
        self.inbound as f64 / self.ingest_time.as_secs_f64().max(1e-9)
    }

    /// `key=value` lines, for a marker file that says the store is complete.
    #[must_use]
    pub fn to_marker(&self) -> String {
        format!(
            "conversations={}\nopened={}\ninbound={}\nreplies={}\nnotes={}\nmessages={}\n\
             status_changes={}\nreopened={}\ndead_letters={}\nduplicates={}\nbatches={}\n\
             ingest_ms={}\nagent_ms={}\ntotal_ms={}\nslowest_batch_ms={}\n",
            self.conversations,
            self.opened,
            self.inbound,
            self.replies,
            self.notes,
            self.messages,
            self.status_changes,
            self.reopened,
            self.dead_letters,
            self.duplicates,
            self.batches,
            self.ingest_time.as_millis(),
            self.agent_time.as_millis(),
            self.total_time.as_millis(),
            self.slowest_batch.as_millis(),
        )
    }

    /// Reads back [`BuildReport::to_marker`]; `None` if any figure is missing.
    #[must_use]
    pub fn from_marker(text: &str) -> Option<Self> {
        let get = |key: &str| -> Option<u64> {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .and_then(|(_, v)| v.trim().parse().ok())
        };
        let ms = |key: &str| get(key).map(Duration::from_millis);
        Some(BuildReport {
            conversations: get("conversations")?,
            opened: get("opened")?,
            inbound: get("inbound")?,
            replies: get("replies")?,
            notes: get("notes")?,
            messages: get("messages")?,
            status_changes: get("status_changes")?,
            reopened: get("reopened")?,
            dead_letters: get("dead_letters")?,
            duplicates: get("duplicates")?,
            batches: get("batches")?,
            ingest_time: ms("ingest_ms")?,
            agent_time: ms("agent_ms")?,
            total_time: ms("total_ms")?,
            slowest_batch: ms("slowest_batch_ms")?,
        })
    }
}

/// Builds a store of `conversations` synthetic conversations (about ten messages each,
/// replies and notes included) at `path`, which must not exist yet.
///
/// Everything happens in time order, as it would have: customer messages go through
/// [`ingest::ingest_batch`] in batches of [`BATCH`]; an agent's reply, note or status
/// change is applied as soon as the conversation's earlier customer messages are stored
/// (a batch is flushed first if it holds some), so each conversation sees its events in
/// order. Each batch is ingested with `now` = its oldest message's time.
///
/// # Panics
/// If the store cannot be opened or a write fails: a bench has nothing better to do.
pub fn build_store(path: &Path, conversations: usize, seed: u64) -> BuildReport {
    let started = Instant::now();
    let mut synth = Synth::new(seed, end_of_history(), 0);
    let plans = synth.plan(conversations);
    let mut store = Store::open(path).expect("open the bench store");
    let agents: Vec<AgentId> = AGENTS
        .iter()
        .map(|name| store.ensure_agent(name).expect("create an agent"))
        .collect();

    let mut timeline: Vec<(i64, u32, u16)> = plans
        .iter()
        .enumerate()
        .flat_map(|(c, p)| {
            p.events
                .iter()
                .enumerate()
                .map(move |(e, ev)| (ev.at, c as u32, e as u16))
        })
        .collect();
    timeline.sort_unstable();
    let mut input: VecDeque<(u32, u16)> = timeline.into_iter().map(|(_, c, e)| (c, e)).collect();

    let mut b = Builder {
        synth: &synth,
        plans: &plans,
        store: &mut store,
        agents,
        ids: vec![None; plans.len()],
        replied: vec![false; plans.len()],
        batch: Vec::with_capacity(BATCH),
        in_batch: HashSet::new(),
        report: BuildReport {
            conversations: plans.len() as u64,
            ..BuildReport::default()
        },
    };
    let mut blocked: HashSet<u32> = HashSet::new();
    let mut deferred: Vec<(u32, u16)> = Vec::new();
    loop {
        while let Some((c, e)) = input.pop_front() {
            if blocked.contains(&c) {
                deferred.push((c, e));
                continue;
            }
            let is_inbound = matches!(plans[c as usize].events[e as usize].kind, EvKind::In { .. });
            if is_inbound {
                b.batch.push((c, e));
                b.in_batch.insert(c);
                if b.batch.len() == BATCH {
                    b.flush();
                    blocked.clear();
                    for d in deferred.drain(..).rev() {
                        input.push_front(d);
                    }
                }
            } else if b.in_batch.contains(&c) {
                blocked.insert(c);
                deferred.push((c, e));
            } else {
                b.apply(c, e);
            }
        }
        if b.batch.is_empty() && deferred.is_empty() {
            break;
        }
        b.flush();
        blocked.clear();
        for d in deferred.drain(..).rev() {
            input.push_front(d);
        }
    }
    let mut report = b.report;
    report.messages = report.inbound + report.replies + report.notes;
    drop(store);
    report.total_time = started.elapsed();
    report
}

struct Builder<'a> {
    synth: &'a Synth,
    plans: &'a [Plan],
    store: &'a mut Store,
    agents: Vec<AgentId>,
    ids: Vec<Option<ConversationId>>,
    replied: Vec<bool>,
    batch: Vec<(u32, u16)>,
    in_batch: HashSet<u32>,
    report: BuildReport,
}

impl Builder<'_> {
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let messages: Vec<Inbound> = self
            .batch
            .iter()
            .map(|&(c, e)| {
                let plan = &self.plans[c as usize];
                self.synth
                    .inbound(plan, e as usize, plan.events[e as usize].at)
            })
            .collect();
        let now = messages
            .iter()
            .map(|m| m.sent_at)
            .min()
            .expect("a batch is never empty here");
        let t = Instant::now();
        let outcomes = ingest::ingest_batch(self.store, &messages, now).expect("ingest a batch");
        let took = t.elapsed();
        self.report.ingest_time += took;
        self.report.slowest_batch = self.report.slowest_batch.max(took);
        self.report.batches += 1;
        for (&(c, _), outcome) in self.batch.iter().zip(outcomes) {
            match outcome {
                Outcome::New {
                    conversation,
                    opened,
                    reopened,
                    ..
                } => {
                    self.report.inbound += 1;
                    self.report.opened += u64::from(opened);
                    self.report.reopened += u64::from(reopened);
                    self.ids[c as usize] = Some(conversation);
                }
                Outcome::Duplicate { .. } => self.report.duplicates += 1,
                Outcome::DeadLettered { .. } => self.report.dead_letters += 1,
            }
        }
        self.batch.clear();
        self.in_batch.clear();
    }

    fn apply(&mut self, c: u32, e: u16) {
        let plan = &self.plans[c as usize];
        let ev = plan.events[e as usize];
        let Some(id) = self.ids[c as usize] else {
            // Its first message was dead-lettered: nothing to answer.
            return;
        };
        let agent = self.agents[plan.agent];
        let at = ts(ev.at);
        let t = Instant::now();
        match ev.kind {
            EvKind::In { .. } => unreachable!("customer messages go through ingest"),
            EvKind::Reply => {
                if !self.replied[c as usize] {
                    self.replied[c as usize] = true;
                    self.store
                        .assign(id, Some(agent))
                        .expect("assign a conversation");
                    if let Some(label) = plan.label {
                        self.store
                            .add_label(id, label)
                            .expect("label a conversation");
                    }
                }
                let text = self.synth.reply_text(plan, e as usize);
                let msg = self
                    .store
                    .queue_reply(id, agent, &text, at)
                    .expect("queue a reply");
                let sent_at = ts(ev.at + 2 * SEC_MS);
                if plan.idx % 199 == 7 {
                    self.store
                        .record_failure(msg, "550 mailbox unavailable", None, sent_at)
                        .expect("record a failed reply");
                } else {
                    self.store
                        .record_sent(msg, &format!("sent-{}-{e}", plan.idx), sent_at)
                        .expect("record a sent reply");
                }
                self.report.replies += 1;
            }
            EvKind::Note => {
                let text = self.synth.note_text(plan, e as usize);
                self.store
                    .add_note(id, agent, &text, at)
                    .expect("write a note");
                self.report.notes += 1;
            }
            EvKind::Status(status) => {
                let status = match status {
                    PlanStatus::Pending => Status::Pending,
                    PlanStatus::Resolved => Status::Resolved,
                    PlanStatus::Snoozed(after_end) => Status::Snoozed {
                        until: ts(self.synth.end_ms + after_end),
                    },
                };
                self.store.set_status(id, status, at).expect("set a status");
                self.report.status_changes += 1;
            }
        }
        self.report.agent_time += t.elapsed();
    }
}
