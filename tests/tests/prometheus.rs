//! The real Prometheus server scrapes tracekit's endpoint, and its query API
//! answers the questions users ask of it: the P95 duration of an operation
//! and the error ratio of another. Needs the `prometheus` binary (Debian's
//! package, which `.ci/run` installs); skips with a message without it.

use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracekit::{trace_operation, Config, Exporter, MetricsExporter};

#[trace_operation]
fn sleepy() {
    std::thread::sleep(Duration::from_millis(20));
}

#[derive(Debug)]
struct Unlucky;

impl std::fmt::Display for Unlucky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unlucky")
    }
}

/// Fails every other call.
#[trace_operation]
fn flaky(attempt: u64) -> Result<(), Unlucky> {
    if attempt % 2 == 0 {
        Ok(())
    } else {
        Err(Unlucky)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The Prometheus server, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Prometheus scraping `target` every second, its API on `web`.
fn start_prometheus(binary: &str, dir: &std::path::Path, target: u16, web: u16) -> Server {
    let config = dir.join("prometheus.yml");
    let mut file = std::fs::File::create(&config).unwrap();
    write!(
        file,
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: tracekit\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{web}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("prometheus starts");
    Server(child)
}

/// The single value of an instant query, once Prometheus has one.
async fn query(client: &reqwest::Client, web: u16, promql: &str) -> Option<f64> {
    let url =
        reqwest::Url::parse_with_params(&format!("http://127.0.0.1:{web}/api/v1/query"), &[("query", promql)]).ok()?;
    let body: serde_json::Value = serde_json::from_str(&client.get(url).send().await.ok()?.text().await.ok()?).ok()?;
    let result = body["data"]["result"].as_array()?;
    let value = result.first()?["value"][1].as_str()?.parse::<f64>().ok()?;
    value.is_finite().then_some(value)
}

#[test]
fn prometheus_scrapes_the_endpoint_and_answers_p95_and_the_error_ratio() {
    let Some(binary) = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
    else {
        // CI installs it and sets this, so that there the test always runs.
        assert!(std::env::var_os("TRACEKIT_REQUIRE_PROMETHEUS").is_none(), "no prometheus binary, and it is required");
        eprintln!("SKIPPED: no prometheus binary (apt-get install -y prometheus); .ci/run installs it");
        return;
    };
    let (target, web) = (free_port(), free_port());
    let _guard = Config::new()
        .exporters(&[Exporter::None])
        .metrics(|metrics| metrics.exporters(&[MetricsExporter::Prometheus]).prometheus_address("127.0.0.1", target))
        .install()
        .expect("the scrape endpoint starts");

    // The program at work, as long as the test runs.
    let running = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = [0, 1]
        .into_iter()
        .map(|which| {
            let running = running.clone();
            std::thread::spawn(move || {
                let mut attempt = 0;
                while running.load(Ordering::Relaxed) {
                    if which == 0 {
                        sleepy();
                    } else {
                        let _ = flaky(attempt);
                        attempt += 1;
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
            })
        })
        .collect();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = reqwest::Client::new();
    // What the endpoint serves, in the text format, once the workers' first
    // calls have ended.
    let scrape = || {
        runtime.block_on(async {
            client.get(format!("http://127.0.0.1:{target}/metrics")).send().await.unwrap().text().await.unwrap()
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut scraped = scrape();
    while !scraped.contains("# TYPE tracekit_operation_duration_seconds histogram")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
        scraped = scrape();
    }
    assert!(scraped.contains("# TYPE tracekit_operation_duration_seconds histogram"), "{scraped}");

    let dir = std::env::temp_dir().join(format!("tracekit-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _server = start_prometheus(binary, &dir, target, web);

    let p95 = "histogram_quantile(0.95, sum by (le, operation_name) \
               (rate(tracekit_operation_duration_seconds_bucket{operation_name=\"sleepy\"}[1m])))";
    let error_ratio =
        "sum(rate(tracekit_operation_duration_seconds_count{operation_name=\"flaky\",error_type!=\"\"}[1m])) \
                       / sum(rate(tracekit_operation_duration_seconds_count{operation_name=\"flaky\"}[1m]))";
    let (p95, ratio) = runtime.block_on(async {
        let started = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let answers = (query(&client, web, p95).await, query(&client, web, error_ratio).await);
            // Five seconds of scrapes at least, for rates over several points.
            if let (Some(p95), Some(ratio), true) = (answers.0, answers.1, started.elapsed() > Duration::from_secs(5)) {
                return (p95, ratio);
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "Prometheus gave no answer in 90 s: {answers:?}; its log: {}",
                std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
            );
        }
    });
    running.store(false, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);

    eprintln!("Prometheus answered: P95 of sleepy {p95} s, error ratio of flaky {ratio}");
    // 20 ms lies in the bucket (10 ms, 25 ms]; Prometheus interpolates inside it.
    assert!(p95 > 0.010 && p95 <= 0.025, "P95 of sleepy: {p95} s");
    assert!((0.4..=0.6).contains(&ratio), "error ratio of flaky: {ratio}");
}
