//! seawall-sensor-bpf (work in progress).
