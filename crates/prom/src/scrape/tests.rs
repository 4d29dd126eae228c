use super::*;
use crate::sample::is_stale_nan;
use std::collections::BTreeMap;

fn target() -> Labels {
    Labels::from_pairs(&[("instance", "127.0.0.1:9201"), ("job", "demo")])
}

/// `(labels text, value)` in output order; stale markers show as "stale".
fn rows(samples: &[Sample]) -> Vec<(String, String)> {
    samples
        .iter()
        .map(|s| {
            let v = if is_stale_nan(s.value) {
                "stale".to_string()
            } else {
                s.value.to_string()
            };
            (s.labels.to_string(), v)
        })
        .collect()
}

fn scrape(
    cache: &mut ScrapeCache,
    body: &str,
    opts: &ScrapeOptions,
) -> (AppendOutcome, Vec<Sample>) {
    let mut out = Vec::new();
    let o = cache.append_body(
        body.as_bytes(),
        Format::PromText,
        &target(),
        opts,
        1000,
        &mut out,
    );
    (o, out)
}

#[test]
fn target_labels_win_and_clashes_move_to_exported() {
    let mut c = ScrapeCache::new();
    let body = "demo_gauge{a=\"1\",b=\"2\"} 42\ndemo_other{job=\"orig\",instance=\"x\"} 7\n";
    let (o, out) = scrape(&mut c, body, &ScrapeOptions::default());
    assert_eq!(o.error, None);
    assert_eq!(
        (o.samples_scraped, o.samples_post_relabel, o.series_added),
        (2, 2, 2)
    );
    assert_eq!(
        rows(&out),
        [
            (r#"{__name__="demo_gauge", a="1", b="2", instance="127.0.0.1:9201", job="demo"}"#.to_string(), "42".to_string()),
            (r#"{__name__="demo_other", exported_instance="x", exported_job="orig", instance="127.0.0.1:9201", job="demo"}"#.to_string(), "7".to_string()),
        ]
    );
    assert!(out.iter().all(|s| s.timestamp_ms == 1000));
}

#[test]
fn exported_prefix_repeats_while_taken() {
    let mut c = ScrapeCache::new();
    let (_, out) = scrape(
        &mut c,
        "m{job=\"a\",exported_job=\"b\"} 1\n",
        &ScrapeOptions::default(),
    );
    assert_eq!(
        out[0].labels.to_string(),
        r#"{__name__="m", exported_exported_job="a", exported_job="b", instance="127.0.0.1:9201", job="demo"}"#
    );
}

#[test]
fn honor_labels_keeps_scraped_values() {
    let mut c = ScrapeCache::new();
    let opts = ScrapeOptions {
        honor_labels: true,
        ..Default::default()
    };
    let (_, out) = scrape(&mut c, "m{job=\"orig\"} 1\n", &opts);
    assert_eq!(
        out[0].labels.to_string(),
        r#"{__name__="m", instance="127.0.0.1:9201", job="orig"}"#
    );
}

#[test]
fn honor_labels_empty_scraped_value_shadows_the_target_label() {
    // Prometheus checks `lset.Has(name)`: a scraped `instance=""` keeps the target's instance out,
    // and the empty value then drops, so the series has no instance at all.
    let mut c = ScrapeCache::new();
    let opts = ScrapeOptions {
        honor_labels: true,
        ..Default::default()
    };
    let (_, out) = scrape(&mut c, "m{instance=\"\",a=\"\"} 1\n", &opts);
    assert_eq!(out[0].labels.to_string(), r#"{__name__="m", job="demo"}"#);
}

#[test]
fn empty_scraped_value_without_honor_labels_is_no_conflict() {
    // An empty scraped value is absent: the target's label applies and no exported_ label appears;
    // an empty exported_ name counts as free.
    let mut c = ScrapeCache::new();
    let (_, out) = scrape(
        &mut c,
        "m{instance=\"\",job=\"x\",exported_job=\"\"} 1\n",
        &ScrapeOptions::default(),
    );
    assert_eq!(
        out[0].labels.to_string(),
        r#"{__name__="m", exported_job="x", instance="127.0.0.1:9201", job="demo"}"#
    );
}

#[test]
fn empty_label_values_are_no_labels() {
    let mut c = ScrapeCache::new();
    let (_, out) = scrape(&mut c, "test{a=\"\"} 1\n", &ScrapeOptions::default());
    assert_eq!(
        out[0].labels.to_string(),
        r#"{__name__="test", instance="127.0.0.1:9201", job="demo"}"#
    );
}

#[test]
fn steady_state_reuses_cached_label_sets() {
    let mut c = ScrapeCache::new();
    let body = "a 1\nb{x=\"y\"} 2\n";
    let (o1, out1) = scrape(&mut c, body, &ScrapeOptions::default());
    let (o2, out2) = scrape(&mut c, body, &ScrapeOptions::default());
    assert_eq!((o1.series_added, o2.series_added), (2, 0));
    assert_eq!(o2.samples_scraped, 2);
    // The very same allocation: a cache hit builds nothing.
    assert_eq!(
        out1[1].labels.as_bytes().as_ptr(),
        out2[1].labels.as_bytes().as_ptr()
    );
}

#[test]
fn vanished_series_get_stale_markers_after_the_samples() {
    let mut c = ScrapeCache::new();
    scrape(
        &mut c,
        "demo_gauge 42\ndemo_other 7\n",
        &ScrapeOptions::default(),
    );
    let (o, out) = scrape(&mut c, "demo_gauge 43\n", &ScrapeOptions::default());
    assert_eq!(o.samples_scraped, 1);
    let r = rows(&out);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].1, "43");
    assert!(r[1].0.contains("demo_other") && r[1].1 == "stale", "{r:?}");
}

#[test]
fn a_malformed_body_fails_whole_and_marks_everything_stale_once() {
    let mut c = ScrapeCache::new();
    scrape(&mut c, "demo_gauge 42\n", &ScrapeOptions::default());
    let (o, out) = scrape(
        &mut c,
        "demo_gauge 43\nthis is not { valid\n",
        &ScrapeOptions::default(),
    );
    let err = o.error.expect("fails");
    assert!(err.starts_with("2:"), "{err}");
    assert_eq!(o.samples_scraped, 1);
    assert_eq!(o.series_added, 0);
    // Nothing of the failed body is kept; the previous series goes stale.
    assert_eq!(
        rows(&out),
        [(
            r#"{__name__="demo_gauge", instance="127.0.0.1:9201", job="demo"}"#.to_string(),
            "stale".to_string()
        )]
    );
    let (_, out) = scrape(&mut c, "garbage{\n", &ScrapeOptions::default());
    assert!(out.is_empty(), "no second round of markers");
    let mut out = Vec::new();
    c.append_failure(2000, &mut out);
    assert!(out.is_empty());
}

#[test]
fn duplicate_lines_keep_the_first() {
    let mut c = ScrapeCache::new();
    let (o, out) = scrape(&mut c, "a 1\na 2\n", &ScrapeOptions::default());
    assert_eq!(o.error, None);
    assert_eq!((o.samples_scraped, o.samples_post_relabel), (2, 2));
    assert_eq!(rows(&out).len(), 1);
    assert_eq!(out[0].value, 1.0);
}

#[test]
fn sample_limit_fails_after_counting_everything() {
    let mut c = ScrapeCache::new();
    let opts = ScrapeOptions {
        sample_limit: 2,
        ..Default::default()
    };
    let (o, out) = scrape(&mut c, "a 1\nb 1\nc 1\n", &opts);
    assert_eq!(o.error.as_deref(), Some("sample limit exceeded"));
    assert_eq!(o.samples_scraped, 3);
    assert!(out.is_empty());
}

#[test]
fn label_limits_use_prometheus_words() {
    let mut c = ScrapeCache::new();
    let opts = ScrapeOptions {
        label_limit: 3,
        ..Default::default()
    };
    let (o, _) = scrape(&mut c, "m{a=\"1\",b=\"2\"} 1\n", &opts);
    assert_eq!(
        o.error.as_deref(),
        Some("label_limit exceeded (metric: m, number of labels: 5, limit: 3)")
    );
    let opts = ScrapeOptions {
        label_value_length_limit: 3,
        ..Default::default()
    };
    let (o, _) = scrape(&mut c, "m{a=\"1234\"} 1\n", &opts);
    assert_eq!(
        o.error.as_deref(),
        Some("label_value_length_limit exceeded (metric: m, label name: a, value: \"1234\", length: 4, limit: 3)")
    );
    // `__name__` and `instance` are 8 long: within the limit.
    let opts = ScrapeOptions {
        label_name_length_limit: 9,
        ..Default::default()
    };
    let (o, _) = scrape(&mut c, "m{abcdefghij=\"1\"} 1\n", &opts);
    assert_eq!(
        o.error.as_deref(),
        Some("label_name_length_limit exceeded (metric: m, label name: abcdefghij, length: 10, limit: 9)")
    );
}

#[test]
fn legacy_validation_rejects_utf8_names() {
    let mut c = ScrapeCache::new();
    let (o, _) = scrape(&mut c, "{\"my.metric\"} 1\n", &ScrapeOptions::default());
    assert!(
        o.error
            .as_deref()
            .unwrap_or("")
            .starts_with("invalid metric name or label names: "),
        "{o:?}"
    );
    let opts = ScrapeOptions {
        validation: NameValidation::Utf8,
        ..Default::default()
    };
    let (o, out) = scrape(&mut ScrapeCache::new(), "{\"my.metric\"} 1\n", &opts);
    assert_eq!(o.error, None);
    assert_eq!(out[0].labels.metric_name(), "my.metric");
}

#[test]
fn timestamps_honoured_or_not_and_excluded_from_staleness() {
    let mut c = ScrapeCache::new();
    let (_, out) = scrape(&mut c, "a 1 5000\n", &ScrapeOptions::default());
    assert_eq!(out[0].timestamp_ms, 5000);
    let (_, out) = scrape(&mut c, "", &ScrapeOptions::default());
    assert!(
        out.is_empty(),
        "series with explicit timestamps get no staleness markers"
    );
    let opts = ScrapeOptions {
        honor_timestamps: false,
        ..Default::default()
    };
    let (_, out) = scrape(&mut ScrapeCache::new(), "a 1 5000\n", &opts);
    assert_eq!(out[0].timestamp_ms, 1000);
    let opts = ScrapeOptions {
        track_timestamps_staleness: true,
        ..Default::default()
    };
    let mut c = ScrapeCache::new();
    scrape(&mut c, "a 1 5000\n", &opts);
    let (_, out) = scrape(&mut c, "", &opts);
    assert_eq!(out.len(), 1);
}

#[test]
fn openmetrics_exemplars_travel_with_their_sample() {
    let mut c = ScrapeCache::new();
    let body = "# TYPE foo counter\nfoo_total 17.0 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n# EOF\n";
    let mut out = Vec::new();
    let o = c.append_body(
        body.as_bytes(),
        Format::OpenMetrics,
        &target(),
        &ScrapeOptions::default(),
        1000,
        &mut out,
    );
    assert_eq!(o.error, None);
    let ex = out[0].exemplar.as_ref().expect("exemplar");
    assert_eq!(ex.labels.to_string(), r#"{trace_id="KOO5S4vxi0o"}"#);
    assert_eq!(ex.value, 0.67);
    assert_eq!(ex.timestamp_ms, Some(1000));
}

#[test]
fn report_series_order_and_labels() {
    let r = ReportSeries::new(&target());
    let mut out = Vec::new();
    let report = Report {
        up: true,
        duration: Duration::from_millis(1500),
        samples_scraped: 3,
        samples_post_relabel: 3,
        series_added: 1,
        extra: Some((Duration::from_secs(10), 0, 123)),
    };
    r.append(&report, 7, &mut out);
    let names: Vec<_> = out
        .iter()
        .map(|s| s.labels.metric_name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "up",
            "scrape_duration_seconds",
            "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling",
            "scrape_series_added",
            "scrape_timeout_seconds",
            "scrape_sample_limit",
            "scrape_body_size_bytes"
        ]
    );
    assert_eq!(out[1].value, 1.5);
    assert_eq!(
        out[0].labels.to_string(),
        r#"{__name__="up", instance="127.0.0.1:9201", job="demo"}"#
    );
}

#[test]
fn end_of_run_marks_the_last_series() {
    let mut c = ScrapeCache::new();
    let mut out = Vec::new();
    assert!(!c.end_of_run(5, &mut out), "never scraped");
    scrape(&mut c, "a 1\nb 2\n", &ScrapeOptions::default());
    assert!(c.end_of_run(5, &mut out));
    assert_eq!(out.len(), 2);
    assert!(out
        .iter()
        .all(|s| is_stale_nan(s.value) && s.timestamp_ms == 5));
}

#[test]
fn prom_durations_round_trip() {
    for (d, s) in [
        (60_000, "1m"),
        (10_000, "10s"),
        (90_000, "1m30s"),
        (0, "0s"),
        (1500, "1s500ms"),
        (86_400_000, "1d"),
        (604_800_000 * 2, "2w"),
        (86_400_000 * 90, "90d"),
    ] {
        assert_eq!(format_prom_duration(Duration::from_millis(d)), s);
        assert_eq!(parse_prom_duration(s), Ok(Duration::from_millis(d)), "{s}");
    }
    assert_eq!(parse_prom_duration("0"), Ok(Duration::ZERO));
    assert_eq!(parse_prom_duration("5ms"), Ok(Duration::from_millis(5)));
    assert_eq!(
        parse_prom_duration("1s1m").unwrap_err(),
        "not a valid duration string: \"1s1m\""
    );
    assert_eq!(
        parse_prom_duration("").unwrap_err(),
        "empty duration string"
    );
    assert!(parse_prom_duration("1.5s").is_err());
}

#[test]
fn populate_fills_defaults_and_checks() {
    let params = BTreeMap::from([("module".to_string(), vec!["a".to_string(), "b".to_string()])]);
    let d = TargetDefaults {
        job_name: "prometheus.scrape.default",
        scrape_interval: Duration::from_secs(60),
        scrape_timeout: Duration::from_secs(10),
        metrics_path: "/metrics",
        scheme: "http",
        params: &params,
    };
    let l = populate_labels(
        &[("__address__", "h:1"), ("__meta_x", "y"), ("env", "p")],
        &d,
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        l.to_string(),
        r#"{__address__="h:1", __metrics_path__="/metrics", __param_module="a", __scheme__="http", __scrape_interval__="1m", __scrape_timeout__="10s", env="p", instance="h:1", job="prometheus.scrape.default"}"#
    );
    assert_eq!(
        target_url(&l, &params),
        "http://h:1/metrics?module=a&module=b"
    );
    let l = populate_labels(
        &[
            ("__address__", "h:1"),
            ("__metrics_path__", "/probe"),
            ("__param_target", "x y"),
            ("job", "j"),
        ],
        &d,
        &[],
    )
    .unwrap()
    .unwrap();
    assert_eq!(l.get("job"), Some("j"));
    assert_eq!(
        target_url(&l, &params),
        "http://h:1/probe?module=a&module=b&target=x+y"
    );
    let err = |t: &[(&str, &str)]| populate_labels(t, &d, &[]).unwrap_err().0;
    assert_eq!(err(&[("a", "b")]), "no address");
    assert_eq!(
        err(&[("__address__", "h/x")]),
        "\"h/x\" is not a valid hostname"
    );
    assert_eq!(
        err(&[("__address__", "h"), ("__scrape_timeout__", "2m")]),
        "scrape timeout cannot be greater than scrape interval (\"2m\" > \"1m\")"
    );
    assert_eq!(
        err(&[("__address__", "h"), ("__scrape_interval__", "x")]),
        "error parsing scrape interval: not a valid duration string: \"x\""
    );
}

#[test]
fn offsets_are_stable_phases_within_the_interval() {
    let l = Labels::from_pairs(&[("__address__", "h:1")]);
    let iv = Duration::from_secs(15);
    let now: i64 = 1_700_000_000_123_456_789;
    let a = target_offset(&l, "http://h:1/metrics", iv, 42, now);
    assert!(a > Duration::ZERO && a <= iv);
    // The same phase one interval later.
    let b = target_offset(&l, "http://h:1/metrics", iv, 42, now + iv.as_nanos() as i64);
    assert_eq!(a, b);
    // Another target, another phase.
    let c = target_offset(&l, "http://h:2/metrics", iv, 42, now);
    assert_ne!(a, c);
    // fnv64a known vector: "a" -> 0xaf63dc4c8601ec8c.
    assert_eq!(target::fnv64a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Lines that make predictions go wrong: prefixes of each other, one label set spelled
    /// several ways, a bare name followed by labels, repeats, and comments between them.
    const LINES: &[&str] = &[
        "m 1",
        "m_x 2",
        "m {a=\"1\"} 3",
        "m{a=\"1\"} 4",
        "m{a=\"1\",} 5",
        "m{a=\"1\",b=\"2\"} 6",
        "m{b=\"2\",a=\"1\"} 7",
        "m{a=\"\"} 8",
        "m{a=\"1\"}\t9",
        "m{a=\"2\"} NaN",
        "# HELP m help",
        "# TYPE m gauge",
        "m_x{job=\"x\"} 10",
    ];

    fn key(s: &Sample) -> (String, u64, i64) {
        (s.labels.to_string(), s.value.to_bits(), s.timestamp_ms)
    }

    /// Lines valid in OpenMetrics too (one blank, no trailing comma); `# EOF` ends each body.
    const OM_LINES: &[&str] = &[
        "m 1",
        "m_x 2",
        "m{a=\"1\"} 4",
        "m{a=\"1\",b=\"2\"} 6",
        "m{b=\"2\",a=\"1\"} 7",
        "m{a=\"\"} 8",
        "m{a=\"2\"} NaN",
        "m{a=\"1\"} 3 1700000000.5",
        "m_x{job=\"x\"} 10",
        "m_x{job=\"x\"} 1e3",
    ];

    /// Scrape after scrape, a cache that predicts lines gives exactly what a fresh cache gives
    /// for the same body, followed by staleness markers for exactly the label sets of the
    /// previous scrape that are gone.
    fn check_predicted_scrapes(
        bodies: &[Vec<usize>],
        lines: &[&str],
        format: Format,
    ) -> Result<(), TestCaseError> {
        let opts = ScrapeOptions::default();
        let mut cache = ScrapeCache::new();
        let mut previous: BTreeSet<String> = BTreeSet::new();
        for (n, picked) in bodies.iter().enumerate() {
            let mut body: String = picked.iter().map(|&i| format!("{}\n", lines[i])).collect();
            if format == Format::OpenMetrics {
                body.push_str("# EOF\n");
            }
            let ts = 1000 * (n as i64 + 1);
            let mut fresh_out = Vec::new();
            let fresh = ScrapeCache::new().append_body(
                body.as_bytes(),
                format,
                &target(),
                &opts,
                ts,
                &mut fresh_out,
            );
            let mut out = Vec::new();
            let got = cache.append_body(body.as_bytes(), format, &target(), &opts, ts, &mut out);
            prop_assert_eq!(got.error, None);
            prop_assert_eq!(got.samples_scraped, fresh.samples_scraped);
            prop_assert_eq!(got.samples_post_relabel, fresh.samples_post_relabel);
            prop_assert!(out.len() >= fresh_out.len());
            let (samples, markers) = out.split_at(fresh_out.len());
            prop_assert_eq!(
                samples.iter().map(key).collect::<Vec<_>>(),
                fresh_out.iter().map(key).collect::<Vec<_>>()
            );
            let current: BTreeSet<String> = fresh_out
                .iter()
                .filter(|s| s.timestamp_ms == ts)
                .map(|s| s.labels.to_string())
                .collect();
            let want_stale: BTreeSet<String> = previous.difference(&current).cloned().collect();
            prop_assert!(markers
                .iter()
                .all(|s| is_stale_nan(s.value) && s.timestamp_ms == ts));
            let got_stale: BTreeSet<String> =
                markers.iter().map(|s| s.labels.to_string()).collect();
            prop_assert_eq!(markers.len(), got_stale.len(), "one marker per series");
            prop_assert_eq!(got_stale, want_stale);
            previous = current;
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn predicted_scrapes_match_fresh_ones(
            bodies in proptest::collection::vec(
                proptest::collection::vec(0..LINES.len(), 0..16), 1..8)
        ) {
            check_predicted_scrapes(&bodies, LINES, Format::PromText)?;
        }

        #[test]
        fn predicted_openmetrics_scrapes_match_fresh_ones(
            bodies in proptest::collection::vec(
                proptest::collection::vec(0..OM_LINES.len(), 0..16), 1..8)
        ) {
            check_predicted_scrapes(&bodies, OM_LINES, Format::OpenMetrics)?;
        }
    }
}

fn meta_rows(c: &ScrapeCache) -> Vec<(String, MetricType, String, String)> {
    c.metadata()
        .map(|m| {
            m.iter()
                .map(|m| {
                    (
                        m.metric_family.clone(),
                        m.kind,
                        m.help.clone(),
                        m.unit.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn metadata_is_rebuilt_only_when_its_lines_change() {
    let opts = ScrapeOptions::default();
    let mut c = ScrapeCache::new();
    let body = "# HELP reqs_total Requests\\nserved.\n# TYPE reqs_total counter\nreqs_total 1\n\
                # TYPE lat histogram\nlat_bucket{le=\"+Inf\"} 1\nlat_sum 1\nlat_count 1\n\
                # HELP plain No type.\nplain 3\nbare 4\n";
    scrape(&mut c, body, &opts);
    let row = |f: &str, k, h: &str| (f.to_string(), k, h.to_string(), String::new());
    let want = vec![
        row("lat", MetricType::Histogram, ""),
        row("plain", MetricType::Unknown, "No type."),
        row("reqs_total", MetricType::Counter, "Requests\nserved."),
    ];
    assert_eq!(meta_rows(&c), want);
    let first = c.metadata().unwrap().clone();
    // The same lines (values changed): the same shared metadata, nothing rebuilt.
    scrape(&mut c, &body.replace(" 1\n", " 2\n"), &opts);
    assert!(Arc::ptr_eq(c.metadata().unwrap(), &first));
    // A failed scrape keeps the last good metadata.
    let (o, _) = scrape(&mut c, "# TYPE x gauge\nx{ 1\n", &opts);
    assert!(o.error.is_some());
    assert!(Arc::ptr_eq(c.metadata().unwrap(), &first));
    // A changed line, a line removed at the end, a line added: rebuilt each time.
    scrape(&mut c, &body.replace("No type.", "Other."), &opts);
    assert_eq!(meta_rows(&c)[1].2, "Other.");
    let shorter = body.replace("# HELP plain No type.\n", "");
    scrape(&mut c, &shorter, &opts);
    assert_eq!(meta_rows(&c), [want[0].clone(), want[2].clone()]);
    scrape(&mut c, &format!("{shorter}# TYPE g gauge\ng 1\n"), &opts);
    assert_eq!(meta_rows(&c).len(), 3);
    assert_eq!(meta_rows(&c)[0], row("g", MetricType::Gauge, ""));
    // No metadata lines at all: none.
    scrape(&mut c, "bare 4\n", &opts);
    assert!(c.metadata().is_none());
}

#[test]
fn openmetrics_units_reach_the_metadata() {
    let mut c = ScrapeCache::new();
    let body =
        "# TYPE rt_seconds histogram\n# UNIT rt_seconds seconds\n# HELP rt_seconds A \\\"t\\\".\n\
                rt_seconds_bucket{le=\"+Inf\"} 1\nrt_seconds_sum 1\nrt_seconds_count 1\n# EOF\n";
    let mut out = Vec::new();
    let o = c.append_body(
        body.as_bytes(),
        Format::OpenMetrics,
        &target(),
        &ScrapeOptions::default(),
        1000,
        &mut out,
    );
    assert_eq!(o.error, None);
    assert_eq!(
        meta_rows(&c),
        [(
            "rt_seconds".to_string(),
            MetricType::Histogram,
            "A \"t\".".to_string(),
            "seconds".to_string()
        )]
    );
}
