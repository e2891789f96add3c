//! Loading, attaching and reading the BPF program.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::mem::MaybeUninit;
use std::rc::Rc;
use std::time::Duration;

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, OpenObject, RingBuffer, RingBufferBuilder};
use seawall_event::{EventType, Record};

use crate::open_filter::KernelFilter;
use crate::skel::{SensorSkel, SensorSkelBuilder};
use crate::{Converter, Error, SensorConfig, Stats};
use seawall_event::open_filter::OpenFilter;

/// Most records handed out per `poll` call, so callers keep control.
const POLL_BATCH: usize = 65_536;

/// What the ring-buffer callback shares with the sensor: kernel records are
/// converted in place (no copy of the raw bytes) and queued as events.
struct Reader {
    conv: RefCell<Converter>,
    queue: RefCell<VecDeque<Record>>,
    records_read: Cell<u64>,
    decode_errors: Cell<u64>,
}

/// The running sensor. Dropping it detaches every program.
pub struct Sensor {
    skel: SensorSkel<'static>,
    rb: RingBuffer<'static>,
    reader: Rc<Reader>,
    /// Keys of the open filter in the kernel's `of_keys`.
    filter_keys: Vec<u64>,
}

fn bpf_err(what: &str, e: libbpf_rs::Error) -> Error {
    let raw = e.to_string();
    let hint = if raw.contains("Operation not permitted") || raw.contains("EPERM") {
        " (needs root: CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN; kernel lockdown or a seccomp \
         profile can also forbid BPF)"
    } else if raw.contains("No such file") || raw.contains("ENOENT") {
        " (the kernel lacks a needed tracepoint or BTF type: BTF tracepoints sys_exit and \
         sched_process_{exec,fork,exit} are required)"
    } else if raw.contains("Invalid argument") || raw.contains("EINVAL") {
        " (the verifier or the kernel rejected the program; kernel 5.8+ with BTF is required)"
    } else {
        ""
    };
    Error::Bpf {
        what: what.to_string(),
        detail: format!("{raw}{hint}"),
    }
}

impl Sensor {
    /// Load and attach the programs, set the wanted syscalls.
    pub fn start(cfg: SensorConfig) -> Result<Sensor, Error> {
        crate::preflight()?;
        // The skeleton borrows its object storage for its whole life; the
        // sensor lives as long as the process that runs it, so leak it.
        let storage: &'static mut MaybeUninit<OpenObject> =
            Box::leak(Box::new(MaybeUninit::uninit()));
        let builder = SensorSkelBuilder::default();
        let mut open = builder
            .open(storage)
            .map_err(|e| bpf_err("open the BPF object", e))?;
        if let Some(ro) = open.maps.rodata_data.as_deref_mut() {
            ro.self_tgid = std::process::id();
        }
        let mut skel = open
            .load()
            .map_err(|e| bpf_err("load the BPF programs into the kernel", e))?;
        skel.attach().map_err(|e| {
            bpf_err(
                "attach the BPF programs to the sys_exit and sched tracepoints",
                e,
            )
        })?;

        let reader = Rc::new(Reader {
            conv: RefCell::new(Converter::new()),
            queue: RefCell::new(VecDeque::new()),
            records_read: Cell::new(0),
            decode_errors: Cell::new(0),
        });
        let r = reader.clone();
        let mut builder = RingBufferBuilder::new();
        builder
            .add(&skel.maps.events, move |data: &[u8]| {
                r.records_read.set(r.records_read.get() + 1);
                let (Ok(mut conv), Ok(mut queue)) =
                    (r.conv.try_borrow_mut(), r.queue.try_borrow_mut())
                else {
                    // not reachable: the callback runs inside poll, which holds neither
                    r.decode_errors.set(r.decode_errors.get() + 1);
                    return 0;
                };
                if !conv.convert(data, &mut |rec| queue.push_back(rec)) {
                    r.decode_errors.set(r.decode_errors.get() + 1);
                }
                0
            })
            .map_err(|e| bpf_err("set up the ring buffer reader", e))?;
        let rb = builder
            .build()
            .map_err(|e| bpf_err("set up the ring buffer reader", e))?;
        let mut s = Sensor {
            skel,
            rb,
            reader,
            filter_keys: Vec::new(),
        };
        s.set_wanted(&cfg.wanted)?;
        s.set_open_filter(cfg.open_filter.as_ref())?;
        Ok(s)
    }

    /// The initial `/proc` snapshot, host info, users and containers.
    /// Call once after [`Sensor::start`] (records for processes that start
    /// meanwhile arrive as events, so nothing is missed).
    pub fn initial_records(&mut self) -> Vec<Record> {
        let recs = crate::procscan::scan(
            std::path::Path::new("/proc"),
            std::process::id(),
            &mut |id, rt, pid| crate::container::lookup(id, rt, pid),
        );
        let mut conv = self.reader.conv.borrow_mut();
        for id in crate::procscan::container_ids(&recs) {
            conv.mark_described(&id);
        }
        recs
    }

    /// Wait up to `timeout` for records and hand the converted records to
    /// `out` (at most `POLL_BATCH` per call; the rest wait for the next
    /// call, which then does not block). Returns the number of kernel
    /// records read from the ring during this call.
    pub fn poll(&mut self, timeout: Duration, out: &mut dyn FnMut(Record)) -> Result<usize, Error> {
        let read_before = self.reader.records_read.get();
        if self.reader.queue.borrow().is_empty() {
            let rc = self.rb.poll_raw(timeout);
            if rc < 0 && rc != -libc::EINTR {
                return Err(Error::Poll(
                    std::io::Error::from_raw_os_error(-rc).to_string(),
                ));
            }
            // The kernel side wakes the reader only once enough is queued
            // (sensor.bpf.c, SW_WAKE_BYTES): drain whatever is there.
            if rc == 0 {
                let rc = self.rb.consume_raw();
                if rc < 0 && rc != -libc::EINTR {
                    return Err(Error::Poll(
                        std::io::Error::from_raw_os_error(-rc).to_string(),
                    ));
                }
            }
        }
        let mut n = 0;
        loop {
            let item = self.reader.queue.borrow_mut().pop_front();
            let Some(rec) = item else { break };
            out(rec);
            n += 1;
            if n >= POLL_BATCH {
                break;
            }
        }
        Ok((self.reader.records_read.get() - read_before) as usize)
    }

    /// Capture exactly the state-keeping syscalls plus `wanted` (all
    /// supported syscalls when empty). Returns the wanted types the sensor
    /// cannot capture.
    pub fn set_wanted(&mut self, wanted: &[EventType]) -> Result<Vec<String>, Error> {
        let (cfg, unknown) = crate::kernel_config(wanted);
        let mut on = vec![[0u8; 8]; crate::MAX_SYSCALLS];
        for nr in crate::MOVES {
            if let Some(slot) = on.get_mut(nr as usize) {
                slot[7] = 1;
            }
        }
        for (nr, c) in cfg {
            if let Some(slot) = on.get_mut(nr as usize) {
                *slot = c;
            }
        }
        for (nr, c) in on.iter().enumerate() {
            let key = (nr as u32).to_ne_bytes();
            self.skel
                .maps
                .sc_cfg
                .update(&key, c, MapFlags::ANY)
                .map_err(|e| bpf_err("update the wanted-syscall map", e))?;
        }
        Ok(unknown)
    }

    /// Record only the opens `filter` keeps (every open when `None`).
    /// Returns whether the kernel applies it: a filter beyond the kernel's
    /// limits (see [`seawall_event::open_filter`]) records every open.
    pub fn set_open_filter(&mut self, filter: Option<&OpenFilter>) -> Result<bool, Error> {
        let compiled = filter.and_then(KernelFilter::compile);
        let zero = 0u32.to_ne_bytes();
        // off while the keys change, so no open is decided on half a filter
        self.skel
            .maps
            .open_filter
            .update(&zero, &KernelFilter::default().cfg_bytes(), MapFlags::ANY)
            .map_err(|e| bpf_err("update the open filter", e))?;
        for k in std::mem::take(&mut self.filter_keys) {
            // a key that is already gone is fine
            let _ = self.skel.maps.of_keys.delete(&k.to_ne_bytes());
        }
        let Some(k) = compiled else {
            return Ok(false);
        };
        for (key, terms) in &k.keys {
            self.skel
                .maps
                .of_keys
                .update(&key.to_ne_bytes(), &terms.to_ne_bytes(), MapFlags::ANY)
                .map_err(|e| bpf_err("update the open filter's paths", e))?;
            self.filter_keys.push(*key);
        }
        self.skel
            .maps
            .open_filter
            .update(&zero, &k.cfg_bytes(), MapFlags::ANY)
            .map_err(|e| bpf_err("update the open filter", e))?;
        // path decisions cached under the old filter no longer hold
        if let Some(bss) = self.skel.maps.bss_data.as_deref_mut() {
            bss.of_gen = bss.of_gen.wrapping_add(1);
        }
        Ok(true)
    }

    /// Response: deliver `signal` to process `pid` at its next syscall
    /// (`bpf_send_signal` from the process's own context).
    pub fn kill_on_next_syscall(&mut self, pid: u32, signal: i32) -> Result<(), Error> {
        self.skel
            .maps
            .kill_targets
            .update(
                &pid.to_ne_bytes(),
                &(signal as u32).to_ne_bytes(),
                MapFlags::ANY,
            )
            .map_err(|e| bpf_err("queue a kill response", e))?;
        // Until the first response the kernel skips the kill_targets lookup
        // on every syscall.
        match self.skel.maps.bss_data.as_deref_mut() {
            Some(bss) => {
                bss.response_armed = 1;
                Ok(())
            }
            None => Err(Error::Bpf {
                what: "queue a kill response".into(),
                detail: "the BPF object has no writable .bss section".into(),
            }),
        }
    }

    /// Kernel and user-space counters.
    pub fn stats(&self) -> Stats {
        let sum = |idx: u32| -> u64 {
            self.skel
                .maps
                .counters
                .lookup_percpu(&idx.to_ne_bytes(), MapFlags::ANY)
                .ok()
                .flatten()
                .map(|cpus| {
                    cpus.iter()
                        .filter_map(|v| v.get(..8).and_then(|b| b.try_into().ok()))
                        .map(u64::from_ne_bytes)
                        .sum()
                })
                .unwrap_or(0)
        };
        Stats {
            kernel_records: sum(0),
            kernel_drops: sum(1),
            opens_filtered: sum(2),
            signals_sent: sum(3),
            records_read: self.reader.records_read.get(),
            decode_errors: self.reader.decode_errors.get(),
        }
    }
}
