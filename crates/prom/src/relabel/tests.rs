//! Every case of Prometheus' and Alloy's `relabel_test.go` (`TestRelabel`, `TestRelabelValidate`,
//! `TestTargetLabelValidity`), as data, plus cases for Go's `Regexp.Expand` and RE2 syntax details.

use super::*;
use Action::*;

/// A rule as the Go tests write it: unset fields take the defaults.
#[derive(Clone, Copy)]
struct R {
    src: Option<&'static [&'static str]>,
    sep: Option<&'static str>,
    regex: Option<&'static str>,
    modulus: u64,
    target: &'static str,
    repl: Option<&'static str>,
    action: Action,
}

const D: R = R {
    src: None,
    sep: None,
    regex: None,
    modulus: 0,
    target: "",
    repl: None,
    action: Replace,
};

impl R {
    fn config(self) -> RuleConfig {
        let def = RuleConfig::default();
        RuleConfig {
            source_labels: self.src.map(|s| s.iter().map(|x| x.to_string()).collect()),
            separator: self.sep.map_or(def.separator, str::to_string),
            regex: self
                .regex
                .map_or(def.regex, |r| Regex::new(r).expect("test regex compiles")),
            modulus: self.modulus,
            target_label: self.target.to_string(),
            replacement: self.repl.map_or(def.replacement, str::to_string),
            action: self.action,
        }
    }
}

struct Case {
    input: &'static [(&'static str, &'static str)],
    rules: &'static [R],
    /// `None`: the set is dropped.
    output: Option<&'static [(&'static str, &'static str)]>,
}

const PORTS: &[(&str, &str)] = &[
    ("__tmp_port", "1234"),
    ("__port1", "1234"),
    ("__port2", "5678"),
];

const CASES: &[Case] = &[
    Case {
        input: &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("f(.*)"),
            target: "d",
            sep: Some(";"),
            repl: Some("ch${1}-ch${1}"),
            ..D
        }],
        output: Some(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "choo-choo")]),
    },
    Case {
        input: &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        rules: &[
            R {
                src: Some(&["a", "b"]),
                regex: Some("f(.*);(.*)r"),
                target: "a",
                repl: Some("b${1}${2}m"),
                ..D
            },
            R {
                src: Some(&["c", "a"]),
                regex: Some("(b).*b(.*)ba(.*)"),
                target: "d",
                repl: Some("$1$2$2$3"),
                ..D
            },
        ],
        output: Some(&[("a", "boobam"), ("b", "bar"), ("c", "baz"), ("d", "boooom")]),
    },
    Case {
        input: &[("a", "foo")],
        rules: &[
            R {
                src: Some(&["a"]),
                regex: Some(".*o.*"),
                action: Drop,
                ..D
            },
            R {
                src: Some(&["a"]),
                regex: Some("f(.*)"),
                target: "d",
                repl: Some("ch$1-ch$1"),
                ..D
            },
        ],
        output: None,
    },
    Case {
        input: &[("a", "foo"), ("b", "bar")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some(".*o.*"),
            action: Drop,
            ..D
        }],
        output: None,
    },
    Case {
        input: &[("a", "abc")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some(".*(b).*"),
            target: "d",
            repl: Some("$1"),
            ..D
        }],
        output: Some(&[("a", "abc"), ("d", "b")]),
    },
    Case {
        input: &[("a", "foo")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("no-match"),
            action: Drop,
            ..D
        }],
        output: Some(&[("a", "foo")]),
    },
    // Anchoring: "f|o" must match the whole value, so "foo" is kept.
    Case {
        input: &[("a", "foo")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("f|o"),
            action: Drop,
            ..D
        }],
        output: Some(&[("a", "foo")]),
    },
    Case {
        input: &[("a", "foo")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("no-match"),
            action: Keep,
            ..D
        }],
        output: None,
    },
    Case {
        input: &[("a", "foo")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("f.*"),
            action: Keep,
            ..D
        }],
        output: Some(&[("a", "foo")]),
    },
    // No replacement must be applied if there is no match.
    Case {
        input: &[("a", "boo")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("f"),
            target: "b",
            repl: Some("bar"),
            ..D
        }],
        output: Some(&[("a", "boo")]),
    },
    // Blank replacement deletes the label.
    Case {
        input: &[("a", "foo"), ("f", "baz")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("(f).*"),
            target: "$1",
            repl: Some("$2"),
            ..D
        }],
        output: Some(&[("a", "foo")]),
    },
    Case {
        input: &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        rules: &[R {
            src: Some(&["c"]),
            target: "d",
            action: HashMod,
            modulus: 1000,
            ..D
        }],
        output: Some(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "976")]),
    },
    Case {
        input: &[("a", "foo\nbar")],
        rules: &[R {
            src: Some(&["a"]),
            target: "b",
            action: HashMod,
            modulus: 1000,
            ..D
        }],
        output: Some(&[("a", "foo\nbar"), ("b", "734")]),
    },
    Case {
        input: &[("a", "foo"), ("b1", "bar"), ("b2", "baz")],
        rules: &[R {
            regex: Some("(b.*)"),
            repl: Some("bar_${1}"),
            action: LabelMap,
            ..D
        }],
        output: Some(&[
            ("a", "foo"),
            ("b1", "bar"),
            ("b2", "baz"),
            ("bar_b1", "bar"),
            ("bar_b2", "baz"),
        ]),
    },
    Case {
        input: &[
            ("a", "foo"),
            ("__meta_my_bar", "aaa"),
            ("__meta_my_baz", "bbb"),
            ("__meta_other", "ccc"),
        ],
        rules: &[R {
            regex: Some("__meta_(my.*)"),
            repl: Some("${1}"),
            action: LabelMap,
            ..D
        }],
        output: Some(&[
            ("a", "foo"),
            ("__meta_my_bar", "aaa"),
            ("__meta_my_baz", "bbb"),
            ("__meta_other", "ccc"),
            ("my_bar", "aaa"),
            ("my_baz", "bbb"),
        ]),
    },
    Case {
        input: &[("a", "some-name-value")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("some-([^-]+)-([^,]+)"),
            repl: Some("${2}"),
            target: "${1}",
            ..D
        }],
        output: Some(&[("a", "some-name-value"), ("name", "value")]),
    },
    // The replacement expands to "", which deletes the (absent) target.
    Case {
        input: &[("a", "some-name-value")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("some-([^-]+)-([^,]+)"),
            repl: Some("${3}"),
            target: "${1}",
            ..D
        }],
        output: Some(&[("a", "some-name-value")]),
    },
    // The target expands to "", an invalid name: nothing happens.
    Case {
        input: &[("a", "some-name-0")],
        rules: &[
            R {
                src: Some(&["a"]),
                regex: Some("some-([^-]+)-([^,]+)"),
                repl: Some("${1}"),
                target: "${3}",
                ..D
            },
            R {
                src: Some(&["a"]),
                regex: Some("some-([^-]+)-([^,]+)"),
                repl: Some("${1}"),
                target: "${3}",
                ..D
            },
            R {
                src: Some(&["a"]),
                regex: Some("some-([^-]+)(-[^,]+)"),
                repl: Some("${1}"),
                target: "${3}",
                ..D
            },
        ],
        output: Some(&[("a", "some-name-0")]),
    },
    Case {
        input: &[("__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar")],
        rules: &[
            R {
                src: Some(&["__meta_sd_tags"]),
                regex: Some("(?:.+,|^)path:(/[^,]+).*"),
                repl: Some("${1}"),
                target: "__metrics_path__",
                ..D
            },
            R {
                src: Some(&["__meta_sd_tags"]),
                regex: Some("(?:.+,|^)job:([^,]+).*"),
                repl: Some("${1}"),
                target: "job",
                ..D
            },
            R {
                src: Some(&["__meta_sd_tags"]),
                regex: Some("(?:.+,|^)label:([^=]+)=([^,]+).*"),
                repl: Some("${2}"),
                target: "${1}",
                ..D
            },
        ],
        output: Some(&[
            ("__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"),
            ("__metrics_path__", "/secret"),
            ("job", "some-job"),
            ("foo", "bar"),
        ]),
    },
    // prometheus/prometheus#12283: labeldrop then re-adding the same name.
    Case {
        input: &[
            ("__meta_kubernetes_pod_container_port_name", "foo"),
            ("__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"),
        ],
        rules: &[
            R {
                regex: Some("^__meta_kubernetes_pod_container_port_name$"),
                action: LabelDrop,
                ..D
            },
            R {
                src: Some(&["__meta_kubernetes_pod_annotation_XXX_metrics_port"]),
                regex: Some("(.+)"),
                repl: Some("metrics"),
                target: "__meta_kubernetes_pod_container_port_name",
                ..D
            },
            R {
                src: Some(&["__meta_kubernetes_pod_container_port_name"]),
                regex: Some("^metrics$"),
                action: Keep,
                ..D
            },
        ],
        output: Some(&[
            ("__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"),
            ("__meta_kubernetes_pod_container_port_name", "metrics"),
        ]),
    },
    Case {
        input: &[("a", "foo"), ("b1", "bar"), ("b2", "baz")],
        rules: &[R {
            regex: Some("(b.*)"),
            action: LabelKeep,
            ..D
        }],
        output: Some(&[("b1", "bar"), ("b2", "baz")]),
    },
    Case {
        input: &[("a", "foo"), ("b1", "bar"), ("b2", "baz")],
        rules: &[R {
            regex: Some("(b.*)"),
            action: LabelDrop,
            ..D
        }],
        output: Some(&[("a", "foo")]),
    },
    Case {
        input: &[("foo", "bAr123Foo")],
        rules: &[
            R {
                src: Some(&["foo"]),
                action: Uppercase,
                target: "foo_uppercase",
                ..D
            },
            R {
                src: Some(&["foo"]),
                action: Lowercase,
                target: "foo_lowercase",
                ..D
            },
        ],
        output: Some(&[
            ("foo", "bAr123Foo"),
            ("foo_lowercase", "bar123foo"),
            ("foo_uppercase", "BAR123FOO"),
        ]),
    },
    Case {
        input: PORTS,
        rules: &[R {
            src: Some(&["__tmp_port"]),
            action: KeepEqual,
            target: "__port1",
            ..D
        }],
        output: Some(PORTS),
    },
    Case {
        input: PORTS,
        rules: &[R {
            src: Some(&["__tmp_port"]),
            action: DropEqual,
            target: "__port1",
            ..D
        }],
        output: None,
    },
    Case {
        input: PORTS,
        rules: &[R {
            src: Some(&["__tmp_port"]),
            action: DropEqual,
            target: "__port2",
            ..D
        }],
        output: Some(PORTS),
    },
    Case {
        input: PORTS,
        rules: &[R {
            src: Some(&["__tmp_port"]),
            action: KeepEqual,
            target: "__port2",
            ..D
        }],
        output: None,
    },
    // --- ingot's own cases ---
    // (?s): `.` matches a newline inside a value.
    Case {
        input: &[("a", "x\ny")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("x.y"),
            action: Keep,
            ..D
        }],
        output: Some(&[("a", "x\ny")]),
    },
    // Missing source labels join as empty strings.
    Case {
        input: &[("a", "1")],
        rules: &[R {
            src: Some(&["a", "missing", "a"]),
            target: "j",
            ..D
        }],
        output: Some(&[("a", "1"), ("j", "1;;1")]),
    },
    // Default replace with no source labels sets a static value.
    Case {
        input: &[("a", "1")],
        rules: &[R {
            target: "cluster",
            repl: Some("dev"),
            ..D
        }],
        output: Some(&[("a", "1"), ("cluster", "dev")]),
    },
    // Go's Expand: `$1x` names group "1x" (absent, empty); `$$` is a dollar; a lone `$` stays.
    Case {
        input: &[("a", "v")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("(v)"),
            target: "t",
            repl: Some("$1x|${1}x|$$1|$|${1"),
            ..D
        }],
        output: Some(&[("a", "v"), ("t", "|vx|$1|$|${1")]),
    },
    // Named groups.
    Case {
        input: &[("a", "k=v")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("(?P<key>\\w+)=(?P<val>\\w+)"),
            target: "$key",
            repl: Some("${val}!"),
            ..D
        }],
        output: Some(&[("a", "k=v"), ("k", "v!")]),
    },
    // \d and \w are ASCII, as in Go: Arabic-Indic digits are not \d.
    Case {
        input: &[("a", "\u{661}\u{662}")],
        rules: &[R {
            src: Some(&["a"]),
            regex: Some("\\d+"),
            action: Drop,
            ..D
        }],
        output: Some(&[("a", "\u{661}\u{662}")]),
    },
    // Case mapping is rune by rune as Go's unicode.ToUpper/ToLower: ß and ﬁ have no one-character
    // capital and stay, ᾳ takes its capital with prosgegrammeni, İ lowercases to a plain i.
    Case {
        input: &[("a", "straße ﬁx ᾳ"), ("b", "İSTANBUL")],
        rules: &[
            R {
                src: Some(&["a"]),
                action: Uppercase,
                target: "up",
                ..D
            },
            R {
                src: Some(&["b"]),
                action: Lowercase,
                target: "down",
                ..D
            },
        ],
        output: Some(&[
            ("a", "straße ﬁx ᾳ"),
            ("b", "İSTANBUL"),
            ("down", "istanbul"),
            ("up", "STRAßE ﬁX ᾼ"),
        ]),
    },
    // Lowercase of an empty value deletes the target (an empty value is no label).
    Case {
        input: &[("a", "x"), ("t", "old")],
        rules: &[R {
            src: Some(&["missing"]),
            action: Lowercase,
            target: "t",
            ..D
        }],
        output: Some(&[("a", "x")]),
    },
    // A labelmap result is not mapped again by the same rule.
    Case {
        input: &[("a_x", "1")],
        rules: &[R {
            regex: Some("a_(.*)"),
            repl: Some("a_a_$1"),
            action: LabelMap,
            ..D
        }],
        output: Some(&[("a_x", "1"), ("a_a_x", "1")]),
    },
    // Case-insensitive flag, and quoted text with \Q…\E.
    Case {
        input: &[("a", "FOO.bar")],
        rules: &[
            R {
                src: Some(&["a"]),
                regex: Some("(?i)foo\\Q.\\Ebar"),
                action: Keep,
                ..D
            },
            R {
                src: Some(&["a"]),
                regex: Some("[[:upper:]]+[.]bar"),
                action: Keep,
                ..D
            },
        ],
        output: Some(&[("a", "FOO.bar")]),
    },
];

fn labels_of(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs)
}

#[test]
fn relabel_cases() {
    for (i, case) in CASES.iter().enumerate() {
        let rules: Vec<Rule> = case
            .rules
            .iter()
            .map(|r| Rule::new(r.config()).unwrap_or_else(|e| panic!("case {i}: {e}")))
            .collect();
        let got = process_labels(&rules, &labels_of(case.input));
        let want = case.output.map(labels_of);
        assert_eq!(got, want, "case {i}");
    }
}

#[test]
fn validation_messages() {
    let cases: &[(R, &str)] = &[
        (R { target: "", ..D }, "relabel configuration for replace action requires 'target_label' value"),
        (R { action: Lowercase, ..D }, "relabel configuration for lowercase action requires 'target_label' value"),
        // With UTF-8 names this is a legal rule.
        (R { action: Lowercase, target: "${3}", ..D }, ""),
        (R { src: Some(&["a"]), regex: Some("some-([^-]+)-([^,]+)"), repl: Some("${1}"), target: "${3}", ..D }, ""),
        (R { src: Some(&["a"]), regex: Some("some-([^-]+)-([^,]+)"), repl: Some("${1}"), target: "0${3}", ..D }, "\"0${3}\" is invalid 'target_label' for replace action"),
        (R { src: Some(&["a"]), regex: Some("some-([^-]+)-([^,]+)"), repl: Some("${1}"), target: "-${3}", ..D }, "\"-${3}\" is invalid 'target_label' for replace action"),
        (R { action: HashMod, target: "t", ..D }, "relabel configuration for hashmod requires non-zero modulus"),
        (R { action: HashMod, modulus: 2, ..D }, "relabel configuration for hashmod action requires 'target_label' value"),
        (R { action: Uppercase, target: "t", repl: Some("x"), ..D }, "'replacement' can not be set for uppercase action"),
        (R { action: LabelMap, repl: Some("-x"), ..D }, "\"-x\" is invalid 'replacement' for labelmap action"),
        (R { action: LabelDrop, src: Some(&[]), ..D }, "labeldrop action requires only 'regex', and no other fields"),
        (R { action: LabelKeep, target: "x", ..D }, "labelkeep action requires only 'regex', and no other fields"),
        (R { action: LabelKeep, sep: Some(","), ..D }, "labelkeep action requires only 'regex', and no other fields"),
        (R { action: KeepEqual, target: "x", regex: Some("a"), ..D }, "keepequal action requires only 'source_labels' and 'target_label', and no other fields"),
        (R { action: DropEqual, target: "x", modulus: 3, ..D }, "dropequal action requires only 'source_labels' and 'target_label', and no other fields"),
        (R { action: DropEqual, target: "x", src: Some(&["a"]), ..D }, ""),
    ];
    for (i, (r, want)) in cases.iter().enumerate() {
        let got = Rule::new(r.config()).err().unwrap_or_default();
        assert_eq!(&got, want, "case {i}");
    }
}

#[test]
fn target_label_template_validity() {
    let cases = [
        ("-label", false),
        ("label", true),
        ("label${1}", true),
        ("${1}label", true),
        ("${1}", true),
        ("${", false),
        ("$", false),
        ("${}", false),
        ("foo${", false),
        ("$1", true),
        ("asd$2asd", true),
        ("-foo${1}bar-", false),
        ("_${1}_", true),
        ("foo${bar}foo", true),
    ];
    for (s, valid) in cases {
        assert_eq!(is_valid_target_template(s), valid, "{s:?}");
    }
}

#[test]
fn actions_parse_exactly() {
    for a in Action::ALL {
        assert_eq!(a.as_str().parse::<Action>(), Ok(a));
    }
    assert_eq!(
        "Replace".parse::<Action>(),
        Err("unrecognized action type \"Replace\"".to_string())
    );
}

#[test]
fn hashmod_is_md5_tail_big_endian() {
    // Values from Prometheus' tests.
    assert_eq!(hashmod("baz", 1000), 976);
    assert_eq!(hashmod("foo\nbar", 1000), 734);
    // md5("") = d41d8cd98f00b204e9800998ecf8427e; tail 0xe9800998ecf8427e.
    assert_eq!(hashmod("", 1 << 32), 0xecf8_427e);
}

#[test]
fn regex_translation_keeps_go_meaning() {
    let m = |re: &str, s: &str| Regex::new(re).unwrap().is_match(s);
    assert!(m("\\w+", "abc_1"));
    assert!(!m("\\w+", "é"));
    assert!(m("\\W", "é"));
    assert!(m("\\s", "\t"));
    assert!(!m("\\s", "\u{a0}"));
    assert!(m("a\\bb|a b", "a b"));
    // `[` inside a class is a literal in Go.
    assert!(m("[a[]+", "a[a"));
    assert!(m("[]a]+", "]a"));
    assert!(m("[^]a]", "b"));
    assert!(m("[a&&b]+", "a&b"));
    assert!(m("[\\d.]+", "1.5"));
    // Anchoring applies to every alternative.
    assert!(!m("a|b", "ab"));
    assert!(Regex::new("(")
        .unwrap_err()
        .starts_with("error parsing regexp: "));
}

#[test]
fn scratch_is_reusable_across_sets() {
    let rules = vec![
        Rule::new(
            R {
                src: Some(&["a"]),
                target: "b",
                ..D
            }
            .config(),
        )
        .unwrap(),
        Rule::new(
            R {
                regex: Some("a"),
                action: LabelDrop,
                ..D
            }
            .config(),
        )
        .unwrap(),
    ];
    let mut scratch = Scratch::default();
    for v in ["1", "22", "333"] {
        let mut lb = labels_of(&[("a", v)]).to_builder();
        assert!(process_with(
            &rules,
            &mut lb,
            &mut scratch,
            NameScheme::Utf8
        ));
        assert_eq!(lb.labels(), labels_of(&[("b", v)]));
    }
}

#[test]
fn legacy_scheme_skips_replace_into_names_prometheus_would_reject() {
    // prometheus.relabel runs Alloy's UTF-8-validated rules under Prometheus' legacy scheme: a
    // replace into `service.name` (literal or expanded) passes validation but writes nothing.
    let rules: Vec<Rule> = ["service.name", "${1}", "ok_name"]
        .into_iter()
        .map(|target| {
            Rule::new(
                R {
                    src: Some(&["a"]),
                    target,
                    regex: Some("(.*)"),
                    ..D
                }
                .config(),
            )
            .unwrap()
        })
        .collect();
    let run = |scheme| {
        let mut lb = labels_of(&[("a", "k.v")]).to_builder();
        assert!(process_with(
            &rules,
            &mut lb,
            &mut Scratch::default(),
            scheme
        ));
        lb.labels()
    };
    assert_eq!(
        run(NameScheme::Legacy),
        labels_of(&[("a", "k.v"), ("ok_name", "k.v")])
    );
    assert_eq!(
        run(NameScheme::Utf8),
        labels_of(&[
            ("a", "k.v"),
            ("k.v", "k.v"),
            ("ok_name", "k.v"),
            ("service.name", "k.v")
        ])
    );
}
