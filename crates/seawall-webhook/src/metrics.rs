//! Prometheus metrics: requests, decisions and a latency histogram.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    decisions: BTreeMap<(String, &'static str), u64>,
    latency: BTreeMap<String, Histogram>,
    reloads: BTreeMap<(&'static str, &'static str), u64>,
    lookups: BTreeMap<&'static str, u64>,
}

/// Thread-safe metrics registry.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn request(&self, endpoint: &str, code: u16, elapsed: Duration) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.requests.entry((endpoint.to_string(), code)).or_default() += 1;
        let h = m.latency.entry(endpoint.to_string()).or_default();
        if h.counts.is_empty() {
            h.counts = vec![0; BUCKETS.len()];
        }
        let secs = elapsed.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    pub fn decision(&self, endpoint: &str, allowed: bool) {
        let Ok(mut m) = self.inner.lock() else { return };
        let d = if allowed { "allow" } else { "deny" };
        *m.decisions.entry((endpoint.to_string(), d)).or_default() += 1;
    }

    pub fn reload(&self, what: &'static str, ok: bool) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.reloads
            .entry((what, if ok { "success" } else { "failure" }))
            .or_default() += 1;
    }

    /// One namespace label lookup: `cached`, `fetched`, `stale` or `failed`.
    pub fn namespace_lookup(&self, result: &'static str) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.lookups.entry(result).or_default() += 1;
    }

    /// Prometheus text exposition format.
    pub fn render(&self) -> String {
        let Ok(m) = self.inner.lock() else {
            return String::new();
        };
        let mut out = String::new();
        out.push_str("# HELP seawall_admission_requests_total Admission HTTP requests by endpoint and status code.\n");
        out.push_str("# TYPE seawall_admission_requests_total counter\n");
        for ((ep, code), n) in &m.requests {
            let _ = writeln!(
                out,
                "seawall_admission_requests_total{{endpoint=\"{ep}\",code=\"{code}\"}} {n}"
            );
        }
        out.push_str("# HELP seawall_admission_decisions_total Admission decisions by endpoint.\n");
        out.push_str("# TYPE seawall_admission_decisions_total counter\n");
        for ((ep, d), n) in &m.decisions {
            let _ = writeln!(
                out,
                "seawall_admission_decisions_total{{endpoint=\"{ep}\",decision=\"{d}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP seawall_admission_request_duration_seconds Time to answer a request.\n",
        );
        out.push_str("# TYPE seawall_admission_request_duration_seconds histogram\n");
        for (ep, h) in &m.latency {
            for (i, b) in BUCKETS.iter().enumerate() {
                let c = h.counts.get(i).copied().unwrap_or(0);
                let _ = writeln!(out, "seawall_admission_request_duration_seconds_bucket{{endpoint=\"{ep}\",le=\"{b}\"}} {c}");
            }
            let _ = writeln!(out, "seawall_admission_request_duration_seconds_bucket{{endpoint=\"{ep}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(
                out,
                "seawall_admission_request_duration_seconds_sum{{endpoint=\"{ep}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "seawall_admission_request_duration_seconds_count{{endpoint=\"{ep}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP seawall_admission_reloads_total Certificate and config reloads.\n");
        out.push_str("# TYPE seawall_admission_reloads_total counter\n");
        for ((what, r), n) in &m.reloads {
            let _ = writeln!(
                out,
                "seawall_admission_reloads_total{{what=\"{what}\",result=\"{r}\"}} {n}"
            );
        }
        if !m.lookups.is_empty() {
            out.push_str("# HELP seawall_admission_namespace_lookups_total Namespace label lookups through the Kubernetes API by result.\n");
            out.push_str("# TYPE seawall_admission_namespace_lookups_total counter\n");
            for (r, n) in &m.lookups {
                let _ = writeln!(
                    out,
                    "seawall_admission_namespace_lookups_total{{result=\"{r}\"}} {n}"
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.request("/validate", 200, Duration::from_micros(700));
        m.decision("/validate", false);
        let t = m.render();
        assert!(
            t.contains("seawall_admission_requests_total{endpoint=\"/validate\",code=\"200\"} 1")
        );
        assert!(t.contains("decision=\"deny\"} 1"));
        assert!(t.contains("le=\"0.0005\"} 0"));
        assert!(t.contains("le=\"0.001\"} 1"));
    }
}
