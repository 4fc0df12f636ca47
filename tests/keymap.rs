#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]
//! Keymap files: every load error with its place, the three shipped maps, merge
//! precedence, lookup and `keymap check`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use comptoir::tui::action::{Action, COMMANDS, Pane, ParseError};
use comptoir::tui::key::{Key, KeyCode, KeyError, parse_keys};
use comptoir::tui::keymap::{
    BUILTIN_NAMES, Binding, ErrorKind, Hint, Keymap, KeymapError, KeymapSource, Lookup, Mode,
};

fn source(path: &str, text: &str) -> KeymapSource {
    KeymapSource {
        path: PathBuf::from(path),
        text: text.to_owned(),
    }
}

fn builtin(name: &str) -> KeymapSource {
    KeymapSource::builtin(name).unwrap()
}

/// The errors of `text` loaded as the user's file over the default map.
fn errors(text: &str) -> Vec<KeymapError> {
    Keymap::load(builtin("default"), Some(source("user.toml", text)))
        .expect_err("the file should not load")
}

/// (line, column, key) of each error, in order.
fn places(errors: &[KeymapError]) -> Vec<(usize, usize, Option<&str>)> {
    errors
        .iter()
        .map(|e| (e.line, e.column, e.key.as_deref()))
        .collect()
}

fn keys(text: &str) -> Vec<Key> {
    parse_keys(text).unwrap()
}

fn action(run: &str) -> Action {
    run.parse().unwrap()
}

fn matched(km: &Keymap, mode: Mode, typed: &str) -> Option<Action> {
    match km.lookup(mode, &keys(typed)) {
        Lookup::Matched(a) => Some(a),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Errors

#[test]
fn syntax_error_names_its_place() {
    let e = errors("[mode.queue\n");
    assert_eq!(places(&e), [(1, 12, None)]);
    assert!(matches!(e[0].kind, ErrorKind::Syntax(_)), "{:?}", e[0].kind);
    assert_eq!(e[0].path, PathBuf::from("user.toml"));

    let e = errors("[mode.queue]\nkeymap = [{ on = \"j\" }]\n");
    assert_eq!(places(&e), [(2, 11, None)]);
    assert_eq!(e[0].kind, ErrorKind::Syntax("missing field `run`".into()));

    let e = errors("[mode.queue]\nkeymap = [{ on = \"j\", run = \"quit\", dsc = \"x\" }]\n");
    assert_eq!(places(&e), [(2, 37, None)]);
    assert!(e[0].to_string().contains("unknown field `dsc`"), "{}", e[0]);

    let e = errors("[mode.queue]\nkeymap = [{ on = [\"j\", 2], run = \"quit\" }]\n");
    assert_eq!(places(&e), [(2, 24, None)]);
}

#[test]
fn unknown_mode() {
    let e = errors("[mode.queu]\nkeymap = [{ on = \"j\", run = \"move.down\" }]\n");
    assert_eq!(places(&e), [(1, 7, None)]);
    assert_eq!(e[0].kind, ErrorKind::UnknownMode("queu".into()));
}

#[test]
fn bad_keys() {
    let text = "\
[mode.queue]
keymap = [
  { on = \"<Foo>\", run = \"quit\" },
  { on = [\"g\", \"<C->\"], run = \"quit\" },
  { on = \"gg\", run = \"quit\" },
  { on = \"<\", run = \"quit\" },
]
";
    let e = errors(text);
    assert_eq!(
        places(&e),
        [
            (3, 10, Some("<Foo>")),
            (4, 16, Some("g <C->")),
            (5, 10, Some("gg")),
            (6, 10, Some("<")),
        ]
    );
    let kinds: Vec<_> = e.iter().map(|e| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::BadKey(KeyError::UnknownName("Foo".into())),
            ErrorKind::BadKey(KeyError::MissingKey("<C->".into())),
            ErrorKind::BadKey(KeyError::NotOneKey("gg".into())),
            ErrorKind::BadKey(KeyError::LoneLt),
        ]
    );
}

#[test]
fn unknown_actions() {
    let text = "\
[mode.queue]
keymap = [
  { on = \"x\", run = \"frobnicate\" },
  { on = \"y\", run = \"quit now\" },
  { on = [\"z\", \"z\"], run = \"status.snooze soon\" },
]
";
    let e = errors(text);
    assert_eq!(
        places(&e),
        [(3, 21, Some("x")), (4, 21, Some("y")), (5, 28, Some("z z"))]
    );
    assert_eq!(
        e[0].kind,
        ErrorKind::UnknownAction(ParseError::Unknown("frobnicate".into()))
    );
    assert!(matches!(
        &e[1].kind,
        ErrorKind::UnknownAction(ParseError::BadArgument { name, .. }) if name == "quit"
    ));
    assert!(matches!(
        &e[2].kind,
        ErrorKind::UnknownAction(ParseError::BadArgument { name, .. }) if name == "status.snooze"
    ));
}

#[test]
fn duplicates() {
    let text = "\
[mode.queue]
keymap = [
  { on = [\"g\", \"g\"], run = \"move.first\" },
  { on = \"j\", run = \"move.down\" },
  { on = [\"g\", \"g\"], run = \"move.last\" },
  { on = \"j\", run = \"noop\" },
]
[mode.thread]
keymap = [{ on = \"j\", run = \"move.down\" }]
";
    let e = errors(text);
    assert_eq!(places(&e), [(5, 10, Some("g g")), (6, 10, Some("j"))]);
    assert_eq!(
        e[0].kind,
        ErrorKind::Duplicate {
            mode: Mode::Queue,
            first_line: 3
        }
    );
    assert_eq!(
        e[1].kind,
        ErrorKind::Duplicate {
            mode: Mode::Queue,
            first_line: 4
        }
    );
}

#[test]
fn prefix_conflicts_both_ways() {
    let text = "\
[mode.queue]
keymap = [
  { on = \"g\", run = \"move.first\" },
  { on = [\"g\", \"g\"], run = \"move.first\" },
  { on = [\"z\", \"z\", \"z\"], run = \"status.snooze 1w\" },
  { on = \"z\", run = \"status.snooze 1h\" },
]
";
    let e = errors(text);
    assert_eq!(places(&e), [(4, 10, Some("g g")), (6, 10, Some("z"))]);
    assert_eq!(
        e[0].kind,
        ErrorKind::PrefixConflict {
            mode: Mode::Queue,
            other: "g".into(),
            other_line: 3
        }
    );
    assert_eq!(
        e[1].kind,
        ErrorKind::PrefixConflict {
            mode: Mode::Queue,
            other: "z z z".into(),
            other_line: 5
        }
    );
}

#[test]
fn unbinding_a_prefix_and_binding_under_it_is_no_conflict() {
    let text = "\
[mode.queue]
keymap = [
  { on = [\"g\", \"g\"], run = \"move.last\" },
  { on = \"g\", run = \"noop\" },
]
";
    let km = Keymap::load(builtin("default"), Some(source("user.toml", text))).unwrap();
    assert_eq!(matched(&km, Mode::Queue, "gg"), Some(Action::Last));
}

#[test]
fn same_keys_in_two_modes_are_no_conflict() {
    let text = "\
[mode.global]
keymap = [{ on = \"g\", run = \"help\" }]
[mode.queue]
keymap = [{ on = [\"g\", \"g\"], run = \"move.first\" }]
";
    assert!(Keymap::load(source("base.toml", text), None).is_ok());
}

#[test]
fn empty_sequence() {
    let e = errors("[mode.queue]\nkeymap = [{ on = [], run = \"quit\" }]\n");
    assert_eq!(places(&e), [(2, 18, None)]);
    assert_eq!(e[0].kind, ErrorKind::EmptySequence);
}

#[test]
fn every_error_of_a_file_is_reported_in_order() {
    let text = "\
[mode.queue]
keymap = [
  { on = \"<Foo>\", run = \"frob\" },
  { on = [], run = \"quit\" },
  { on = \"j\", run = \"move.down\" },
  { on = \"j\", run = \"move.up\" },
]
[mode.nope]
keymap = []
";
    let e = errors(text);
    let lines: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "user.toml:3:10: <Foo>: unknown key name <Foo>",
            "user.toml:3:25: <Foo>: unknown command \"frob\"",
            "user.toml:4:10: empty key sequence",
            "user.toml:6:10: j: bound twice in mode queue (first at line 5)",
            "user.toml:8:7: unknown mode \"nope\" (modes: global, queue, thread, history, compose, picker, cmdline, deadletters)",
        ]
    );
}

#[test]
fn errors_of_base_and_user_are_both_reported() {
    let base = source(
        "base.toml",
        "[mode.queue]\nkeymap = [{ on = \"j\", run = \"x\" }]\n",
    );
    let user = source(
        "user.toml",
        "[mode.queue]\nkeymap = [{ on = \"k\", run = \"y\" }]\n",
    );
    let e = Keymap::load(base, Some(user)).unwrap_err();
    let lines: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "base.toml:2:29: j: unknown command \"x\"",
            "user.toml:2:29: k: unknown command \"y\"",
        ]
    );
}

#[test]
fn columns_count_characters() {
    let e = errors("[mode.queue]\nkeymap = [{ desc = \"é\", on = \"<Foo>\", run = \"quit\" }]\n");
    // The quote is the 30th character but the 31st byte: `é` takes two.
    assert_eq!(places(&e), [(2, 30, Some("<Foo>"))]);
}

#[test]
fn unknown_builtin_lists_the_choices() {
    let e = Keymap::builtin("helix").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown keymap \"helix\" (choose default, vim or emacs)"
    );
}

// ---------------------------------------------------------------------------------------
// The shipped maps

/// Commands a shipped map leaves unbound on purpose, with the reason. A map that drops
/// one must list it here, and the map's file must say why in a comment.
const DELIBERATELY_UNBOUND: &[(&str, &str, &str)] = &[
    (
        "default",
        "unlink",
        "undoing a link is rare and deliberate: `:unlink [ID]`, with the ids in the card's link log",
    ),
    (
        "vim",
        "unlink",
        "undoing a link is rare and deliberate: `:unlink [ID]`, with the ids in the card's link log",
    ),
    (
        "emacs",
        "unlink",
        "undoing a link is rare and deliberate: `:unlink [ID]`, with the ids in the card's link log",
    ),
    (
        "default",
        "tag",
        "takes a name: `:tag NAME` (also over the customer card)",
    ),
    (
        "vim",
        "tag",
        "takes a name: `:tag NAME` (also over the customer card)",
    ),
    (
        "emacs",
        "tag",
        "takes a name: `:tag NAME` (also over the customer card)",
    ),
    (
        "default",
        "untag",
        "takes a name: `:untag NAME` (also over the customer card)",
    ),
    (
        "vim",
        "untag",
        "takes a name: `:untag NAME` (also over the customer card)",
    ),
    (
        "emacs",
        "untag",
        "takes a name: `:untag NAME` (also over the customer card)",
    ),
    (
        "default",
        "customer-note",
        "takes the note's text: `:customer-note TEXT` (also over the customer card)",
    ),
    (
        "vim",
        "customer-note",
        "takes the note's text: `:customer-note TEXT` (also over the customer card)",
    ),
    (
        "emacs",
        "customer-note",
        "takes the note's text: `:customer-note TEXT` (also over the customer card)",
    ),
    (
        "default",
        "rename",
        "takes the name: `:rename NAME` (also over the customer card)",
    ),
    (
        "vim",
        "rename",
        "takes the name: `:rename NAME` (also over the customer card)",
    ),
    (
        "emacs",
        "rename",
        "takes the name: `:rename NAME` (also over the customer card)",
    ),
    (
        "default",
        "keymap",
        "switching maps takes an argument: a `:keymap vim` command",
    ),
    (
        "vim",
        "keymap",
        "switching maps takes an argument: a `:keymap vim` command",
    ),
    (
        "emacs",
        "keymap",
        "switching maps takes an argument: a `:keymap vim` command",
    ),
    (
        "default",
        "fetch-older",
        "it takes a number of days, and is rare: a `:fetch-older 90` command",
    ),
    (
        "vim",
        "fetch-older",
        "it takes a number of days, and is rare: a `:fetch-older 90` command",
    ),
    (
        "emacs",
        "fetch-older",
        "it takes a number of days, and is rare: a `:fetch-older 90` command",
    ),
    (
        "default",
        "widget",
        "only the demo has a chat test page to show: a `:widget` command",
    ),
    (
        "vim",
        "widget",
        "only the demo has a chat test page to show: a `:widget` command",
    ),
    (
        "emacs",
        "widget",
        "only the demo has a chat test page to show: a `:widget` command",
    ),
    (
        "default",
        "unassign",
        "the same as assign.none (U), under the name Chatwoot users type: an `:unassign` command",
    ),
    (
        "vim",
        "unassign",
        "the same as assign.none (U), under the name Chatwoot users type: an `:unassign` command",
    ),
    (
        "emacs",
        "unassign",
        "the same as assign.none (U), under the name Chatwoot users type: an `:unassign` command",
    ),
];

fn command_name(run: &str) -> &str {
    run.split_whitespace().next().unwrap()
}

#[test]
fn shipped_maps_load_and_are_complete() {
    for name in BUILTIN_NAMES {
        let km = Keymap::load(builtin(name), None).unwrap_or_else(|e| panic!("{name}: {}", e[0]));
        let bound: BTreeSet<String> = Mode::ALL
            .into_iter()
            .flat_map(|m| km.bindings(m))
            .map(|b| command_name(&b.run).to_owned())
            .collect();
        for c in COMMANDS.iter().filter(|c| c.name != "noop") {
            let excused = DELIBERATELY_UNBOUND
                .iter()
                .any(|(map, cmd, _)| *map == name && *cmd == c.name);
            assert!(
                bound.contains(c.name) || excused,
                "{name}.toml binds no key to {:?}",
                c.name
            );
            assert!(
                !(bound.contains(c.name) && excused),
                "{name}.toml binds {:?}, which is listed as deliberately unbound",
                c.name
            );
        }
    }
}

#[test]
fn shipped_maps_use_no_alt_and_no_noop() {
    for name in BUILTIN_NAMES {
        let km = Keymap::load(builtin(name), None).unwrap();
        for b in Mode::ALL.into_iter().flat_map(|m| km.bindings(m)) {
            assert!(
                b.keys.iter().all(|k| !k.mods.alt),
                "{name}.toml binds Alt: {b:?}"
            );
            assert_ne!(b.run, "noop", "{name}.toml: {b:?}");
        }
    }
}

/// Every `{ on, run }` a shipped file writes, read with plain TOML, so the test does not
/// trust the loader it checks.
fn written_bindings(name: &str) -> Vec<(Mode, Vec<Key>, String)> {
    let value: toml::Table = Keymap::builtin(name).unwrap().parse().unwrap();
    let mut out = Vec::new();
    for (mode, table) in value["mode"].as_table().unwrap() {
        let mode = Mode::from_name(mode).unwrap();
        for chord in table["keymap"].as_array().unwrap() {
            let on: Vec<Key> = match &chord["on"] {
                toml::Value::String(s) => vec![s.parse().unwrap()],
                toml::Value::Array(a) => a
                    .iter()
                    .map(|k| k.as_str().unwrap().parse().unwrap())
                    .collect(),
                other => panic!("{other:?}"),
            };
            out.push((mode, on, chord["run"].as_str().unwrap().to_owned()));
        }
    }
    out
}

#[test]
fn bindings_lists_every_binding_of_the_shipped_maps() {
    for name in BUILTIN_NAMES {
        let km = Keymap::load(builtin(name), None).unwrap();
        let listed: Vec<(Mode, Vec<Key>, String)> = Mode::ALL
            .into_iter()
            .flat_map(|m| km.bindings(m))
            .map(|b| (b.mode, b.keys, b.run))
            .collect();
        let mut written = written_bindings(name);
        written.sort();
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(sorted, written, "{name}: bindings() and the file differ");
        for (mode, keys, run) in &listed {
            assert_eq!(
                km.lookup(*mode, keys),
                Lookup::Matched(action(run)),
                "{name}: {mode} {keys:?} does not run {run}"
            );
        }
    }
}

#[test]
fn bindings_are_sorted_and_described() {
    let km = Keymap::load(builtin("default"), None).unwrap();
    let queue = km.bindings(Mode::Queue);
    let order: Vec<&Vec<Key>> = queue.iter().map(|b| &b.keys).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "bindings come sorted by keys");
    assert!(queue.iter().all(|b| b.mode == Mode::Queue));
    let j = queue.iter().find(|b| b.keys == keys("j")).unwrap();
    assert_eq!(
        j.desc, "Next item / scroll down",
        "no desc: the command's doc"
    );
    let zh = queue.iter().find(|b| b.keys == keys("zh")).unwrap();
    assert_eq!(zh.desc, "Snooze 1 hour", "the file's desc");
    assert!(
        km.bindings(Mode::Global).iter().any(|b| b.run == "quit"),
        "global bindings are listed under Mode::Global"
    );
    assert!(
        !queue.iter().any(|b| b.run == "quit"),
        "a mode lists only its own bindings"
    );
}

#[test]
fn counts_leave_no_bare_digit_unreachable() {
    for name in BUILTIN_NAMES {
        let km = Keymap::load(builtin(name), None).unwrap();
        if !km.counts_enabled() {
            continue;
        }
        for mode in [Mode::Global, Mode::Queue, Mode::Thread, Mode::History] {
            for b in km.bindings(mode) {
                assert!(
                    b.keys[0].digit().is_none(),
                    "{name}.toml: {b:?} starts with a digit, which counts swallow"
                );
            }
        }
    }
}

#[test]
fn counts_flag() {
    let load = |base: &str, user: &str| {
        Keymap::load(builtin(base), Some(source("user.toml", user)))
            .unwrap()
            .counts_enabled()
    };
    assert!(
        !Keymap::load(builtin("default"), None)
            .unwrap()
            .counts_enabled()
    );
    assert!(Keymap::load(builtin("vim"), None).unwrap().counts_enabled());
    assert!(
        !Keymap::load(builtin("emacs"), None)
            .unwrap()
            .counts_enabled()
    );
    assert!(load("default", "counts = true"), "user turns counts on");
    assert!(!load("vim", "counts = false"), "user turns counts off");
    assert!(load("vim", ""), "unset: the base's flag stays");
}

// ---------------------------------------------------------------------------------------
// Merging, in the manner of helix's `merge_partial_keys`

const BASE: &str = "\
[mode.queue]
keymap = [
  { on = \"j\", run = \"move.down\" },
  { on = \"k\", run = \"move.up\" },
  { on = [\"g\", \"g\"], run = \"move.first\" },
  { on = [\"g\", \"e\"], run = \"move.last\" },
  { on = \"z\", run = \"status.snooze 1h\" },
  { on = \"d\", run = \"status.resolve\" },
]
[mode.thread]
keymap = [{ on = \"j\", run = \"move.down\" }]
";

const USER: &str = "\
[mode.queue]
keymap = [
  { on = \"j\", run = \"move.up\", desc = \"Up, my way\" },
  { on = \"d\", run = \"noop\" },
  { on = \"g\", run = \"move.first\" },
  { on = [\"z\", \"w\"], run = \"status.snooze 1w\" },
  { on = [\"x\", \"x\"], run = \"status.resolve\" },
]
";

#[test]
fn merge_partial_keys() {
    let km = Keymap::load(source("base.toml", BASE), Some(source("user.toml", USER))).unwrap();
    assert_eq!(
        matched(&km, Mode::Queue, "j"),
        Some(Action::Up),
        "a user binding replaces the base binding for the same keys"
    );
    let j = km
        .bindings(Mode::Queue)
        .into_iter()
        .find(|b| b.keys == keys("j"))
        .unwrap();
    assert_eq!(j.desc, "Up, my way", "and brings its own desc");
    assert_eq!(
        km.lookup(Mode::Queue, &keys("d")),
        Lookup::NotFound,
        "run = \"noop\" unbinds"
    );
    assert_eq!(
        matched(&km, Mode::Queue, "g"),
        Some(Action::First),
        "a leaf replaces a node"
    );
    assert_eq!(
        km.lookup(Mode::Queue, &keys("ge")),
        Lookup::NotFound,
        "the node's other bindings go with it"
    );
    assert_eq!(
        matched(&km, Mode::Queue, "zw"),
        Some(Action::Snooze("1w".into())),
        "a sequence under a base leaf replaces that leaf"
    );
    assert!(
        matches!(km.lookup(Mode::Queue, &keys("z")), Lookup::Pending(_)),
        "the base leaf is now a prefix"
    );
    assert_eq!(
        matched(&km, Mode::Queue, "xx"),
        Some(Action::Resolve),
        "new user sequences are added"
    );
    assert_eq!(
        matched(&km, Mode::Queue, "k"),
        Some(Action::Up),
        "untouched defaults survive"
    );
    assert_eq!(
        matched(&km, Mode::Thread, "j"),
        Some(Action::Down),
        "modes the user does not mention survive"
    );
    let runs: Vec<(String, String)> = km
        .bindings(Mode::Queue)
        .into_iter()
        .map(|b: Binding| (parse_keys_shown(&b.keys), b.run))
        .collect();
    assert_eq!(
        runs,
        [
            ("g".into(), "move.first".into()),
            ("j".into(), "move.up".into()),
            ("k".into(), "move.up".into()),
            ("x x".into(), "status.resolve".into()),
            ("z w".into(), "status.snooze 1w".into()),
        ],
        "help shows exactly the merged bindings"
    );
}

fn parse_keys_shown(keys: &[Key]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn noop_on_a_prefix_unbinds_everything_under_it() {
    let user = "[mode.queue]\nkeymap = [{ on = \"g\", run = \"noop\" }]\n";
    let km = Keymap::load(source("base.toml", BASE), Some(source("user.toml", user))).unwrap();
    assert_eq!(km.lookup(Mode::Queue, &keys("g")), Lookup::NotFound);
    assert_eq!(km.lookup(Mode::Queue, &keys("gg")), Lookup::NotFound);
}

#[test]
fn noop_of_the_last_key_under_a_prefix_removes_the_prefix() {
    let user = "\
[mode.queue]
keymap = [{ on = [\"g\", \"g\"], run = \"noop\" }, { on = [\"g\", \"e\"], run = \"noop\" }]
";
    let km = Keymap::load(source("base.toml", BASE), Some(source("user.toml", user))).unwrap();
    assert_eq!(
        km.lookup(Mode::Queue, &keys("g")),
        Lookup::NotFound,
        "a prefix with nothing under it leads nowhere, so it is gone"
    );
}

#[test]
fn user_file_over_the_default_map() {
    let user = "\
[mode.queue]
keymap = [
  { on = \"<C-r>\", run = \"reply\", desc = \"Reply\" },
  { on = \"q\", run = \"noop\" },
]
[mode.global]
keymap = [{ on = \"Q\", run = \"quit\" }]
";
    let km = Keymap::load(builtin("default"), Some(source("user.toml", user))).unwrap();
    assert_eq!(matched(&km, Mode::Queue, "<C-r>"), Some(Action::Reply));
    assert_eq!(matched(&km, Mode::Queue, "Q"), Some(Action::Quit));
    assert_eq!(
        matched(&km, Mode::Queue, "q"),
        Some(Action::Quit),
        "noop in queue unbinds nothing there: q is global's, and global still has it"
    );
    assert_eq!(matched(&km, Mode::Queue, "gg"), Some(Action::First));
}

// ---------------------------------------------------------------------------------------
// Lookup

#[test]
fn lookup_matched_pending_not_found() {
    let km = Keymap::load(builtin("default"), None).unwrap();
    assert_eq!(
        km.lookup(Mode::Queue, &keys("j")),
        Lookup::Matched(Action::Down)
    );
    assert_eq!(
        km.lookup(Mode::Queue, &keys("zd")),
        Lookup::Matched(Action::Snooze("1d".into()))
    );
    let Lookup::Pending(hints) = km.lookup(Mode::Queue, &keys("z")) else {
        panic!("z is a prefix in queue");
    };
    assert_eq!(
        hints,
        [
            Hint {
                key: Key::char('4'),
                label: "Snooze 4 hours".into()
            },
            Hint {
                key: Key::char('d'),
                label: "Snooze 1 day".into()
            },
            Hint {
                key: Key::char('h'),
                label: "Snooze 1 hour".into()
            },
            Hint {
                key: Key::char('w'),
                label: "Snooze 1 week".into()
            },
        ]
    );
    assert_eq!(km.lookup(Mode::Queue, &keys("zq")), Lookup::NotFound);
    assert_eq!(km.lookup(Mode::Queue, &keys("<F9>")), Lookup::NotFound);
    assert_eq!(
        km.lookup(Mode::Queue, &keys("jj")),
        Lookup::NotFound,
        "nothing continues past a binding"
    );
}

#[test]
fn hints_label_nested_prefixes_with_a_count() {
    let text = "\
[mode.queue]
keymap = [
  { on = [\"g\", \"a\", \"b\"], run = \"move.first\" },
  { on = [\"g\", \"a\", \"c\"], run = \"move.last\" },
  { on = [\"g\", \"a\", \"d\", \"e\"], run = \"open\" },
  { on = [\"g\", \"f\", \"g\"], run = \"reply\" },
  { on = [\"g\", \"h\"], run = \"note\" },
]
";
    let km = Keymap::load(source("base.toml", text), None).unwrap();
    assert_eq!(
        km.lookup(Mode::Queue, &keys("g")),
        Lookup::Pending(vec![
            Hint {
                key: Key::char('a'),
                label: "+3 bindings".into()
            },
            Hint {
                key: Key::char('f'),
                label: "+1 binding".into()
            },
            Hint {
                key: Key::char('h'),
                label: "Write an internal note".into()
            },
        ])
    );
}

#[test]
fn navigation_modes_fall_back_to_global() {
    let km = Keymap::load(builtin("default"), None).unwrap();
    for mode in [Mode::Queue, Mode::Thread, Mode::History] {
        assert_eq!(
            matched(&km, mode, "q"),
            Some(Action::Quit),
            "{mode} falls back"
        );
        assert_eq!(
            matched(&km, mode, "2"),
            Some(Action::Focus(Pane::Thread)),
            "{mode}"
        );
    }
    for mode in [Mode::Compose, Mode::Picker, Mode::Cmdline] {
        assert_eq!(
            km.lookup(mode, &keys("q")),
            Lookup::NotFound,
            "{mode} does not fall back: q types a q"
        );
        assert_eq!(km.lookup(mode, &keys("?")), Lookup::NotFound, "{mode}");
    }
    assert_eq!(matched(&km, Mode::Compose, "<C-s>"), Some(Action::Send));
}

#[test]
fn a_mode_binding_shadows_global_and_prefixes_merge() {
    let text = "\
[mode.global]
keymap = [
  { on = \"x\", run = \"quit\" },
  { on = [\"g\", \"h\"], run = \"help\" },
  { on = \"y\", run = \"help\" },
]
[mode.queue]
keymap = [
  { on = \"x\", run = \"reply\" },
  { on = [\"g\", \"g\"], run = \"move.first\" },
  { on = [\"y\", \"y\"], run = \"note\" },
]
";
    let km = Keymap::load(source("base.toml", text), None).unwrap();
    assert_eq!(
        matched(&km, Mode::Queue, "x"),
        Some(Action::Reply),
        "the mode's own binding wins"
    );
    assert_eq!(matched(&km, Mode::Thread, "x"), Some(Action::Quit));
    assert_eq!(
        km.lookup(Mode::Queue, &keys("g")),
        Lookup::Pending(vec![
            Hint {
                key: Key::char('g'),
                label: "First item / top".into()
            },
            Hint {
                key: Key::char('h'),
                label: "Show the key bindings".into()
            },
        ]),
        "hints show the mode's and global's keys under a shared prefix"
    );
    assert_eq!(matched(&km, Mode::Queue, "gh"), Some(Action::Help));
    assert!(
        matches!(km.lookup(Mode::Queue, &keys("y")), Lookup::Pending(_)),
        "a mode prefix shadows a global binding"
    );
    assert_eq!(matched(&km, Mode::Queue, "yy"), Some(Action::Note));
    match km.lookup(Mode::Global, &keys("g")) {
        Lookup::Pending(h) => assert_eq!(h.len(), 1, "global alone knows only g h"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn nothing_pending_offers_the_first_keys() {
    let km = Keymap::load(builtin("default"), None).unwrap();
    let Lookup::Pending(hints) = km.lookup(Mode::Cmdline, &[]) else {
        panic!("the first keys are offered");
    };
    assert!(hints.iter().any(|h| h.key == Key::plain(KeyCode::Enter)));
}

// ---------------------------------------------------------------------------------------
// keymap check

#[test]
fn check_file_good_and_bad() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "counts = true\n[mode.queue]\nkeymap = [{ on = \"<C-r>\", run = \"reply\" }]\n",
    )
    .unwrap();
    assert_eq!(Keymap::check_file(&good), Ok(()));

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[mode.queue]\nkeymap = [\n  { on = \"j\", run = \"nope\" },\n  { on = \"<Nope>\", run = \"quit\" },\n]\n",
    )
    .unwrap();
    let e = Keymap::check_file(&bad).unwrap_err();
    let lines: Vec<String> = e.iter().map(ToString::to_string).collect();
    let shown = bad.display();
    assert_eq!(
        lines,
        [
            format!("{shown}:3:21: j: unknown command \"nope\""),
            format!("{shown}:4:10: <Nope>: unknown key name <Nope>"),
        ]
    );

    let missing = dir.path().join("missing.toml");
    let e = Keymap::check_file(&missing).unwrap_err();
    assert_eq!(places(&e), [(1, 1, None)]);
    assert!(matches!(e[0].kind, ErrorKind::Unreadable(_)), "{:?}", e[0]);
}
