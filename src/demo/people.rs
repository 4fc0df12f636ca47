//! The demo shop's customers.

use super::*;

// ---------------------------------------------------------------------------------------
// The people.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lang {
    Fr,
    En,
    De,
    Es,
    Ja,
    Zh,
    Ar,
    He,
}

impl Lang {
    pub(super) fn emails(self) -> &'static [Script] {
        match self {
            Lang::Fr => FR_EMAIL,
            Lang::En => EN_EMAIL,
            Lang::De => DE_EMAIL,
            Lang::Es => ES_EMAIL,
            Lang::Ja => JA_EMAIL,
            Lang::Zh => ZH_EMAIL,
            Lang::Ar => AR_EMAIL,
            Lang::He => HE_EMAIL,
        }
    }

    pub(super) fn messages(self) -> &'static [Script] {
        match self {
            Lang::Fr => FR_MESSAGE,
            Lang::En => EN_MESSAGE,
            Lang::De => DE_MESSAGE,
            Lang::Es => ES_MESSAGE,
            Lang::Ja => JA_MESSAGE,
            Lang::Zh => ZH_MESSAGE,
            Lang::Ar => AR_MESSAGE,
            Lang::He => HE_MESSAGE,
        }
    }

    pub(super) fn follow_ups(self) -> &'static [&'static str] {
        match self {
            Lang::Fr => &[
                "Re-bonjour, petite question en plus : vous faites les paquets cadeaux ?",
                "Merci encore pour votre aide !",
                "Des nouvelles de ma commande ? 🙂",
            ],
            Lang::En => &[
                "Hi again, any update on this?",
                "Thanks again for your help!",
            ],
            Lang::De => &["Hallo nochmal, gibt es schon Neuigkeiten?"],
            Lang::Es => &["Hola de nuevo, ¿hay alguna novedad?"],
            Lang::Ja => &["すみません、その後いかがでしょうか？"],
            Lang::Zh => &["您好，请问有新的进展吗？"],
            Lang::Ar => &["مرحبا مجددا، هل من جديد؟"],
            Lang::He => &["שלום שוב, יש חדש?"],
        }
    }
}

/// One customer of the shop, and the conversations they have, in order.
pub(super) struct Person {
    /// Empty for a chat visitor who gave no name.
    pub(super) name: &'static str,
    /// How the shop greets them, when it is not the first word of the name.
    pub(super) first: Option<&'static str>,
    pub(super) lang: Lang,
    pub(super) email: Option<&'static str>,
    pub(super) phone: Option<&'static str>,
    /// Their Mastodon account.
    pub(super) nick: Option<&'static str>,
    /// (channel, how many conversations), in the order they happen. Someone with both an
    /// email address and a phone number starts on the chat, whose form gives both, so
    /// their mail and WhatsApp meet in one customer.
    pub(super) convs: &'static [(Channel, u8)],
    /// What they write by mail, when the language's usual scripts will not do.
    pub(super) own: &'static [Script],
}

impl Person {
    const fn new(name: &'static str, lang: Lang, convs: &'static [(Channel, u8)]) -> Self {
        Person {
            name,
            first: None,
            lang,
            email: None,
            phone: None,
            nick: None,
            convs,
            own: &[],
        }
    }

    const fn email(self, email: &'static str) -> Self {
        Person {
            email: Some(email),
            ..self
        }
    }

    const fn phone(self, phone: &'static str) -> Self {
        Person {
            phone: Some(phone),
            ..self
        }
    }

    const fn nick(self, nick: &'static str) -> Self {
        Person {
            nick: Some(nick),
            ..self
        }
    }

    const fn first(self, first: &'static str) -> Self {
        Person {
            first: Some(first),
            ..self
        }
    }

    const fn own(self, own: &'static [Script]) -> Self {
        Person { own, ..self }
    }

    /// The channel of their `m`-th conversation.
    pub(super) fn channel_of(&self, m: usize) -> Channel {
        let mut left = m;
        for (channel, n) in self.convs {
            let n = usize::from(*n);
            if left < n {
                return *channel;
            }
            left -= n;
        }
        Channel::Chat
    }

    /// How many conversations they have on `channel`.
    pub(super) fn count_on(&self, channel: Channel) -> usize {
        self.convs
            .iter()
            .filter(|(c, _)| *c == channel)
            .map(|(_, n)| usize::from(*n))
            .sum()
    }

    pub(super) fn first_name(&self) -> &'static str {
        self.first
            .or_else(|| self.name.split_whitespace().next())
            .unwrap_or("")
    }

    /// The script of their next conversation: their own if they have one, else the next
    /// of their language's, starting at a different place for each person so that two
    /// customers rarely tell the same story side by side.
    pub(super) fn script(
        &self,
        channel: Channel,
        email_no: &mut usize,
        other_no: &mut usize,
        index: usize,
    ) -> &'static Script {
        let (pool, no) = if channel == Channel::Email && !self.own.is_empty() {
            (self.own, email_no)
        } else if channel == Channel::Email {
            (self.lang.emails(), email_no)
        } else {
            (self.lang.messages(), other_no)
        };
        // Their own stories are told in order.
        let offset = if self.own.is_empty() { index * 3 } else { 0 };
        let pick = (offset + *no) % pool.len().max(1);
        *no += 1;
        &pool[pick]
    }
}

/// The display name of the phishing sender: a right-to-left override makes
/// "rf.omissiloc" read "colissimo.fr" on a terminal that honours it.
pub(super) const PHISHER: &str = "Service Colis \u{202e}rf.omissiloc";

pub(super) use Channel::{Chat, Email, Instagram, Mastodon, Messenger, Telegram, Whatsapp, X};

pub(super) static PEOPLE: &[Person] = &[
    Person::new(
        "Marie Dubois",
        Lang::Fr,
        &[(Chat, 1), (Email, 2), (Whatsapp, 1), (Chat, 1), (Email, 3)],
    )
    .email("marie.dubois@free.example")
    .phone("+33 6 12 34 56 78"),
    Person::new(
        "Julien Moreau",
        Lang::Fr,
        &[(Email, 2), (Chat, 1), (Email, 2), (Chat, 1)],
    )
    .email("julien.moreau@laposte.example"),
    Person::new(
        "Sophie Lambert",
        Lang::Fr,
        &[(Chat, 1), (Email, 2), (Whatsapp, 1), (Email, 1)],
    )
    .email("sophie.lambert@gmail.example")
    .phone("+33 6 45 18 27 90"),
    Person::new(
        "Thomas Girard",
        Lang::Fr,
        &[(Chat, 1), (Email, 2), (Chat, 1), (Email, 2)],
    )
    .email("thomas.girard@outlook.example"),
    Person::new("Émilie Rousseau", Lang::Fr, &[(Email, 3), (Chat, 2)])
        .email("emilie.rousseau@orange.example"),
    Person::new(
        "Hélène Fontaine",
        Lang::Fr,
        &[(Chat, 1), (Email, 3), (Whatsapp, 1)],
    )
    .email("helene.fontaine@sfr.example")
    .phone("+33 7 81 22 40 15"),
    Person::new("Nicolas Petit", Lang::Fr, &[(Email, 5)])
        .email("contact@bistrot-du-port.example")
        .own(PRO),
    Person::new("Claire Bernard", Lang::Fr, &[(Chat, 2), (Email, 3)])
        .email("claire.bernard@gmail.example"),
    Person::new("Antoine Lefèvre", Lang::Fr, &[(Email, 3), (Chat, 2)])
        .email("a.lefevre@proton.example"),
    Person::new(FAILING_CUSTOMER, Lang::Fr, &[(Chat, 1), (Email, 1)])
        .email("bruno.echec@orange.example")
        .own(BRUNO),
    Person::new(
        "Sarah Thompson",
        Lang::En,
        &[(Email, 2), (Chat, 2), (Email, 1)],
    )
    .email("sarah.t@btinternet.example"),
    Person::new("James O'Connor", Lang::En, &[(Email, 3), (Chat, 1)])
        .email("james.oconnor@eircom.example"),
    Person::new("Lukas Becker", Lang::De, &[(Email, 2), (Chat, 1)])
        .email("lukas.becker@web.example"),
    Person::new(
        "Carmen Ruiz",
        Lang::Es,
        &[(Chat, 1), (Email, 2), (Whatsapp, 1)],
    )
    .email("carmen.ruiz@telefonica.example")
    .phone("+34 612 345 678"),
    Person::new("田中 由紀", Lang::Ja, &[(Email, 2), (Chat, 1)])
        .email("yuki.tanaka@docomo.example")
        .first("Yuki"),
    Person::new("李伟", Lang::Zh, &[(Chat, 1), (Email, 1), (Chat, 1)])
        .email("li.wei@qq.example")
        .first("Li Wei"),
    Person::new(
        "ليلى حداد",
        Lang::Ar,
        &[(Chat, 1), (Whatsapp, 1), (Email, 1)],
    )
    .email("leila.haddad@menara.example")
    .phone("+212 6 61 23 45 67")
    .first("Leïla"),
    Person::new("נועה לוי", Lang::He, &[(Chat, 1), (Email, 2)])
        .email("noa.levi@walla.example")
        .first("Noa"),
    Person::new(PHISHER, Lang::Fr, &[(Email, 1)])
        .email("no-reply@colis-frais.example")
        .own(PHISHING),
    Person::new("Lucas", Lang::Fr, &[(Chat, 3)]),
    Person::new("", Lang::Fr, &[(Chat, 2)]),
    Person::new("Inès", Lang::Fr, &[(Chat, 4)]),
    Person::new("Zoé", Lang::Fr, &[(Chat, 4)]),
    Person::new("Pierre Garnier", Lang::Fr, &[(Chat, 1), (Whatsapp, 1)]).phone("+33 6 98 76 54 32"),
    Person::new("Mathieu", Lang::Fr, &[(Chat, 3)]),
    Person::new("Fatou Diallo", Lang::Fr, &[(Whatsapp, 1)]).phone("+33 7 55 12 98 34"),
    Person::new("Karim Benali", Lang::Fr, &[(Whatsapp, 1), (Telegram, 1)])
        .phone("+33 6 22 14 87 03"),
    Person::new("Chantal Mercier", Lang::Fr, &[(Messenger, 1)]),
    Person::new("Kevin Nguyen", Lang::Fr, &[(Messenger, 1)]),
    Person::new("Anne-Sophie Vidal", Lang::Fr, &[(Messenger, 1)]),
    Person::new("Léa Marchand", Lang::Fr, &[(Instagram, 1)]),
    Person::new("Hugo Lefort", Lang::Fr, &[(Instagram, 1)]),
    Person::new("Chloé Martin", Lang::Fr, &[(Instagram, 1)]),
    Person::new("王美", Lang::Zh, &[(Instagram, 1)]).first("Mei"),
    Person::new("Anna Schmidt", Lang::De, &[(Instagram, 1)]),
    Person::new("Baptiste Roux", Lang::Fr, &[(Telegram, 1)]),
    Person::new("Dmitri Volkov", Lang::En, &[(Telegram, 1)]),
    Person::new("René Lacroix", Lang::Fr, &[(Mastodon, 4)]).nick("rene@piaille.example"),
    Person::new("Sam Rivera", Lang::En, &[(Mastodon, 2)]).nick("sam@hachyderm.example"),
    Person::new("Margaux Perrin", Lang::Fr, &[(X, 1)]),
    Person::new("加藤 浩", Lang::Ja, &[(X, 1)]).first("Hiroshi"),
];
