//! The fuzz targets' seed corpora as ordinary tests, on the stable toolchain: every file under
//! `seeds/<target>/` goes through that target's body (`ingot_fuzz::TARGETS`), and so do a few fixed
//! edge cases. A failure names every input that panicked and how.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn seed_files(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("seeds").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `f` on each input, and fails listing every one that panicked.
fn run_all(target: &str, inputs: impl IntoIterator<Item = (String, Vec<u8>)>) -> usize {
    let f = ingot_fuzz::target(target).unwrap_or_else(|| panic!("no target {target}"));
    let mut failures = Vec::new();
    let mut n = 0;
    for (name, bytes) in inputs {
        n += 1;
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(&bytes))) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            failures.push(format!("{target}: {name}: {msg}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} input(s) panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
    n
}

fn run_seeds(target: &str) {
    let files = seed_files(target);
    assert!(!files.is_empty(), "seeds/{target}/ has no seed");
    let inputs = files.into_iter().map(|p| {
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        (p.display().to_string(), bytes)
    });
    run_all(target, inputs);
}

#[test]
fn parse_config_seeds() {
    run_seeds("parse_config");
}

#[test]
fn eval_config_seeds() {
    run_seeds("eval_config");
}

#[test]
fn parse_exposition_seeds() {
    run_seeds("parse_exposition");
}

#[test]
fn receive_http_decode_seeds() {
    run_seeds("receive_http_decode");
}

/// Inputs every target must take: nothing, each single byte, invalid UTF-8, a BOM, lone
/// delimiters, truncated escapes, long runs, and a little nesting.
fn edge_cases() -> Vec<(String, Vec<u8>)> {
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), Vec::new()),
        ("invalid UTF-8".into(), vec![0xff, 0xfe, 0x80, b'a', 0xc3]),
        ("BOM".into(), "\u{feff}".into()),
        ("NUL line".into(), b"\0\n\0".to_vec()),
        ("CRLF".into(), b"a = 1\r\nb{c=\"d\"} 1\r\n".to_vec()),
        ("open string".into(), b"x = \"abc".to_vec()),
        ("truncated escape".into(), b"\"\\x4".to_vec()),
        ("open block comment".into(), b"/* never closed".to_vec()),
        ("long run".into(), vec![b'a'; 100_000]),
        ("long line of digits".into(), vec![b'9'; 10_000]),
        ("many lines".into(), b"m 1\n".repeat(10_000)),
        (
            "nested arrays".into(),
            format!("x = {}{}", "[".repeat(50), "]".repeat(50)).into_bytes(),
        ),
        (
            "nested objects".into(),
            format!("x = {}{}", "{a=".repeat(50), "}".repeat(50)).into_bytes(),
        ),
        (
            "nested blocks".into(),
            format!("{}{}", "b {\n".repeat(50), "}\n".repeat(50)).into_bytes(),
        ),
        (
            "nested parens".into(),
            format!("x = {}1{}", "(".repeat(50), ")".repeat(50)).into_bytes(),
        ),
        ("EOF only".into(), b"# EOF\n".to_vec()),
        (
            "snappy header only".into(),
            vec![0x80, 0x80, 0x80, 0x80, 0x10],
        ),
    ];
    for b in 0..=255u8 {
        cases.push((format!("byte {b:#04x}"), vec![b]));
    }
    cases
}

#[test]
fn every_target_takes_the_edge_cases() {
    for (name, _) in ingot_fuzz::TARGETS {
        run_all(name, edge_cases());
    }
}

/// `TARGETS`, `fuzz_targets/*.rs`, the `[[bin]]`s and `seeds/*/` name the same targets.
#[test]
fn targets_binaries_and_seed_dirs_agree() {
    let names: Vec<&str> = ingot_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
    let listed = |dir: &str, strip: &str| {
        let mut v: Vec<String> = std::fs::read_dir(fuzz_dir().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .map(|n| n.strip_suffix(strip).map(str::to_string).unwrap_or(n))
            .collect();
        v.sort();
        v
    };
    let mut sorted: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    assert_eq!(
        listed("fuzz_targets", ".rs"),
        sorted,
        "fuzz_targets/ and TARGETS differ"
    );
    assert_eq!(listed("seeds", ""), sorted, "seeds/ and TARGETS differ");
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for n in names {
        assert!(
            manifest.contains(&format!("name = \"{n}\"\npath = \"fuzz_targets/{n}.rs\"")),
            "Cargo.toml has no [[bin]] for {n}"
        );
    }
}

/// The `receive_http_decode` seeds that ingot's own remote-write encoder writes: name, whether the
/// bytes are a request body as sent (snappy) or the bare protobuf message, the protocol, and the
/// samples the body carries.
mod remote_write_seeds {
    use std::collections::HashMap;

    use ingot_prom::labels::Labels;
    use ingot_prom::remote_write::encode::{encode_v1, encode_v2, snappy_compress};
    use ingot_prom::remote_write::{ExternalLabels, Protocol};
    use ingot_prom::sample::{stale_nan, Exemplar, Metadata, Sample};

    pub struct Seed {
        pub file: &'static str,
        pub bytes: Vec<u8>,
        pub protocol: Protocol,
        /// Samples `decode_request` gives for it (read as a body), or `None` when it refuses it.
        pub samples: Option<usize>,
    }

    fn sample(pairs: &[(&str, &str)], ts: i64, value: f64) -> Sample {
        Sample {
            labels: Labels::from_pairs(pairs),
            timestamp_ms: ts,
            value,
            exemplar: None,
        }
    }

    fn samples() -> Vec<Sample> {
        let mut with_exemplar = sample(
            &[
                ("__name__", "http_requests_total"),
                ("code", "200"),
                ("job", "api"),
            ],
            1_700_000_000_000,
            1027.0,
        );
        with_exemplar.exemplar = Some(Box::new(Exemplar {
            labels: Labels::from_pairs(&[("trace_id", "4bf92f3577b34da6")]),
            value: 0.25,
            timestamp_ms: Some(1_700_000_000_001),
        }));
        vec![
            sample(
                &[
                    ("__name__", "up"),
                    ("instance", "host:9100"),
                    ("job", "node"),
                ],
                1_700_000_000_000,
                1.0,
            ),
            with_exemplar,
            sample(
                &[("__name__", "node_load1"), ("instance", "host:9100")],
                1_700_000_015_000,
                0.42,
            ),
            sample(
                &[("__name__", "gone"), ("job", "node")],
                1_700_000_030_000,
                stale_nan(),
            ),
            sample(
                &[("__name__", "edge"), ("le", "+Inf"), ("utf8 name", "é€😀")],
                -1,
                f64::INFINITY,
            ),
            sample(&[("__name__", "zero"), ("empty", "")], 0, -0.0),
        ]
    }

    fn metadata() -> Vec<Metadata> {
        vec![
            Metadata {
                metric_family: "http_requests_total".into(),
                kind: ingot_prom::MetricType::Counter,
                help: "Requests served.".into(),
                unit: String::new(),
            },
            Metadata {
                metric_family: "node_load1".into(),
                kind: ingot_prom::MetricType::Gauge,
                help: "1m load average.".into(),
                unit: "ratio".into(),
            },
        ]
    }

    fn snappy(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        snappy_compress(raw, &mut out);
        out
    }

    pub fn all() -> Vec<Seed> {
        let external = ExternalLabels::default();
        let samples = samples();
        let n = samples.len();
        let mut v1 = Vec::new();
        encode_v1(&mut v1, &external, &samples, true, &metadata());
        let mut v1_external = Vec::new();
        let cluster = ExternalLabels::new([("cluster".to_string(), "c1".to_string())]);
        encode_v1(&mut v1_external, &cluster, &samples[..2], false, &[]);
        let by_family: HashMap<String, Metadata> = metadata()
            .into_iter()
            .map(|m| (m.metric_family.clone(), m))
            .collect();
        let mut v2 = Vec::new();
        encode_v2(&mut v2, &external, &samples, true, &by_family);
        let mut nameless = Vec::new();
        encode_v1(
            &mut nameless,
            &external,
            &[sample(&[("job", "j")], 1, 1.0)],
            false,
            &[],
        );
        vec![
            Seed {
                file: "v1-samples-exemplars-metadata.snappy",
                bytes: snappy(&v1),
                protocol: Protocol::V1,
                samples: Some(n),
            },
            Seed {
                file: "v1-external-labels.snappy",
                bytes: snappy(&v1_external),
                protocol: Protocol::V1,
                samples: Some(2),
            },
            Seed {
                file: "v2-samples-exemplars-metadata.snappy",
                bytes: snappy(&v2),
                protocol: Protocol::V2,
                samples: Some(n),
            },
            Seed {
                file: "v1-nameless-series.snappy",
                bytes: snappy(&nameless),
                protocol: Protocol::V1,
                samples: None,
            },
            Seed {
                file: "v1-samples.pb",
                bytes: v1,
                protocol: Protocol::V1,
                samples: None,
            },
            Seed {
                file: "v2-samples.pb",
                bytes: v2,
                protocol: Protocol::V2,
                samples: None,
            },
        ]
    }
}

fn receive_http_seed_path(file: &str) -> PathBuf {
    fuzz_dir().join("seeds/receive_http_decode").join(file)
}

/// Writes the encoder-made `receive_http_decode` seeds:
/// `cargo test --manifest-path fuzz/Cargo.toml --test seeds -- --ignored write_receive_http_seeds`.
#[test]
#[ignore = "writes seed files"]
fn write_receive_http_seeds() {
    for seed in remote_write_seeds::all() {
        std::fs::write(receive_http_seed_path(seed.file), &seed.bytes).unwrap();
    }
}

/// The encoder-made seeds are there, and the valid ones decode to their samples, so the fuzzer starts
/// from requests that reach the end of the decoder.
#[test]
fn receive_http_seeds_decode() {
    use ingot_prometheus::receive_http::decode::decode_request;
    for seed in remote_write_seeds::all() {
        let path = receive_http_seed_path(seed.file);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (see write_receive_http_seeds)", path.display()));
        let ct = match seed.protocol {
            ingot_prom::remote_write::Protocol::V1 => "application/x-protobuf",
            ingot_prom::remote_write::Protocol::V2 => {
                "application/x-protobuf;proto=io.prometheus.write.v2.Request"
            }
        };
        let got = decode_request(Some(ct), Some("snappy"), &bytes, &[seed.protocol])
            .map(|d| d.samples.len())
            .ok();
        assert_eq!(got, seed.samples, "{}", seed.file);
    }
}
