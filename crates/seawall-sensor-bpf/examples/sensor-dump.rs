//! Print every record the sensor produces as JSON lines (debugging aid):
//! `cargo run -p seawall-sensor-bpf --example sensor-dump -- [SECONDS] [TYPE...]`.

use std::io::Write;
use std::time::{Duration, Instant};

use seawall_event::EventType;
use seawall_sensor_bpf::{Sensor, SensorConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let wanted: Vec<EventType> = args.map(|a| EventType::from_name(&a)).collect();
    let mut s = match Sensor::start(SensorConfig {
        wanted,
        open_filter: None,
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sensor-dump: {e}");
            std::process::exit(2);
        }
    };
    let out = std::io::stdout();
    let mut out = out.lock();
    for r in s.initial_records() {
        let _ = seawall_event::write_record(&mut out, &r);
    }
    eprintln!("sensor-dump: running");
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        let res = s.poll(Duration::from_millis(100), &mut |r| {
            let _ = seawall_event::write_record(&mut out, &r);
        });
        if let Err(e) = res {
            eprintln!("sensor-dump: {e}");
            break;
        }
    }
    let _ = out.flush();
    eprintln!("sensor-dump: {:?}", s.stats());
}
