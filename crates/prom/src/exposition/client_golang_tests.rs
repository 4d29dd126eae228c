//! The writer against client_golang's own output.
//!
//! `tests/data/client_golang_text.txt` is what client_golang (commit 89c60c05, with
//! prometheus/common d2417e2c, built by Go 1.26.5) wrote for the families rebuilt below: a
//! `NewPedanticRegistry` gathering a `HistogramVec` observed in the same order (Alloy's evaluation
//! buckets; bounds in every float format, with const label `mid`, label values needing escapes and
//! label sets registered out of order), an unobserved `Histogram`, `MustNewConstHistogram`s (one with
//! a `+Inf` bucket of its own, one with negative bounds), `MustNewConstSummary`s (one empty, one
//! with a NaN quantile), a `GaugeVec` of awkward floats, a counter with an empty help and an untyped
//! const metric, each family written by `expfmt.MetricFamilyToText`.
//! `client_golang_gauge_histogram.txt` is `expfmt.MetricFamilyToText` of a hand-built
//! `GAUGE_HISTOGRAM` family, which no client_golang collector produces.

use super::*;
use proptest::prelude::*;

const EVAL_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];
const REQ_BUCKETS: &[f64] = &[
    1e-07,
    0.001,
    0.25,
    1.0,
    2.5,
    100000.0,
    123456789.0,
    1e21,
    1.5e300,
];

const EVAL: Desc = Desc::new(
    "alloy_component_evaluation_seconds",
    "Time spent performing component evaluation.",
    MetricType::Histogram,
    &["controller_id", "controller_path"],
);
const REQ: Desc = Desc::new(
    "http_request_duration_seconds",
    "Request latency with \\ and \"quotes\"\nover two lines.",
    MetricType::Histogram,
    &["zone", "alpha", "mid"],
);
const EMPTY: Desc = Desc::new(
    "empty_seconds",
    "Never observed.",
    MetricType::Histogram,
    &[],
);
const CONST_HISTOGRAM: Desc = Desc::new(
    "const_histogram",
    "Given as cumulative counts.",
    MetricType::Histogram,
    &["k"],
);
const RPC: Desc = Desc::new(
    "rpc_duration_seconds",
    "RPC latency.",
    MetricType::Summary,
    &["service"],
);
const SCALARS: Desc = Desc::new("scalars", "Floats.", MetricType::Gauge, &["case"]);
const A_TOTAL: Desc = Desc::new("a_total", "", MetricType::Counter, &[]);
const A_UNTYPED: Desc = Desc::new("a:untyped", "Untyped.", MetricType::Unknown, &[]);

#[test]
fn matches_client_golang() {
    let mut set = FamilySet::new();

    let mut eval = Histogram::new(EVAL_BUCKETS);
    for v in [0.00005, 0.0001, 0.0003, 0.002, 0.7, 3.0, 0.00025, 1.234e-05] {
        eval.observe(v);
    }
    eval.push_to(set.family(&EVAL), &["", "/"]);

    // One histogram per label set, in the order they were first observed.
    let observations: &[(&str, &str, f64)] = &[
        ("z2", "b", 0.2),
        ("z2", "b", 3.0),
        ("z1", "a\"b\\c\nd", 1e-8),
        ("z1", "a\"b\\c\nd", 1e22),
        ("z1", "", 1.0),
        ("z1", "", 200000.0),
        ("z1", "", 2e300),
        ("z10", "x", 0.001),
    ];
    let mut by_labels: Vec<((&str, &str), Histogram)> = Vec::new();
    for &(zone, alpha, v) in observations {
        let i = match by_labels.iter().position(|(k, _)| *k == (zone, alpha)) {
            Some(i) => i,
            None => {
                by_labels.push(((zone, alpha), Histogram::new(REQ_BUCKETS)));
                by_labels.len() - 1
            }
        };
        by_labels[i].1.observe(v);
    }
    for ((zone, alpha), h) in &by_labels {
        set.push_value(&REQ, &[zone, alpha, "m"], &h.value().into());
    }

    Histogram::new(&[0.5, 1.0]).push_to(set.family(&EMPTY), &[]);

    let inf = f64::INFINITY;
    set.family(&CONST_HISTOGRAM).push_histogram(
        &["with_inf"],
        [(1.0, 5), (0.5, 3), (inf, 9)],
        12.5,
        9,
    );
    set.family(&CONST_HISTOGRAM).push_histogram(
        &["negative"],
        [(10.0, 4), (-1.0, 1), (0.0, 2)],
        -0.75,
        4,
    );

    let quantiles = [(0.99, 27.5), (0.5, 4.25), (0.9, f64::NAN), (0.05, 1e-05)];
    set.family(&RPC)
        .push_summary(&["b"], quantiles, 5123.25, 1000);
    set.push_value(&RPC, &["a"], &SummaryValue::default().into());

    for (case, v) in [
        ("timestamp", 1718000000.123456),
        ("small", 1.23e-05),
        ("neg_zero", -0.0),
        ("big", 1e21),
        ("int", 123456.0),
        ("seven_digits", 1234567.0),
        ("neg", -2.5),
        ("minus_one", -1.0),
        ("nan", f64::NAN),
        ("inf", inf),
        ("ninf", f64::NEG_INFINITY),
        ("max", f64::MAX),
        ("tiny", 5e-324),
    ] {
        set.push(&SCALARS, &[case], v);
    }
    set.push(&A_TOTAL, &[], u64::MAX as f64);
    set.push(&A_UNTYPED, &[], 42.0);

    let want = include_str!("../../tests/data/client_golang_text.txt");
    pretty_assert(&set.encode_to_string(), want);
}

#[test]
fn gauge_histogram_matches_expfmt() {
    let mut set = FamilySet::new();
    let f = set.family_with(
        "queue_size_bytes",
        "A gauge histogram.",
        MetricType::GaugeHistogram,
        &["queue"],
    );
    f.push_histogram(&["q1"], [(1024.0, 2)], 2048.5, 3);
    let want = include_str!("../../tests/data/client_golang_gauge_histogram.txt");
    pretty_assert(&set.encode_to_string(), want);
}

fn pretty_assert(got: &str, want: &str) {
    if got != want {
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(g, w, "line {}", i + 1);
        }
        assert_eq!(got, want);
    }
}

#[test]
fn info_and_stateset_are_gauges_in_the_text_format() {
    let mut set = FamilySet::new();
    set.family_with("build_info", "Build.", MetricType::Info, &["version"])
        .push(&["1"], 1.0);
    set.family_with("feature", "State.", MetricType::Stateset, &["feature"])
        .push(&["a"], 0.0);
    assert_eq!(
        set.encode_to_string(),
        "# HELP build_info Build.\n# TYPE build_info gauge\nbuild_info{version=\"1\"} 1\n\
         # HELP feature State.\n# TYPE feature gauge\nfeature{feature=\"a\"} 0\n"
    );
}

#[test]
fn histogram_samples_reuse_buffers_and_keep_views() {
    let mut set = FamilySet::new();
    let mut h = Histogram::new(&[1.0, 2.0, f64::INFINITY]);
    assert_eq!(h.bounds(), &[1.0, 2.0]);
    h.observe(1.5);
    h.observe(f64::NAN);
    assert_eq!(h.count(), 2);
    assert!(h.sum().is_nan());
    h.push_to(set.family(&EMPTY), &[]);
    let f = set.get("empty_seconds").unwrap();
    let s = f.samples().next().unwrap();
    assert_eq!(s.points(), &[(1.0, 0.0), (2.0, 1.0)]);
    assert_eq!(s.count(), Some(2.0));
    assert!(set.encode_to_string().ends_with(
        "empty_seconds_bucket{le=\"+Inf\"} 2\nempty_seconds_sum NaN\nempty_seconds_count 2\n"
    ));
    set.clear();
    assert_eq!(set.encode_to_string(), "");
    Histogram::new(&[1.0]).push_to(set.family(&EMPTY), &[]);
    assert_eq!(
        set.encode_to_string(),
        "# HELP empty_seconds Never observed.\n# TYPE empty_seconds histogram\n\
         empty_seconds_bucket{le=\"1\"} 0\nempty_seconds_bucket{le=\"+Inf\"} 0\n\
         empty_seconds_sum 0\nempty_seconds_count 0\n"
    );
}

#[test]
#[should_panic(expected = "increasing order")]
fn histogram_bounds_must_increase() {
    Histogram::new(&[1.0, 1.0]);
}

/// A parsed line: `(a, zz)` label values, then name, `le` (NaN for none) and value.
type Line = ((String, String), (String, f64, f64));

/// Finite bounds, strictly increasing.
fn bounds() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::btree_set(-1_000_000i64..1_000_000, 0..12)
        .prop_map(|s| s.into_iter().map(|n| n as f64 / 64.0).collect())
}

fn observation() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => (-20_000_000i64..20_000_000).prop_map(|n| n as f64 / 64.0),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::NAN),
    ]
}

proptest! {
    /// Each bucket holds the observations at most its bound, `+Inf` all of them.
    #[test]
    fn histogram_counts_like_client_golang(
        bounds in bounds(),
        obs in prop::collection::vec(observation(), 0..50),
    ) {
        let bounds: &'static [f64] = Box::leak(bounds.into_boxed_slice());
        let mut h = Histogram::new(bounds);
        for &v in &obs {
            h.observe(v);
        }
        let want: Vec<(f64, u64)> = bounds
            .iter()
            .map(|&b| (b, obs.iter().filter(|&&v| v <= b).count() as u64))
            .collect();
        prop_assert_eq!(h.cumulative().collect::<Vec<_>>(), want);
        prop_assert_eq!(h.count(), obs.len() as u64);
    }

    /// Whatever order buckets and label sets come in, the text lists each label set once, in
    /// label-value order, its buckets in bound order ending with `+Inf`, then `_sum` and `_count`;
    /// and Prometheus' parser reads back every number.
    #[test]
    fn histogram_text_layout(
        samples in prop::collection::vec(
            (
                "[a-c]{0,2}",
                "[a-c\"\\\\\n]{0,2}",
                bounds(),
                prop::collection::vec(0u64..1000, 12),
                -1e6f64..1e6,
                any::<bool>(),
            ),
            1..6,
        ),
    ) {
        const DESC: Desc = Desc::new("h", "H.", MetricType::Histogram, &["zz", "a"]);
        let mut set = FamilySet::new();
        let mut expected: std::collections::BTreeMap<(String, String), Vec<(f64, f64)>> =
            Default::default();
        for (zz, a, bounds, increments, sum, reversed) in &samples {
            let mut cumulative = 0;
            let mut buckets: Vec<(f64, u64)> = bounds
                .iter()
                .zip(increments)
                .map(|(&b, &n)| {
                    cumulative += n;
                    (b, cumulative)
                })
                .collect();
            let count = cumulative + 7;
            let mut lines: Vec<(f64, f64)> =
                buckets.iter().map(|&(b, c)| (b, c as f64)).collect();
            lines.push((f64::INFINITY, count as f64));
            if *reversed {
                buckets.reverse();
            }
            set.family(&DESC).push_histogram(&[zz, a], buckets, *sum, count);
            lines.push((f64::NAN, *sum));
            lines.push((f64::NAN, count as f64));
            // The first sample of a label set is kept.
            expected.entry((a.clone(), zz.clone())).or_insert(lines);
        }
        let text = set.encode_to_string();
        let mut parser = crate::text_parse::PromParser::new(text.as_bytes());
        let mut got: Vec<Line> = Vec::new();
        let mut labels = crate::labels::LabelsBuilder::new();
        while let Some(e) = parser.next_entry().unwrap() {
            if let crate::text_parse::Entry::Sample(s) = e {
                prop_assert_eq!(s.metric_type(), MetricType::Histogram);
                s.write_labels(&mut labels);
                let le = labels
                    .get("le")
                    .map(|v| crate::text_parse::parse_prom_float(v.as_bytes()).unwrap())
                    .unwrap_or(f64::NAN);
                let name = s.metric_name().into_owned();
                got.push((
                    (
                        labels.get("a").unwrap_or("").to_owned(),
                        labels.get("zz").unwrap_or("").to_owned(),
                    ),
                    (name, le, s.value()),
                ));
            }
        }
        let mut want = Vec::new();
        for (key, lines) in &expected {
            let n = lines.len();
            for (i, &(le, v)) in lines.iter().enumerate() {
                let name = match n - i {
                    1 => "h_count",
                    2 => "h_sum",
                    _ => "h_bucket",
                };
                want.push((key.clone(), (name.to_owned(), le, v)));
            }
        }
        // NaN `le` marks lines without one; compare bit patterns.
        let bits = |v: &[Line]| {
            v.iter()
                .map(|(k, (n, le, x))| (k.clone(), n.clone(), le.to_bits(), x.to_bits()))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(bits(&got), bits(&want));
    }
}
